"""Declare, priority (derived, overridden, admin's matrix), lifecycle with reopen and milestones, acknowledge,
promote/demote and edit, through the service layer on SQLite and PostgreSQL. Each test replays the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import assert_replay_matches
from tests.integration.incidents_support import RUI, counts, declare, kinds, small_catalog
from warroom.errors import Conflict, Invalid, NotFound
from warroom.incidents import service as svc
from warroom.incidents import store as st
from warroom.incidents.lifecycle import IllegalMove, Status
from warroom.incidents.priority import DEFAULT_MATRIX, Impact, Priority, Urgency, matrix_to_json


def test_declare_derives_priority_and_numbers_incidents(app, clock) -> None:
    ids = small_catalog(app)
    a = declare(app, "checkout down", description="500s", category="availability",
                service_ids=[ids["checkout"], ids["payments"]], identified_via="monitoring",
                impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL, detected_at=clock.now() - timedelta(minutes=5))
    b = declare(app, "search slow", impact=Impact.MINOR, urgency=Urgency.LOW)
    assert (a.ref, b.ref) == (1, 2)
    assert (a.priority, b.priority) == ("P1", "P5")
    assert not a.priority_overridden and a.priority_reason is None
    assert a.service_ids == tuple(sorted((ids["checkout"], ids["payments"])))
    assert a.detected_at == clock.now() - timedelta(minutes=5) and a.status == "identified"
    assert svc.get(app, a.id) == a
    assert kinds(app, a.id) == ["incident.declared", "escalation.none"]  # its services have no policy (issue 10.5)
    assert_replay_matches(app, a.id)
    assert_replay_matches(app, b.id)


def test_override_needs_a_reason_and_the_reason_is_recorded(app) -> None:
    with pytest.raises(Invalid) as info:
        declare(app, priority=Priority.P1)
    assert info.value.field == "priority_reason"
    assert counts(app) == (0, 0)
    s = declare(app, priority=Priority.P1, priority_reason="board demo at noon")
    assert (s.priority, s.priority_overridden, s.priority_reason) == ("P1", True, "board demo at noon")
    event = svc.timeline(app, s.id)[0]
    assert event.data["priority_reason"] == "board demo at noon" and event.data["derived_priority"] == "P3"
    assert_replay_matches(app, s.id)


def test_an_admin_changed_matrix_drives_new_priorities(app, users) -> None:
    grid = matrix_to_json(DEFAULT_MATRIX)
    grid["minor"]["low"] = "P2"
    svc.set_matrix(app, users.principal("admin"), grid)
    assert svc.get_matrix(app)[Impact.MINOR, Urgency.LOW] is Priority.P2
    s = declare(app, impact=Impact.MINOR, urgency=Urgency.LOW)
    assert s.priority == "P2" and not s.priority_overridden
    s = svc.edit(app, RUI, s.id, {"urgency": Urgency.CRITICAL})
    assert s.priority == "P4"
    grid["minor"].pop("low")
    with pytest.raises(Invalid) as info:
        svc.set_matrix(app, users.principal("admin"), grid)
    assert info.value.field == "matrix.minor.low"
    assert svc.get_matrix(app)[Impact.MINOR, Urgency.LOW] is Priority.P2  # the bad grid was not stored
    assert_replay_matches(app, s.id)


def test_lifecycle_with_reopen_keeps_milestones(app, clock) -> None:
    s = declare(app, detected_at=clock.now() - timedelta(minutes=10))
    t0 = clock.now()
    s = svc.acknowledge(app, RUI, s.id)
    assert s.acknowledged_at == t0
    clock.advance(minutes=1)
    assert svc.acknowledge(app, RUI, s.id).version == s.version  # idempotent
    for to in (Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED):
        clock.advance(minutes=5)
        s = svc.move(app, RUI, s.id, to, note=f"now {to}")
    assert (s.investigating_at, s.contained_at, s.resolved_at) == (
        t0 + timedelta(minutes=6), t0 + timedelta(minutes=11), t0 + timedelta(minutes=16))
    clock.advance(minutes=1)
    s = svc.move(app, RUI, s.id, Status.INVESTIGATING)  # reopen
    assert s.status == "investigating" and s.resolved_at is None
    assert s.acknowledged_at is None  # reopened: someone must acknowledge it again
    assert s.investigating_at == t0 + timedelta(minutes=6)  # first time kept for metrics
    clock.advance(minutes=1)
    s = svc.move(app, RUI, s.id, Status.RESOLVED)
    clock.advance(minutes=1)
    s = svc.move(app, RUI, s.id, Status.CLOSED)
    assert s.resolved_at == t0 + timedelta(minutes=18) and s.closed_at == t0 + timedelta(minutes=19)
    before = counts(app)
    with pytest.raises(IllegalMove) as info:
        svc.move(app, RUI, s.id, Status.INVESTIGATING)
    assert "closed is final" in str(info.value)
    with pytest.raises(Conflict, match="only an open incident"):
        svc.acknowledge(app, RUI, s.id)  # resolved and closed after the reopening without an acknowledgement
    assert counts(app) == before
    events = svc.timeline(app, s.id)
    status_changes = [(e.data["old"], e.data["new"]) for e in events if e.kind == "status.changed"]
    assert status_changes == [("identified", "investigating"), ("investigating", "contained"),
                              ("contained", "resolved"), ("resolved", "investigating"),
                              ("investigating", "resolved"), ("resolved", "closed")]
    assert all(e.actor == "rui" for e in events)
    assert_replay_matches(app, s.id)


def test_an_illegal_move_names_the_allowed_states_and_writes_nothing(app) -> None:
    s = declare(app)
    before = counts(app)
    with pytest.raises(IllegalMove) as info:
        svc.move(app, RUI, s.id, Status.CLOSED)
    assert info.value.allowed == ["contained", "investigating", "resolved"]
    assert counts(app) == before
    assert_replay_matches(app, s.id)


def test_promote_and_demote_with_reasons(app) -> None:
    s = declare(app)
    with pytest.raises(Invalid):
        svc.promote(app, RUI, s.id, "  ")
    s = svc.promote(app, RUI, s.id, "tier-1 revenue impact")
    assert s.major and s.major_reason == "tier-1 revenue impact"
    with pytest.raises(Conflict):
        svc.promote(app, RUI, s.id, "again")
    s = svc.demote(app, RUI, s.id, "only one shop affected")
    assert not s.major and s.major_reason == "only one shop affected"
    events = svc.timeline(app, s.id)
    assert [(e.kind, e.data["reason"]) for e in events[1:]] == [
        ("major.promoted", "tier-1 revenue impact"), ("major.demoted", "only one shop affected")]
    assert_replay_matches(app, s.id)


def test_edit_records_before_and_after(app) -> None:
    ids = small_catalog(app)
    s = declare(app, service_ids=[ids["db"]])
    s = svc.edit(app, RUI, s.id, {"title": "db primary down", "service_ids": [ids["checkout"], ids["db"]],
                                  "impact": Impact.EXTENSIVE}, version=s.version)
    assert s.title == "db primary down" and s.priority == "P2"
    changed = [e for e in svc.timeline(app, s.id) if e.kind == "fields.changed"][0]
    assert changed.data["changes"]["title"] == {"old": "checkout 500s", "new": "db primary down"}
    assert changed.data["changes"]["service_ids"]["old"] == [ids["db"]]
    with app.db.read() as conn:  # the service index follows the edit
        assert [i.id for i in st.search(conn, service_id=ids["checkout"])[0]] == [s.id]
        assert [i.id for i in st.search(conn, team_id=ids["dbs"])[0]] == [s.id]
    with pytest.raises(Invalid) as info:
        svc.edit(app, RUI, s.id, {"service_ids": [99999]})
    assert info.value.field == "service_ids"
    s = svc.edit(app, RUI, s.id, {}, priority=Priority.P1, priority_reason="exec escalation")
    assert s.priority_overridden and s.priority == "P1"
    s = svc.edit(app, RUI, s.id, {"impact": Impact.MINOR})
    assert s.priority == "P1"  # the override stands
    assert_replay_matches(app, s.id)


def test_stale_version_is_refused_and_missing_incidents_are_not_found(app) -> None:
    s = declare(app)
    svc.acknowledge(app, RUI, s.id, version=s.version)
    with pytest.raises(Conflict, match="version 1"):
        svc.move(app, RUI, s.id, Status.INVESTIGATING, version=1)
    for call in (lambda: svc.get(app, 999), lambda: svc.timeline(app, 999),
                 lambda: svc.move(app, RUI, 999, Status.INVESTIGATING), lambda: svc.add_note(app, RUI, 999, "x")):
        with pytest.raises(NotFound):
            call()
    assert_replay_matches(app, s.id)


def test_unknown_service_or_future_detection_writes_nothing(app, clock) -> None:
    with pytest.raises(Invalid) as info:
        declare(app, service_ids=[12345])
    assert info.value.field == "service_ids"
    with pytest.raises(Invalid) as info:
        declare(app, detected_at=clock.now() + timedelta(hours=1))
    assert info.value.field == "detected_at"
    with pytest.raises(Invalid) as info:  # longer than the column: refused by the core, not by the database
        declare(app, title="t" * 301)
    assert info.value.field == "title"
    naive = declare(app, detected_at=datetime(2026, 1, 5, 8, 0))  # naive means UTC
    assert naive.detected_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert counts(app) == (1, 1)
    assert_replay_matches(app, naive.id)
