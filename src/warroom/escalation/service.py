"""Escalation use cases: policies, response/resolution targets, the incident reactor and the timer jobs.

The reactor runs inside the incident transactions that record its kinds: a declared incident pages the policy
of each of its services and starts its target timers; an acknowledgement stops the paging; resolving settles the
timers. It returns what it did (`escalation.paged`, ...), and the incident service appends that after the cause.
`escalate_due` and `breach_due` are worker jobs: each locks the incident, then claims the due row
(FOR UPDATE SKIP LOCKED on PostgreSQL) and re-checks it, so two workers never fire one step twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from warroom.auth.permissions import Principal
from warroom.catalog.store import policy_ids_of, services
from warroom.errors import Conflict, Invalid, NotFound
from warroom.escalation import failures, queries
from warroom.escalation import store as st
from warroom.escalation.paging import (
    BREACHED,
    EXHAUSTED,
    NONE,
    STOPPED,
    SYSTEM_ACTOR,
    PoliciesInTx,
    load_policy,
    page_level,
    start_in,
)
from warroom.escalation.policy import (
    DEFAULT_TARGETS,
    Targets,
    next_step,
    policy_from_json,
    policy_to_json,
    targets_from_json,
    targets_to_json,
)
from warroom.escalation.queries import DEFAULT_POLICY_KEY
from warroom.incidents import events as ev
from warroom.incidents import service as incidents
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import Status, is_open
from warroom.notifications import outbox
from warroom.platform import kv
from warroom.platform.app import App, Reactor
from warroom.platform.db import Tx

TARGETS_KEY = "response_targets"
log = logging.getLogger("warroom.escalation")


# -- policies and targets -------------------------------------------------------------------------

def _validated(name: str, levels: Any, repeat: Any) -> dict[str, Any]:
    return policy_to_json(policy_from_json(name, levels, repeat))


def create_policy(app: App, p: Principal, *, name: str, levels: list[dict[str, Any]], repeat: int = 0,
                  description: str = "") -> dict[str, Any]:
    data = _validated(name, levels, repeat)
    now = app.clock.now()
    try:
        with app.db.transaction() as tx:
            pid = st.insert_policy(tx.conn, name=data["name"], description=description, levels=data["levels"],
                                   repeat=data["repeat"], created_at=now, updated_at=now)
    except IntegrityError:
        raise Conflict(f"a policy named {name!r} exists already") from None
    return queries.get_policy(app, pid)


def update_policy(app: App, p: Principal, policy_id: int, *, name: str, levels: list[dict[str, Any]], repeat: int = 0,
                  description: str = "") -> dict[str, Any]:
    """Running escalations use the new levels from their next step on."""
    data = _validated(name, levels, repeat)
    try:
        with app.db.transaction() as tx:
            if not st.update_policy(tx.conn, policy_id, name=data["name"], description=description,
                                    levels=data["levels"], repeat=data["repeat"], updated_at=app.clock.now()):
                raise NotFound(f"escalation policy {policy_id} not found")
    except IntegrityError:
        raise Conflict(f"a policy named {name!r} exists already") from None
    return queries.get_policy(app, policy_id)


def delete_policy(app: App, p: Principal, policy_id: int) -> None:
    """Delete a policy nothing relies on: no service names it, it is not the breach policy, and it is not
    paging anyone right now (409 saying which). The incidents' timelines keep every page it sent."""
    with app.db.transaction() as tx:
        if st.get_policy(tx.conn, policy_id) is None:
            raise NotFound(f"escalation policy {policy_id} not found")
        used_by = list(tx.conn.execute(select(services.c.name).where(services.c.escalation_policy_id == policy_id)
                                       .order_by(services.c.name)).scalars())
        if used_by:
            raise Conflict(f"services use this policy: {', '.join(used_by)}; give them another one first")
        if targets_in(tx).breach_policy_id == policy_id:
            raise Conflict("this is the response targets' breach policy; change the targets first")
        if default_policy_in(tx) == policy_id:
            raise Conflict("this is the default escalation policy; set another default (or none) first")
        paging = st.active_escalations_of_policy(tx.conn, policy_id)
        if paging:
            raise Conflict(f"this policy is paging for incident ids {', '.join(map(str, paging))} right now; "
                           "it can be deleted once they are acknowledged or resolved")
        st.delete_policy(tx.conn, policy_id)


def targets_in(tx: Tx) -> Targets:
    raw = kv.get(tx.conn, TARGETS_KEY)
    return targets_from_json(raw) if raw else DEFAULT_TARGETS


def get_targets(app: App) -> dict[str, Any]:
    with app.db.transaction() as tx:
        return targets_to_json(targets_in(tx))


def set_targets(app: App, p: Principal, data: dict[str, Any]) -> dict[str, Any]:
    targets = targets_from_json(data)
    with app.db.transaction() as tx:
        if targets.breach_policy_id is not None and st.get_policy(tx.conn, targets.breach_policy_id) is None:
            raise Invalid("breach_policy_id", f"no such escalation policy: {targets.breach_policy_id}")
        kv.put(tx.conn, TARGETS_KEY, targets_to_json(targets), at=app.clock.now(), by=p.actor)
    return targets_to_json(targets)


def default_policy_in(tx: Tx) -> int | None:
    return (kv.get(tx.conn, DEFAULT_POLICY_KEY) or {}).get("policy_id")


def set_default_policy(app: App, p: Principal, policy_id: int | None) -> dict[str, Any]:
    """The policy paged for an incident none of whose services has one (None: nobody, said on the timeline)."""
    with app.db.transaction() as tx:
        if policy_id is not None and st.get_policy(tx.conn, policy_id) is None:
            raise Invalid("policy_id", f"no such escalation policy: {policy_id}")
        kv.put(tx.conn, DEFAULT_POLICY_KEY, {"policy_id": policy_id}, at=app.clock.now(), by=p.actor)
    return {"policy_id": policy_id}


# -- the reactor ----------------------------------------------------------------------------------

def _stop_all(app: App, tx: Tx, state: IncidentState, why: str, by: str) -> list[Event]:
    """Stop every running escalation and cancel every undelivered page, in the same transaction."""
    now = app.clock.now()
    out = []
    for row in st.escalations_of(tx.conn, state.id, active_only=True):
        st.update_escalation(tx.conn, row["id"], state="stopped", next_at=None, updated_at=now)
        out.append(Event(STOPPED, {"escalation_id": row["id"], "policy_id": row["policy_id"], "level": row["level"] + 1,
                                   "reason": why}, by, now))
    outbox.cancel_pages(app, tx, state.id, f"incident {why}")
    return out


def stale_pages(conn: Connection, rows: list[RowMapping]) -> dict[int, str]:
    """The outbox's last look before sending: a page of an incident that is no longer open, or that someone
    acknowledged after the page was written, no longer applies (a page written later, e.g. on reopening or a
    breach, still does)."""
    pages = [r for r in rows if r["incident_id"] is not None and (r["payload"] or {}).get("event") in outbox.PAGE_KINDS]
    if not pages:
        return {}
    standing = st.incident_standing(conn, {r["incident_id"] for r in pages})
    out = {}
    for r in pages:
        status, acked_at = standing.get(r["incident_id"], (Status.CLOSED.value, None))
        if not is_open(Status(status)):
            out[r["id"]] = f"incident {status}"
        elif acked_at is not None and acked_at > r["created_at"]:
            out[r["id"]] = "incident acknowledged"
    return out


def _page_services(app: App, tx: Tx, state: IncidentState, service_ids: list[int], reason: str,
                   again: bool = False, policy_ids: set[int] | None = None) -> list[Event]:
    """Start the escalation policy of each of these services (`policy_ids`, when the caller has read them) that
    this incident has not escalated yet (or, with `again`, has no escalation running right now: a reopened
    incident pages from level 1 again)."""
    policy_ids = policy_ids_of(tx.conn, service_ids) if policy_ids is None else policy_ids
    if not policy_ids:
        return []
    started = {row["policy_id"] for row in st.escalations_of(tx.conn, state.id, active_only=again)}
    out = []
    for pid in sorted(policy_ids - started):
        page = start_in(app, tx, state, pid, reason)
        if page is not None:
            out.append(page)
    return out


def _on_services_added(app: App, tx: Tx, state: IncidentState, change: dict[str, Any]) -> list[Event]:
    """A service joins an open incident nobody has acknowledged yet: page its team's policy as a declaration
    would. Once someone has acknowledged, the responders pull in more people themselves (one acknowledgement
    stops every escalation of an incident, so a new one would have nobody to stop it)."""
    if not is_open(Status(state.status)) or state.acknowledged_at is not None:
        return []
    return _page_services(app, tx, state, sorted(set(change["new"]) - set(change["old"])), "service added")


def _page_or_default(app: App, tx: Tx, state: IncidentState, reason: str, again: bool = False) -> list[Event]:
    """Page the incident's services' policies; if none of them has one (or it names no service), the default
    policy, at any priority: it stands in for a service's policy, and people's contact rules choose which
    priorities reach them. Without a default, a P1/P2 on services without a policy records `escalation.none`
    (the war room and the queue then say nobody was paged; they also flag an open P1/P2 or major incident
    that names no service and was never paged, see failures.paging_health). A P3-P5 stays quiet."""
    policy_ids = policy_ids_of(tx.conn, list(state.service_ids))
    out = _page_services(app, tx, state, list(state.service_ids), reason, again=again, policy_ids=policy_ids)
    if out or policy_ids:
        return out
    default_id = default_policy_in(tx)
    why = "default_policy" if reason == "declared" else f"{reason}_default_policy"
    page = start_in(app, tx, state, default_id, why) if default_id is not None else None
    if page is not None:
        return [page]
    if not state.service_ids or state.priority not in failures.LOUD_PRIORITIES:
        return []
    return [Event(NONE, {"reason": "no_policy", "service_ids": list(state.service_ids), "priority": state.priority},
                  SYSTEM_ACTOR, app.clock.now())]


def _on_declared(app: App, tx: Tx, state: IncidentState) -> list[Event]:
    out = _page_or_default(app, tx, state, "declared")
    targets = targets_in(tx)
    rows = [{"incident_id": state.id, "kind": kind, "priority": state.priority, "state": "pending",
             "due_at": state.detected_at + timedelta(minutes=minutes)}
            for kind in ("ack", "resolve") if (minutes := targets.due(state.priority, kind))]
    st.insert_timers(tx.conn, rows)
    return out


def _on_reopened(app: App, tx: Tx, state: IncidentState) -> list[Event]:
    """A reopened incident needs someone again: page its services' policies from level 1 (the pages say
    "reopened") and run its acknowledgement target again, counted from now."""
    out = _page_or_default(app, tx, state, "reopened", again=True)
    minutes = targets_in(tx).due(state.priority, "ack")
    if minutes:
        st.restart_timer(tx.conn, state.id, "ack", state.priority, app.clock.now() + timedelta(minutes=minutes))
    return out


def _retarget(tx: Tx, state: IncidentState, priority: str) -> None:
    """A new priority moves the pending targets (still counted from detection) or drops them (state `dropped`:
    that priority has no such target)."""
    targets = targets_in(tx)
    for row in st.timers_of(tx.conn, state.id):
        if row["state"] != "pending":
            continue
        minutes = targets.due(priority, row["kind"])
        if minutes is None:  # not "met": only a person's acknowledgement (or a resolution) meets a target
            st.update_timer(tx.conn, row["id"], state="dropped", priority=priority, settled_at=state.updated_at)
        else:
            st.update_timer(tx.conn, row["id"], priority=priority,
                            due_at=state.detected_at + timedelta(minutes=minutes))


def react(app: App, tx: Tx, state: IncidentState, events: list[Event]) -> list[Event]:
    """Page on declaration and on reopening, stop on acknowledgement, settle targets on resolution (an
    acknowledgement target only a person's acknowledgement meets). Returns what it did, for the timeline."""
    out: list[Event] = []
    now = app.clock.now()
    for e in events:
        if e.kind == ev.DECLARED:
            out += _on_declared(app, tx, state)
        elif e.kind == ev.ACKNOWLEDGED:
            st.settle_timers(tx.conn, state.id, ("ack",), now)
            out += _stop_all(app, tx, state, "acknowledged", e.actor)
        elif e.kind == ev.PRIORITY_CHANGED:
            _retarget(tx, state, e.data["new"])
        elif e.kind == ev.FIELDS_CHANGED and "service_ids" in e.data["changes"]:
            out += _on_services_added(app, tx, state, e.data["changes"]["service_ids"])
        elif e.kind == ev.STATUS_CHANGED and e.data["old"] == Status.RESOLVED and e.data["new"] == Status.INVESTIGATING:
            out += _on_reopened(app, tx, state)
        elif e.kind == ev.STATUS_CHANGED and not is_open(Status(e.data["new"])):
            st.settle_timers(tx.conn, state.id, ("resolve",), now)
            st.unacknowledged_timers(tx.conn, state.id, now)  # an acknowledgement settled it already if any
            why = "merged" if any(x.kind == ev.MERGED for x in events) else e.data["new"]
            out += _stop_all(app, tx, state, why, e.actor)
    return out


# incident.merged only tells a resolution that came with it why the paging stops
reactor = Reactor("escalation", frozenset({ev.DECLARED, ev.ACKNOWLEDGED, ev.PRIORITY_CHANGED, ev.FIELDS_CHANGED,
                                           ev.STATUS_CHANGED, ev.MERGED}), react)


def install(app: App) -> None:
    """Wire the notification channels paging uses (the reactors are in bootstrap.REACTORS)."""
    outbox.install(app, on_dead=failures.report_dead)
    outbox.add_check(app, stale_pages)


# -- worker jobs ----------------------------------------------------------------------------------

Step = Callable[[App, Tx, IncidentState, RowMapping, datetime], None]
CHUNK = 25  # due rows handled per transaction


def _run_due(app: App, now: datetime, table: Table, when_col: str, step: Step, limit: int) -> int:
    """Claim and handle due timer rows, a chunk per transaction. An incident another transaction holds is skipped
    (PostgreSQL: SKIP LOCKED), to be picked up on a later tick; a chunk that fails is retried row by row."""
    with app.db.read() as conn:
        due = st.due_ids(conn, table, when_col, now, limit)
    fired = 0
    for i in range(0, len(due), CHUNK):
        part = due[i:i + CHUNK]
        try:
            fired += _chunk(app, now, table, when_col, step, part)
        except Exception:
            if len(part) == 1:
                raise
            log.exception("timer chunk failed; retrying one by one", extra={"table": table.name})
            for one in part:
                try:
                    fired += _chunk(app, now, table, when_col, step, [one])
                except Exception:
                    log.exception("timer failed", extra={"table": table.name, "row_id": one[0]})
    return fired


def _chunk(app: App, now: datetime, table: Table, when_col: str, step: Step, part: list[tuple[int, int]]) -> int:
    n = 0
    with app.db.transaction() as tx:
        for row_id, incident_id in part:
            state = st.lock_incident_nowait(tx.conn, incident_id)  # lock order: incident, then its timer rows
            if state is None:
                continue  # busy right now (an acknowledgement, another worker): next tick
            row = st.claim(tx.conn, table, row_id, when_col, now)
            if row is None:
                continue  # another worker fired it, or an acknowledgement stopped it
            step(app, tx, state, row, now)
            n += 1
    return n


def _escalation_step(app: App, tx: Tx, state: IncidentState, row: RowMapping, now: datetime) -> None:
    esc_id = row["id"]
    if state.acknowledged_at is not None or not is_open(Status(state.status)):
        st.update_escalation(tx.conn, esc_id, state="stopped", next_at=None, updated_at=now)
        return
    policy = load_policy(tx.conn, row["policy_id"], tx.state(PoliciesInTx))
    step = next_step(policy, row["level"], row["cycle"]) if policy else None
    if step is None:
        st.update_escalation(tx.conn, esc_id, state="exhausted", next_at=None, updated_at=now)
        events = [Event(EXHAUSTED, {"escalation_id": esc_id, "policy_id": row["policy_id"],
                                    "level": row["level"] + 1, "cycle": row["cycle"]}, SYSTEM_ACTOR, now)]
    else:
        assert policy is not None  # a step comes from a policy
        level, cycle = step
        st.update_escalation(tx.conn, esc_id, level=level, cycle=cycle, updated_at=now,
                             next_at=now + timedelta(minutes=policy.levels[level].timeout_minutes))
        events = [page_level(app, tx, state, escalation_id=esc_id, policy_id=row["policy_id"], policy=policy,
                             level=level, cycle=cycle, reason="repeat" if cycle > row["cycle"] else "timeout")]
    incidents.append_in(app, tx, state, events)


def _breach_step(app: App, tx: Tx, state: IncidentState, row: RowMapping, now: datetime) -> None:
    st.update_timer(tx.conn, row["id"], state="breached", settled_at=now)
    events = [Event(BREACHED, {"target": row["kind"], "priority": row["priority"],
                               "due_at": row["due_at"].isoformat()}, SYSTEM_ACTOR, now)]
    policy_id = targets_in(tx).breach_policy_id
    if policy_id is not None and is_open(Status(state.status)):
        page = start_in(app, tx, state, policy_id, f"breach:{row['kind']}")
        if page is not None:
            events.append(page)
    incidents.append_in(app, tx, state, events)


def escalate_due(app: App, now: datetime, limit: int = 500) -> int:
    """Fire every escalation step due by `now`: page the next level, or repeat, or give up. Returns steps fired."""
    return _run_due(app, now, st.escalations, "next_at", _escalation_step, limit)


def breach_due(app: App, now: datetime, limit: int = 500) -> int:
    """Record every response/resolution target missed by `now` and start the configured breach escalation."""
    return _run_due(app, now, st.sla_timers, "due_at", _breach_step, limit)
