"""Paging failures are never silent (issue 10.5): a dead page is on the timeline, an incident nobody could be paged
for says so, and a default escalation policy stands in for services without one (FakeClock, both databases)."""

from __future__ import annotations

import json
import socket

import pytest

from tests.helpers import assert_replay_matches
from tests.notify_support import ADMIN, Recorder, declare, kinds, paged, person, policy, run_ticks, service_with
from warroom.alerts import queries as alert_queries
from warroom.errors import Conflict, Invalid
from warroom.escalation import queries as esc_queries
from warroom.escalation import service as esc
from warroom.escalation.failures import paging_health
from warroom.incidents import service as incidents
from warroom.incidents.priority import Impact, Urgency
from warroom.notifications import outbox
from warroom.notifications import queries as notify_queries
from warroom.notifications.channels.email import EmailChannel, SmtpConfig
from warroom.notifications.outbox import Retry


def dead_port() -> int:
    """A loopback port nothing listens on: every SMTP connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(app, incident_id):
    with app.db.read() as conn:
        return paging_health(conn, [incidents.get(app, incident_id)]).get(incident_id)


@pytest.fixture
def dead_smtp(app):
    outbox.install(app)
    app.notifications.channels["email"] = EmailChannel(SmtpConfig(host="127.0.0.1", port=dead_port(), timeout=2))
    app.notifications.retry = Retry(base_seconds=10, cap_seconds=600, max_attempts=3, lease_seconds=60)


def test_a_page_to_a_dead_smtp_server_goes_dead_onto_the_timeline(app, clock, dead_smtp):
    ana = person(app, "ana")  # no rules: paged at her account e-mail
    inc = declare(app, service_with(app, "checkout", policy(app, "checkout", [[{"kind": "user", "id": ana}]],
                                                            timeout=60)))
    (nid,) = [n["id"] for n in notify_queries.list_(app, incident_id=inc)]
    run_ticks(app)
    assert notify_queries.get(app, nid)["state"] == "pending"
    assert "page.failed" not in kinds(app, inc)
    assert health(app, inc) is None  # still trying: nothing to flag
    clock.advance(seconds=10)
    run_ticks(app)
    clock.advance(seconds=20)
    run_ticks(app)
    assert notify_queries.get(app, nid)["state"] == "dead"
    (failed,) = [e for e in incidents.timeline(app, inc) if e.kind == "page.failed"]
    assert failed.actor == "warroom"
    assert failed.data == {"notification_id": nid, "user_id": ana, "channel": "email",
                           "error_class": "ConnectionRefusedError", "attempts": 3, "purpose": "page", "level": 1}
    assert "example.test" not in json.dumps(failed.data)  # never the address, never the error text
    h = health(app, inc)
    assert h.dead == 1 and h.nobody_reached
    clock.advance(hours=1)
    run_ticks(app, 2)
    assert kinds(app, inc).count("page.failed") == 1  # parked: reported once
    assert_replay_matches(app, inc)
    incidents.acknowledge(app, ADMIN, inc)
    h = health(app, inc)
    assert h.dead == 1 and not h.nobody_reached  # someone answered; the failure stays a fact


def test_a_retried_dead_page_that_arrives_clears_the_flag(app, clock):
    rec = Recorder(app, fail={"email"})
    app.notifications.retry = Retry(base_seconds=1, cap_seconds=1, max_attempts=1, lease_seconds=60)
    ana = person(app, "ana")
    inc = declare(app, service_with(app, "db", policy(app, "db", [[{"kind": "user", "id": ana}]], timeout=60)))
    run_ticks(app)
    (row,) = notify_queries.list_(app, incident_id=inc)
    assert row["state"] == "dead" and health(app, inc).nobody_reached
    rec.fail.clear()
    outbox.retry(app, row["id"])
    run_ticks(app)
    assert health(app, inc) is None


def test_a_level_that_reaches_nobody_is_flagged(app, clock):
    Recorder(app)
    ghost = person(app, "ghost")
    with app.db.transaction() as tx:  # no account e-mail, no contact methods: nobody can reach them
        from warroom.auth.store import users

        tx.conn.execute(users.update().where(users.c.id == ghost).values(email=None))
    inc = declare(app, service_with(app, "api", policy(app, "api", [[{"kind": "user", "id": ghost}]])))
    (page,) = paged(app, inc)
    assert page["user_ids"] == [ghost] and page["notifications"] == 0
    h = health(app, inc)
    assert h.empty_pages == 1 and h.nobody_reached


def test_service_without_policy_uses_the_default_policy(app, clock):
    rec = Recorder(app)
    bo = person(app, "bo")
    default = policy(app, "catch-all", [[{"kind": "user", "id": bo}]])
    with pytest.raises(Invalid) as bad:
        esc.set_default_policy(app, ADMIN, 999)
    assert bad.value.field == "policy_id"
    assert esc.set_default_policy(app, ADMIN, default) == {"policy_id": default}
    assert esc_queries.get_default_policy(app) == {"policy_id": default}
    inc = declare(app, service_with(app, "orphan", None))
    (page,) = paged(app, inc)
    assert page["policy_id"] == default and page["user_ids"] == [bo] and page["reason"] == "default_policy"
    run_ticks(app)
    assert [s["address"] for s in rec.sent] == ["bo@example.test"]
    assert health(app, inc) is None
    # an incident naming no service at all, opened at a low priority, is paged the same way
    low = incidents.declare(app, ADMIN, title="odd", impact=Impact.MINOR, urgency=Urgency.LOW).id
    assert paged(app, low)[0]["policy_id"] == default
    with pytest.raises(Conflict):
        esc.delete_policy(app, ADMIN, default)
    # a service with its own policy is not paged the default too
    own = policy(app, "own", [[{"kind": "user", "id": person(app, "cy")}]])
    mine = declare(app, service_with(app, "owned", own))
    assert [p["policy_id"] for p in paged(app, mine)] == [own]
    assert_replay_matches(app, inc)


def test_without_any_policy_the_timeline_says_nobody_was_paged(app, clock):
    Recorder(app)
    inc = declare(app, service_with(app, "orphan", None))
    assert "escalation.paged" not in kinds(app, inc)
    (none,) = [e for e in incidents.timeline(app, inc) if e.kind == "escalation.none"]
    assert none.data == {"reason": "no_policy", "service_ids": list(incidents.get(app, inc).service_ids),
                         "priority": "P1"}
    assert kinds(app, inc)[:2] == ["incident.declared", "escalation.none"]
    assert health(app, inc).nobody_paged == "no_policy" and health(app, inc).nobody_reached
    bare = incidents.declare(app, ADMIN, title="no service", impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL).id
    assert health(app, bare).nobody_paged == "no_services"  # flagged, though not on its timeline
    assert "escalation.none" not in kinds(app, bare)
    quiet = declare(app, service_with(app, "minor", None), impact=Impact.MINOR, urgency=Urgency.LOW)
    assert kinds(app, quiet) == ["incident.declared"] and health(app, quiet) is None  # P5: stays quiet
    incidents.acknowledge(app, ADMIN, inc)
    assert health(app, inc) is None  # someone answered
    esc.set_default_policy(app, ADMIN, None)  # explicitly none: same
    assert esc_queries.get_default_policy(app) == {"policy_id": None}
    assert_replay_matches(app, inc)


def test_alert_opened_incidents_use_the_default_policy_or_say_nobody_was_paged(app, clock):
    from tests.alerts_support import integration
    from warroom.alerts import service as alerts
    from warroom.alerts.model import Action, AlertIn

    Recorder(app)
    sid = service_with(app, "orphan", None)
    one, _ = integration(app, "pagerduty", name="one", service_id=sid)
    two, _ = integration(app, "pagerduty", name="two", service_id=sid)
    alerts.ingest(app, one, [AlertIn("disk-1", Action.TRIGGER, "disk full on db1", "critical")])
    esc.set_default_policy(app, ADMIN, policy(app, "catch-all", [[{"kind": "user", "id": person(app, "bo")}]]))
    alerts.ingest(app, two, [AlertIn("cpu-1", Action.TRIGGER, "cpu on fire", "critical")])
    first, second = sorted({r["incident_id"] for r in alert_queries.list_alerts(app)[0]})
    assert "escalation.none" in kinds(app, first) and paged(app, first) == []
    assert [p["reason"] for p in paged(app, second)] == ["default_policy"]


def test_a_reopened_incident_pages_the_default_again_or_says_nobody_was_paged(app, clock):
    from warroom.incidents.lifecycle import Status

    Recorder(app)
    inc = declare(app, service_with(app, "orphan", None))
    incidents.move(app, ADMIN, inc, Status.RESOLVED)
    assert health(app, inc) is None  # resolved: nothing to flag
    incidents.move(app, ADMIN, inc, Status.INVESTIGATING)
    assert kinds(app, inc).count("escalation.none") == 2  # said again on reopening
    assert health(app, inc).nobody_paged == "no_policy"
    esc.set_default_policy(app, ADMIN, policy(app, "catch-all", [[{"kind": "user", "id": person(app, "bo")}]]))
    incidents.move(app, ADMIN, inc, Status.RESOLVED)
    incidents.move(app, ADMIN, inc, Status.INVESTIGATING)
    assert [p["reason"] for p in paged(app, inc)] == ["reopened_default_policy"]
    assert_replay_matches(app, inc)


def test_an_acknowledgement_racing_a_dying_page_waits_and_wins(app, clock):
    """The outbox locks the incident before its rows (the order of every incident transaction): a worker
    recording a dead page while someone acknowledges waits for them, finds the page cancelled, and reports
    nothing; no deadlock on PostgreSQL, no lost write on SQLite."""
    import threading

    from warroom.incidents import decide

    Recorder(app)
    app.notifications.retry = Retry(base_seconds=1, cap_seconds=1, max_attempts=1, lease_seconds=60)
    inc = declare(app, service_with(app, "db", policy(app, "db", [[{"kind": "user", "id": person(app, "ana")}]])))
    ((row, aid, _),) = outbox._claim(app, clock.now(), 10)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            outbox._write_outcomes(app, [(row, aid, "ConnectionRefusedError: [Errno 111] refused")])
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    with app.db.transaction() as tx:
        s = incidents.load_in(tx, inc)
        t = threading.Thread(target=worker)
        t.start()
        t.join(0.5)
        assert t.is_alive()  # waiting for the incident
        incidents.record(app, tx, s, decide.acknowledge(s, by="ana", at=clock.now()))
    t.join(15)
    assert not t.is_alive() and errors == []
    assert notify_queries.get(app, row["id"])["state"] == "cancelled"
    assert "page.failed" not in kinds(app, inc)
    assert_replay_matches(app, inc)
