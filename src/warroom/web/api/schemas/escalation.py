"""Escalation: policies and their levels, response and resolution targets, an incident's escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from warroom.web.api.schemas import MAX_ID, Id, Strict

Minutes = Field(None, ge=1, le=525600)


class TargetIn(Strict):
    kind: Literal["user", "schedule", "team", "role"]
    id: int | None = Field(None, ge=1, le=MAX_ID)
    role: Literal["coordinator", "comms_lead", "scribe"] | None = None


class LevelIn(Strict):
    timeout_minutes: int = Field(ge=1, le=1440)
    targets: list[TargetIn] = Field(min_length=1, max_length=50)


class PolicyIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    repeat: int = Field(0, ge=0, le=10, description="Run the whole policy again this many times")
    levels: list[LevelIn] = Field(min_length=1, max_length=20)


class PerPriority(Strict):
    P1: int | None = Minutes
    P2: int | None = Minutes
    P3: int | None = Minutes
    P4: int | None = Minutes
    P5: int | None = Minutes


class TargetsIn(Strict):
    ack_minutes: PerPriority = Field(default_factory=PerPriority)
    resolve_minutes: PerPriority = Field(default_factory=PerPriority)
    breach_policy_id: Id | None = None


class DefaultPolicyIn(Strict):
    policy_id: int | None = Field(..., ge=1, le=MAX_ID, description="null: no default (nobody is paged)")


class PageWhom(BaseModel):
    kind: Literal["user", "schedule", "team"]
    id: int


class PageRole(BaseModel):
    kind: Literal["role"]
    role: str = Field(description="coordinator, comms_lead or scribe of the incident")


class LevelOut(BaseModel):
    timeout_minutes: int
    targets: list[Annotated[PageWhom | PageRole, Field(discriminator="kind")]]


class PolicyOut(BaseModel):
    id: int
    name: str
    description: str
    levels: list[LevelOut]
    repeat: int = Field(description="The whole policy runs again this many times")
    created_at: datetime
    updated_at: datetime


class PolicyDetail(PolicyOut):
    service_ids: list[int] = Field(description="The services that page with this policy")


class TargetsOut(BaseModel):
    ack_minutes: dict[str, int | None] = Field(description="Minutes to acknowledge, per priority (null: none)")
    resolve_minutes: dict[str, int | None] = Field(description="Minutes to resolve, per priority (null: none)")
    breach_policy_id: int | None = Field(description="The policy paged when a target is missed")


class DefaultPolicyOut(BaseModel):
    policy_id: int | None = Field(description="null: no default (nobody is paged)")


class EscalationOut(BaseModel):
    id: int
    incident_id: int
    policy_id: int
    reason: str = Field(description="declared, breach:ack or breach:resolve, ...")
    level: int
    cycle: int
    state: str = Field(description="active, stopped or exhausted")
    next_at: datetime | None
    started_at: datetime
    updated_at: datetime


class TimerOut(BaseModel):
    id: int
    incident_id: int
    kind: str = Field(description="ack or resolve")
    priority: str
    due_at: datetime
    state: str = Field(description="pending, met, breached, not_acknowledged or dropped")
    settled_at: datetime | None


class IncidentEscalations(BaseModel):
    incident_id: int
    escalations: list[EscalationOut]
    targets: list[TimerOut]


