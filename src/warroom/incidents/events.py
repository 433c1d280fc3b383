"""Timeline events (pure). Events store facts as typed fields; wording lives in templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Event kinds that change the incident snapshot. Other domains append their own kinds
# (alert.attached, page.sent, ...) which the fold counts but otherwise ignores.
DECLARED = "incident.declared"
ACKNOWLEDGED = "incident.acknowledged"
STATUS_CHANGED = "status.changed"
FIELDS_CHANGED = "fields.changed"
PRIORITY_CHANGED = "priority.changed"
MAJOR_PROMOTED = "major.promoted"
MAJOR_DEMOTED = "major.demoted"
ROLE_ASSIGNED = "role.assigned"
ROLE_UNASSIGNED = "role.unassigned"
NOTE_ADDED = "note.added"
NOTE_RETRACTED = "note.retracted"
CHILD_LINKED = "child.linked"
PARENT_SET = "parent.set"
CHILD_RESOLVED = "child.resolved"  # on the parent: an open child resolved along with it
CHILD_DETACHED = "child.detached"  # on the parent: an open child let go before it resolved or closed
PARENT_REMOVED = "parent.removed"  # on the child: it no longer sits under that parent
MERGED = "incident.merged"  # on the duplicate
DUPLICATE_ATTACHED = "duplicate.attached"  # on the primary


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    data: dict[str, Any]
    actor: str
    occurred_at: datetime
    seq: int = 0  # assigned when appended
    recorded_at: datetime | None = None

    def at_seq(self, seq: int) -> Event:
        return Event(self.kind, self.data, self.actor, self.occurred_at, seq, self.recorded_at)


@dataclass(frozen=True, slots=True)
class Expert:
    user_id: int
    team_id: int


@dataclass(frozen=True, slots=True)
class IncidentState:
    """The fold of an incident's events: what the snapshot row holds."""

    id: int
    ref: int
    title: str
    description: str
    category: str
    service_ids: tuple[int, ...]
    identified_via: str
    impact: str
    urgency: str
    priority: str
    priority_overridden: bool
    priority_reason: str | None
    status: str
    major: bool
    major_reason: str | None
    coordinator_id: int | None
    comms_lead_id: int | None
    scribe_id: int | None
    experts: tuple[Expert, ...]
    parent_id: int | None
    duplicate_of_id: int | None
    declared_by: str
    detected_at: datetime
    acknowledged_at: datetime | None
    investigating_at: datetime | None
    contained_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    extra: dict[str, Any] = field(default_factory=dict)
