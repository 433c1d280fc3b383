"""Decisions: the events each command produces, and every refusal, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from warroom.errors import Conflict, Invalid
from warroom.incidents import decide
from warroom.incidents import events as ev
from warroom.incidents.events import Event, Expert, IncidentState
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import DEFAULT_MATRIX, Impact, Priority, Urgency
from warroom.incidents.projection import apply, start
from warroom.incidents.roles import Role

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)


def declare_event(**kw) -> Event:  # noqa: ANN003
    fields = dict(ref=1, title="db down", description="", category="", service_ids=[], identified_via="engineer",
                  impact=Impact.MODERATE, urgency=Urgency.HIGH, priority=None, priority_reason=None,
                  detected_at=None, by="ana", at=T0)
    fields.update(kw)
    return decide.declare(**fields)


def state(incident_id: int = 1, **kw) -> IncidentState:  # noqa: ANN003
    return replace(start(incident_id, declare_event(ref=incident_id).at_seq(1)), **kw)


def run(s: IncidentState, events: list[Event]) -> IncidentState:
    for e in events:
        s = apply(s, e.at_seq(s.version + 1))
    return s


# -- declare ------------------------------------------------------------------------------------

def test_declare_derives_priority_and_trims() -> None:
    e = declare_event(title="  db down  ", category=" db ", service_ids=[3, 1, 3])
    assert e.kind == ev.DECLARED
    assert e.data["priority"] == e.data["derived_priority"] == DEFAULT_MATRIX[Impact.MODERATE, Urgency.HIGH]
    assert e.data["title"] == "db down" and e.data["category"] == "db" and e.data["service_ids"] == [1, 3]
    assert e.data["priority_reason"] is None and e.data["detected_at"] == T0.isoformat()


def test_override_needs_a_reason_which_is_recorded() -> None:
    with pytest.raises(Invalid) as info:
        declare_event(priority=Priority.P1, priority_reason="  ")
    assert info.value.field == "priority_reason"
    e = declare_event(priority=Priority.P1, priority_reason="CEO is watching")
    s = start(1, e.at_seq(1))
    assert (s.priority, s.priority_overridden, s.priority_reason) == ("P1", True, "CEO is watching")
    same = declare_event(priority=DEFAULT_MATRIX[Impact.MODERATE, Urgency.HIGH])  # equal to the matrix: no reason
    assert start(1, same.at_seq(1)).priority_overridden is False


def test_declare_uses_the_given_matrix() -> None:
    grid = {k: Priority.P5 for k in DEFAULT_MATRIX}
    assert declare_event(matrix=grid).data["priority"] == "P5"


@pytest.mark.parametrize(("kw", "field"), [
    ({"title": "   "}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"category": "c" * 101}, "category"),
    ({"description": "d" * 20001}, "description"),
    ({"identified_via": "psychic"}, "identified_via"),
    ({"detected_at": T0 + timedelta(seconds=1)}, "detected_at"),
])
def test_declare_refuses_bad_fields(kw: dict, field: str) -> None:
    with pytest.raises(Invalid) as info:
        declare_event(**kw)
    assert info.value.field == field


# -- acknowledge and move -----------------------------------------------------------------------

def test_acknowledge_is_idempotent_and_only_for_open_incidents() -> None:
    s = run(state(), decide.acknowledge(state(), by="bo", at=T1))
    assert s.acknowledged_at == T1
    assert decide.acknowledge(s, by="bo", at=T1 + timedelta(minutes=1)) == []
    with pytest.raises(Conflict):
        decide.acknowledge(state(status="resolved"), by="bo", at=T1)


def test_moving_an_unacknowledged_incident_acknowledges_it() -> None:
    events = decide.move(state(), Status.INVESTIGATING, by="bo", at=T1, note="looking")
    assert [e.kind for e in events] == [ev.ACKNOWLEDGED, ev.STATUS_CHANGED]
    assert events[1].data == {"old": "identified", "new": "investigating", "note": "looking"}
    s = run(state(), events)
    assert s.acknowledged_at == s.investigating_at == T1


def test_only_a_person_working_it_acknowledges_never_a_resolution_or_a_system_actor() -> None:
    assert [e.kind for e in decide.move(state(), Status.RESOLVED, by="bo", at=T1)] == [ev.STATUS_CHANGED]
    assert [e.kind for e in decide.move(state(), Status.CONTAINED, by="alert:prom", at=T1,
                                        implicit_ack=False)] == [ev.STATUS_CHANGED]


def test_an_acknowledgement_from_an_alert_names_it_and_a_reopening_clears_it() -> None:
    alert = {"id": 7, "summary": "disk full", "severity": "critical", "dedup_key": "k", "integration_id": 1}
    (ack,) = decide.acknowledge(state(), by="bo", at=T1, via_alert=alert)
    assert ack.data == {"via_alert": 7, "alert": alert}
    s = run(state(), [ack, *decide.move(run(state(), [ack]), Status.RESOLVED, by="bo", at=T1)])
    assert s.acknowledged_at == T1
    s = run(s, decide.move(s, Status.INVESTIGATING, by="bo", at=T1 + timedelta(minutes=5)))
    assert s.acknowledged_at is None and s.resolved_at is None  # reopened: someone must acknowledge it again


# -- edit ---------------------------------------------------------------------------------------

def test_edit_records_before_and_after_and_recomputes_priority() -> None:
    s = state()
    events = decide.edit(s, {"title": "db very down", "impact": Impact.EXTENSIVE}, by="bo", at=T1)
    assert [e.kind for e in events] == [ev.FIELDS_CHANGED, ev.PRIORITY_CHANGED]
    assert events[0].data["changes"]["title"] == {"old": "db down", "new": "db very down"}
    assert events[0].data["changes"]["impact"] == {"old": "moderate", "new": "extensive"}
    after = run(s, events)
    assert after.priority == DEFAULT_MATRIX[Impact.EXTENSIVE, Urgency.HIGH]


def test_edit_without_changes_appends_nothing() -> None:
    assert decide.edit(state(), {"title": "db down", "service_ids": []}, by="bo", at=T1) == []


def test_an_override_survives_an_impact_change_and_can_be_cleared() -> None:
    s = run(state(), decide.edit(state(), {}, by="bo", at=T1, priority=Priority.P1, priority_reason="exec ask"))
    assert (s.priority, s.priority_overridden, s.priority_reason) == ("P1", True, "exec ask")
    s = run(s, decide.edit(s, {"impact": Impact.MINOR}, by="bo", at=T1))
    assert s.priority == "P1" and s.priority_overridden
    derived = DEFAULT_MATRIX[Impact.MINOR, Urgency.HIGH]
    s = run(s, decide.edit(s, {}, by="bo", at=T1, priority=derived))
    assert (s.priority, s.priority_overridden, s.priority_reason) == (derived.value, False, None)


@pytest.mark.parametrize(("changes", "field"), [
    ({"status": "closed"}, "status"), ({"title": " "}, "title"), ({"identified_via": "x"}, "identified_via"),
    ({"title": "t" * 301}, "title"), ({"category": "c" * 101}, "category")])
def test_edit_refuses(changes: dict, field: str) -> None:
    with pytest.raises(Invalid) as info:
        decide.edit(state(), changes, by="bo", at=T1)
    assert info.value.field == field
    with pytest.raises(Invalid) as info:
        decide.edit(state(), {}, by="bo", at=T1, priority=Priority.P1)
    assert info.value.field == "priority_reason"


# -- major, roles -------------------------------------------------------------------------------

def test_promote_and_demote_need_reasons() -> None:
    for bad in (None, "", "  "):
        with pytest.raises(Invalid):
            decide.promote(state(), bad, by="bo", at=T1)
    s = run(state(), decide.promote(state(), " revenue ", by="bo", at=T1, rule="tier1"))
    assert s.major and s.major_reason == "revenue"
    with pytest.raises(Conflict):
        decide.promote(s, "again", by="bo", at=T1)
    with pytest.raises(Invalid):
        decide.demote(s, "", by="bo", at=T1)
    s = run(s, decide.demote(s, "contained to one team", by="bo", at=T1))
    assert not s.major and s.major_reason == "contained to one team"
    with pytest.raises(Conflict):
        decide.demote(s, "again", by="bo", at=T1)
    with pytest.raises(Conflict):
        decide.promote(state(status="closed"), "late", by="bo", at=T1)


def test_singular_roles_hold_one_person_and_reassignment_names_the_previous_holder() -> None:
    s = run(state(), decide.assign(state(), Role.COORDINATOR, 5, None, by="bo", at=T1))
    assert s.coordinator_id == 5
    assert decide.assign(s, Role.COORDINATOR, 5, None, by="bo", at=T1) == []
    events = decide.assign(s, Role.COORDINATOR, 6, None, by="bo", at=T1)
    assert events[0].data == {"role": "coordinator", "user_id": 6, "previous_user_id": 5, "team_id": None}
    s = run(s, events)
    assert s.coordinator_id == 6
    with pytest.raises(Conflict, match="does not hold"):
        decide.unassign(s, Role.COORDINATOR, 5, None, by="bo", at=T1)  # 6 holds it now
    s = run(s, decide.unassign(s, Role.COORDINATOR, 6, None, by="bo", at=T1))
    assert s.coordinator_id is None
    with pytest.raises(Conflict):
        decide.unassign(s, Role.COORDINATOR, None, None, by="bo", at=T1)


def test_experts_are_tied_to_teams() -> None:
    with pytest.raises(Invalid) as info:
        decide.assign(state(), Role.EXPERT, 5, None, by="bo", at=T1)
    assert info.value.field == "team_id"
    with pytest.raises(Invalid):
        decide.assign(state(), Role.SCRIBE, 5, 2, by="bo", at=T1)
    s = state()
    for user, team in ((5, 2), (5, 3), (6, 2)):
        s = run(s, decide.assign(s, Role.EXPERT, user, team, by="bo", at=T1))
    assert decide.assign(s, Role.EXPERT, 5, 2, by="bo", at=T1) == []
    assert s.experts == (Expert(5, 2), Expert(5, 3), Expert(6, 2))
    s = run(s, decide.unassign(s, Role.EXPERT, 5, None, by="bo", at=T1))  # every team of that person
    assert s.experts == (Expert(6, 2),)
    with pytest.raises(Conflict):
        decide.unassign(s, Role.EXPERT, 5, 2, by="bo", at=T1)
    with pytest.raises(Conflict):
        decide.assign(state(status="closed"), Role.SCRIBE, 5, None, by="bo", at=T1)


# -- notes, links -------------------------------------------------------------------------------

def test_notes() -> None:
    assert decide.note("  hi  ", by="bo", at=T1).data == {"text": "hi"}
    for bad in ("", "   ", "x" * 20001):
        with pytest.raises(Invalid):
            decide.note(bad, by="bo", at=T1)


def test_children_go_under_a_major_incident_without_cycles() -> None:
    parent, child = state(1, major=True), state(2)
    pe, ce = decide.link_child(parent, child, by="bo", at=T1)
    assert (pe.kind, pe.data) == (ev.CHILD_LINKED, {"child_id": 2, "child_ref": 2})
    assert run(child, [ce]).parent_id == 1
    with pytest.raises(Conflict):
        decide.link_child(state(1), child, by="bo", at=T1)  # parent not major
    with pytest.raises(Invalid):
        decide.link_child(parent, parent, by="bo", at=T1)
    with pytest.raises(Conflict):
        decide.link_child(parent, state(2, parent_id=9), by="bo", at=T1)
    with pytest.raises(Conflict):
        decide.link_child(state(1, major=True, parent_id=2), state(2, major=True), by="bo", at=T1)
    with pytest.raises(Conflict):  # a longer cycle: 3 -> 2 -> 1, and now 1 under 3
        decide.link_child(state(3, major=True, parent_id=2), state(1, major=True), by="bo", at=T1,
                          ancestors=(2, 1))


def test_merge_resolves_an_open_duplicate_and_notes_it_on_both() -> None:
    primary, dup = state(1), state(2)
    pe, de = decide.merge(primary, dup, by="bo", at=T1)
    assert [e.kind for e in pe] == [ev.DUPLICATE_ATTACHED] and pe[0].data["duplicate_id"] == 2
    after = run(dup, de)
    assert after.duplicate_of_id == 1 and after.status == "resolved" and after.resolved_at == T1
    with pytest.raises(Invalid):
        decide.merge(primary, primary, by="bo", at=T1)
    with pytest.raises(Conflict):
        decide.merge(primary, after, by="bo", at=T1)
    with pytest.raises(Conflict):
        decide.merge(after, state(3), by="bo", at=T1)
    with pytest.raises(Conflict):
        decide.merge(primary, state(3, status="closed"), by="bo", at=T1)
    _, de = decide.merge(primary, state(3, status="resolved"), by="bo", at=T1)
    assert [e.kind for e in de] == [ev.MERGED]


# -- dangerous operations (issue 10.7) ------------------------------------------------------------

@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_merge_into_a_resolved_or_closed_primary_is_refused(status: str) -> None:
    with pytest.raises(Conflict, match=f"INC-1 is {status}; merge into an open incident"):
        decide.merge(state(1, status=status), state(2), by="bo", at=T1)


def test_settle_children_refuses_names_resolves_or_detaches() -> None:
    parent, a, b = state(1, major=True), state(2, parent_id=1), state(3, parent_id=1, status="investigating")
    assert decide.settle_children(parent, Status.INVESTIGATING, [a, b], None, by="bo", at=T1) == ([], [])
    assert decide.settle_children(parent, Status.RESOLVED, [], None, by="bo", at=T1) == ([], [])
    with pytest.raises(Conflict, match="INC-1 has open child incidents: INC-2, INC-3; resolve them first"):
        decide.settle_children(parent, Status.RESOLVED, [a, b], None, by="bo", at=T1)
    with pytest.raises(Invalid) as info:
        decide.settle_children(parent, Status.RESOLVED, [], "forget", by="bo", at=T1)
    assert info.value.field == "children"
    mine, theirs = decide.settle_children(parent, Status.CLOSED, [a, b], "resolve", by="bo", at=T1)
    assert [(e.kind, e.data["child_ref"]) for e in mine] == [(ev.CHILD_RESOLVED, 2), (ev.CHILD_RESOLVED, 3)]
    for child, events in theirs:
        assert run(child, events).status == "resolved" and run(child, events).acknowledged_at is None
    mine, theirs = decide.settle_children(parent, Status.RESOLVED, [a], "detach", by="bo", at=T1)
    assert [e.kind for e in mine] == [ev.CHILD_DETACHED]
    assert run(a, theirs[0][1]).parent_id is None and run(a, theirs[0][1]).status == "identified"
