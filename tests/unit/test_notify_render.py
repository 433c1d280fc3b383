"""Wording of notifications (pure): every payload event reads as a sentence saying what happened to you."""

from __future__ import annotations

import pytest

from warroom.notifications.channels.chat import slack_payload, teams_payload
from warroom.notifications.render import body, headline, summary

INC = {"ref": "INC-9", "title": "checkout down", "priority": "P1", "status": "investigating",
       "url": "http://wr.test/incidents/9"}


def test_an_assignment_names_the_role_and_who_assigned_it() -> None:
    p = {"event": "assigned", "incident": INC, "role": "coordinator", "role_title": "Major Incident Coordinator",
         "team": None, "by": "rui"}
    assert summary(p) == "You are the Major Incident Coordinator of INC-9"
    assert headline(p) == "[P1] INC-9 checkout down: you are the Major Incident Coordinator"
    text = body(p)
    assert "You are the Major Incident Coordinator of INC-9 (assigned by rui)." in text
    assert "Open: http://wr.test/incidents/9" in text and "Acknowledge" not in text
    expert = {**p, "role": "expert", "role_title": "Subject-matter expert", "team": "Databases"}
    assert summary(expert) == "You are a subject-matter expert for Databases on INC-9"
    assert headline(expert).endswith(": you are a subject-matter expert")


def test_a_promotion_says_why_you_hear_of_it() -> None:
    p = {"event": "promoted", "incident": INC, "reason": "revenue", "by": "rui", "as": "on call"}
    assert headline(p) == "[P1] INC-9 checkout down: now a MAJOR incident"
    text = body(p)
    assert "INC-9 is now a major incident (promoted by rui)." in text and "Why: revenue" in text
    assert "it needs a coordinator" in text
    assert "as its coordinator" in body({**p, "as": "coordinator"})


def test_a_requested_page_carries_the_askers_message_and_the_usual_pages_stay_as_they_were() -> None:
    p = {"event": "page", "incident": INC, "reason": "requested", "requested_by": "rui", "message": "need a DBA",
         "target": "dba"}
    assert summary(p) == "rui pages you into INC-9"
    text = body(p)
    assert "rui pages you into INC-9." in text and "Message: need a DBA" in text and "Reason:" not in text
    assert "Acknowledge to stop the escalation." in text
    level = {"event": "page", "incident": INC, "level": 2, "reason": "timeout", "policy": "p"}
    assert headline(level) == "[P1] INC-9 checkout down: you are paged (level 2)"
    assert "Reason: the previous level did not acknowledge in time" in body(level)
    slack = slack_payload({"payload": p})
    assert slack["blocks"][0]["text"]["text"] == f"*{headline(p)}*\nrui pages you into INC-9: need a DBA"
    assert "Message: need a DBA" in teams_payload({"payload": p})["text"]


@pytest.mark.parametrize(("code", "words"), [
    ("declared", "the incident was declared"), ("reopened", "the incident was reopened"),
    ("default_policy", "none of its services has an escalation policy, so the default policy pages you"),
    ("reopened_default_policy", "the incident was reopened; none of its services has an escalation policy, so the "
                                "default policy pages you"),
    ("breach:ack", "the acknowledgement target was missed"), ("something_new", "something new")])
def test_a_page_says_why_in_words_not_codes(code, words) -> None:
    """Acceptance (issue 10): a person paged at night reads 'Reason: the incident was reopened', not a code."""
    page = {"event": "page", "incident": INC, "level": 1, "reason": code, "policy": "p"}
    assert f"Reason: {words}\n" in body(page)
    assert slack_payload({"payload": page})["blocks"][0]["text"]["text"].endswith(f"\n{words}")


def test_chat_cards_show_peoples_text_as_text() -> None:
    p = {"event": "page", "incident": {**INC, "title": "a <b>"}, "reason": "requested", "requested_by": "rui",
         "message": "<!channel> see <http://evil.test|docs> & co"}
    section = slack_payload({"payload": p})["blocks"][0]["text"]["text"]
    assert "<!channel>" not in section and "&lt;!channel&gt;" in section and "&amp; co" in section
    assert "&lt;b&gt;" in section
    card = teams_payload({"payload": p})["text"]
    assert "<!channel>" not in card and "&lt;http://evil.test|docs&gt;" in card and "<br>" in card
