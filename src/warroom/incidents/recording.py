"""How a change is recorded: number the events, fold them into the snapshot, write both in the caller's
transaction, let the reactors of their kinds answer there (their effects appended after their causes), and
announce once after commit. Only the incident service's use cases and the `*_in` forms call `record`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from warroom.incidents import store as st
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.priority import DEFAULT_MATRIX, Matrix, matrix_from_json
from warroom.incidents.projection import apply
from warroom.platform import kv
from warroom.platform.app import App
from warroom.platform.db import Tx

MATRIX_KEY = "priority_matrix"


@dataclass
class InTx:
    """What the incident service keeps for one transaction (`tx.state(InTx)`)."""
    matrix: Matrix | None = None  # the priority matrix, read once
    held: dict[int, list[Event]] = field(default_factory=dict)  # incident id: events whose reactions wait


def matrix_in(tx: Tx) -> Matrix:
    mine = tx.state(InTx)
    if mine.matrix is None:
        raw = kv.get(tx.conn, MATRIX_KEY)
        mine.matrix = matrix_from_json(raw) if raw else DEFAULT_MATRIX
    return mine.matrix


def use_matrix(tx: Tx, matrix: Matrix) -> None:
    """Use `matrix` as the priority matrix in `tx` (the caller has a fresh enough copy)."""
    tx.state(InTx).matrix = matrix


def record(app: App, tx: Tx, before: IncidentState, events: list[Event], *, react: bool = True) -> IncidentState:
    """Append `events` after `before` and store the new snapshot, in `tx`, then let reactors answer them and
    any events recorded earlier in `tx` with `react=False`. With `react=False` the reactions wait for the
    next `record` of this incident in `tx` (or `react_held_in`): a cause recorded in several steps (an
    incident declared, then its alerts attached) comes before its effects (pages) on the timeline."""
    if not events:
        return before
    after, numbered = _append(app, tx, before, events)
    return react_or_hold(app, tx, after, numbered, react)


def _append(app: App, tx: Tx, before: IncidentState, events: list[Event]) -> tuple[IncidentState, list[Event]]:
    """Number `events` after `before`, fold them, and write the snapshot and the events in `tx`."""
    numbered = [e.at_seq(before.version + i + 1) for i, e in enumerate(events)]
    after = before
    for e in numbered:
        after = apply(after, e)
    st.save_snapshot(tx.conn, before, after)
    st.append_events(tx.conn, before.id, numbered, app.clock.now())
    return after, numbered


def react_or_hold(app: App, tx: Tx, state: IncidentState, events: list[Event], react: bool) -> IncidentState:
    held = tx.state(InTx).held
    if not react:
        held.setdefault(state.id, []).extend(events)
        return state
    return _react(app, tx, state, [*held.pop(state.id, []), *events])


def is_held(tx: Tx, incident_id: int) -> bool:
    """Whether events of this incident recorded in `tx` still wait for their reactions."""
    return incident_id in tx.state(InTx).held


def react_held_in(app: App, tx: Tx, state: IncidentState) -> IncidentState:
    """Let reactors answer the events of `state`'s incident recorded in `tx` with `react=False`."""
    held = tx.state(InTx).held.pop(state.id, None)
    return _react(app, tx, state, held) if held else state


MAX_DEPTH = 3  # effects of effects of effects: deeper is a loop between reactors, refused


class ReactorLoop(RuntimeError):
    """Reactors kept answering each other's effects: a wiring error, never a user's."""


def reacts_to(app: App, kinds: Iterable[str]) -> bool:
    """Whether a registered reactor handles any of these kinds (if not, recording them reads nothing)."""
    return any(not r.kinds.isdisjoint(kinds) for r in app.reactors)


def _react(app: App, tx: Tx, state: IncidentState, events: list[Event]) -> IncidentState:
    """Call each reactor with the events of its kinds; append the effects they return after their causes
    (one append per round), offer those to the reactors in turn, up to MAX_DEPTH; then announce once."""
    kinds = [e.kind for e in events]
    causes = events
    for depth in range(MAX_DEPTH + 1):
        effects: list[Event] = []
        for reactor in app.reactors:
            mine = [e for e in causes if e.kind in reactor.kinds]
            if mine:
                effects += reactor.react(app, tx, state, mine)
        if not effects:
            break
        if depth == MAX_DEPTH:
            raise ReactorLoop(f"reactors still answering after {MAX_DEPTH} rounds: {[e.kind for e in effects]}")
        state, causes = _append(app, tx, state, effects)
        kinds += [e.kind for e in causes]
    app.live.announce(tx, {"type": "incident", "incident_id": state.id, "ref": state.ref,
                           "seq": state.version, "kinds": kinds})
    return state
