"""REST: escalation policies, response/resolution targets, and an incident's escalations."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field

from warroom.auth.permissions import Principal
from warroom.escalation import queries as esc_queries
from warroom.escalation import service as esc
from warroom.platform.app import App
from warroom.web.api.incidents import resolve_id
from warroom.web.api.schemas import MAX_ID, Id, PathId, Strict
from warroom.web.deps import Admin, Viewer, get_app

router = APIRouter(prefix="/api/v1", tags=["escalation"])

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


def _fields(body: PolicyIn) -> dict[str, Any]:
    return {"name": body.name, "description": body.description, "repeat": body.repeat,
            "levels": [lv.model_dump(exclude_none=True) for lv in body.levels]}


@router.get("/escalation-policies")
def list_policies(app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return esc_queries.list_policies(app)


@router.post("/escalation-policies", status_code=201)
def create_policy(body: PolicyIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return esc.create_policy(app, p, **_fields(body))


@router.get("/escalation-policies/{policy_id}")
def get_policy(policy_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return esc_queries.get_policy(app, policy_id)


@router.put("/escalation-policies/{policy_id}")
def update_policy(policy_id: PathId, body: PolicyIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return esc.update_policy(app, p, policy_id, **_fields(body))


@router.delete("/escalation-policies/{policy_id}", status_code=204,
               summary="Delete a policy no service, breach rule or running escalation uses (409 otherwise)")
def delete_policy(policy_id: PathId, app: App = Depends(get_app), p: Principal = Admin) -> None:
    esc.delete_policy(app, p, policy_id)


@router.get("/response-targets", summary="Minutes to acknowledge / resolve per priority, and the breach policy")
def get_targets(app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return esc.get_targets(app)


@router.put("/response-targets")
def set_targets(body: TargetsIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return esc.set_targets(app, p, body.model_dump())


class DefaultPolicyIn(Strict):
    policy_id: int | None = Field(..., ge=1, le=MAX_ID, description="null: no default (nobody is paged)")


@router.get("/settings/default-escalation-policy",
            summary="The policy paged for an incident none of whose services has one (null: none)")
def get_default_policy(app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return esc_queries.get_default_policy(app)


@router.put("/settings/default-escalation-policy")
def set_default_policy(body: DefaultPolicyIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return esc.set_default_policy(app, p, body.policy_id)


@router.get("/incidents/{key}/escalations", summary="An incident's escalations and target timers")
def incident_escalations(key: str, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    from warroom.incidents import service as incidents

    incident_id = resolve_id(app, key)
    incidents.get(app, incident_id)  # 404 for an unknown incident
    return esc_queries.escalations_for(app, incident_id)
