"""Every extension point of the web adapter, each one literal tuple, built with plain imports: what is not listed
here is not served, and a module that fails to import stops the server at start-up instead of vanishing.

The modules that read NAV, PANELS, PERSON_PANELS and AUTHENTICATORS (pages/common.py, pages/incident.py,
pages/catalog.py, deps.py) are themselves imported here, so they read this module when called, not at import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from warroom.alerts.service import watch_keys as alert_keys
from warroom.alerts.writer import background as alert_writer
from warroom.auth.permissions import Principal, UserRole
from warroom.incidents.events import IncidentState
from warroom.platform.app import App
from warroom.web import api_docs, deps, intake_fast, pages, sessions, sse
from warroom.web.api import alert_intake, alerts, catalog, escalation, health, incidents, notifications, oncall
from warroom.web.pages import account, auth, declare, incident, incident_actions, integrations, queue
from warroom.web.pages import alerts as alert_pages
from warroom.web.pages import catalog as catalog_pages
from warroom.web.pages import oncall as oncall_pages
from warroom.worker.loop import start_embedded as start_embedded_worker

# JSON API routers. The key-authenticated alert intake comes first: the high-volume intake skips the other routes.
ROUTERS: tuple[APIRouter, ...] = (
    alert_intake.router, health.router, incidents.router, catalog.router, alerts.router,
    oncall.router, escalation.router, notifications.router,
)

# Page routers (and the pages' live streams), mounted by pages.install.
PAGES: tuple[APIRouter, ...] = (
    auth.router, account.router, queue.router, declare.router, incident.router, incident_actions.router,
    catalog_pages.router, sse.router, alert_pages.router, integrations.router, oncall_pages.router,
)

# Main navigation, in order: (path, label, role needed to see it).
NAV: tuple[tuple[str, str, UserRole], ...] = (
    ("/", "Queue", UserRole.VIEWER),
    ("/incidents/new", "Declare", UserRole.RESPONDER),
    ("/alerts", "Alerts", UserRole.VIEWER),
    ("/oncall", "On call", UserRole.VIEWER),
    ("/policies", "Escalation", UserRole.VIEWER),
    ("/notifications", "Notifications", UserRole.VIEWER),
    ("/services", "Services", UserRole.VIEWER),
    ("/teams", "Teams", UserRole.VIEWER),
    ("/people", "People", UserRole.VIEWER),
    ("/integrations", "Integrations", UserRole.ADMIN),
)

# Sections of the war room page from other domains: fn(app, state) -> {"title", "template", ...} or None.
PANELS: tuple[Callable[[App, IncidentState], dict[str, Any] | None], ...] = (
    alert_pages.attached_alerts_panel, alert_pages.recent_changes_panel,
    oncall_pages.escalation_panel, oncall_pages.notifications_panel,
)

# Sections of a person's page: fn(app, user_id, viewer principal) -> panel dict or None.
PERSON_PANELS: tuple[Callable[[App, int, Any], dict[str, Any] | None], ...] = (oncall_pages.person_panel,)

# Ways to prove who you are, tried in order: (request, app) -> Principal | None (or raise Unauthorized).
AUTHENTICATORS: tuple[Callable[[Request, App], Principal | None], ...] = (
    deps.bearer, sessions.cookie_authenticator,
)

# Started with the server, stopped with it (in reverse order): each takes the App and returns its stop function.
BACKGROUND: tuple[Callable[[App], Callable[[], None]], ...] = (
    sse.start_live_bridge,
    alert_writer,  # the group-commit writer of the alert intake
    alert_keys,  # other processes' key rotations and disables take effect at once
    start_embedded_worker,  # runs only when settings.embedded_worker
)

# Adapters that need more than a router (pages, static files, API docs, the intake's fast path): (FastAPI, App).
EXTENSIONS: tuple[Callable[[FastAPI, App], None], ...] = (pages.install, api_docs.install, intake_fast.install)
