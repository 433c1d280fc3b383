"""Helpers for the incident and catalog integration tests (not fixtures: plain functions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from warroom.auth.permissions import Principal, UserRole
from warroom.catalog import service as catalog
from warroom.incidents import service as svc
from warroom.incidents import store as st
from warroom.incidents.events import IncidentState
from warroom.incidents.priority import Impact, Urgency
from warroom.platform.app import App

RUI = Principal(0, "rui", UserRole.RESPONDER)


def declare(app: App, title: str = "checkout 500s", p: Principal = RUI, **kw: Any) -> IncidentState:
    kw.setdefault("impact", Impact.SIGNIFICANT)
    kw.setdefault("urgency", Urgency.HIGH)
    return svc.declare(app, p, title=title, **kw)


def small_catalog(app: App) -> dict[str, int]:
    """Two teams, three services (checkout -> payments -> db)."""
    ids = {"apps": catalog.create_team(app, "Applications")["id"], "dbs": catalog.create_team(app, "Databases")["id"]}
    ids["db"] = catalog.create_service(app, name="db", team_id=ids["dbs"], tier=1)["id"]
    ids["payments"] = catalog.create_service(app, name="payments", team_id=ids["apps"], tier=1,
                                             depends_on=[ids["db"]])["id"]
    ids["checkout"] = catalog.create_service(app, name="checkout", team_id=ids["apps"], tier=2,
                                             depends_on=[ids["payments"]])["id"]
    return ids


def counts(app: App) -> tuple[int, int]:
    """(incidents, events): to prove that a refused command wrote nothing."""
    with app.db.read() as conn:
        return (conn.execute(select(func.count()).select_from(st.incidents)).scalar_one(),
                conn.execute(select(func.count()).select_from(st.incident_events)).scalar_one())


def kinds(app: App, incident_id: int) -> list[str]:
    return [e.kind for e in svc.timeline(app, incident_id)]
