"""REST: alerts (list, filter, show, acknowledge, resolve), an incident's alerts, and integrations (admin)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from warroom.alerts import changes, queries, service
from warroom.alerts.model import AlertStatus, Severity
from warroom.auth.permissions import Principal
from warroom.errors import Invalid
from warroom.platform.app import App
from warroom.web.api.incidents import resolve_id
from warroom.web.api.schemas import ERRORS, PathId, QueryId
from warroom.web.api.schemas.alerts import (
    AlertOut,
    AlertPage,
    AuditEntry,
    ChangeOut,
    IntegrationCreated,
    IntegrationEdit,
    IntegrationIn,
    IntegrationOut,
    MaintenanceIn,
)
from warroom.web.deps import Admin, Responder, Viewer, get_app

router = APIRouter(tags=["alerts"], responses=ERRORS)

# -- alerts -------------------------------------------------------------------------------------

@router.get("/api/v1/alerts", response_model=AlertPage, summary="List and filter alerts, latest activity first")
def list_alerts(
    app: App = Depends(get_app),
    p: Principal = Viewer,
    status: list[AlertStatus] | None = Query(None),
    severity: list[Severity] | None = Query(None),
    integration_id: QueryId = None,
    incident_id: QueryId = None,
    service_id: QueryId = None,
    q: str | None = Query(None, max_length=200, description="Text in summary, dedup key or source"),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> Any:
    rows, total = queries.list_alerts(app, statuses=[s.value for s in status] if status else None,
                                      severities=severity, integration_id=integration_id, incident_id=incident_id,
                                      service_id=service_id, text=q, limit=limit, offset=offset)
    return AlertPage(items=[AlertOut.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/api/v1/alerts/{alert_id}", response_model=AlertOut, summary="One alert with its raw payload")
def get_alert(alert_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return AlertOut.of(queries.get_alert(app, alert_id))


@router.post("/api/v1/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge_alert(alert_id: PathId, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return AlertOut.of(service.acknowledge_alert(app, p, alert_id))


@router.post("/api/v1/alerts/{alert_id}/resolve", response_model=AlertOut,
             summary="Resolve by hand; the incident hears when its last alert resolves")
def resolve_alert(alert_id: PathId, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return AlertOut.of(service.resolve_alert(app, p, alert_id))


@router.get("/api/v1/incidents/{key}/alerts", response_model=AlertPage, summary="The alerts attached to an incident")
def incident_alerts(key: str, app: App = Depends(get_app), p: Principal = Viewer,
                    limit: int = Query(500, ge=1, le=5000), offset: int = Query(0, ge=0)) -> Any:
    from warroom.incidents import service as incidents

    iid = incidents.get(app, resolve_id(app, key)).id
    rows, total = queries.alerts_of_incident(app, iid, limit=limit, offset=offset)
    return AlertPage(items=[AlertOut.of(r) for r in rows], total=total, limit=limit, offset=offset)


# -- integrations (admin) -----------------------------------------------------------------------

@router.post("/api/v1/integrations", status_code=201, response_model=IntegrationCreated,
             summary="Create an integration; its secret key is in this answer only")
def create_integration(body: IntegrationIn, response: Response, app: App = Depends(get_app),
                       p: Principal = Admin) -> Any:
    row, key = service.create_integration(app, p, **body.model_dump())
    response.headers["Location"] = f"/api/v1/integrations/{row['id']}"
    response.headers["Cache-Control"] = "no-store"
    return IntegrationCreated(key=key, **IntegrationOut.of(row).model_dump())


@router.get("/api/v1/integrations", response_model=list[IntegrationOut])
def list_integrations(app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return [IntegrationOut.of(r) for r in queries.list_integrations(app)]


@router.get("/api/v1/integrations/{integration_id}", response_model=IntegrationOut)
def get_integration(integration_id: PathId, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return IntegrationOut.of(queries.get_integration(app, integration_id))


@router.patch("/api/v1/integrations/{integration_id}", response_model=IntegrationOut,
              summary="Rename, change default service or config, enable or disable")
def edit_integration(integration_id: PathId, body: IntegrationEdit, app: App = Depends(get_app),
                     p: Principal = Admin) -> Any:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "service_id"}
    return IntegrationOut.of(service.update_integration(app, p, integration_id, **changes))


@router.post("/api/v1/integrations/{integration_id}/rotate-key", response_model=IntegrationCreated,
             summary="Replace the secret key; the old one stops working at once")
def rotate_key(integration_id: PathId, response: Response, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    row, key = service.rotate_key(app, p, integration_id)
    response.headers["Cache-Control"] = "no-store"
    return IntegrationCreated(key=key, **IntegrationOut.of(row).model_dump())


@router.post("/api/v1/integrations/{integration_id}/maintenance", response_model=IntegrationOut,
             summary="Start, move or end maintenance: alerts are kept but open or join no incident until it ends")
def maintenance(integration_id: PathId, body: MaintenanceIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    if (body.minutes is None) == (body.until is None):
        raise Invalid("minutes", "give either minutes (0 ends maintenance) or until")
    until = body.until if body.minutes is None else (
        app.clock.now() + timedelta(minutes=body.minutes) if body.minutes else None)
    return IntegrationOut.of(service.set_maintenance(app, p, integration_id, until))


@router.get("/api/v1/integrations/{integration_id}/history", response_model=list[AuditEntry],
            summary="Who changed this integration (settings, state, key, maintenance) and how, newest first")
def integration_history(integration_id: PathId, limit: int = Query(100, ge=1, le=1000), app: App = Depends(get_app),
                        p: Principal = Admin) -> Any:
    rows = queries.history(app, integration_id, limit)
    return [AuditEntry(**{k: r[k] for k in AuditEntry.model_fields}) for r in rows]


@router.get("/api/v1/changes", response_model=list[ChangeOut],
            summary="Change events (deploys, config pushes) sent to /v2/change/enqueue, newest first")
def list_changes(app: App = Depends(get_app), p: Principal = Viewer, service_id: QueryId = None,
                 since: AwareDatetime | None = Query(None, description="Only changes at or after this time"),
                 limit: int = Query(50, ge=1, le=500)) -> Any:
    rows = changes.recent_changes(app, service_ids=[service_id] if service_id else None, since=since, limit=limit)
    return [ChangeOut(**dict(r)) for r in rows]
