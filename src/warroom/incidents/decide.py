"""Decisions (pure): given the current state and a command, the events to append, or a refusal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.errors import Conflict, Invalid
from warroom.incidents import events as ev
from warroom.incidents.events import Event, Expert, IncidentState
from warroom.incidents.lifecycle import Status, check_move, is_open
from warroom.incidents.priority import Impact, Matrix, Priority, Urgency, priority_for
from warroom.incidents.roles import SINGULAR_ROLES, Role, check_assignment

IDENTIFIED_VIA = ("monitoring", "engineer", "customer", "third_party")
EDITABLE = ("title", "description", "category", "service_ids", "identified_via", "impact", "urgency")
MAX_LENGTH = {"title": 300, "category": 100, "description": 20000}  # what the snapshot columns hold


def _check_lengths(fields: dict[str, Any]) -> None:
    for name, limit in MAX_LENGTH.items():
        value = fields.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise Invalid(name, f"must be at most {limit} characters")


Refused = Conflict


def _reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid(field, "a reason is required")
    return text


def declare(
    *,
    ref: int,
    title: str,
    description: str,
    category: str,
    service_ids: list[int],
    identified_via: str,
    impact: Impact,
    urgency: Urgency,
    priority: Priority | None,
    priority_reason: str | None,
    detected_at: datetime | None,
    by: str,
    at: datetime,
    matrix: Matrix | None = None,
) -> Event:
    if not title.strip():
        raise Invalid("title", "must not be empty")
    _check_lengths({"title": title.strip(), "category": category.strip(), "description": description})
    if identified_via not in IDENTIFIED_VIA:
        raise Invalid("identified_via", f"must be one of {', '.join(IDENTIFIED_VIA)}")
    derived = priority_for(impact, urgency, matrix)
    reason = None
    if priority is not None and priority != derived:
        reason = _reason(priority_reason, "priority_reason")
    final = priority or derived
    if detected_at is not None and detected_at > at:
        raise Invalid("detected_at", "must not be in the future")
    data: dict[str, Any] = {
        "ref": ref,
        "title": title.strip(),
        "description": description,
        "category": category.strip(),
        "service_ids": sorted(set(service_ids)),
        "identified_via": identified_via,
        "impact": impact.value,
        "urgency": urgency.value,
        "priority": final.value,
        "derived_priority": derived.value,
        "priority_reason": reason,
        "detected_at": (detected_at or at).isoformat(),
    }
    return Event(ev.DECLARED, data, by, at)


def acknowledge(s: IncidentState, *, by: str, at: datetime, via_alert: dict[str, Any] | None = None) -> list[Event]:
    """A person's acknowledgement; `via_alert` describes the alert they acknowledged it from (id, summary, ...)."""
    if s.acknowledged_at is not None:
        return []  # idempotent: a second acknowledgement changes nothing
    if not is_open(Status(s.status)):
        raise Refused(f"incident is {s.status}; only an open incident can be acknowledged")
    return [Event(ev.ACKNOWLEDGED, {"via_alert": via_alert["id"], "alert": via_alert} if via_alert else {}, by, at)]


def move(s: IncidentState, to: Status, *, by: str, at: datetime, note: str | None = None,
         implicit_ack: bool = True) -> list[Event]:
    """`implicit_ack`: a person starting work on an unacknowledged incident acknowledges it."""
    cur = Status(s.status)
    check_move(cur, to)
    out: list[Event] = []
    if s.acknowledged_at is None and is_open(cur) and is_open(to) and to is not Status.IDENTIFIED and implicit_ack:
        # working it means someone has it; resolving it does not (the response target then shows it was
        # never acknowledged), and a system actor (an alert integration) never acknowledges
        out.append(Event(ev.ACKNOWLEDGED, {"implicit": True}, by, at))
    data: dict[str, Any] = {"old": cur.value, "new": to.value}
    if note:
        data["note"] = note
    out.append(Event(ev.STATUS_CHANGED, data, by, at))
    return out


def edit(s: IncidentState, changes: dict[str, Any], *, by: str, at: datetime, matrix: Matrix | None = None,
         priority: Priority | None = None, priority_reason: str | None = None) -> list[Event]:
    """Edit fields; impact/urgency recompute the priority unless an override is kept or given."""
    diff: dict[str, dict[str, Any]] = {}
    _check_lengths(changes)
    for name, new in changes.items():
        if name not in EDITABLE:
            raise Invalid(name, "cannot be edited")
        if name == "title" and not str(new).strip():
            raise Invalid("title", "must not be empty")
        if name == "identified_via" and new not in IDENTIFIED_VIA:
            raise Invalid("identified_via", f"must be one of {', '.join(IDENTIFIED_VIA)}")
        old = getattr(s, name)
        if name == "service_ids":
            old, new = sorted(old), sorted(set(new))
        if isinstance(new, Impact | Urgency):
            new = new.value
        if old != new:
            diff[name] = {"old": old, "new": new}
    out: list[Event] = []
    if diff:
        out.append(Event(ev.FIELDS_CHANGED, {"changes": diff}, by, at))
    impact = Impact(diff.get("impact", {}).get("new", s.impact))
    urgency = Urgency(diff.get("urgency", {}).get("new", s.urgency))
    derived = priority_for(impact, urgency, matrix)
    if priority is not None and priority != derived:
        reason = _reason(priority_reason, "priority_reason")
        if priority.value != s.priority or reason != s.priority_reason:
            out.append(Event(ev.PRIORITY_CHANGED,
                             {"old": s.priority, "new": priority.value, "reason": reason, "overridden": True,
                              "derived": derived.value}, by, at))
    else:
        clears_override = priority is not None  # an explicit priority equal to the matrix's drops an override
        recompute = ("impact" in diff or "urgency" in diff) and not s.priority_overridden
        if (clears_override or recompute) and (derived.value != s.priority or s.priority_overridden):
            out.append(Event(ev.PRIORITY_CHANGED,
                             {"old": s.priority, "new": derived.value, "reason": None, "overridden": False,
                              "derived": derived.value}, by, at))
    return out


def promote(s: IncidentState, reason: str | None, *, by: str, at: datetime, rule: str | None = None) -> list[Event]:
    if s.major:
        raise Refused("incident is already a major incident")
    if s.status == Status.CLOSED:
        raise Refused("incident is closed")
    data: dict[str, Any] = {"reason": _reason(reason)}
    if rule:
        data["rule"] = rule
    return [Event(ev.MAJOR_PROMOTED, data, by, at)]


def demote(s: IncidentState, reason: str | None, *, by: str, at: datetime) -> list[Event]:
    if not s.major:
        raise Refused("incident is not a major incident")
    return [Event(ev.MAJOR_DEMOTED, {"reason": _reason(reason)}, by, at)]


def assign(s: IncidentState, role: Role, user_id: int, team_id: int | None, *, by: str, at: datetime) -> list[Event]:
    try:
        check_assignment(role, team_id)
    except ValueError as exc:
        raise Invalid("team_id", str(exc).split(": ", 1)[-1]) from None
    if s.status == Status.CLOSED:
        raise Refused("incident is closed")
    if role in SINGULAR_ROLES:
        current = getattr(s, f"{role.value}_id")
        if current == user_id:
            return []
        return [Event(ev.ROLE_ASSIGNED, {"role": role.value, "user_id": user_id, "previous_user_id": current,
                                         "team_id": None}, by, at)]
    if Expert(user_id, team_id or 0) in s.experts:
        return []
    return [Event(ev.ROLE_ASSIGNED, {"role": role.value, "user_id": user_id, "previous_user_id": None,
                                     "team_id": team_id}, by, at)]


def unassign(s: IncidentState, role: Role, user_id: int | None, team_id: int | None, *, by: str,
             at: datetime) -> list[Event]:
    if role in SINGULAR_ROLES:
        current = getattr(s, f"{role.value}_id")
        if current is None:
            raise Refused(f"no one holds the {role.value} role")
        if user_id is not None and user_id != current:  # a stale view must not remove someone else
            raise Refused(f"user {user_id} does not hold the {role.value} role")
        return [Event(ev.ROLE_UNASSIGNED, {"role": role.value, "user_id": current, "team_id": None}, by, at)]
    match = [x for x in s.experts if x.user_id == user_id and (team_id is None or x.team_id == team_id)]
    if not match:
        raise Refused("that person is not an expert on this incident")
    return [Event(ev.ROLE_UNASSIGNED, {"role": role.value, "user_id": x.user_id, "team_id": x.team_id}, by, at)
            for x in match]


def note(text: str, *, by: str, at: datetime) -> Event:
    body = text.strip()
    if not body:
        raise Invalid("text", "must not be empty")
    if len(body) > 20000:
        raise Invalid("text", "must be at most 20000 characters")
    return Event(ev.NOTE_ADDED, {"text": body}, by, at)


def link_child(parent: IncidentState, child: IncidentState, *, by: str, at: datetime,
               ancestors: tuple[int, ...] = ()) -> tuple[Event, Event]:
    """Returns (event for the parent, event for the child). `ancestors`: the ids above the parent."""
    if parent.id == child.id:
        raise Invalid("child_id", "an incident cannot be its own child")
    if child.parent_id is not None:
        raise Refused(f"INC-{child.ref} already has a parent")
    if parent.parent_id == child.id or child.id in ancestors:
        raise Refused("that would make a cycle")
    if not parent.major:
        raise Refused("child incidents go under a major incident; promote the parent first")
    return (
        Event(ev.CHILD_LINKED, {"child_id": child.id, "child_ref": child.ref}, by, at),
        Event(ev.PARENT_SET, {"parent_id": parent.id, "parent_ref": parent.ref}, by, at),
    )


def merge(primary: IncidentState, dup: IncidentState, *, by: str, at: datetime) -> tuple[list[Event], list[Event]]:
    """Merge `dup` into `primary`. Returns (events for the primary, events for the duplicate)."""
    if primary.id == dup.id:
        raise Invalid("primary_id", "an incident cannot be merged into itself")
    if dup.duplicate_of_id is not None:
        raise Refused(f"INC-{dup.ref} is already merged")
    if primary.duplicate_of_id is not None:
        raise Refused(f"INC-{primary.ref} is itself a duplicate; merge into its primary")
    if dup.status == Status.CLOSED:
        raise Refused(f"INC-{dup.ref} is closed; a closed incident stays as it was reviewed and cannot be merged")
    if not is_open(Status(primary.status)):
        raise Refused(f"INC-{primary.ref} is {primary.status}; merge into an open incident (reopen INC-{primary.ref} "
                      "first if the outage is back)")
    dup_events = [Event(ev.MERGED, {"primary_id": primary.id, "primary_ref": primary.ref}, by, at)]
    if is_open(Status(dup.status)):
        dup_events.append(Event(ev.STATUS_CHANGED, {"old": dup.status, "new": Status.RESOLVED.value,
                                                    "note": f"duplicate of INC-{primary.ref}"}, by, at))
    return [Event(ev.DUPLICATE_ATTACHED, {"duplicate_id": dup.id, "duplicate_ref": dup.ref}, by, at)], dup_events


CHILD_ACTIONS = ("resolve", "detach")


def settle_children(parent: IncidentState, to: Status, open_children: list[IncidentState], children: str | None,
                    *, by: str, at: datetime) -> tuple[list[Event], list[tuple[IncidentState, list[Event]]]]:
    """Before `parent` moves to `to`: what happens to its open children. Moving to an open status leaves them
    be; resolving or closing is refused while any is open, unless `children` says to resolve them too or to
    detach them. Returns (events for the parent, [(child, events for that child)])."""
    if children is not None and children not in CHILD_ACTIONS:
        raise Invalid("children", f"must be one of {', '.join(CHILD_ACTIONS)}")
    if is_open(to) or not open_children:
        return [], []
    refs = ", ".join(f"INC-{c.ref}" for c in open_children)
    if children is None:
        raise Refused(f"INC-{parent.ref} has open child incidents: {refs}; resolve them first, or say what to do "
                      "with them (children: resolve or detach)")
    mine: list[Event] = []
    theirs: list[tuple[IncidentState, list[Event]]] = []
    for c in open_children:
        if children == "resolve":
            note = f"resolved with its parent INC-{parent.ref}"
            theirs.append((c, move(c, Status.RESOLVED, by=by, at=at, note=note)))
            mine.append(Event(ev.CHILD_RESOLVED, {"child_id": c.id, "child_ref": c.ref}, by, at))
        else:
            theirs.append((c, [Event(ev.PARENT_REMOVED, {"parent_id": parent.id, "parent_ref": parent.ref,
                                                         "reason": f"parent moved to {to.value}"}, by, at)]))
            mine.append(Event(ev.CHILD_DETACHED, {"child_id": c.id, "child_ref": c.ref}, by, at))
    return mine, theirs
