"""REST: alerts (list, filter, show, acknowledge, resolve), an incident's alerts, and integrations (admin)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints
from sqlalchemy.engine import RowMapping

from warroom.alerts import changes, queries, service
from warroom.alerts.model import AlertStatus, Severity
from warroom.auth.permissions import Principal
from warroom.errors import Invalid
from warroom.platform.app import App
from warroom.web.api.incidents import resolve_id
from warroom.web.api.schemas import PathId, QueryId, Strict
from warroom.web.deps import Admin, Responder, Viewer, get_app

router = APIRouter(tags=["alerts"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class AlertOut(BaseModel):
    id: int
    integration_id: int
    dedup_key: str
    status: str
    severity: str
    summary: str
    source: str
    service_id: int | None
    incident_id: int | None
    group_key: str
    labels: dict[str, Any]
    count: int
    first_seen_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    payload: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: RowMapping) -> AlertOut:
        return cls(**{k: row[k] for k in cls.model_fields if k in row})


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class IntegrationOut(BaseModel):
    id: int
    name: str
    kind: str
    key_prefix: str
    service_id: int | None
    config: dict[str, Any]
    enabled: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    urls: dict[str, str]

    @classmethod
    def of(cls, row: RowMapping) -> IntegrationOut:
        kind = row["kind"]
        urls = {"pagerduty": {"events_v2": "/v2/enqueue (routing_key = the key)"},
                "alertmanager": {"webhook": "/api/v1/integrations/<key>/alertmanager",
                                 "webhook_bearer": "/api/v1/intake/alertmanager"},
                "generic": {"webhook": "/api/v1/integrations/<key>/webhook",
                            "webhook_bearer": "/api/v1/intake/webhook"}}.get(kind, {})
        return cls(urls=urls, **{k: row[k] for k in cls.model_fields if k != "urls"})


class IntegrationCreated(IntegrationOut):
    key: str = Field(description="The secret integration key. Shown only now; it is stored as a hash.")


class IntegrationIn(Strict):
    name: Name
    kind: Literal["alertmanager", "pagerduty", "generic"]
    service_id: int | None = Field(None, ge=1, le=2**31 - 1)
    config: dict[str, Any] = Field(default_factory=dict)


class IntegrationEdit(Strict):
    name: Name | None = None
    service_id: int | None = Field(None, ge=1, le=2**31 - 1)
    config: dict[str, Any] | None = None
    enabled: bool | None = None


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    data: dict[str, Any]


class ChangeOut(BaseModel):
    id: int
    integration_id: int
    service_id: int | None
    summary: str
    source: str
    occurred_at: datetime
    received_at: datetime
    details: dict[str, Any]
    links: list[list[str]]


class MaintenanceIn(Strict):
    minutes: int | None = Field(None, ge=0, le=30 * 24 * 60, description="From now; 0 ends maintenance now")
    until: AwareDatetime | None = Field(None, description="Or an end time with its UTC offset")


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
