"""The application object: the ground floor every domain may import. It imports no domain;
`warroom.bootstrap` builds it and wires the domains in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from warroom.platform.clock import Clock
from warroom.platform.db import Database, Tx
from warroom.platform.live import LiveHub
from warroom.platform.settings import Settings

if TYPE_CHECKING:  # the domains' runtime types; the domains import this module, never the reverse at run time
    from sqlalchemy.engine import Connection

    from warroom.alerts.runtime import AlertsRuntime
    from warroom.auth.passwords import PasswordChecks
    from warroom.incidents.events import Event, IncidentState
    from warroom.notifications.runtime import NotificationsRuntime


@dataclass(frozen=True)
class Reactor:
    """A downstream answer to incident events. The incident service calls `react(app, tx, state, events)` only
    with the recorded events whose kind is in `kinds` (never with an empty list), inside the transaction that
    recorded them, so the reactor's own writes (pages to send, timers to set) commit or roll back with them.
    `react` returns its effects, events the service appends after their causes; it never appends them itself."""

    name: str
    kinds: frozenset[str]
    react: Callable[[App, Tx, IncidentState, list[Event]], list[Event]]


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    alerts: AlertsRuntime
    notifications: NotificationsRuntime
    live: LiveHub = field(default_factory=LiveHub)
    reactors: tuple[Reactor, ...] = ()  # bootstrap.REACTORS
    passwords: PasswordChecks | None = None  # made on the first password check (auth.service)
    # Asked by auth.service, in the transaction that would do it, before a user is deactivated or made a viewer:
    # each returns why not (the rest of a sentence after the username) or None. bootstrap.DEMOTION_CHECKS
    demotion_checks: tuple[Callable[[Connection, int], str | None], ...] = ()

    def close(self) -> None:
        if self.passwords is not None:
            self.passwords.close()
        self.db.dispose()
