"""Pydantic request and response models of the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from warroom.auth.permissions import UserRole
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Priority, Urgency
from warroom.incidents.roles import Role

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
IdentifiedVia = Literal["monitoring", "engineer", "customer", "third_party"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeclareIn(Strict):
    title: Title
    description: str = Field("", max_length=20000)
    category: str = Field("", max_length=100)
    service_ids: list[int] = Field(default_factory=list, max_length=100)
    identified_via: IdentifiedVia = "engineer"
    impact: Impact
    urgency: Urgency
    priority: Priority | None = Field(None, description="Override the matrix; needs priority_reason")
    priority_reason: str | None = Field(None, max_length=2000)
    detected_at: datetime | None = None


class EditIn(Strict):
    version: int | None = Field(None, description="The version you edited; a stale one gets 409")
    title: Title | None = None
    description: str | None = Field(None, max_length=20000)
    category: str | None = Field(None, max_length=100)
    service_ids: list[int] | None = Field(None, max_length=100)
    identified_via: IdentifiedVia | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None
    priority: Priority | None = None
    priority_reason: str | None = Field(None, max_length=2000)


class VersionIn(Strict):
    version: int | None = None


class MoveIn(Strict):
    status: Status
    note: str | None = Field(None, max_length=2000)
    version: int | None = None


class ReasonIn(Strict):
    reason: Reason
    version: int | None = None


class AssignIn(Strict):
    role: Role
    user_id: int
    team_id: int | None = None
    version: int | None = None


class UnassignIn(Strict):
    role: Role
    user_id: int | None = None
    team_id: int | None = None
    version: int | None = None


class NoteIn(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]


class LinkIn(Strict):
    child_id: int


class MergeIn(Strict):
    primary_id: int


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


class TeamIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: str = Field("", max_length=2000)


class MemberIn(Strict):
    user_id: int
    role: Literal["member", "lead"] = "member"


class ServiceIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: str = Field("", max_length=2000)
    team_id: int | None = None
    tier: int = Field(3, ge=1, le=4)
    depends_on: list[int] = Field(default_factory=list)
    escalation_policy_id: int | None = None


class ServicePatch(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    description: str | None = Field(None, max_length=2000)
    team_id: int | None = None
    tier: int | None = Field(None, ge=1, le=4)
    depends_on: list[int] | None = None
    escalation_policy_id: int | None = None


class UserIn(Strict):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    display_name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: UserRole = UserRole.RESPONDER
    password: str | None = Field(None, min_length=8, max_length=200)
    time_zone: str = "UTC"


class UserPatch(Strict):
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: UserRole | None = None
    password: str | None = Field(None, min_length=8, max_length=200)
    active: bool | None = None
    time_zone: str | None = None


class TokenIn(Strict):
    name: str = Field("default", max_length=100)
    user_id: int | None = Field(None, description="Admins may mint tokens for others")
