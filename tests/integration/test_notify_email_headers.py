"""E-mail pages are delivered whatever the incident title holds (issue 11.3): line breaks from an alert's
description, every control character, right-to-left text, emoji, any length. Real EmailChannel, real aiosmtpd
on loopback; the received Subject decodes to the normalised title."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import unicodedata

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.alerts_support import am_post, integration
from tests.notify_support import person, policy, run_ticks, service_with
from warroom.alerts.writer import stop_writer
from warroom.notifications import queries as notify_queries
from warroom.notifications.channels.email import EmailChannel, SmtpConfig, subject
from warroom.notifications.channels.email_headers import SUBJECT_MAX, TITLE_MAX, header_text

# module-scoped fixtures (and tests that build on each other) stay on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("test_notify_email_headers")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        with self.cond:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.cond.notify_all()
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    ctl.start()
    yield ctl, inbox
    ctl.stop()


# -- the normalisation itself ---------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "want"), [
    ("disk full\non db1", "disk full on db1"),
    ("a\r\nb\x00c\u2028d\u2029e\x85f\tg\x0bh", "a b c d e f g h"),
    ("  padded   title  ", "padded title"),
    ("ديسك ممتلئ \u200fעל db1", "ديسك ممتلئ \u200fעל db1"),  # right-to-left text and marks stay
    ("👩‍👩‍👧 🇮🇱", "👩‍👩‍👧 🇮🇱"),
    ("x =?utf-8?q?abc?= y", "x =?utf-8?q?abc?= y"),  # stays: sent encoded, so no reader decodes it
    ("\ud800 lone surrogate", "lone surrogate"),
])
def test_header_text_normalises(raw, want):
    assert header_text(raw, 100) == want


def test_header_text_caps_length_with_an_ellipsis():
    assert header_text("a" * 500, TITLE_MAX) == "a" * (TITLE_MAX - 1) + "\u2026"
    assert len(header_text("word " * 500, SUBJECT_MAX)) <= SUBJECT_MAX


# -- any title, through the real channel to a real SMTP server --------------------------------------------

CONTROLS = st.characters(whitelist_categories=("Cc", "Zl", "Zp", "Cs"))
RTL = st.characters(min_codepoint=0x0590, max_codepoint=0x08FF)
EMOJI = st.sampled_from(["😀", "👩‍👩‍👧", "🇮🇱", "\u200d", "\ufe0f", "🔥"])
PIECE = st.one_of(CONTROLS, RTL, EMOJI, st.characters(), st.sampled_from([" ", "=?", "?=", "?q?", "\r\n", "\\"]))
TITLES = st.one_of(st.lists(PIECE, max_size=80).map("".join),
                   st.text(min_size=300, max_size=3000),
                   st.lists(st.one_of(RTL, CONTROLS, EMOJI), min_size=200, max_size=1200).map("".join))


def _row(title: str, n: int) -> dict:
    return {"address": "ana@example.test", "key": f"fuzz-{n}",
            "payload": {"event": "page", "level": 1,
                        "incident": {"ref": "INC-7", "priority": "P1", "title": title, "status": "identified",
                                     "url": "http://127.0.0.1:8000/incidents/7"}}}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TITLES)
@example(title="checkout\n500s")
@example(title="\x00" * 50)
@example(title="=?utf-8?b?QQ==?=")
@example(title="éוḀםוםשḀa0Ḁוו😀0ḀḀ😀 םb וḀb")  # the policy's own folder would drop the space
@example(title="x" * 5000)
@example(title="شبكة" * 400)
def test_any_title_is_delivered_and_its_subject_decodes_to_the_normalised_title(smtp, title):
    ctl, inbox = smtp
    with inbox.cond:
        inbox.messages.clear()
    row = _row(title, len(title))
    EmailChannel(SmtpConfig("127.0.0.1", ctl.port, "plain", sender="Équipe SRE\r\n <pager@example.test>"))(row, "")
    with inbox.cond:
        assert inbox.cond.wait_for(lambda: inbox.messages, timeout=5)
        (msg,) = inbox.messages
    got = str(msg["Subject"])
    norm = header_text(title, TITLE_MAX)
    assert got == subject(row["payload"]) == f"[P1] INC-7 {norm}: you are paged (level 1)"
    assert not any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in got)
    assert msg["From"].addresses[0].display_name == "Équipe SRE"
    assert msg.get_content().splitlines()[0] == got  # the body repeats the subject


# -- an Alertmanager alert with a multi-line description pages by e-mail ----------------------------------

def test_alertmanager_multiline_description_pages_by_email(app, clock, api, smtp):
    ctl, inbox = smtp
    with inbox.cond:
        inbox.messages.clear()
    app.notifications.channels["email"] = EmailChannel(SmtpConfig("127.0.0.1", ctl.port, "plain"))
    ana = person(app, "ana")
    sid = service_with(app, "db", policy(app, "db", [[{"kind": "user", "id": ana}]]))
    _, key = integration(app, "alertmanager", service_id=sid)
    description = "Disk /var on db1 is 97% full.\nFree space is below 3%.\r\n\nRunbook: https://runbooks/disk"
    alert = {"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
             "annotations": {"description": description}, "startsAt": "2026-01-05T08:59:00Z",
             "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "fp-disk-db1"}
    try:
        r = api.post(f"/api/v1/integrations/{key}/alertmanager", json=am_post([alert]))
        assert r.status_code == 202, r.text
    finally:
        stop_writer(app)
    (inc,) = {n["incident_id"] for n in notify_queries.list_(app)}
    run_ticks(app)
    with inbox.cond:
        assert inbox.cond.wait_for(lambda: inbox.messages, timeout=5)
        (msg,) = inbox.messages
    assert msg["To"] == "ana@example.test"
    assert ("Disk /var on db1 is 97% full. Free space is below 3%. Runbook: https://runbooks/disk: you are paged"
            in str(msg["Subject"]))
    assert [n["state"] for n in notify_queries.list_(app, incident_id=inc)] == ["delivered"]
