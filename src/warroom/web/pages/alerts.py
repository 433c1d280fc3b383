"""Alert pages (issue 3's domain): the alert list, the alerts attached to an incident, integrations (admin).
Listed in web/registry.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from warroom.alerts import changes, queries
from warroom.alerts import service as alerts
from warroom.alerts.links import links_of
from warroom.alerts.model import SEVERITIES, AlertStatus
from warroom.alerts.rules import parse_config
from warroom.errors import Invalid, NotFound, WarroomError
from warroom.incidents.events import IncidentState
from warroom.incidents.lifecycle import Status, is_open
from warroom.platform.app import App
from warroom.web.api.schemas import PathId
from warroom.web.deps import get_app
from warroom.web.numbers import optional_int
from warroom.web.pages.common import (
    FormCtx,
    PageError,
    ResponderForm,
    ViewerPage,
    incident_refs,
    load_names,
    redirect,
    render,
)
from warroom.web.pages.integrations import integration_or_404

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 200


def _choices(request: Request, name: str, allowed: tuple[str, ...]) -> list[str]:
    picked = [v for v in request.query_params.getlist(name) if v]
    for v in picked:
        if v not in allowed:
            raise PageError(422, f"{name}: {v!r} is not one of {', '.join(allowed)}")
    return picked


def _id_param(request: Request, name: str) -> int | None:
    try:
        return optional_int(request.query_params.get(name), name, problem="is not an id")
    except Invalid as exc:
        raise PageError(422, str(exc)) from None


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    return alerts_response(request, app)


def alerts_response(request: Request, app: App, *, error: str = "", status: int = 200) -> HTMLResponse:
    statuses = _choices(request, "status", tuple(x.value for x in AlertStatus))
    severities = _choices(request, "severity", SEVERITIES)
    q = request.query_params.get("q", "").strip()[:200]
    raw = _id_param(request, "integration")
    integration = integration_or_404(app, raw) if raw else None
    service_id = _id_param(request, "service")
    rows, total = queries.list_alerts(app, statuses=statuses or None, severities=severities or None, text=q or None,
                                     integration_id=integration["id"] if integration else None,
                                     service_id=service_id, limit=PAGE_SIZE)
    names = load_names(app, set())  # service names only: no page here shows a person by id
    refs = incident_refs(app, {r["incident_id"] for r in rows if r["incident_id"]})
    services = [(sid, row["name"]) for sid, row in sorted(names.services.items(), key=lambda x: x[1]["name"])]
    configs = {g["id"]: parse_config(g["config"]) for g in queries.list_integrations(app)} if any(
        r["incident_id"] is None for r in rows) else {}  # parsed once per integration, not per alert
    held = {r["id"]: why for r in rows if r["incident_id"] is None
            and (why := queries.held_because(r, configs[r["integration_id"]]))}
    return render(request, "alerts.html", status=status, error=error, alerts=rows, total=total, names=names,
                  refs=refs, q=q, integration=integration, services=services, held=held,
                  picked_service=[str(service_id)] if service_id else [],
                  statuses=[(x.value, x.value) for x in AlertStatus], severities=[(x, x) for x in SEVERITIES],
                  picked_status=statuses,
                  picked_severity=severities, now=app.clock.now())


PAYLOAD_SHOWN = 100_000  # characters of the pretty-printed raw payload on the page; the API has all of it


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: PathId, request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    return alert_response(request, app, alert_id)


def alert_response(request: Request, app: App, alert_id: int, *, error: str = "", status: int = 200) -> HTMLResponse:
    """One alert: what it says, where it came from, its labels, the sender's links and the raw payload."""
    try:
        row = queries.get_alert(app, alert_id)
    except NotFound:
        raise PageError(404, f"There is no alert {alert_id}.") from None
    integration = queries.get_integration(app, row["integration_id"])
    names = load_names(app, set())  # service names only: no page here shows a person by id
    refs = incident_refs(app, {row["incident_id"]} if row["incident_id"] else set())
    raw = orjson.dumps(row["payload"], option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return render(request, "alert.html", status=status, error=error, a=row, integration=integration, names=names,
                  refs=refs, links=links_of(row["payload"]), raw=raw[:PAYLOAD_SHOWN], raw_size=len(raw),
                  held=queries.held_because(row, parse_config(integration["config"]))
                  if row["incident_id"] is None else None,
                  now=app.clock.now())


def _by_hand(request: Request, app: App, c: FormCtx, alert_id: int, fn: Any) -> Response:
    from_detail = c.get("back") == "alert"
    try:
        fn()
    except WarroomError as exc:
        if from_detail:
            return alert_response(request, app, alert_id, error=str(exc), status=exc.status)
        return alerts_response(request, app, error=str(exc), status=exc.status)
    return redirect(f"/alerts/{alert_id}" if from_detail else "/alerts")


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(alert_id: PathId, request: Request, app: App = Depends(get_app),
                      c: FormCtx = ResponderForm) -> Response:
    return _by_hand(request, app, c, alert_id, lambda: alerts.acknowledge_alert(app, c.principal, alert_id))


@router.post("/alerts/{alert_id}/resolve")
def resolve_alert(alert_id: PathId, request: Request, app: App = Depends(get_app),
                  c: FormCtx = ResponderForm) -> Response:
    """Resolve by hand; the incident hears when its last alert resolves."""
    return _by_hand(request, app, c, alert_id, lambda: alerts.resolve_alert(app, c.principal, alert_id))


def attached_alerts_panel(app: App, state: IncidentState) -> dict[str, Any] | None:
    """War room panel: the alerts attached to this incident, newest activity first."""
    rows, total = queries.alerts_of_incident(app, state.id, limit=50)
    if not total:
        return None
    # a major incident whose alerts all resolved stays open: prompt its coordinator to decide
    prompt = state.major and is_open(Status(state.status)) and queries.unresolved_count(app, state.id) == 0
    return {"title": f"Attached alerts ({total})", "template": "_panel_alerts.html", "alerts": rows, "total": total,
            "all_resolved_prompt": prompt}


CHANGES_BEFORE = timedelta(hours=24)  # how far before detection a change may be a suspect


def recent_changes_panel(app: App, state: IncidentState) -> dict[str, Any] | None:
    """War room panel: changes (deploys, config pushes) on the incident's services from a day before it was
    detected until now, newest first: the usual first suspects."""
    if not state.service_ids:
        return None
    rows = changes.recent_changes(app, service_ids=list(state.service_ids),
                                  since=state.detected_at - CHANGES_BEFORE, limit=20)
    if not rows:
        return None
    names = load_names(app, set())  # service names only: no page here shows a person by id
    return {"title": f"Recent changes ({len(rows)})", "template": "_panel_changes.html", "changes": rows,
            "names": names, "detected_at": state.detected_at}
