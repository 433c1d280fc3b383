"""Pulling people in reaches somebody (issue 10.4): an assignment or a promotion tells the people concerned
through their contact methods, and a person, a team or a schedule's on-call can be paged into an incident with
a message, tracked until acknowledged like any page. Real SMTP and HTTP receivers on loopback, FakeClock,
SQLite and PostgreSQL."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from tests.helpers import assert_replay_matches
from tests.notify_support import (
    ADMIN,
    Receiver,
    app_with,
    declare,
    kinds,
    paged,
    person,
    policy,
    run_ticks,
    service_with,
)
from warroom.auth import service as auth
from warroom.auth.permissions import Principal, UserRole
from warroom.catalog import service as catalog
from warroom.errors import Conflict, Invalid
from warroom.escalation import responders
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Status
from warroom.incidents.roles import Role
from warroom.notifications import contacts
from warroom.notifications import queries as notify_queries
from warroom.notifications.channels.email import EmailChannel, SmtpConfig
from warroom.oncall import service as oncall

RUI = Principal(0, "rui", UserRole.RESPONDER)  # the responder who pulls people in (not a stored user)


class Inbox:
    def __init__(self) -> None:
        import email

        self.parse = email.message_from_bytes
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        self.messages.append(self.parse(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def inbox(app):  # noqa: ANN001, ANN201
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Inbox()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    app.notifications.channels["email"] = EmailChannel(SmtpConfig("127.0.0.1", port))
    yield box
    ctl.stop()


@pytest.fixture
def receiver():  # noqa: ANN201
    r = Receiver()
    yield r
    r.close()


def _hooked(app, receiver, name: str, delay: int = 0) -> int:  # noqa: ANN001
    """A person reached by a webhook on loopback (after `delay` minutes, too, when given)."""
    uid = person(app, name)
    hook = contacts.add_method(app, ADMIN, uid, kind="webhook", address=receiver.url(f"/{name}"))
    contacts.add_rule(app, ADMIN, uid, method_id=hook["id"])
    if delay:
        later = contacts.add_method(app, ADMIN, uid, kind="webhook", address=receiver.url(f"/{name}-later"))
        contacts.add_rule(app, ADMIN, uid, method_id=later["id"], delay_minutes=delay)
    return uid


def _body(msg) -> str:  # noqa: ANN001
    return msg.get_content() if hasattr(msg, "get_content") else msg.get_payload(decode=True).decode()


def test_an_assignment_tells_the_assignee_by_email(app, inbox) -> None:
    claire, sam = person(app, "claire"), person(app, "sam")
    team = catalog.create_team(app, "Databases")["id"]
    inc = declare(app, service_with(app, "web", None))
    incidents.promote(app, RUI, inc, "revenue")
    incidents.assign(app, RUI, inc, Role.COORDINATOR, claire)
    incidents.assign(app, RUI, inc, Role.EXPERT, sam, team)
    run_ticks(app)
    (msg,) = inbox.to("claire@example.test")
    assert msg["Subject"] == "[P1] INC-1 checkout 500s: you are the Major Incident Coordinator"
    text = _body(msg)
    assert "You are the Major Incident Coordinator of INC-1 (assigned by rui)." in text
    assert f"Open: http://127.0.0.1:8000/incidents/{inc}" in text
    assert "Acknowledge" not in text  # an assignment is not a page
    (msg,) = inbox.to("sam@example.test")
    assert "You are a subject-matter expert for Databases on INC-1 (assigned by rui)." in _body(msg)
    states = {(n["user_id"], n["payload"]["event"], n["state"]) for n in notify_queries.list_(app, incident_id=inc)}
    assert states == {(claire, "assigned", "delivered"), (sam, "assigned", "delivered")}


def test_nobody_is_told_of_what_they_did_themselves_and_reassigning_the_same_person_is_quiet(app, inbox) -> None:
    claire = person(app, "claire")
    inc = declare(app, service_with(app, "web", None))
    me = Principal(claire, "claire", UserRole.RESPONDER)
    incidents.assign(app, me, inc, Role.COORDINATOR, claire)  # she takes it herself
    incidents.assign(app, RUI, inc, Role.COORDINATOR, claire)  # no change: no event, no notice
    run_ticks(app)
    assert inbox.messages == []
    incidents.assign(app, RUI, inc, Role.SCRIBE, claire)
    run_ticks(app)
    assert [m["Subject"].split(": ")[-1] for m in inbox.messages] == ["you are the Scribe"]


def test_a_promotion_reaches_the_coordinator_or_else_level_one(app, receiver) -> None:
    ana, bo = _hooked(app, receiver, "ana"), _hooked(app, receiver, "bo")
    svc = service_with(app, "payments", policy(app, "payments", [[{"kind": "user", "id": ana}], [{"kind": "user",
                                                                                                  "id": bo}]]))
    first = declare(app, svc)
    run_ticks(app)
    incidents.acknowledge(app, RUI, first)
    incidents.promote(app, RUI, first, "card payments down")  # no coordinator: level 1 (ana) hears of it
    run_ticks(app)
    docs = [r.json() for r in receiver.wait_for(2)]
    assert [(d["event"], r.path) for d, r in zip(docs, receiver.got, strict=True)] == [("page", "/ana"),
                                                                                     ("promoted", "/ana")]
    assert docs[1]["summary"] == "INC-1 is now a major incident" and docs[1]["as"] == "on call"
    assert docs[1]["reason"] == "card payments down" and docs[1]["incident"]["major"] is True
    second = declare(app, svc, title="refunds failing")
    run_ticks(app)
    incidents.acknowledge(app, RUI, second)
    incidents.assign(app, RUI, second, Role.COORDINATOR, bo)
    incidents.promote(app, RUI, second, "refunds")
    run_ticks(app)
    tail = {(r.path, r.json()["event"], r.json().get("as")) for r in receiver.wait_for(5)[2:]}
    assert tail == {("/ana", "page", None), ("/bo", "assigned", None), ("/bo", "promoted", "coordinator")}
    assert len(receiver.got) == 5  # only the coordinator hears of the second promotion


def test_paging_a_person_with_a_message_until_someone_acknowledges(app, clock, receiver) -> None:
    claire = _hooked(app, receiver, "claire", delay=5)
    inc = declare(app, service_with(app, "web", None))
    ev = responders.page(app, RUI, inc, user_id=claire, message="  Need a DBA: replica lag 40 s  ")
    assert ev.kind == "responders.paged" and ev.actor == "rui"
    assert ev.data == {"target": {"kind": "user", "id": claire, "name": "Claire"}, "requested_by": "rui",
                       "message": "Need a DBA: replica lag 40 s", "user_ids": [claire], "notifications": 2}
    assert incidents.timeline(app, inc)[ev.seq - 1].data == ev.data
    run_ticks(app)
    (got,) = receiver.wait_for(1)
    doc = got.json()
    assert doc["event"] == "page" and doc["requested_by"] == "rui" and doc["message"] == ev.data["message"]
    assert doc["summary"] == "rui pages you into INC-1"
    incidents.acknowledge(app, RUI, inc)  # the follow-up 5 minutes later is cancelled with every other page
    clock.advance(minutes=6)
    run_ticks(app, 2)
    assert [r.path for r in receiver.got] == ["/claire"]
    states = sorted(n["state"] for n in notify_queries.list_(app, incident_id=inc))
    assert states == ["cancelled", "delivered"]
    assert_replay_matches(app, inc)


def test_paging_a_team_uses_its_policy_and_escalates_until_acknowledged(app, clock, receiver) -> None:
    ana, bo = _hooked(app, receiver, "ana"), _hooked(app, receiver, "bo")
    dba = catalog.create_team(app, "dba")["id"]
    pid = policy(app, "dba", [[{"kind": "user", "id": ana}], [{"kind": "user", "id": bo}]], timeout=10)
    catalog.create_service(app, name="postgres", team_id=dba, escalation_policy_id=pid)
    inc = declare(app, service_with(app, "web", None))
    ev = responders.page(app, RUI, inc, team_id=dba, message="primary is down")
    assert ev.data["target"] == {"kind": "team", "id": dba, "name": "dba"} and ev.data["policy"] == "dba"
    assert ev.data["user_ids"] == [ana]
    assert kinds(app, inc)[-2:] == ["responders.paged", "escalation.paged"]  # the request, then its page
    assert paged(app, inc)[-1]["reason"] == "requested" and paged(app, inc)[-1]["user_ids"] == [ana]
    run_ticks(app)
    assert [r.path for r in receiver.wait_for(1)] == ["/ana"]
    clock.advance(minutes=11)
    run_ticks(app)
    assert paged(app, inc)[-1]["user_ids"] == [bo] and paged(app, inc)[-1]["reason"] == "timeout"
    assert [r.path for r in receiver.wait_for(2)] == ["/ana", "/bo"]
    assert receiver.got[0].json()["message"] == "primary is down"
    incidents.acknowledge(app, RUI, inc)
    assert kinds(app, inc)[-1] == "escalation.stopped"
    clock.advance(minutes=30)
    run_ticks(app)
    assert len(receiver.got) == 2
    assert_replay_matches(app, inc)


def test_paging_a_team_without_a_policy_reaches_its_active_responders(app, receiver) -> None:
    ana, bo = _hooked(app, receiver, "ana"), _hooked(app, receiver, "bo")
    vi = auth.create_user(app, username="vi", role=UserRole.VIEWER, email="vi@example.test")["id"]
    net = catalog.create_team(app, "net")["id"]
    for uid in (ana, bo, vi):
        catalog.add_member(app, net, uid)
    auth.update_user(app, bo, active=False)
    inc = declare(app, service_with(app, "web", None))
    ev = responders.page(app, RUI, inc, team_id=net)
    assert ev.data["user_ids"] == [ana] and ev.data["message"] == "" and "policy" not in ev.data
    run_ticks(app)
    assert [r.path for r in receiver.wait_for(1)] == ["/ana"]


def test_paging_a_schedule_reaches_whoever_is_on_call_now(app, clock, receiver) -> None:
    ana, bo = _hooked(app, receiver, "ana"), _hooked(app, receiver, "bo")
    start = (clock.now() - timedelta(hours=1)).replace(tzinfo=None).isoformat(timespec="minutes")
    sched = oncall.create_schedule(app, ADMIN, name="primary", time_zone="UTC", layers=[
        {"name": "day", "user_ids": [bo, ana], "start": start, "shift": "daily"}])["id"]
    inc = declare(app, service_with(app, "web", None))
    ev = responders.page(app, RUI, inc, schedule_id=sched, message="are you there?")
    assert ev.data["target"] == {"kind": "schedule", "id": sched, "name": "primary"} and ev.data["user_ids"] == [bo]
    run_ticks(app)
    assert [r.path for r in receiver.wait_for(1)] == ["/bo"]


def test_paging_refusals_name_the_field_and_write_nothing(app, clock) -> None:
    vi = auth.create_user(app, username="vi", role=UserRole.VIEWER)["id"]
    gone = person(app, "gone")
    auth.update_user(app, gone, active=False)
    empty = catalog.create_team(app, "empty")["id"]
    start = (clock.now() + timedelta(days=2)).replace(tzinfo=None).isoformat(timespec="minutes")
    later = oncall.create_schedule(app, ADMIN, name="later", time_zone="UTC", layers=[
        {"name": "x", "user_ids": [person(app, "zed")], "start": start, "shift": "daily"}])["id"]
    inc = declare(app, service_with(app, "web", None))
    before = len(incidents.timeline(app, inc))
    cases = [({}, "user_id", "exactly one"), ({"user_id": 1, "team_id": empty}, "team_id", "exactly one"),
             ({"user_id": 9999}, "user_id", "no such user"), ({"user_id": vi}, "user_id", "vi is a viewer"),
             ({"user_id": gone}, "user_id", "gone is deactivated"), ({"team_id": 9999}, "team_id", "no such team"),
             ({"team_id": empty}, "team_id", "nobody to page"), ({"schedule_id": 9999}, "schedule_id", "no such"),
             ({"schedule_id": later}, "schedule_id", "nobody is on call in later right now"),
             ({"user_id": 1, "message": "x" * 2001}, "message", "at most 2000")]
    for kw, field, problem in cases:
        with pytest.raises(Invalid) as info:
            responders.page(app, RUI, inc, **kw)
        assert info.value.field == field and problem in info.value.problem, (kw, info.value)
    incidents.move(app, RUI, inc, Status.RESOLVED)
    with pytest.raises(Conflict, match="INC-1 is resolved; only an open incident pages people"):
        responders.page(app, RUI, inc, user_id=1)
    assert len(incidents.timeline(app, inc)) == before + 1  # only the resolution
    assert notify_queries.list_(app, incident_id=inc) == []


def test_an_assignment_reads_right_on_every_channel(db_url, clock, receiver) -> None:
    """E-mail is above; here the signed webhook, Slack, Teams and an Apprise URL, all on loopback."""
    with app_with(db_url, clock, apprise_schemes="json") as app:  # json:// only when an admin allows it
        sam = person(app, "sam")
        port = receiver.server.server_port
        for kind, address in (("webhook", receiver.url("/webhook")), ("slack", receiver.url("/slack")),
                              ("teams", receiver.url("/teams")), ("apprise", f"json://127.0.0.1:{port}/apprise")):
            m = contacts.add_method(app, ADMIN, sam, kind=kind, address=address,
                                    secret="s" if kind == "webhook" else "")
            contacts.add_rule(app, ADMIN, sam, method_id=m["id"], delay_minutes=3)  # a notice ignores delays
        inc = declare(app, service_with(app, "web", None))
        incidents.assign(app, RUI, inc, Role.COMMS_LEAD, sam)
        run_ticks(app)
        got = {r.path: r.json() for r in receiver.wait_for(4)}
    sentence = "You are the Communications lead of INC-1"
    assert got["/webhook"]["event"] == "assigned" and got["/webhook"]["role"] == "comms_lead"
    assert got["/webhook"]["summary"] == sentence and got["/webhook"]["by"] == "rui"
    assert got["/slack"]["text"] == "[P1] INC-1 checkout 500s: you are the Communications lead"
    assert got["/slack"]["blocks"][0]["text"]["text"].endswith(f"\n{sentence}")
    assert f"{sentence} (assigned by rui)." in got["/teams"]["text"]
    assert got["/apprise"]["title"] == got["/slack"]["text"] and sentence in got["/apprise"]["message"]
    assert "Acknowledge" not in got["/apprise"]["message"]


def test_a_delivered_role_notice_does_not_hide_that_no_page_reached_anyone(app, clock, inbox) -> None:
    from warroom.escalation.failures import paging_health

    empty = oncall.create_schedule(app, ADMIN, name="empty", time_zone="UTC", layers=[
        {"name": "x", "user_ids": [person(app, "zed")], "start": "2026-02-01T00:00", "shift": "daily"}])["id"]
    inc = declare(app, service_with(app, "db", policy(app, "db", [[{"kind": "schedule", "id": empty}]])))
    incidents.assign(app, RUI, inc, Role.COORDINATOR, person(app, "claire"))
    run_ticks(app)
    assert len(inbox.to("claire@example.test")) == 1  # she was told of her role ...
    with app.db.read() as conn:
        h = paging_health(conn, [incidents.get(app, inc)])[inc]
    assert h.empty_pages == 1 and h.delivered == 0 and h.nobody_reached  # ... but nobody was paged


def test_paging_a_person_who_cannot_be_reached_says_so_and_flags_the_incident(app, clock, receiver) -> None:
    """Acceptance (issue 10.5): a person with no contact rule and no account e-mail is not 'reached'."""
    from warroom.escalation.failures import paging_health

    dave = auth.create_user(app, username="dave", display_name="Dave")["id"]  # no e-mail, no contact method
    claire = _hooked(app, receiver, "claire")
    inc = declare(app, service_with(app, "web", None))
    ev = responders.page(app, RUI, inc, user_id=dave, message="need you")
    assert ev.data["notifications"] == 0 and ev.data["unreachable_ids"] == [dave]
    with app.db.read() as conn:
        h = paging_health(conn, [incidents.get(app, inc)])[inc]
    assert h.empty_pages == 1 and h.nobody_reached
    team = catalog.create_team(app, "dba")["id"]  # a team without a policy: one member reached, one not
    catalog.add_member(app, team, dave)
    catalog.add_member(app, team, claire)
    ev = responders.page(app, RUI, inc, team_id=team)
    assert ev.data["notifications"] == 1 and ev.data["unreachable_ids"] == [dave]
    assert_replay_matches(app, inc)
