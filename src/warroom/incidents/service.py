"""Incident use cases. Each public verb owns one transaction; the `*_in` forms join a caller's.

Every change goes through `record`: number the events, fold them into the snapshot, write both in
one transaction, let reactors add their side effects there too, and announce after commit."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from warroom.auth.permissions import Principal, UserRole
from warroom.auth.store import get_user
from warroom.catalog.store import existing_service_ids, get_team
from warroom.errors import Conflict, Invalid, NotFound
from warroom.incidents import decide
from warroom.incidents import store as st
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import Status, is_open
from warroom.incidents.priority import (
    Impact,
    Matrix,
    Priority,
    Urgency,
    matrix_from_json,
    matrix_to_json,
)
from warroom.incidents.projection import apply, start
from warroom.incidents.recording import MATRIX_KEY as MATRIX_KEY
from warroom.incidents.recording import MAX_DEPTH as MAX_DEPTH
from warroom.incidents.recording import InTx as InTx
from warroom.incidents.recording import ReactorLoop as ReactorLoop
from warroom.incidents.recording import is_held as is_held
from warroom.incidents.recording import matrix_in as matrix_in
from warroom.incidents.recording import react_held_in as react_held_in
from warroom.incidents.recording import react_or_hold
from warroom.incidents.recording import reacts_to as reacts_to
from warroom.incidents.recording import record as record
from warroom.incidents.recording import use_matrix as use_matrix
from warroom.incidents.roles import Role
from warroom.platform import kv
from warroom.platform.app import App
from warroom.platform.clock import utc
from warroom.platform.db import Tx


def load_in(tx: Tx, incident_id: int, expected_version: int | None = None) -> IncidentState:
    s = st.load(tx.conn, incident_id, for_update=True)
    if s is None:
        raise NotFound(f"incident {incident_id} not found")
    if expected_version is not None and expected_version != s.version:
        raise Conflict(f"INC-{s.ref} has changed: you have version {expected_version}, it is now at "
                       f"version {s.version}; reload and try again")
    return s


def lock_many_in(tx: Tx, incident_ids: list[int]) -> dict[int, IncidentState]:
    """Incidents by id, row-locked in id order (a missing id is simply absent)."""
    return st.lock_many(tx.conn, incident_ids)


def _change(app: App, incident_id: int, expected_version: int | None, decide_fn: Any) -> IncidentState:
    """Load, decide, record, commit; retry once if a concurrent writer took our sequence number."""
    for attempt in range(3):
        try:
            with app.db.transaction() as tx:
                s = load_in(tx, incident_id, expected_version)
                return record(app, tx, s, decide_fn(tx, s))
        except (IntegrityError, st.StaleVersion):
            if expected_version is not None or attempt == 2:
                raise Conflict(f"incident {incident_id} was changed concurrently; reload and try again") from None
    raise AssertionError("unreachable")


def _check_services(tx: Tx, service_ids: list[int]) -> None:
    missing = set(service_ids) - existing_service_ids(tx.conn, set(service_ids))
    if missing:
        raise Invalid("service_ids", f"no such service: {', '.join(map(str, sorted(missing)))}")


# -- use cases ----------------------------------------------------------------------------------

def declare_in(
    app: App,
    tx: Tx,
    *,
    by: str,
    title: str,
    impact: Impact,
    urgency: Urgency,
    description: str = "",
    category: str = "",
    service_ids: list[int] | None = None,
    identified_via: str = "engineer",
    priority: Priority | None = None,
    priority_reason: str | None = None,
    detected_at: datetime | None = None,
    extra_events: list[Event] | None = None,
    react: bool = True,
) -> IncidentState:
    """Declare in `tx`. `extra_events` are recorded right after the declaration, before any reaction;
    `react=False` holds the reactions until the incident's next `record` in `tx` (see `record`)."""
    service_ids = service_ids or []
    _check_services(tx, service_ids)
    if detected_at is not None:
        try:
            detected_at = utc(detected_at)
        except OverflowError:
            raise Invalid("detected_at", "out of range") from None
    now = app.clock.now()
    ref = st.next_ref(tx.conn)
    declared = decide.declare(ref=ref, title=title, description=description, category=category,
                              service_ids=service_ids, identified_via=identified_via, impact=impact,
                              urgency=urgency, priority=priority, priority_reason=priority_reason,
                              detected_at=detected_at, by=by, at=now, matrix=matrix_in(tx)).at_seq(1)
    numbered = [declared, *(e.at_seq(i + 2) for i, e in enumerate(extra_events or []))]
    state = start(0, declared)
    for e in numbered[1:]:
        state = apply(state, e)
    new_id = st.insert_snapshot(tx.conn, state)
    state = replace(state, id=new_id)
    st.append_events(tx.conn, new_id, numbered, now)
    # the declaration and its extra events are one cause: reactors answer them together, after both
    return react_or_hold(app, tx, state, numbered, react)


def declare(app: App, p: Principal, **fields: Any) -> IncidentState:
    for attempt in range(3):
        try:
            with app.db.transaction() as tx:
                return declare_in(app, tx, by=p.actor, **fields)
        except IntegrityError:  # two declarations raced for the same INC number
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def acknowledge(app: App, p: Principal, incident_id: int, version: int | None = None) -> IncidentState:
    return _change(app, incident_id, version,
                   lambda tx, s: decide.acknowledge(s, by=p.actor, at=app.clock.now()))


def move(app: App, p: Principal, incident_id: int, to: Status, *, note: str | None = None,
         version: int | None = None, children: str | None = None) -> IncidentState:
    """Move through the lifecycle. Resolving or closing a parent with open children is refused unless
    `children` is "resolve" (they resolve too) or "detach" (they stay open, on their own); each child's
    change is on its own timeline and on the parent's."""
    def fn(tx: Tx, s: IncidentState) -> list[Event]:
        at = app.clock.now()
        moved = decide.move(s, to, by=p.actor, at=at, note=note)  # an illegal move is refused first
        kids = [c.id for c in st.children_of(tx.conn, s.id) if is_open(Status(c.status))]
        locked = lock_many_in(tx, kids)
        open_kids = [c for c in (locked.get(k) for k in kids)
                     if c is not None and c.parent_id == s.id and is_open(Status(c.status))]
        mine, theirs = decide.settle_children(s, to, open_kids, children, by=p.actor, at=at)
        for child, events in theirs:
            record(app, tx, child, events)
        return mine + moved

    return _change(app, incident_id, version, fn)


def move_in(app: App, tx: Tx, s: IncidentState, to: Status, *, by: str, note: str | None = None,
            implicit_ack: bool = True, react: bool = True) -> IncidentState:
    """`implicit_ack=False` for a system actor (an alert integration): it never acknowledges."""
    return record(app, tx, s, decide.move(s, to, by=by, at=app.clock.now(), note=note, implicit_ack=implicit_ack),
                  react=react)


def edit(app: App, p: Principal, incident_id: int, changes: dict[str, Any], *, priority: Priority | None = None,
         priority_reason: str | None = None, version: int | None = None) -> IncidentState:
    def fn(tx: Tx, s: IncidentState) -> list[Event]:
        if "service_ids" in changes:
            _check_services(tx, changes["service_ids"])
        return decide.edit(s, changes, by=p.actor, at=app.clock.now(), matrix=matrix_in(tx),
                           priority=priority, priority_reason=priority_reason)

    return _change(app, incident_id, version, fn)


def promote(app: App, p: Principal, incident_id: int, reason: str | None, version: int | None = None) -> IncidentState:
    return _change(app, incident_id, version,
                   lambda tx, s: decide.promote(s, reason, by=p.actor, at=app.clock.now()))


def promote_in(app: App, tx: Tx, s: IncidentState, reason: str, *, by: str, rule: str | None = None) -> IncidentState:
    return record(app, tx, s, decide.promote(s, reason, by=by, at=app.clock.now(), rule=rule))


def demote(app: App, p: Principal, incident_id: int, reason: str | None, version: int | None = None) -> IncidentState:
    return _change(app, incident_id, version,
                   lambda tx, s: decide.demote(s, reason, by=p.actor, at=app.clock.now()))


def assign(app: App, p: Principal, incident_id: int, role: Role, user_id: int, team_id: int | None = None,
           version: int | None = None) -> IncidentState:
    def fn(tx: Tx, s: IncidentState) -> list[Event]:
        _check_role_holder(tx, user_id)
        if team_id is not None and get_team(tx.conn, team_id) is None:
            raise Invalid("team_id", f"no such team: {team_id}")
        return decide.assign(s, role, user_id, team_id, by=p.actor, at=app.clock.now())

    return _change(app, incident_id, version, fn)


def _check_role_holder(tx: Tx, user_id: int) -> None:
    """A role holder works the incident: an active user who may write (responder or admin)."""
    user = get_user(tx.conn, user_id)
    if user is None:
        raise Invalid("user_id", f"no such user: {user_id}")
    if not user["active"]:
        raise Invalid("user_id", f"{user['username']} is deactivated; only active people can hold an incident role")
    if not Principal(user_id, user["username"], UserRole(user["role"])).can(UserRole.RESPONDER):
        raise Invalid("user_id", f"{user['username']} is a {user['role']}; only responders and admins can hold an "
                                 "incident role")


def unassign(app: App, p: Principal, incident_id: int, role: Role, user_id: int | None = None,
             team_id: int | None = None, version: int | None = None) -> IncidentState:
    return _change(app, incident_id, version,
                   lambda tx, s: decide.unassign(s, role, user_id, team_id, by=p.actor, at=app.clock.now()))


def add_note(app: App, p: Principal, incident_id: int, text: str) -> tuple[IncidentState, Event]:
    """Returns the new state and the note as appended (reactors may have appended more after it)."""
    ev = decide.note(text, by=p.actor, at=app.clock.now())
    seq: list[int] = []

    def fn(tx: Tx, s: IncidentState) -> list[Event]:
        seq[:] = [s.version + 1]
        return [ev]

    state = _change(app, incident_id, None, fn)
    with app.db.read() as conn:
        stored = st.events_of(conn, incident_id, after_seq=seq[0] - 1, limit=1)
    return state, stored[0]


def append_in(app: App, tx: Tx, s: IncidentState, events: list[Event]) -> IncidentState:
    """Append events of another domain (alert.attached, page.sent, ...) to an incident's timeline."""
    return record(app, tx, s, events)


def link_child(app: App, p: Principal, parent_id: int, child_id: int) -> IncidentState:
    with app.db.transaction() as tx:
        parent, child = _load_pair(tx, parent_id, child_id, "child_id")
        pe, ce = decide.link_child(parent, child, by=p.actor, at=app.clock.now(),
                                   ancestors=_ancestors(tx, parent))
        record(app, tx, child, [ce])
        return record(app, tx, parent, [pe])


def merge(app: App, p: Principal, duplicate_id: int, primary_id: int) -> IncidentState:
    with app.db.transaction() as tx:
        dup, primary = _load_pair(tx, duplicate_id, primary_id, "primary_id")
        pe, de = decide.merge(primary, dup, by=p.actor, at=app.clock.now())
        record(app, tx, dup, de)
        return record(app, tx, primary, pe)


def _ancestors(tx: Tx, s: IncidentState, limit: int = 100) -> tuple[int, ...]:
    """The ids above `s` (its parent, the parent's parent, ...), bounded."""
    out: list[int] = []
    parent_id = s.parent_id
    while parent_id is not None and parent_id not in out and len(out) < limit:
        out.append(parent_id)
        above = st.load(tx.conn, parent_id)
        parent_id = above.parent_id if above else None
    return tuple(out)


def _load_pair(tx: Tx, a_id: int, b_id: int, field: str) -> tuple[IncidentState, IncidentState]:
    first, second = sorted((a_id, b_id))  # lock in id order: no deadlock between opposite links
    loaded = {i: st.load(tx.conn, i, for_update=True) for i in (first, second)}
    a, b = loaded[a_id], loaded[b_id]
    if a is None:
        raise NotFound(f"incident {a_id} not found")
    if b is None:
        raise Invalid(field, f"no such incident: {b_id}")
    return a, b


# -- reads --------------------------------------------------------------------------------------

def get(app: App, incident_id: int) -> IncidentState:
    with app.db.read() as conn:
        s = st.load(conn, incident_id)
    if s is None:
        raise NotFound(f"incident {incident_id} not found")
    return s


def timeline(app: App, incident_id: int, after_seq: int = 0, limit: int | None = None) -> list[Event]:
    with app.db.read() as conn:
        if st.load(conn, incident_id) is None:
            raise NotFound(f"incident {incident_id} not found")
        return st.events_of(conn, incident_id, after_seq=after_seq, limit=limit)


def set_matrix(app: App, p: Principal, data: dict[str, dict[str, str]]) -> Matrix:
    try:
        matrix = matrix_from_json(data)
    except ValueError as exc:
        field, _, problem = str(exc).partition(": ")
        raise Invalid(field, problem) from None
    with app.db.transaction() as tx:
        kv.put(tx.conn, MATRIX_KEY, matrix_to_json(matrix), at=app.clock.now(), by=p.actor)
    return matrix


def get_matrix(app: App) -> Matrix:
    with app.db.transaction() as tx:
        return matrix_in(tx)
