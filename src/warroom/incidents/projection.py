"""Fold an incident's events into its snapshot (pure). Replaying the log gives what the page shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from warroom.incidents import events as ev
from warroom.incidents.events import Event, Expert, IncidentState
from warroom.incidents.lifecycle import MILESTONE_OF, Status
from warroom.incidents.roles import Role

_ROLE_FIELD = {Role.COORDINATOR: "coordinator_id", Role.COMMS_LEAD: "comms_lead_id", Role.SCRIBE: "scribe_id"}
_PLAIN_FIELDS = {"title", "description", "category", "identified_via", "impact", "urgency"}


def parse_time(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def start(incident_id: int, declared: Event) -> IncidentState:
    d = declared.data
    return IncidentState(
        id=incident_id,
        ref=d["ref"],
        title=d["title"],
        description=d.get("description", ""),
        category=d.get("category", ""),
        service_ids=tuple(sorted(d.get("service_ids", []))),
        identified_via=d["identified_via"],
        impact=d["impact"],
        urgency=d["urgency"],
        priority=d["priority"],
        priority_overridden=d.get("priority_reason") is not None,
        priority_reason=d.get("priority_reason"),
        status=Status.IDENTIFIED.value,
        major=bool(d.get("major", False)),
        major_reason=d.get("major_reason"),
        coordinator_id=None,
        comms_lead_id=None,
        scribe_id=None,
        experts=(),
        parent_id=None,
        duplicate_of_id=None,
        declared_by=declared.actor,
        detected_at=parse_time(d.get("detected_at") or declared.occurred_at),
        acknowledged_at=None,
        investigating_at=None,
        contained_at=None,
        resolved_at=None,
        closed_at=None,
        created_at=declared.occurred_at,
        updated_at=declared.occurred_at,
        version=declared.seq,
    )


def apply(s: IncidentState, e: Event) -> IncidentState:
    """One event's effect on the snapshot; kinds this domain does not own only bump the version."""
    d = e.data
    s = replace(s, version=e.seq, updated_at=e.occurred_at)
    k = e.kind
    if k == ev.ACKNOWLEDGED:
        return s if s.acknowledged_at else replace(s, acknowledged_at=e.occurred_at)
    if k == ev.STATUS_CHANGED:
        new = Status(d["new"])
        changes: dict[str, Any] = {"status": new.value}
        if new is Status.INVESTIGATING and Status(d["old"]) is Status.RESOLVED:
            # reopened: the resolution no longer stands, and someone must acknowledge it again (it pages again)
            changes["resolved_at"] = None
            changes["acknowledged_at"] = None
        name = MILESTONE_OF.get(new)
        if name and (getattr(s, name) is None or new in (Status.RESOLVED, Status.CLOSED)):
            changes[name] = e.occurred_at
        return replace(s, **changes)
    if k == ev.FIELDS_CHANGED:
        changes = {}
        for name, pair in d["changes"].items():
            if name == "service_ids":
                changes[name] = tuple(sorted(pair["new"]))
            elif name in _PLAIN_FIELDS:
                changes[name] = pair["new"]
        return replace(s, **changes)
    if k == ev.PRIORITY_CHANGED:
        return replace(s, priority=d["new"], priority_overridden=d["overridden"], priority_reason=d.get("reason"))
    if k == ev.MAJOR_PROMOTED:
        return replace(s, major=True, major_reason=d.get("reason"))
    if k == ev.MAJOR_DEMOTED:
        return replace(s, major=False, major_reason=d.get("reason"))
    if k == ev.ROLE_ASSIGNED:
        role = Role(d["role"])
        if role is Role.EXPERT:
            expert = Expert(d["user_id"], d["team_id"])
            return replace(s, experts=tuple(x for x in s.experts if x != expert) + (expert,))
        return replace(s, **{_ROLE_FIELD[role]: d["user_id"]})
    if k == ev.ROLE_UNASSIGNED:
        role = Role(d["role"])
        if role is Role.EXPERT:
            expert = Expert(d["user_id"], d["team_id"])
            return replace(s, experts=tuple(x for x in s.experts if x != expert))
        nobody: dict[str, Any] = {_ROLE_FIELD[role]: None}
        return replace(s, **nobody)
    if k == ev.PARENT_SET:
        return replace(s, parent_id=d["parent_id"])
    if k == ev.PARENT_REMOVED:
        return replace(s, parent_id=None)
    if k == ev.MERGED:
        return replace(s, duplicate_of_id=d["primary_id"])
    return s


def fold(incident_id: int, events: Iterable[Event]) -> IncidentState:
    it = iter(events)
    first = next(it)
    if first.kind != ev.DECLARED:
        raise ValueError(f"incident {incident_id}: first event is {first.kind}, not {ev.DECLARED}")
    state = start(incident_id, first)
    for e in it:
        state = apply(state, e)
    return state


def elapsed_seconds(s: IncidentState, now: datetime) -> int:
    end = s.resolved_at if s.status in (Status.RESOLVED, Status.CLOSED) and s.resolved_at else now
    return max(0, int((end - s.detected_at).total_seconds()))
