"""The fold: replaying a log gives the snapshot; apply is deterministic and only owned kinds change state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.errors import WarroomError
from warroom.incidents import decide
from warroom.incidents import events as ev
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Priority, Urgency
from warroom.incidents.projection import apply, elapsed_seconds, fold, start
from warroom.incidents.roles import Role

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _declared() -> Event:
    return decide.declare(ref=4, title="db down", description="d", category="c", service_ids=[2, 1],
                          identified_via="monitoring", impact=Impact.SIGNIFICANT, urgency=Urgency.HIGH,
                          priority=None, priority_reason=None, detected_at=T0 - timedelta(minutes=3), by="ana",
                          at=T0).at_seq(1)


# A command is (name, argument); each is turned into events by `decide`, or refused.
COMMANDS = st.one_of(
    st.tuples(st.just("move"), st.sampled_from(list(Status))),
    st.tuples(st.just("ack"), st.none()),
    st.tuples(st.just("promote"), st.sampled_from(["big", ""])),
    st.tuples(st.just("demote"), st.sampled_from(["small", ""])),
    st.tuples(st.just("assign"), st.tuples(st.sampled_from(list(Role)), st.integers(1, 3), st.integers(1, 2))),
    st.tuples(st.just("unassign"), st.tuples(st.sampled_from(list(Role)), st.integers(1, 3))),
    st.tuples(st.just("edit"), st.tuples(st.sampled_from(list(Impact)), st.sampled_from(list(Urgency)))),
    st.tuples(st.just("override"), st.sampled_from(list(Priority))),
    st.tuples(st.just("note"), st.text(max_size=5)),
    st.tuples(st.just("foreign"), st.none()),
)


def _decide(s: IncidentState, cmd: tuple, at: datetime) -> list[Event]:
    name, arg = cmd
    if name == "move":
        return decide.move(s, arg, by="bo", at=at)
    if name == "ack":
        return decide.acknowledge(s, by="bo", at=at)
    if name == "promote":
        return decide.promote(s, arg, by="bo", at=at)
    if name == "demote":
        return decide.demote(s, arg, by="bo", at=at)
    if name == "assign":
        role, user, team = arg
        return decide.assign(s, role, user, team if role is Role.EXPERT else None, by="bo", at=at)
    if name == "unassign":
        return decide.unassign(s, arg[0], arg[1], None, by="bo", at=at)
    if name == "edit":
        return decide.edit(s, {"impact": arg[0], "urgency": arg[1]}, by="bo", at=at)
    if name == "override":
        return decide.edit(s, {}, by="bo", at=at, priority=arg, priority_reason="because")
    if name == "note":
        return [decide.note(arg, by="bo", at=at)]
    return [Event("alert.attached", {"alert_id": 1}, "alertmanager", at)]  # another domain's kind


@settings(max_examples=150, deadline=None)
@given(st.lists(COMMANDS, max_size=30))
def test_fold_of_the_log_equals_the_state_built_step_by_step(commands: list) -> None:
    log = [_declared()]
    s = start(9, log[0])
    at = T0
    for cmd in commands:
        at += timedelta(seconds=30)
        try:
            events = _decide(s, cmd, at)
        except WarroomError:
            continue  # a refusal appends nothing
        for e in events:
            e = e.at_seq(len(log) + 1)
            log.append(e)
            s = apply(s, e)
        assert s.version == len(log)
        assert s.coordinator_id in (None, 1, 2, 3)
        assert len(set(s.experts)) == len(s.experts)  # each (person, team) at most once
        assert s.priority_overridden == (s.priority_reason is not None)
        assert s.updated_at == log[-1].occurred_at
    assert fold(9, log) == s
    assert fold(9, list(log)) == fold(9, log)  # deterministic


def test_start_takes_every_declared_fact() -> None:
    s = start(9, _declared())
    assert (s.id, s.ref, s.title, s.description, s.category) == (9, 4, "db down", "d", "c")
    assert s.service_ids == (1, 2) and s.identified_via == "monitoring"
    assert s.status == "identified" and s.version == 1 and not s.major
    assert s.detected_at == T0 - timedelta(minutes=3) and s.created_at == s.updated_at == T0


def test_foreign_kinds_only_bump_the_version() -> None:
    s = start(9, _declared())
    after = apply(s, Event("page.sent", {"to": "x"}, "warroom", T0 + timedelta(seconds=5), seq=2))
    assert after.version == 2 and after.updated_at == T0 + timedelta(seconds=5)
    assert after.status == s.status and after.title == s.title


def test_a_log_must_start_with_a_declaration() -> None:
    with pytest.raises(ValueError, match="first event"):
        fold(9, [Event(ev.NOTE_ADDED, {"text": "x"}, "bo", T0, seq=1)])


def test_elapsed_stops_at_resolution() -> None:
    s = start(9, _declared())
    assert elapsed_seconds(s, T0) == 180
    for e in decide.move(s, Status.RESOLVED, by="bo", at=T0 + timedelta(minutes=7)):
        s = apply(s, e.at_seq(s.version + 1))
    assert elapsed_seconds(s, T0 + timedelta(hours=5)) == 600
