"""REST: escalation policies, response/resolution targets, and an incident's escalations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from warroom.auth.permissions import Principal
from warroom.escalation import queries as esc_queries
from warroom.escalation import service as esc
from warroom.platform.app import App
from warroom.web.api.incidents import resolve_id
from warroom.web.api.schemas import ERRORS, PathId
from warroom.web.api.schemas.escalation import (
    DefaultPolicyIn,
    DefaultPolicyOut,
    IncidentEscalations,
    PolicyDetail,
    PolicyIn,
    PolicyOut,
    TargetsIn,
    TargetsOut,
)
from warroom.web.deps import Admin, Viewer, get_app

router = APIRouter(prefix="/api/v1", tags=["escalation"], responses=ERRORS)


def _fields(body: PolicyIn) -> dict[str, Any]:
    return {"name": body.name, "description": body.description, "repeat": body.repeat,
            "levels": [lv.model_dump(exclude_none=True) for lv in body.levels]}


@router.get("/escalation-policies", response_model=list[PolicyOut])
def list_policies(app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return esc_queries.list_policies(app)


@router.post("/escalation-policies", status_code=201, response_model=PolicyDetail)
def create_policy(body: PolicyIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return esc.create_policy(app, p, **_fields(body))


@router.get("/escalation-policies/{policy_id}", response_model=PolicyDetail)
def get_policy(policy_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return esc_queries.get_policy(app, policy_id)


@router.put("/escalation-policies/{policy_id}", response_model=PolicyDetail)
def update_policy(policy_id: PathId, body: PolicyIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return esc.update_policy(app, p, policy_id, **_fields(body))


@router.delete("/escalation-policies/{policy_id}", status_code=204,
               summary="Delete a policy no service, breach rule or running escalation uses (409 otherwise)")
def delete_policy(policy_id: PathId, app: App = Depends(get_app), p: Principal = Admin) -> None:
    esc.delete_policy(app, p, policy_id)


@router.get("/response-targets", response_model=TargetsOut,
            summary="Minutes to acknowledge / resolve per priority, and the breach policy")
def get_targets(app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return esc.get_targets(app)


@router.put("/response-targets", response_model=TargetsOut)
def set_targets(body: TargetsIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return esc.set_targets(app, p, body.model_dump())


@router.get("/settings/default-escalation-policy", response_model=DefaultPolicyOut,
            summary="The policy paged for an incident none of whose services has one (null: none)")
def get_default_policy(app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return esc_queries.get_default_policy(app)


@router.put("/settings/default-escalation-policy", response_model=DefaultPolicyOut)
def set_default_policy(body: DefaultPolicyIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return esc.set_default_policy(app, p, body.policy_id)


@router.get("/incidents/{key}/escalations", response_model=IncidentEscalations,
            summary="An incident's escalations and target timers")
def incident_escalations(key: str, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    from warroom.incidents import service as incidents

    incident_id = resolve_id(app, key)
    incidents.get(app, incident_id)  # 404 for an unknown incident
    return esc_queries.escalations_for(app, incident_id)
