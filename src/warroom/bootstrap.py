"""Wiring: build the application object from settings. Plain imports, one literal list per extension point."""

from __future__ import annotations

from collections.abc import Callable

from warroom.alerts.runtime import AlertsRuntime
from warroom.escalation import responders
from warroom.escalation import service as escalation
from warroom.notifications.runtime import NotificationsRuntime
from warroom.platform.app import App, Reactor
from warroom.platform.clock import Clock, SystemClock
from warroom.platform.db import Database
from warroom.platform.settings import Settings

__all__ = ["App", "Reactor", "build_app", "INSTALLERS", "REACTORS"]

# Who answers incident events, in this order, each for the kinds it declares (see incidents.service._react).
REACTORS: tuple[Reactor, ...] = (escalation.reactor, responders.reactor)

# Each domain that needs runtime objects installs itself here.
INSTALLERS: tuple[Callable[[App], None], ...] = (escalation.install,)


def build_app(settings: Settings | None = None, *, clock: Clock | None = None) -> App:
    settings = settings or Settings()
    app = App(settings=settings, db=Database(settings.database_url), clock=clock or SystemClock(),
              alerts=AlertsRuntime(), notifications=NotificationsRuntime(), reactors=REACTORS)
    for install in INSTALLERS:
        install(app)
    return app
