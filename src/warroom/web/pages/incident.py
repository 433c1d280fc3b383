"""The war room page of one incident: header, actions, timeline, related incidents; plus its fragments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from warroom.auth.permissions import UserRole
from warroom.escalation.failures import paging_health
from warroom.incidents import queries as incidents
from warroom.incidents.events import IncidentState
from warroom.incidents.lifecycle import NEXT, Status, is_open
from warroom.incidents.priority import Impact, Urgency
from warroom.incidents.projection import elapsed_seconds
from warroom.incidents.roles import ROLE_TITLES, Role
from warroom.oncall import queries as oncall
from warroom.platform.app import App
from warroom.platform.reads import Source
from warroom.web.api.schemas import PathId
from warroom.web.deps import get_app
from warroom.web.pages.common import PageError, ViewerPage, fragment, load_names, render, run_panels

router = APIRouter(include_in_schema=False)
TIMELINE_LIMIT = 2000


def load_state(src: Source, ref: int) -> IncidentState:
    state = incidents.by_ref(src, ref)
    if state is None:
        raise PageError(404, f"There is no incident INC-{ref}.")
    return state


def summary_context(app: App, conn: Connection, state: IncidentState) -> dict[str, Any]:
    """What the header and the action forms need."""
    names = load_names(conn)
    related_ids = [i for i in (state.parent_id, state.duplicate_of_id) if i]
    related = {s.id: s for s in incidents.many(conn, related_ids)}
    return {
        "i": state,
        "names": names,
        "elapsed": elapsed_seconds(state, app.clock.now()),
        "next_statuses": sorted(NEXT[Status(state.status)]),
        "is_open": is_open(Status(state.status)),
        "impacts": list(Impact),
        "urgencies": list(Urgency),
        "roles": list(Role),
        "role_titles": ROLE_TITLES,
        "parent": related.get(state.parent_id) if state.parent_id else None,
        "primary": related.get(state.duplicate_of_id) if state.duplicate_of_id else None,
        "people": [u for u in names.users.values() if u["active"]],
        "role_holders": [u for u in names.users.values() if u["active"] and u["role"] != UserRole.VIEWER],
        "open_children": [c for c in incidents.children(conn, state.id) if is_open(Status(c.status))],
        "schedules": oncall.schedules(conn),
        "paging": paging_health(conn, [state]).get(state.id),
    }


def page_context(app: App, conn: Connection, state: IncidentState) -> dict[str, Any]:
    ctx = summary_context(app, conn, state)
    events = incidents.events(conn, state.id)
    shown = events[-TIMELINE_LIMIT:]
    from warroom.web import registry  # the registry imports this module: read it when called

    panels = run_panels(registry.PANELS, app, state)
    ctx.update(events=list(reversed(shown)), hidden_events=len(events) - len(shown),
               after=events[-1].seq if events else 0, children=incidents.children(conn, state.id),
               duplicates=incidents.duplicates(conn, state.id), panels=panels)
    return ctx


def incident_response(request: Request, app: App, ref: int, *, error: str = "", status: int = 200,
                      form: dict[str, str] | None = None) -> HTMLResponse:
    with app.db.read() as conn:
        state = load_state(conn, ref)
        ctx = page_context(app, conn, state)
    return render(request, "incident.html", status=status, error=error, form=form or {}, **ctx)


@router.get("/incidents/{ref}", response_class=HTMLResponse)
def incident_page(ref: PathId, request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    return incident_response(request, app, ref)


@router.get("/incidents/{ref}/summary", response_class=HTMLResponse)
def summary_fragment(ref: PathId, request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    """Header and actions alone, re-fetched by the page when the incident changes."""
    with app.db.read() as conn:
        ctx = summary_context(app, conn, load_state(conn, ref))
    html = fragment("_summary.html", csrf=s.csrf_token, can_act=s.principal.can(UserRole.RESPONDER), error="", form={},
                    **ctx)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
