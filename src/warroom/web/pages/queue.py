"""The incident queue (home page): open incidents in work-queue order, filters, live refresh."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from warroom.catalog import queries as catalog
from warroom.errors import Invalid
from warroom.escalation.failures import paging_health
from warroom.incidents import queries as incidents
from warroom.incidents.filters import IncidentFilter
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Priority
from warroom.platform.app import App
from warroom.web.deps import get_app
from warroom.web.numbers import optional_int
from warroom.web.pages.common import PageError, ViewerPage, fragment, load_names, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 200


def _int(name: str, raw: str | None) -> int | None:
    try:
        return optional_int(raw, name, problem="must be an id")
    except Invalid as exc:
        raise PageError(422, str(exc)) from None


def parse_filters(request: Request) -> IncidentFilter:
    """Filters from the query string; an unknown value is a 422 naming the field."""
    qp = request.query_params
    try:
        f = IncidentFilter(q=qp.get("q", "").strip()[:200], statuses=tuple(s for s in qp.getlist("status") if s),
                           priorities=tuple(p for p in qp.getlist("priority") if p))
    except Invalid as exc:
        raise PageError(422, str(exc)) from None
    major_raw = qp.get("major", "")
    if major_raw not in ("", "1", "0"):
        raise PageError(422, "major: must be 1 or 0")
    return replace(f, major=None if major_raw == "" else major_raw == "1",
                   service_id=_int("service_id", qp.get("service_id")), team_id=_int("team_id", qp.get("team_id")))


def queue_rows(app: App, conn: Connection, f: IncidentFilter) -> dict[str, Any]:
    """The incidents for these filters plus what the rows need to render."""
    found = incidents.search(conn, f.for_queue(), limit=PAGE_SIZE)
    names = load_names(conn, {i.coordinator_id for i in found.items if i.coordinator_id})
    return {"incidents": found.items, "total": found.total, "names": names, "now": app.clock.now(),
            "page_size": PAGE_SIZE, "paging": paging_health(conn, found.items)}


@router.get("/", response_class=HTMLResponse)
def queue_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    f = parse_filters(request)
    with app.db.read() as conn:
        ctx = queue_rows(app, conn, f)
        after = incidents.last_event_id(conn)
        teams = catalog.options(catalog.teams(conn))
        services = catalog.options(catalog.services(conn))
    return render(request, "queue.html", filters=f, after=after, team_options=teams, service_options=services,
                  status_options=[(s.value, s.value.capitalize()) for s in Status],
                  priority_options=[(p.value, p.value) for p in Priority], **ctx)


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_rows_fragment(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    """The queue's table body alone, re-fetched by the page when the live stream says something changed."""
    f = parse_filters(request)
    with app.db.read() as conn:
        ctx = queue_rows(app, conn, f)
    return HTMLResponse(fragment("_queue_rows.html", **ctx), headers={"Cache-Control": "no-store"})
