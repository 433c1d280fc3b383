"""Integration pages (admin): list and create integrations, show one with how to point a sender at it,
edit its name, default service and rules, enable or disable it, and rotate its key. A new or rotated key
is shown once, on the page that answers the form, and never again (only its hash is stored)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import RowMapping

from warroom.alerts import queries
from warroom.alerts import service as alerts
from warroom.alerts.rules import parse_config
from warroom.alerts.sources import BY_KIND, PAGERDUTY, WEBHOOKS
from warroom.errors import Invalid, NotFound, WarroomError
from warroom.platform.app import App
from warroom.web.api.schemas import PathId
from warroom.web.deps import get_app
from warroom.web.numbers import optional_int, parse_int
from warroom.web.pages.common import AdminForm, AdminPage, FormCtx, PageError, load_names, redirect, render

router = APIRouter(include_in_schema=False)
KINDS = [(PAGERDUTY, "PagerDuty Events API v2"), *((w.kind, w.title) for w in WEBHOOKS)]
CONFIG_EXAMPLE = {"group_by": ["alertname"], "reopen_window_s": 1800, "auto_resolve": True, "rate_limit": 2000,
                  "rules": [{"match": {"severity": "critical"}, "set": {"category": "database"}}],
                  "major": {"priorities": ["P1"], "min_services": 3, "tier1_down": True}}
GENERIC_EXAMPLE = {"mapping": {"dedup_key": "id", "summary": "title", "severity": "level", "status": "state",
                               "service": "tags.service", "resolved_values": ["ok", "resolved"]}}


def _config(c: FormCtx) -> dict[str, Any]:
    """The rules textarea as a JSON object (empty: no rules)."""
    text = c.get("config")
    if not text:
        return {}
    try:
        value = orjson.loads(text)  # depth-limited: a deeply nested paste is a 422, not a RecursionError
    except orjson.JSONDecodeError as exc:
        raise Invalid("config", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(value, dict):
        raise Invalid("config", "must be a JSON object")
    return value


def _service_id(c: FormCtx) -> int | None:
    return optional_int(c.get("service_id"), "service_id", problem="must be a service id")


def integration_or_404(app: App, integration_id: int) -> RowMapping:
    try:
        return queries.get_integration(app, integration_id)
    except NotFound:
        raise PageError(404, f"There is no integration {integration_id}.") from None


def _services(names: Any) -> list[Any]:
    return sorted(names.services.values(), key=lambda svc: svc["name"])


def list_page(request: Request, app: App, *, values: dict[str, str] | None = None, error: str = "",
              field: str = "", status: int = 200) -> HTMLResponse:
    rows = queries.list_integrations(app)
    names = load_names(app, set())  # service names only: no page here shows a person by id
    held = {r["id"]: until for r in rows if (until := _maintenance(app, r))}  # those in maintenance now
    return render(request, "integrations.html", status=status, integrations=rows, names=names, held=held,
                  base_url=app.settings.base_url, kinds=KINDS, services=_services(names),
                  v=values or {"kind": PAGERDUTY}, error=error, field=field,
                  example=json.dumps(CONFIG_EXAMPLE, indent=2), generic_example=json.dumps(GENERIC_EXAMPLE))


def _key_page(request: Request, app: App, row: RowMapping, key: str, *, created: bool) -> HTMLResponse:
    return render(request, "integration_key.html", status=201 if created else 200, g=row, key=key, created=created,
                  base_url=app.settings.base_url.rstrip("/"), hook=BY_KIND.get(row["kind"]))


@router.get("/integrations", response_class=HTMLResponse)
def integrations_page(request: Request, app: App = Depends(get_app), s: Any = AdminPage) -> HTMLResponse:
    return list_page(request, app)


@router.post("/integrations")
def create(request: Request, app: App = Depends(get_app), c: FormCtx = AdminForm) -> Response:
    values = {k: c.get(k) for k in ("name", "kind", "service_id", "config")}
    try:
        row, key = alerts.create_integration(app, c.principal, name=values["name"], kind=values["kind"],
                                             service_id=_service_id(c), config=_config(c))
    except WarroomError as exc:
        return list_page(request, app, values=values, error=str(exc), field=getattr(exc, "field", ""),
                         status=exc.status)
    return _key_page(request, app, row, key, created=True)


def detail_page(request: Request, app: App, integration_id: int, *, values: dict[str, str] | None = None,
                error: str = "", field: str = "", status: int = 200) -> HTMLResponse:
    row = integration_or_404(app, integration_id)
    recent, total = queries.list_alerts(app, integration_id=integration_id, limit=20)
    names = load_names(app, set())  # service names only: no page here shows a person by id
    v = values or {"name": row["name"], "service_id": str(row["service_id"] or ""),
                   "config": json.dumps(row["config"] or {}, indent=2)}
    return render(request, "integration.html", status=status, g=row, v=v, error=error, field=field, names=names,
                  services=_services(names), alerts=recent, total=total, base_url=app.settings.base_url.rstrip("/"),
                  example=json.dumps(CONFIG_EXAMPLE, indent=2), maintenance=_maintenance(app, row),
                  durations=MAINTENANCE_CHOICES, hook=BY_KIND.get(row["kind"]),
                  history=[{**h, "text": _what_changed(h["data"])} for h in queries.history(app, integration_id, 50)])


def _what_changed(data: dict[str, Any]) -> str:
    """An audit entry's {field: [before, after]} in words; the config by the settings that changed."""
    def shown(v: Any) -> str:
        return "—" if v is None else str(v)

    parts = []
    for name, change in sorted(data.items()):
        if not (isinstance(change, list) and len(change) == 2):
            continue
        before, after = change
        if isinstance(before, dict) or isinstance(after, dict):
            before, after = before or {}, after or {}
            keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            parts.append(f"{name}: {', '.join(keys)} changed")
        else:
            parts.append(f"{name} {shown(before)} → {shown(after)}")
    return "; ".join(parts)


def _maintenance(app: App, row: RowMapping) -> Any:
    """The end of the integration's maintenance if it is in maintenance now, else None."""
    config = parse_config(row["config"])
    return config.maintenance_until if config.in_maintenance(app.clock.now()) else None


@router.get("/integrations/{integration_id}", response_class=HTMLResponse)
def show(integration_id: PathId, request: Request, app: App = Depends(get_app), s: Any = AdminPage) -> HTMLResponse:
    return detail_page(request, app, integration_id)


@router.post("/integrations/{integration_id}")
def edit(integration_id: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = AdminForm) -> Response:
    values = {k: c.get(k) for k in ("name", "service_id", "config")}
    try:
        alerts.update_integration(app, c.principal, integration_id, name=values["name"],
                                  service_id=_service_id(c), config=_config(c))
    except WarroomError as exc:
        return detail_page(request, app, integration_id, values=values, error=str(exc),
                           field=getattr(exc, "field", ""), status=exc.status)
    return redirect(f"/integrations/{integration_id}")


@router.post("/integrations/{integration_id}/state")
def set_state(integration_id: PathId, request: Request, app: App = Depends(get_app),
              c: FormCtx = AdminForm) -> Response:
    """Enable or disable: a disabled integration's key is refused like a wrong one."""
    wanted = c.get("enabled")
    try:
        if wanted not in ("0", "1"):
            raise Invalid("enabled", "must be 0 or 1")
        alerts.update_integration(app, c.principal, integration_id, enabled=wanted == "1")
    except WarroomError as exc:
        return detail_page(request, app, integration_id, error=str(exc), status=exc.status)
    return redirect(f"/integrations/{integration_id}")


MAINTENANCE_CHOICES = [(30, "30 minutes"), (60, "1 hour"), (120, "2 hours"), (240, "4 hours"), (480, "8 hours"),
                       (1440, "24 hours")]


@router.post("/integrations/{integration_id}/maintenance")
def maintenance(integration_id: PathId, request: Request, app: App = Depends(get_app),
                c: FormCtx = AdminForm) -> Response:
    """Start maintenance for a while (alerts kept, no incidents), or end it now (minutes 0)."""
    try:
        minutes = parse_int(c.get("minutes"), "minutes", lo=0, problem="pick one of the offered durations")
        if minutes not in {0, *(m for m, _ in MAINTENANCE_CHOICES)}:
            raise Invalid("minutes", "pick one of the offered durations")
        until = app.clock.now() + timedelta(minutes=minutes) if minutes else None
        alerts.set_maintenance(app, c.principal, integration_id, until)
    except NotFound:
        raise PageError(404, f"There is no integration {integration_id}.") from None
    except WarroomError as exc:
        return detail_page(request, app, integration_id, error=str(exc), status=exc.status)
    return redirect(f"/integrations/{integration_id}")


@router.post("/integrations/{integration_id}/rotate-key")
def rotate(integration_id: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = AdminForm) -> Response:
    """A new key, shown once; the old one stops working."""
    integration_or_404(app, integration_id)
    row, key = alerts.rotate_key(app, c.principal, integration_id)
    return _key_page(request, app, row, key, created=False)
