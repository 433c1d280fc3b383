"""The lifecycle: every legal and illegal move, and property tests over random move sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.errors import Conflict
from warroom.incidents import decide
from warroom.incidents.events import IncidentState
from warroom.incidents.lifecycle import MILESTONE_OF, MILESTONES, NEXT, OPEN_STATUSES, IllegalMove, Status, check_move
from warroom.incidents.priority import Impact, Urgency
from warroom.incidents.projection import apply, fold, start

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LEGAL = [(a, b) for a in Status for b in Status if b in NEXT[a]]
ILLEGAL = [(a, b) for a in Status for b in Status if b not in NEXT[a]]


def test_the_documented_path_and_reopen_are_legal() -> None:
    path = [Status.IDENTIFIED, Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED, Status.CLOSED]
    for a, b in zip(path, path[1:], strict=False):
        check_move(a, b)
    check_move(Status.RESOLVED, Status.INVESTIGATING)  # reopen


def test_closed_is_final_and_open_statuses_are_the_first_three() -> None:
    assert NEXT[Status.CLOSED] == frozenset()
    assert {Status.IDENTIFIED, Status.INVESTIGATING, Status.CONTAINED} == OPEN_STATUSES
    assert set(MILESTONE_OF.values()) | {"detected_at", "acknowledged_at"} == set(MILESTONES)


@pytest.mark.parametrize(("a", "b"), LEGAL)
def test_legal_moves_pass(a: Status, b: Status) -> None:
    check_move(a, b)


@pytest.mark.parametrize(("a", "b"), ILLEGAL)
def test_illegal_moves_are_refused_naming_the_allowed_states(a: Status, b: Status) -> None:
    with pytest.raises(IllegalMove) as info:
        check_move(a, b)
    assert isinstance(info.value, Conflict)
    assert info.value.allowed == sorted(NEXT[a])
    for allowed in NEXT[a]:
        assert str(allowed) in str(info.value)
    if a is Status.CLOSED:
        assert "closed is final" in str(info.value)


def _declared() -> IncidentState:
    e = decide.declare(ref=1, title="db down", description="", category="", service_ids=[], identified_via="engineer",
                       impact=Impact.MODERATE, urgency=Urgency.HIGH, priority=None, priority_reason=None,
                       detected_at=None, by="ana", at=T0).at_seq(1)
    return start(7, e)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(Status)), max_size=25))
def test_random_move_sequences_keep_the_invariants(targets: list[Status]) -> None:
    """Legal moves are applied, illegal ones refused without effect; the fold of the log equals the
    state built step by step; milestones are set when reached and never lie in the future."""
    s = _declared()
    log = [decide.declare(ref=1, title="db down", description="", category="", service_ids=[],
                          identified_via="engineer", impact=Impact.MODERATE, urgency=Urgency.HIGH, priority=None,
                          priority_reason=None, detected_at=None, by="ana", at=T0).at_seq(1)]
    at = T0
    visited: set[Status] = {Status.IDENTIFIED}
    worked = False  # moved to investigating or contained while open, since it was last (re)opened
    for to in targets:
        at += timedelta(minutes=1)
        cur = Status(s.status)
        if to in NEXT[cur]:
            if cur is Status.RESOLVED and to is Status.INVESTIGATING:
                worked = False
            elif cur in OPEN_STATUSES and to in (Status.INVESTIGATING, Status.CONTAINED):
                worked = True
            events = decide.move(s, to, by="ana", at=at)
            for e in events:
                e = e.at_seq(s.version + 1)
                log.append(e)
                s = apply(s, e)
            assert s.status == to
            visited.add(to)
        else:
            with pytest.raises(IllegalMove):
                decide.move(s, to, by="ana", at=at)
        assert s.version == len(log)
        assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert fold(7, log) == s
    for status in visited - {Status.IDENTIFIED}:
        stamp = getattr(s, MILESTONE_OF[status])
        if status is Status.RESOLVED and s.status not in (Status.RESOLVED, Status.CLOSED):
            assert stamp is None  # reopened: the resolution no longer stands
        else:
            assert stamp is not None and T0 < stamp <= at
    # working an incident acknowledges it; resolving it does not; reopening asks for a new acknowledgement
    assert (s.acknowledged_at is not None) == worked
    if s.status == Status.CLOSED:
        assert s.closed_at is not None and s.resolved_at is not None and s.resolved_at <= s.closed_at


def test_reopen_clears_resolved_and_a_second_resolution_sets_it_again() -> None:
    s = _declared()
    at = T0
    for to in (Status.INVESTIGATING, Status.RESOLVED, Status.INVESTIGATING):
        at += timedelta(minutes=5)
        for e in decide.move(s, to, by="ana", at=at):
            s = apply(s, e.at_seq(s.version + 1))
    assert s.status == Status.INVESTIGATING and s.resolved_at is None
    assert s.investigating_at == T0 + timedelta(minutes=5)  # first time kept
    for e in decide.move(s, Status.RESOLVED, by="ana", at=at + timedelta(minutes=1)):
        s = apply(s, e.at_seq(s.version + 1))
    assert s.resolved_at == at + timedelta(minutes=1)
