"""Incidents: declaring, editing and moving them, roles, notes, pages, links; an incident and its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Priority, Urgency
from warroom.incidents.roles import Role
from warroom.web.api.schemas import MAX_ID, Id, Strict

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
IdentifiedVia = Literal["monitoring", "engineer", "customer", "third_party"]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="The version you saw; a stale one gets 409")]


class DeclareIn(Strict):
    title: Title
    description: str = Field("", max_length=20000)
    category: str = Field("", max_length=100)
    service_ids: list[Id] = Field(default_factory=list, max_length=100)
    identified_via: IdentifiedVia = "engineer"
    impact: Impact
    urgency: Urgency
    priority: Priority | None = Field(None, description="Override the matrix; needs priority_reason")
    priority_reason: str | None = Field(None, max_length=2000)
    detected_at: datetime | None = None


class EditIn(Strict):
    version: Version | None = None
    title: Title | None = None
    description: str | None = Field(None, max_length=20000)
    category: str | None = Field(None, max_length=100)
    service_ids: list[Id] | None = Field(None, max_length=100)
    identified_via: IdentifiedVia | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None
    priority: Priority | None = None
    priority_reason: str | None = Field(None, max_length=2000)


class VersionIn(Strict):
    version: Version | None = None


class MoveIn(Strict):
    status: Status
    note: str | None = Field(None, max_length=2000)
    version: Version | None = None
    children: Literal["resolve", "detach"] | None = Field(
        None, description="Resolving or closing a parent with open children: resolve them too, or detach them "
                          "(without it, 409 naming them)")


class ReasonIn(Strict):
    reason: Reason
    version: Version | None = None


class AssignIn(Strict):
    role: Role
    user_id: Id
    team_id: Id | None = None
    version: Version | None = None


class UnassignIn(Strict):
    role: Role
    user_id: Id | None = None
    team_id: Id | None = None
    version: Version | None = None


class NoteIn(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]


class PageIn(Strict):
    """Exactly one of user_id, team_id, schedule_id."""

    user_id: Id | None = Field(None, description="A person (an active responder or admin)")
    team_id: Id | None = Field(None, description="A team: its services' escalation policy, else its members")
    schedule_id: Id | None = Field(None, description="Whoever is on call in this schedule now")
    message: str = Field("", max_length=2000, description="What you need from them")


class LinkIn(Strict):
    child_id: Id


class MergeIn(Strict):
    primary_id: Id


class ExpertOut(BaseModel):
    user_id: int
    team_id: int


class IncidentOut(BaseModel):
    id: int
    ref: str
    number: int
    title: str
    description: str
    category: str
    service_ids: list[int]
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
    experts: list[ExpertOut]
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

    @classmethod
    def of(cls, s: IncidentState) -> IncidentOut:
        d: dict[str, Any] = {k: getattr(s, k) for k in cls.model_fields if hasattr(s, k) and k != "ref"}
        d["ref"] = f"INC-{s.ref}"
        d["number"] = s.ref
        d["experts"] = [ExpertOut(user_id=x.user_id, team_id=x.team_id) for x in s.experts]
        d["service_ids"] = list(s.service_ids)
        return cls(**d)


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    limit: int
    offset: int


class EventOut(BaseModel):
    seq: int
    kind: str
    actor: str
    occurred_at: datetime
    recorded_at: datetime | None
    data: dict[str, Any]

    @classmethod
    def of(cls, e: Event) -> EventOut:
        return cls(seq=e.seq, kind=e.kind, actor=e.actor, occurred_at=e.occurred_at, recorded_at=e.recorded_at,
                   data=e.data)
