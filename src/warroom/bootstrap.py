"""Wiring: build the application object from settings. Plain imports, one literal list per extension point."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from warroom.alerts import changes as alert_changes
from warroom.alerts import store as alerts_store
from warroom.alerts.runtime import AlertsRuntime
from warroom.auth import store as auth_store
from warroom.catalog import store as catalog_store
from warroom.escalation import responders
from warroom.escalation import service as escalation
from warroom.escalation import store as escalation_store
from warroom.incidents import queries as incidents_queries
from warroom.incidents import store as incidents_store
from warroom.notifications import store as notifications_store
from warroom.notifications.runtime import NotificationsRuntime
from warroom.oncall import store as oncall_store
from warroom.platform import audit, kv
from warroom.platform.app import App, Reactor
from warroom.platform.clock import Clock, SystemClock
from warroom.platform.db import Database, metadata
from warroom.platform.settings import Settings
from warroom.web import session_store

__all__ = ["App", "Reactor", "build_app", "load_all_tables", "DEMOTION_CHECKS", "INSTALLERS", "REACTORS", "TABLES"]

# Who answers incident events, in this order, each for the kinds it declares (see incidents.recording._react).
REACTORS: tuple[Reactor, ...] = (escalation.reactor, responders.reactor)

# Asked before a user is deactivated or made a viewer (auth.service.update_user); any answer refuses it.
DEMOTION_CHECKS: tuple[Callable[[Connection, int], str | None], ...] = (incidents_queries.held_roles_refusal,)

# Each domain that needs runtime objects installs itself here.
INSTALLERS: tuple[Callable[[App], None], ...] = (escalation.install,)

# Modules that define tables on the shared metadata (platform.db.metadata); a migration creates each table.
TABLES: tuple[ModuleType, ...] = (
    auth_store, catalog_store, incidents_store, kv, audit, session_store,
    alerts_store, alert_changes, oncall_store, escalation_store, notifications_store,
)


def load_all_tables() -> MetaData:
    """The shared metadata, with the tables of every TABLES module (imported above) on it."""
    return metadata


def build_app(settings: Settings | None = None, *, clock: Clock | None = None) -> App:
    settings = settings or Settings()
    app = App(settings=settings, db=Database(settings.database_url), clock=clock or SystemClock(),
              alerts=AlertsRuntime(), notifications=NotificationsRuntime(), reactors=REACTORS,
              demotion_checks=DEMOTION_CHECKS)
    for install in INSTALLERS:
        install(app)
    return app
