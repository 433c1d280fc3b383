"""The application object: the ground floor every domain may import. It imports no domain;
`warroom.bootstrap` builds it and wires the domains in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from warroom.platform.clock import Clock
from warroom.platform.db import Database, Tx
from warroom.platform.live import LiveHub
from warroom.platform.settings import Settings

if TYPE_CHECKING:  # the domains' runtime types; the domains import this module, never the reverse at run time
    from warroom.alerts.runtime import AlertsRuntime

# A reactor runs inside the transaction that appended incident events, so its own writes
# (pages to send, timers to set) commit or roll back with them.
Reactor = Callable[["App", Tx, Any, list[Any]], Any]  # may return the newer incident state


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    alerts: AlertsRuntime
    live: LiveHub = field(default_factory=LiveHub)
    reactors: list[Reactor] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    passwords: Any = None  # auth.passwords.PasswordChecks, made on the first password check

    def close(self) -> None:
        if self.passwords is not None:
            self.passwords.close()
        self.db.dispose()
