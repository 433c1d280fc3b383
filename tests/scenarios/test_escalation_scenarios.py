"""Declare -> nobody answers -> the next level is paged -> an acknowledgement stops the rest (FakeClock)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import assert_replay_matches
from tests.notify_support import ADMIN, Recorder, declare, kinds, paged, person, policy, run_ticks, service_with
from warroom.escalation import queries as esc_queries
from warroom.escalation import service as esc
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Urgency
from warroom.notifications import queries as notify_queries
from warroom.oncall import service as oncall


@pytest.fixture
def world(app):
    rec = Recorder(app)
    ids = {n: person(app, n) for n in ("ana", "bo", "cy")}
    return rec, ids


def test_unanswered_page_climbs_and_ack_stops_the_rest(app, clock, world):
    rec, u = world
    pid = policy(app, "checkout", [[{"kind": "user", "id": u["ana"]}], [{"kind": "user", "id": u["bo"]}],
                                   [{"kind": "user", "id": u["cy"]}]], timeout=5)
    inc = declare(app, service_with(app, "checkout", pid))
    assert [p["user_ids"] for p in paged(app, inc)] == [[u["ana"]]]  # level 1 paged inside the declaration
    run_ticks(app)
    assert [s["address"] for s in rec.sent] == ["ana@example.test"]
    clock.advance(minutes=4, seconds=59)
    run_ticks(app)
    assert len(paged(app, inc)) == 1  # not yet
    clock.advance(seconds=1)
    run_ticks(app)
    assert [p["level"] for p in paged(app, inc)] == [1, 2]
    assert rec.to("bo@example.test")[0]["level"] == 2
    incidents.acknowledge(app, ADMIN, inc)
    assert kinds(app, inc)[-2:] == ["incident.acknowledged", "escalation.stopped"]
    clock.advance(minutes=60)
    run_ticks(app, 3)
    assert len(paged(app, inc)) == 2
    assert rec.to("cy@example.test") == []
    assert_replay_matches(app, inc)


def test_repeat_runs_the_policy_again_then_gives_up(app, clock, world):
    rec, u = world
    pid = policy(app, "db", [[{"kind": "user", "id": u["ana"]}], [{"kind": "user", "id": u["bo"]}]],
                 timeout=10, repeat=1)
    inc = declare(app, service_with(app, "db", pid))
    for _ in range(5):
        clock.advance(minutes=10)
        run_ticks(app)
    pages = paged(app, inc)
    assert [(p["level"], p["cycle"]) for p in pages] == [(1, 0), (2, 0), (1, 1), (2, 1)]
    assert pages[2]["reason"] == "repeat"
    assert kinds(app, inc, "escalation.")[-1] == "escalation.exhausted"
    assert len(rec.to("ana@example.test")) == 2
    assert_replay_matches(app, inc)


def test_schedule_team_and_role_targets(app, clock, world):
    from warroom.catalog import service as catalog

    rec, u = world
    sched = oncall.create_schedule(app, ADMIN, name="primary", time_zone="UTC", layers=[
        {"name": "l1", "user_ids": [u["cy"]], "start": "2026-01-01T00:00", "shift": "weekly"}])
    team = catalog.create_team(app, "dba")["id"]
    catalog.add_member(app, team, u["ana"])
    catalog.add_member(app, team, u["bo"])
    pid = policy(app, "mixed", [[{"kind": "schedule", "id": sched["id"]}, {"kind": "team", "id": team}]])
    inc = declare(app, service_with(app, "mixed", pid))
    assert sorted(paged(app, inc)[0]["user_ids"]) == sorted([u["cy"], u["ana"], u["bo"]])
    run_ticks(app)
    assert len(rec.sent) == 3


def test_incident_without_policy_pages_nobody_but_keeps_targets(app, clock, world):
    inc = declare(app, service_with(app, "quiet", None))
    assert paged(app, inc) == []
    timers = esc_queries.escalations_for(app, inc)["targets"]
    assert {t["kind"] for t in timers} == {"ack", "resolve"}


def test_contact_rules_delay_chat_for_p1_and_ack_cancels_it(app, clock, world):
    from warroom.notifications import contacts

    rec, u = world
    me = ADMIN
    email = contacts.add_method(app, me, u["ana"], kind="email", address="ana@work.test")
    chat = contacts.add_method(app, me, u["ana"], kind="slack", address="http://127.0.0.1:9/slack")
    contacts.add_rule(app, me, u["ana"], method_id=email["id"])
    contacts.add_rule(app, me, u["ana"], method_id=chat["id"], delay_minutes=2, priorities=["P1", "P2"])
    pid = policy(app, "rules", [[{"kind": "user", "id": u["ana"]}]])
    sid = service_with(app, "rules", pid)
    inc = declare(app, sid)  # P1
    run_ticks(app)
    assert [s["channel"] for s in rec.sent] == ["email"]
    clock.advance(minutes=2)
    run_ticks(app)
    assert [s["channel"] for s in rec.sent] == ["email", "slack"]
    # a P4 incident: e-mail only; and an acknowledgement before the worker ran cancels every page not delivered
    low = declare(app, sid, title="typo", impact=Impact.MINOR, urgency=Urgency.LOW)
    inc2 = declare(app, sid, title="again")
    incidents.acknowledge(app, ADMIN, inc2)
    clock.advance(minutes=5)
    run_ticks(app)
    assert [s["channel"] for s in rec.sent if s["incident"]["id"] == low] == ["email"]
    assert [s["channel"] for s in rec.sent if s["incident"]["id"] == inc2] == []
    assert [n["state"] for n in notify_queries.list_(app, incident_id=inc2)] == ["cancelled", "cancelled"]
    assert inc  # the first incident kept both


def test_ack_target_breach_is_recorded_and_pages_breach_policy(app, clock, world):
    rec, u = world
    boss = policy(app, "managers", [[{"kind": "user", "id": u["cy"]}]])
    esc.set_targets(app, ADMIN, {"ack_minutes": {"P1": 5}, "resolve_minutes": {"P1": 60}, "breach_policy_id": boss})
    pid = policy(app, "svc", [[{"kind": "user", "id": u["ana"]}]], timeout=30)
    inc = declare(app, service_with(app, "svc", pid))
    clock.advance(minutes=5)
    run_ticks(app)
    tl = incidents.timeline(app, inc)
    breach = [e for e in tl if e.kind == "sla.breached"]
    assert len(breach) == 1 and breach[0].data["target"] == "ack"
    assert paged(app, inc)[-1]["reason"] == "breach:ack"
    assert rec.to("cy@example.test")[0]["event"] == "breach"
    incidents.acknowledge(app, ADMIN, inc)
    incidents.move(app, ADMIN, inc, Status.INVESTIGATING)
    incidents.move(app, ADMIN, inc, Status.RESOLVED)
    clock.advance(minutes=120)
    run_ticks(app, 2)
    assert [e.data["target"] for e in incidents.timeline(app, inc) if e.kind == "sla.breached"] == ["ack"]
    states = {t["kind"]: t["state"] for t in esc_queries.escalations_for(app, inc)["targets"]}
    assert states == {"ack": "breached", "resolve": "met"}
    assert_replay_matches(app, inc)


def test_acknowledged_in_time_meets_the_target(app, clock, world):
    inc = declare(app, service_with(app, "ok", None))
    clock.advance(minutes=1)
    incidents.acknowledge(app, ADMIN, inc)
    clock.advance(minutes=10)
    run_ticks(app)
    assert "sla.breached" not in kinds(app, inc)
    assert {t["kind"]: t["state"] for t in esc_queries.escalations_for(app, inc)["targets"]}["ack"] == "met"
    assert clock.now() - timedelta(minutes=11)  # clock moved as the scenario says


def test_priority_change_moves_the_pending_targets(app, clock, world):
    inc = declare(app, service_with(app, "p", None), impact=Impact.SIGNIFICANT, urgency=Urgency.MEDIUM)
    due = {t["kind"]: t["due_at"] for t in esc_queries.escalations_for(app, inc)["targets"]}
    before = dict(due)
    incidents.edit(app, ADMIN, inc, {"impact": Impact.EXTENSIVE, "urgency": Urgency.CRITICAL})
    after = {t["kind"]: (t["due_at"], t["priority"]) for t in esc_queries.escalations_for(app, inc)["targets"]}
    assert after["ack"] == (clock.now() + timedelta(minutes=5), "P1")
    assert after["ack"][0] < before["ack"]
    clock.advance(minutes=5)
    run_ticks(app)
    assert kinds(app, inc).count("sla.breached") == 1


def test_schedule_target_follows_dst_handoff_and_overrides(app, clock, world):
    from datetime import UTC, datetime

    rec, u = world
    sched = oncall.create_schedule(app, ADMIN, name="berlin", time_zone="Europe/Berlin", layers=[
        {"name": "days", "user_ids": [u["ana"], u["bo"]], "start": "2026-03-27T09:00", "shift": "daily"}])
    pid = policy(app, "sched", [[{"kind": "schedule", "id": sched["id"]}]] * 2, timeout=30, repeat=0)
    sid = service_with(app, "berlin", pid)
    # Sunday 29 March 2026, 08:40 CEST (06:40 UTC): clocks went forward at 02:00; bo has had the day since
    # Saturday 09:00 CET, and the handoff to ana is at 09:00 CEST = 07:00 UTC (not 08:00 UTC)
    clock.set(datetime(2026, 3, 29, 6, 40, tzinfo=UTC))
    inc = declare(app, sid)
    clock.advance(minutes=30)  # 07:10 UTC: level 2 pages whoever is on call now
    run_ticks(app)
    assert [p["user_ids"] for p in paged(app, inc)] == [[u["bo"]], [u["ana"]]]
    # "I take Saturday for Ana": an override wins over the rotation
    oncall.add_override(app, ADMIN, sched["id"], user_id=u["cy"], start_at=datetime(2026, 4, 3, 22, tzinfo=UTC),
                        end_at=datetime(2026, 4, 4, 22, tzinfo=UTC))
    clock.set(datetime(2026, 4, 4, 12, tzinfo=UTC))
    inc2 = declare(app, sid, title="saturday")
    assert paged(app, inc2)[0]["user_ids"] == [u["cy"]]
    run_ticks(app)
    assert rec.to("cy@example.test")[0]["incident"]["id"] == inc2


def test_acknowledged_late_before_the_worker_ran_is_still_a_breach(app, clock, world):
    """An acknowledgement after the target passed must not count as met, even if no tick ran in between."""
    inc = declare(app, service_with(app, "late", None))
    clock.advance(hours=2)  # far past any acknowledge target, with no tick meanwhile
    incidents.acknowledge(app, ADMIN, inc)
    run_ticks(app)
    states = {t["kind"]: t["state"] for t in esc_queries.escalations_for(app, inc)["targets"]}
    assert states["ack"] == "breached"
    assert [e.data["target"] for e in incidents.timeline(app, inc) if e.kind == "sla.breached"][:1] == ["ack"]
    assert_replay_matches(app, inc)


def test_a_service_added_before_anyone_acknowledges_pages_its_policy_once(app, clock, world):
    rec, u = world
    web = policy(app, "web", [[{"kind": "user", "id": u["ana"]}]])
    db = policy(app, "db", [[{"kind": "user", "id": u["bo"]}]])
    net = policy(app, "net", [[{"kind": "user", "id": u["cy"]}]])
    inc = declare(app, service_with(app, "web", web))
    db_service, net_service = service_with(app, "db", db), service_with(app, "net", net)
    incidents.edit(app, ADMIN, inc, {"service_ids": [*incidents.get(app, inc).service_ids, db_service]})
    pages = paged(app, inc)
    assert [(p["policy_id"], p["user_ids"]) for p in pages] == [(web, [u["ana"]]), (db, [u["bo"]])]
    assert pages[1]["reason"] == "service added"
    run_ticks(app)
    assert sorted(s["address"] for s in rec.sent) == ["ana@example.test", "bo@example.test"]
    # dropping and re-adding the service does not page its policy a second time
    without_db = [s for s in incidents.get(app, inc).service_ids if s != db_service]
    incidents.edit(app, ADMIN, inc, {"service_ids": without_db})
    incidents.edit(app, ADMIN, inc, {"service_ids": [*incidents.get(app, inc).service_ids, db_service]})
    assert len(paged(app, inc)) == 2
    incidents.acknowledge(app, ADMIN, inc)  # stops both escalations
    assert kinds(app, inc, "escalation.")[-2:] == ["escalation.stopped", "escalation.stopped"]
    # once acknowledged, a new service is the responders' call: nobody is paged for it
    incidents.edit(app, ADMIN, inc, {"service_ids": [*incidents.get(app, inc).service_ids, net_service]})
    assert len(paged(app, inc)) == 2
    clock.advance(minutes=30)
    run_ticks(app, 2)
    assert rec.to("cy@example.test") == []
    assert_replay_matches(app, inc)
