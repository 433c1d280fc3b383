"""What this process keeps for delivering notifications: the channels, the checks run on claimed rows, the
hook for rows gone dead, the retry policy, the sends in flight, and the event that wakes the worker loop.
One per App (`app.notifications`), made by bootstrap; `outbox.install` fills in the channels."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warroom.notifications.outbox import Channel, Check, DeadHook


@dataclass(frozen=True)
class Retry:
    base_seconds: float = 5.0
    cap_seconds: float = 600.0
    max_attempts: int = 6
    lease_seconds: float = 60.0  # a claimed row is due again after this if its worker vanished

    def backoff(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))

    @classmethod
    def from_env(cls) -> Retry:
        env = os.environ.get
        return cls(float(env("WARROOM_NOTIFY_BACKOFF_SECONDS", "5")), 600.0,
                   int(env("WARROOM_NOTIFY_MAX_ATTEMPTS", "6")), float(env("WARROOM_NOTIFY_LEASE_SECONDS", "60")))



@dataclass
class Flight:
    """Sends started by this process and not yet recorded: a slow channel never holds up the loop."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    running: set[Future[Any]] = field(default_factory=set)
    done: list[tuple[dict[str, Any], int, str | None]] = field(default_factory=list)


@dataclass
class NotificationsRuntime:
    channels: dict[str, Channel] = field(default_factory=dict)  # by kind; tests replace entries (notify_support)
    checks: list[Check] = field(default_factory=list)  # outbox.add_check
    on_dead: DeadHook | None = None  # outbox.install(on_dead=...)
    retry: Retry = field(default_factory=Retry.from_env)
    flight: Flight = field(default_factory=Flight)
    wake: threading.Event = field(default_factory=threading.Event)  # set once outbox rows commit: the worker loop runs
