"""Paging failures in the web app, the API and the CLI (issue 10.5): red flags on the war room and the queue, the
default escalation policy setting, the admin's e-mail banner, /readyz, and where a person's pages go."""

from __future__ import annotations

import json
import socket

import pytest

from tests.notify_support import policy, run_ticks, service_with
from tests.web.pages_support import login_as
from warroom.incidents import service as incidents
from warroom.incidents.priority import Impact, Urgency
from warroom.notifications import contacts, outbox
from warroom.notifications.channels.email import EmailChannel, SmtpConfig
from warroom.notifications.outbox import Retry


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_smtp(app):
    outbox.install(app)
    app.notifications.channels["email"] = EmailChannel(SmtpConfig(host="127.0.0.1", port=dead_port(), timeout=2))
    app.notifications.retry = Retry(base_seconds=10, cap_seconds=600, max_attempts=2, lease_seconds=60)


def paged_by_dead_smtp(app, clock, users) -> incidents.IncidentState:
    rui = users.ids["responder"]
    m = contacts.add_method(app, users.principal("admin"), rui, kind="email", address="rui@example.test")
    contacts.add_rule(app, users.principal("admin"), rui, method_id=m["id"])
    sid = service_with(app, "checkout", policy(app, "checkout", [[{"kind": "user", "id": rui}]], timeout=60))
    inc = incidents.declare(app, users.principal("admin"), title="Checkout down", impact=Impact.EXTENSIVE,
                            urgency=Urgency.CRITICAL, service_ids=[sid])
    run_ticks(app)
    clock.advance(seconds=10)
    run_ticks(app)
    return inc


def test_dead_page_flags_the_war_room_and_the_queue(api, app, clock, users, dead_smtp) -> None:
    inc = paged_by_dead_smtp(app, clock, users)
    other = incidents.declare(app, users.principal("admin"), title="Fine one", impact=Impact.MINOR, urgency=Urgency.LOW)
    login_as(api, "viewer")
    room = api.get(f"/incidents/{inc.ref}").text
    assert 'data-flag="nobody-reached"' in room and "1 page failed" in room
    assert "page failed</span>" in room and "Rui" in room and "ConnectionRefusedError" in room
    assert "rui@example.test" not in room.split('id="timeline"')[1].split("</ol>")[0]  # not in the timeline
    summary = api.get(f"/incidents/{inc.ref}/summary").text  # what the live war room re-fetches
    assert 'data-flag="nobody-reached"' in summary
    queue = api.get("/").text
    row = queue.split(f'data-key="{inc.id}"')[1].split("</tr>")[0]
    assert 'data-flag="nobody-reached"' in row and "1 page failed" in row
    assert "data-flag" not in queue.split(f'data-key="{other.id}"')[1].split("</tr>")[0]
    assert 'data-flag="nobody-reached"' in api.get("/queue/rows").text
    incidents.acknowledge(app, users.principal("responder"), inc.id)
    row = api.get("/").text.split(f'data-key="{inc.id}"')[1].split("</tr>")[0]
    assert "nobody-reached" not in row and "1 page failed" in row


def test_nobody_was_paged_is_flagged(api, app, users) -> None:
    sid = service_with(app, "orphan", None)
    inc = incidents.declare(app, users.principal("admin"), title="Orphan down", impact=Impact.EXTENSIVE,
                            urgency=Urgency.CRITICAL, service_ids=[sid])
    login_as(api, "viewer")
    room = api.get(f"/incidents/{inc.ref}").text
    assert 'data-flag="nobody-paged"' in room
    assert "None of its services has an escalation policy and there is no default escalation policy" in room
    assert 'data-flag="nobody-paged"' in api.get("/").text
    vic = users.ids["viewer"]  # no contact rule, no account e-mail
    sid = service_with(app, "ghost", policy(app, "ghost", [[{"kind": "user", "id": vic}]]))
    ghost = incidents.declare(app, users.principal("admin"), title="Ghost paged", impact=Impact.EXTENSIVE,
                              urgency=Urgency.CRITICAL, service_ids=[sid])
    room = api.get(f"/incidents/{ghost.ref}").text
    assert 'data-flag="nobody-reached"' in room and "reached nobody</span> none of them can be reached" in room


def test_default_policy_setting_over_the_api_and_the_cli(api, app, users, monkeypatch) -> None:
    from tests.web.pages_support import serve
    from tests.web.test_oncall_cli import run

    url = "/api/v1/settings/default-escalation-policy"
    admin, responder = users.headers("admin"), users.headers("responder")
    assert api.get(url, headers=responder).json() == {"policy_id": None}
    bad = api.put(url, headers=admin, json={"policy_id": 9999})
    assert bad.status_code == 422 and "policy_id" in bad.text
    assert api.put(url, headers=admin, json={"policy_id": "x"}).status_code == 422
    assert api.put(url, headers=responder, json={"policy_id": None}).status_code == 403
    pid = policy(app, "catch-all", [[{"kind": "user", "id": users.ids["responder"]}]])
    assert api.put(url, headers=admin, json={"policy_id": pid}).json() == {"policy_id": pid}
    assert api.delete(f"/api/v1/escalation-policies/{pid}", headers=admin).status_code == 409
    monkeypatch.setenv("WARROOM_TOKEN", users.tokens["admin"])
    with serve(app) as base:
        monkeypatch.setenv("WARROOM_URL", base)
        assert json.loads(run("policy", "default")) == {"policy_id": pid}
        assert json.loads(run("policy", "default", "--clear")) == {"policy_id": None}
        assert json.loads(run("policy", "default", "--set", str(pid))) == {"policy_id": pid}
        assert "This person cannot be reached" in run("contact", "list", str(users.ids["viewer"]))
    assert api.get(url, headers=responder).json() == {"policy_id": pid}


def test_admin_banner_and_readyz_after_failed_email(api, app, clock, users, dead_smtp) -> None:
    assert api.get("/readyz").json()["notifications"] == {
        "email": {"configured": True, "failures_last_hour": 0, "last_error_class": None}, "dead": 0}
    login_as(api, "admin")
    assert "data-banner" not in api.get("/").text
    paged_by_dead_smtp(app, clock, users)
    ready = api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"  # a detail, never a verdict
    assert ready.json()["notifications"] == {
        "email": {"configured": True, "failures_last_hour": 2, "last_error_class": "ConnectionRefusedError"},
        "dead": 1}
    for page in ("/", "/people", "/notifications"):  # on every page
        html = api.get(page).text
        assert 'data-banner="email_failing"' in html and "2 e-mail sends failed in the last hour" in html, page
    assert "ConnectionRefusedError" in api.get("/").text
    login_as(api, "responder")
    assert "data-banner" not in api.get("/").text  # admins only
    clock.advance(hours=1, seconds=1)  # the last failure was an hour and a second ago
    login_as(api, "admin")
    assert "data-banner" not in api.get("/").text
    assert api.get("/readyz").json()["notifications"]["email"]["failures_last_hour"] == 0


def test_admin_banner_when_email_is_not_configured(api, app, users, monkeypatch) -> None:
    monkeypatch.delenv("WARROOM_SMTP_HOST", raising=False)
    app.notifications.channels["email"] = EmailChannel(SmtpConfig.from_env())
    login_as(api, "admin")
    assert "data-banner" not in api.get("/").text  # nobody could be e-mailed yet
    assert api.get("/readyz").json()["notifications"]["email"]["configured"] is False
    contacts.add_method(app, users.principal("admin"), users.ids["viewer"], kind="email", address="vic@example.test")
    html = api.get("/teams").text
    assert 'data-banner="email_unconfigured"' in html and "WARROOM_SMTP_HOST is not set" in html
    monkeypatch.setenv("WARROOM_SMTP_HOST", "127.0.0.1")  # a local relay, on purpose
    app.notifications.channels["email"] = EmailChannel(SmtpConfig.from_env())
    assert "data-banner" not in api.get("/").text
    assert api.get("/readyz").json()["notifications"]["email"]["configured"] is True


def test_a_person_page_says_exactly_where_pages_go(api, app, users) -> None:
    from warroom.auth import service as auth

    admin = users.principal("admin")
    rui, vic = users.ids["responder"], users.ids["viewer"]
    login_as(api, "responder")
    nobody = api.get(f"/people/{vic}").text  # no rules, no account e-mail
    assert 'data-reach="none"' in nobody and "This person cannot be reached" in nobody
    people = api.get("/people").text
    assert 'data-reach="none"' in people.split(f'href="/people/{vic}"')[1].split("</tr>")[0]
    auth.update_user(app, vic, email="vic@example.test")
    fallback = api.get(f"/people/{vic}").text
    assert 'data-reach="none"' not in fallback and 'data-reach="partial"' not in fallback
    assert "every page goes to the account e-mail vic@example.test" in fallback
    assert fallback.count("(account e-mail: they have no contact rules)") == 5
    mail = contacts.add_method(app, admin, rui, kind="email", address="rui@example.test")
    chat = contacts.add_method(app, admin, rui, kind="slack", address="https://hooks.slack.test/services/T0/B0/SECRET")
    contacts.add_method(app, admin, rui, kind="webhook", address="https://ops.test/hook", label="ops bridge")
    contacts.add_rule(app, admin, rui, method_id=chat["id"], delay_minutes=2, priorities=["P1", "P2"])
    contacts.add_rule(app, admin, rui, method_id=mail["id"], priorities=["P1", "P2", "P3"])
    page = api.get(f"/people/{rui}").text
    assert 'data-reach="partial"' in page and "A P4, P5 page reaches them <b>nowhere</b>" in page
    plan = page.split('data-reach="plan"')[1].split("</table>")[0]
    p1 = plan.split("P1</span>")[1].split("</tr>")[0]
    assert p1.index("rui@example.test at once") < p1.index("hooks.slack.test/… after 2 min")
    assert "SECRET" not in page  # a webhook URL's path is a credential
    assert "ops bridge" in page.split("Contact methods no rule uses")[1]
    rules = page.split("Contact rules, in order")[1].split("</ol>")[0]
    assert rules.index("at once, for P1, P2, P3") < rules.index("after 2 min, for P1, P2")
    go = api.get(f"/api/v1/users/{rui}/contacts", headers=users.headers("responder")).json()["pages_go"]
    assert go["unreachable"] == ["P4", "P5"] and [s["channel"] for s in go["by_priority"][0]["sends"]] == [
        "email", "slack"]
    assert "not paged at P4, P5" in api.get("/people").text.split(f'href="/people/{rui}"')[1].split("</tr>")[0]
    login_as(api, "viewer")
    seen = api.get(f"/people/{rui}").text
    assert 'data-reach="partial"' in seen and "rui@example.test" not in seen and "Contact rules" not in seen


def test_admin_sets_the_default_policy_on_the_policies_page(api, app, users) -> None:
    pid = policy(app, "catch-all", [[{"kind": "user", "id": users.ids["responder"]}]])
    login_as(api, "viewer")
    page = api.get("/policies").text
    assert 'data-default="none"' in page and 'action="/policies/default"' not in page
    csrf = login_as(api, "responder")
    assert api.post("/policies/default", data={"csrf": csrf, "policy_id": str(pid)}).status_code == 403
    csrf = login_as(api, "admin")
    bad = api.post("/policies/default", data={"csrf": csrf, "policy_id": "999"})
    assert bad.status_code == 422 and "policy_id: no such escalation policy: 999" in bad.text
    assert api.post("/policies/default", data={"csrf": csrf, "policy_id": "x"}).status_code == 422
    r = api.post("/policies/default", data={"csrf": csrf, "policy_id": str(pid)}, follow_redirects=False)
    assert r.status_code == 303
    page = api.get("/policies").text
    assert 'data-default="none"' not in page and "<b>catch-all</b> is paged" in page
    api.post("/policies/default", data={"csrf": csrf, "policy_id": ""})
    assert 'data-default="none"' in api.get("/policies").text
