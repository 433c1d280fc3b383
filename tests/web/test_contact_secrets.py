"""Issue 11.2: contact addresses are secrets. Whole for their owner and admins; redacted (scheme and host) for
everyone else in the API, the pages and the CLI's output; retrying a notification is for its recipient and
admins."""

from __future__ import annotations

import pytest

from tests.notify_support import ADMIN, Recorder, policy, run_ticks, service_with
from tests.web.pages_support import csrf_of, login_as
from warroom.incidents import service as incidents
from warroom.incidents.priority import Impact, Urgency
from warroom.notifications import contacts
from warroom.notifications import queries as notify_queries
from warroom.notifications.outbox import Retry
from warroom.notifications.redact import redact

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"
APPRISE = "tgram://123456789:AAHSECRETbot/-100200300"
MAIL = "rui.private@example.test"


@pytest.fixture
def paged(app, users, clock):
    """rui (responder) has a Slack webhook and an Apprise URL; an incident paged him; both sends are dead."""
    Recorder(app, fail={"slack", "apprise"})  # installs failing channels
    app.notifications.retry = Retry(base_seconds=1, max_attempts=1)
    rui = users.ids["responder"]
    for kind, address in (("slack", SLACK), ("apprise", APPRISE)):
        m = contacts.add_method(app, users.principal("responder"), rui, kind=kind, address=address)
        contacts.add_rule(app, users.principal("responder"), rui, method_id=m["id"])
    contacts.add_method(app, users.principal("responder"), rui, kind="email", address=MAIL)
    sid = service_with(app, "web", policy(app, "p", [[{"kind": "user", "id": rui}]]))
    inc = incidents.declare(app, ADMIN, title="x", impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL,
                            service_ids=[sid]).id
    run_ticks(app)
    rows = notify_queries.list_(app, incident_id=inc)
    assert {r["state"] for r in rows} == {"dead"}
    by = {r["channel"]: r["id"] for r in rows}
    return {"rui": rui, "incident": inc, "ids": [by["slack"], by["apprise"]]}


def test_redaction_keeps_scheme_and_host():
    assert redact("slack", SLACK) == "https://hooks.slack.com/…"
    assert redact("webhook", "https://user:pw@[::1]:8443/x?token=1") == "https://[::1]/…"
    assert redact("apprise", APPRISE) == "tgram://…"  # an Apprise host is often the token itself
    assert redact("apprise", "ntfys://user:pass@ntfy.sh/topic") == "ntfys://…"
    assert redact("email", MAIL) == MAIL  # not a credential (docs/outbound.md)
    assert redact("webhook", "not a url") == "…"


def _secrets_in(text: str) -> list[str]:
    return [s for s in ("XXXXSECRETXXXX", "AAHSECRET", "/services/T000", "-100200300") if s in text]


@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_others_see_redacted_addresses_in_the_api(api, users, paged, role):
    admin = users.headers("admin")
    h = users.headers(role)
    listed = api.get("/api/v1/notifications", headers=h).json()
    one = api.get(f"/api/v1/notifications/{paged['ids'][0]}", headers=h).json()
    if role == "viewer":
        assert not _secrets_in(str(listed) + str(one))
        assert {n["address"] for n in listed} == {"https://hooks.slack.com/…", "tgram://…"}
    else:  # the recipient sees his own addresses whole
        assert {n["address"] for n in listed} == {SLACK, APPRISE}
    whole = api.get("/api/v1/notifications", headers=admin).json()
    assert {n["address"] for n in whole} == {SLACK, APPRISE}


def test_a_responder_sees_other_peoples_contacts_redacted(api, users, paged, app):
    from warroom.auth import service as auth

    sam = auth.create_user(app, username="sam", display_name="Sam", role="responder", password="sam-password-1")
    sam_h = {"Authorization": f"Bearer {auth.create_token(app, sam['id'], 't')[0]}"}
    theirs = api.get(f"/api/v1/users/{paged['rui']}/contacts", headers=sam_h).json()
    assert not _secrets_in(str(theirs))
    assert sorted(m["address"] for m in theirs["methods"]) == sorted(["https://hooks.slack.com/…", "tgram://…", MAIL])
    assert {r["address"] for r in theirs["rules"]} == {"https://hooks.slack.com/…", "tgram://…"}
    for h in (users.headers("responder"), users.headers("admin")):  # the owner and an admin: whole
        mine = api.get(f"/api/v1/users/{paged['rui']}/contacts", headers=h).json()
        assert sorted(m["address"] for m in mine["methods"]) == sorted([SLACK, APPRISE, MAIL])
    listed = api.get("/api/v1/notifications", headers=sam_h).json()
    assert listed and not _secrets_in(str(listed))
    # retrying is for the recipient and admins
    nid = paged["ids"][0]
    r = api.post(f"/api/v1/notifications/{nid}/retry", headers=sam_h)
    assert r.status_code == 403 and "recipient" in r.json()["message"]
    assert notify_queries.get(app, nid)["state"] == "dead"
    assert api.post(f"/api/v1/notifications/{nid}/retry", headers=users.headers("responder")).status_code == 200
    assert api.post(f"/api/v1/notifications/{paged['ids'][1]}/retry", headers=users.headers("admin")).status_code == 200


def test_pages_show_redacted_addresses_to_others(api, users, paged, app):
    from warroom.auth import service as auth

    auth.create_user(app, username="sam", display_name="Sam", role="responder", password="sam-password-1")
    nid = paged["ids"][0]
    login_as(api, "viewer")
    for path in ("/notifications", "/notifications?state=dead", f"/notifications/{nid}",
                 f"/incidents/{paged['incident']}", f"/people/{paged['rui']}"):
        r = api.get(path)
        assert r.status_code == 200 and not _secrets_in(r.text), (path, _secrets_in(r.text))
    assert "hooks.slack.com/…" in api.get(f"/notifications/{nid}").text
    # another responder: redacted on the person page, no retry button, and a forged retry is refused
    api.cookies.clear()
    page = api.get("/login")
    api.post("/login", data={"username": "sam", "password": "sam-password-1", "csrf": csrf_of(page.text)})
    person = api.get(f"/people/{paged['rui']}").text
    assert "Where pages go" in person and not _secrets_in(person)
    detail = api.get(f"/notifications/{nid}").text
    assert "Send again" not in detail
    r = api.post(f"/notifications/{nid}/retry", data={"csrf": csrf_of(api.get("/").text)})
    assert r.status_code == 403 and notify_queries.get(app, nid)["state"] == "dead"
    # the recipient sees his own address and may send again
    login_as(api, "responder")
    detail = api.get(f"/notifications/{nid}").text
    assert "XXXXSECRETXXXX" in detail and "Send again" in detail
    r = api.post(f"/notifications/{nid}/retry", data={"csrf": csrf_of(detail)}, follow_redirects=False)
    assert r.status_code == 303 and notify_queries.get(app, nid)["state"] == "pending"


def test_the_cli_prints_what_the_api_lets_each_person_see(app, users, paged, monkeypatch):
    from typer.testing import CliRunner

    from tests.web.pages_support import serve
    from warroom.cli.main import app as cli

    def run(token: str, *args: str) -> str:
        monkeypatch.setenv("WARROOM_TOKEN", token)
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    with serve(app, background=False) as base:
        monkeypatch.setenv("WARROOM_URL", base)
        viewer, owner = users.tokens["viewer"], users.tokens["responder"]
        for args in (("notification", "list"), ("notification", "list", "--json"),
                     ("notification", "show", str(paged["ids"][0]), "--json")):
            out = run(viewer, *args)
            assert "https://hooks.slack.com/" in out and not _secrets_in(out), out
        assert "XXXXSECRETXXXX" in run(owner, "notification", "list", "--json")
        assert "AAHSECRET" in run(owner, "contact", "list", str(paged["rui"]), "--json")  # the owner sees his own
