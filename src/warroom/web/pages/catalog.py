"""Catalog pages: services with dependencies and open incidents, teams, people."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from warroom.catalog import queries as catalog
from warroom.incidents import queries as incidents
from warroom.incidents.filters import IncidentFilter
from warroom.notifications import contacts
from warroom.platform.app import App
from warroom.web.api.schemas import PathId
from warroom.web.deps import get_app
from warroom.web.pages.common import PageError, ViewerPage, load_names, render, run_panels

router = APIRouter(include_in_schema=False)


@router.get("/services", response_class=HTMLResponse)
def services_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    with app.db.read() as conn:
        names = load_names(conn)
        deps = catalog.dependency_map(conn)
        counts = incidents.open_counts_by_service(conn)
        services = catalog.services(conn)
    return render(request, "services.html", services=services, deps=deps, counts=counts, names=names)


@router.get("/services/{service_id}", response_class=HTMLResponse)
def service_page(service_id: PathId, request: Request, app: App = Depends(get_app),
                 s: Any = ViewerPage) -> HTMLResponse:
    with app.db.read() as conn:
        row = catalog.service(conn, service_id)
        if row is None:
            raise PageError(404, f"There is no service {service_id}.")
        ctx: dict[str, Any] = {"svc": row, "depends_on": catalog.dependencies_of(conn, service_id),
                               "dependents": catalog.dependents_of(conn, service_id),
                               "incidents": incidents.open_for_service(conn, service_id), "names": load_names(conn),
                               "now": app.clock.now()}
    return render(request, "service.html", **ctx)


@router.get("/teams", response_class=HTMLResponse)
def teams_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    teams = catalog.teams_with_members_and_services(app)
    return render(request, "teams.html", teams=teams)


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    with app.db.read() as conn:
        names = load_names(conn)
        membership: dict[int, list[str]] = {}
        for t in names.teams.values():
            for m in catalog.members(conn, t["id"]):
                membership.setdefault(m["id"], []).append(t["name"] + (" (lead)" if m["role"] == "lead" else ""))
        unreachable = contacts.unreachable_priorities(conn, list(names.users), app.clock.now())
    return render(request, "people.html", people=list(names.users.values()), membership=membership,
                  unreachable=unreachable, every_priority=len(contacts.PRIORITIES))


@router.get("/people/{user_id}", response_class=HTMLResponse)
def person_page(user_id: PathId, request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    with app.db.read() as conn:
        names = load_names(conn)
        person = names.users.get(user_id)
        if person is None:
            raise PageError(404, f"There is no person {user_id}.")
        teams = [(names.teams[t], m["role"]) for t in catalog.teams_of_user(conn, user_id) if t in names.teams
                 for m in catalog.members(conn, t) if m["id"] == user_id]
        on_now = incidents.search(conn, IncidentFilter(open_only=True), limit=50).items
    roles = [(i, r) for i in on_now for r, uid in (("coordinator", i.coordinator_id), ("comms lead", i.comms_lead_id),
                                                   ("scribe", i.scribe_id)) if uid == user_id]
    roles += [(i, "expert") for i in on_now for x in i.experts if x.user_id == user_id]
    from warroom.web import registry  # the registry imports this module: read it when called

    panels = run_panels(registry.PERSON_PANELS, app, user_id, s.principal)
    return render(request, "person.html", person=person, teams=teams, roles=roles, panels=panels, names=names)
