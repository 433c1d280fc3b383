"""The service catalog: teams, their members, services and their dependencies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from warroom.web.api.schemas import Id, Strict
from warroom.web.api.schemas.incidents import IncidentOut


class TeamIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: str = Field("", max_length=2000)


class MemberIn(Strict):
    user_id: Id
    role: Literal["member", "lead"] = "member"


class ServiceIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: str = Field("", max_length=2000)
    team_id: Id | None = None
    tier: int = Field(3, ge=1, le=4)
    depends_on: list[Id] = Field(default_factory=list, max_length=200)
    escalation_policy_id: Id | None = None


class ServicePatch(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    description: str | None = Field(None, max_length=2000)
    team_id: Id | None = None
    tier: int | None = Field(None, ge=1, le=4)
    depends_on: list[Id] | None = Field(None, max_length=200)
    escalation_policy_id: Id | None = None


class MemberOut(BaseModel):
    id: int = Field(description="The user's id")
    username: str
    display_name: str
    email: str | None
    role: Literal["member", "lead"]


class TeamOut(BaseModel):
    id: int
    name: str
    description: str
    created_at: datetime
    members: list[MemberOut]


class ServiceOut(BaseModel):
    id: int
    name: str
    description: str
    team_id: int | None
    tier: int = Field(description="1 (most critical) to 4")
    escalation_policy_id: int | None
    created_at: datetime
    depends_on: list[int] = Field(description="The services this one depends on")


class ServiceView(ServiceOut):
    dependents: list[int] = Field(description="The services that depend on this one")


class ServiceDetail(ServiceView):
    open_incidents: list[IncidentOut]
