"""Paging failures are never silent: a page that goes dead is a `page.failed` event on its incident's timeline,
and the war room and the queue read per incident whether anybody was reached.

The outbox (downstream) cannot import incidents, so `report_dead` is handed to it at install time
(`outbox.install(app, on_dead=report_dead)`): it runs inside the outbox's own transaction, locks the incidents
first, lets the outbox mark its rows dead, and appends one event per dead notification. The event names the
recipient, the channel and the error's class; never the address or the error text."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from warroom.escalation import store as est
from warroom.escalation.paging import NONE, PAGE_FAILED, PAGED, SYSTEM_ACTOR
from warroom.escalation.responders import PAGED as REQUESTED
from warroom.incidents import service as incidents
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import Status, is_open
from warroom.notifications import store as nst
from warroom.notifications.outbox import PAGE_KINDS, MarkDead
from warroom.platform.app import App
from warroom.platform.db import Tx

# Priorities at which an incident nobody could be paged for is recorded and flagged (so is any major incident).
LOUD_PRIORITIES = ("P1", "P2")


def report_dead(app: App, tx: Tx, rows: list[dict[str, Any]], mark_dead: MarkDead) -> None:
    """The outbox's DeadHook: lock the incidents, mark the rows dead, put each on its incident's timeline."""
    states = incidents.lock_many_in(tx, sorted({r["incident_id"] for r in rows}))
    now = app.clock.now()
    events: dict[int, list[Event]] = defaultdict(list)
    for r in mark_dead(rows):
        payload = r.get("payload") or {}
        events[r["incident_id"]].append(Event(PAGE_FAILED, {
            "notification_id": r["id"], "user_id": r["user_id"], "channel": r["channel"],
            "error_class": r["error_class"], "attempts": r["attempts"], "purpose": payload.get("event"),
            "level": payload.get("level")}, SYSTEM_ACTOR, now))
    for incident_id in sorted(events):
        if incident_id in states:
            incidents.append_in(app, tx, states[incident_id], events[incident_id])


@dataclass(frozen=True)
class PagingHealth:
    """What the war room and the queue flag about one incident's paging."""

    dead: int = 0  # its notifications that ran out of attempts (a retried one stops counting)
    delivered: int = 0
    pending: int = 0
    empty_pages: int = 0  # pages (a level, or on request) that reached nobody (no one on call, no contact method)
    nobody_paged: str | None = None  # while open and unanswered: no policy applied (no_policy | no_services)
    acknowledged: bool = False

    @property
    def nobody_reached(self) -> bool:
        """Something was meant to reach someone, nothing has, nothing is still trying, and nobody answered."""
        tried = self.dead or self.empty_pages or self.nobody_paged
        return bool(tried) and not self.delivered and not self.pending and not self.acknowledged

    @property
    def flagged(self) -> bool:
        return bool(self.dead or self.nobody_reached or self.nobody_paged or self.empty_pages)


def _nobody_paged(s: IncidentState, recorded: str | None, escalated: bool) -> str | None:
    """Why nobody was paged for an open incident nobody has answered: an `escalation.none` on its timeline, or
    (a P1/P2 or major incident naming no service, or given one after declaration) no escalation at all."""
    if s.acknowledged_at is not None or not is_open(Status(s.status)):
        return None
    if recorded:
        return recorded
    if not escalated and (s.priority in LOUD_PRIORITIES or s.major):
        return "no_policy" if s.service_ids else "no_services"
    return None


def paging_health(conn: Connection, states: list[IncidentState]) -> dict[int, PagingHealth]:
    """PagingHealth per incident id (only those with something to say), for the given incident snapshots."""
    from warroom.incidents.store import incident_events

    ids = sorted({s.id for s in states})
    if not ids:
        return {}
    n = nst.notifications
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    pages = n.c.payload["event"].as_string().in_(PAGE_KINDS)  # a role or major notice reaches nobody's pager
    q = (select(n.c.incident_id, n.c.state, func.count()).where(n.c.incident_id.in_(ids), pages)
         .group_by(n.c.incident_id, n.c.state))
    for iid, state, count in conn.execute(q):
        counts[iid][state] = count
    empty: dict[int, int] = defaultdict(int)
    none: dict[int, str] = {}
    ev = incident_events
    kinds = (PAGED, REQUESTED, NONE)  # a page on request that reached nobody is flagged like an empty level
    q = select(ev.c.incident_id, ev.c.kind, ev.c.data).where(ev.c.incident_id.in_(ids), ev.c.kind.in_(kinds))
    for iid, kind, data in conn.execute(q):
        if kind == NONE:
            none[iid] = data.get("reason", "no_policy")
        elif not data.get("notifications"):
            empty[iid] += 1
    e = est.escalations
    escalated = set(conn.execute(select(e.c.incident_id).where(e.c.incident_id.in_(ids)).distinct()).scalars())
    out = {}
    for s in states:
        c = counts.get(s.id, {})
        h = PagingHealth(dead=c.get("dead", 0), delivered=c.get("delivered", 0), pending=c.get("pending", 0),
                         empty_pages=empty.get(s.id, 0),
                         nobody_paged=_nobody_paged(s, none.get(s.id), s.id in escalated),
                         acknowledged=s.acknowledged_at is not None)
        if h.flagged:
            out[s.id] = h
    return out
