"""Paging inside an incident's transaction: resolve a level's targets to people, write their
notifications to the outbox, and describe the page as a timeline event."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from warroom.catalog.store import team_members_of
from warroom.escalation import store as st
from warroom.escalation.policy import Level, Policy, TargetKind, policy_from_json
from warroom.escalation.store import get_policy
from warroom.incidents.events import Event, IncidentState
from warroom.notifications import outbox
from warroom.notifications.contacts import planned_sends
from warroom.oncall.queries import on_call_user_in
from warroom.platform.app import App
from warroom.platform.db import Tx

SYSTEM_ACTOR = "warroom"
PAGED = "escalation.paged"
STOPPED = "escalation.stopped"
EXHAUSTED = "escalation.exhausted"
BREACHED = "sla.breached"
NONE = "escalation.none"  # an incident nobody was paged for: no policy applied (data: reason, service_ids)
PAGE_FAILED = "page.failed"  # a notification of the incident went dead (data: user_id, channel, error_class)


class PoliciesInTx(dict[int, Policy | None]):
    """Policies read in one transaction (`tx.state(PoliciesInTx)`) by id, None for one deleted."""


def load_policy(conn: Connection, policy_id: int, cache: dict[int, Policy | None] | None = None) -> Policy | None:
    """The policy (None if deleted); `cache` (e.g. tx.state(PoliciesInTx)) saves re-reading it in one transaction."""
    if cache is not None and policy_id in cache:
        return cache[policy_id]
    row = get_policy(conn, policy_id)
    policy = policy_from_json(row["name"], row["levels"], row["repeat"]) if row else None
    if cache is not None:
        cache[policy_id] = policy
    return policy


def resolve_targets(conn: Connection, level: Level, state: IncidentState, at: datetime) -> list[int]:
    """The people a level reaches at `at`, in target order, without duplicates."""
    out: list[int] = []
    for t in level.targets:
        if t.kind is TargetKind.USER:
            found = [t.id]
        elif t.kind is TargetKind.SCHEDULE:
            who = on_call_user_in(conn, t.id, at)
            found = [who] if who is not None else []
        elif t.kind is TargetKind.TEAM:
            found = [m["id"] for m in team_members_of(conn, t.id)]
        else:
            who = getattr(state, f"{t.role}_id", None)
            found = [who] if who is not None else []
        out += [u for u in found if u not in out]
    return out


def incident_brief(app: App, state: IncidentState) -> dict[str, Any]:
    return {"id": state.id, "ref": f"INC-{state.ref}", "title": state.title, "priority": state.priority,
            "status": state.status, "major": state.major,
            "url": f"{app.settings.base_url.rstrip('/')}/incidents/{state.id}"}


def page_level(app: App, tx: Tx, state: IncidentState, *, escalation_id: int, policy_id: int, policy: Policy,
               level: int, cycle: int, reason: str, extra: dict[str, Any] | None = None) -> Event:
    """Notify everyone `level` (0-based) reaches now; return the `escalation.paged` event to append."""
    now = app.clock.now()
    lv = policy.levels[level]
    user_ids = resolve_targets(tx.conn, lv, state, now)
    event_kind = "breach" if reason.startswith("breach") else "page"
    payload = {"event": event_kind, "incident": incident_brief(app, state), "level": level + 1, "cycle": cycle,
               "policy": policy.name, "reason": reason, **(extra or {})}
    rows = []
    for send in planned_sends(tx.conn, user_ids, state.priority, now):
        key = f"inc{state.id}-esc{escalation_id}-c{cycle}-l{level}-u{send['user_id']}-{send['rule']}-{send['channel']}"
        rows.append({"key": key, "incident_id": state.id, "user_id": send["user_id"], "method_id": send["method_id"],
                     "channel": send["channel"], "address": send["address"], "due_at": send["due_at"],
                     "payload": {**payload, "recipient": {"user_id": send["user_id"]}}})
    outbox.enqueue(app, tx, rows)
    return Event(PAGED, {"escalation_id": escalation_id, "policy_id": policy_id, "policy": policy.name,
                         "level": level + 1, "cycle": cycle, "user_ids": user_ids, "notifications": len(rows),
                         "timeout_minutes": lv.timeout_minutes, "reason": reason}, SYSTEM_ACTOR, now)


def start_in(app: App, tx: Tx, state: IncidentState, policy_id: int, reason: str,
             extra: dict[str, Any] | None = None) -> Event | None:
    """Start an escalation of `policy_id` for the incident and page its first level (`extra`: more facts for
    that page's notifications, e.g. who asked for it and their message)."""
    policy = load_policy(tx.conn, policy_id)
    if policy is None:
        return None
    now = app.clock.now()
    esc_id = st.insert_escalation(tx.conn, incident_id=state.id, policy_id=policy_id, reason=reason, level=0,
                                  cycle=0, state="active", started_at=now, updated_at=now,
                                  next_at=now + timedelta(minutes=policy.levels[0].timeout_minutes))
    return page_level(app, tx, state, escalation_id=esc_id, policy_id=policy_id, policy=policy, level=0, cycle=0,
                      reason=reason, extra=extra)
