"""The background worker: a loop whose every tick runs small idempotent jobs against the database.

Timers (escalation steps, target breaches, notification retries) live in the database, so a restarted
worker simply finds what is due. Several workers may run at once: each job claims its rows under locks.
An outbox write in the same process wakes the loop at once instead of waiting for the next tick; on
PostgreSQL so does a page written by any other process (its live notice arrives by LISTEN/NOTIFY)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from warroom.escalation.paging import PAGED
from warroom.escalation.service import breach_due, escalate_due
from warroom.notifications.outbox import deliver_due, settle
from warroom.platform.app import App

log = logging.getLogger("warroom.worker")

Job = Callable[[App, datetime], int]
JOBS: tuple[Job, ...] = (escalate_due, breach_due, deliver_due)


def tick(app: App, now: datetime | None = None, jobs: tuple[Job, ...] = JOBS) -> dict[str, int]:
    """Run every job once for `now` (default: the app clock); returns how many rows each handled.
    A failing job is logged and does not stop the others."""
    done: dict[str, int] = {}
    for job in jobs:
        try:
            done[job.__name__] = job(app, now or app.clock.now())
        except Exception:
            log.exception("worker job failed", extra={"job": job.__name__})
            done[job.__name__] = -1
    return done


def run(app: App, stop: threading.Event, *, max_ticks: int | None = None) -> None:
    """Tick until `stop` is set (or `max_ticks` ran), sleeping tick_seconds or until woken."""
    wake = app.notifications.wake
    unsubscribe = app.live.subscribe(lambda message: wake.set() if _pages(message) else None)
    try:
        _loop(app, stop, wake, max_ticks)
    finally:
        unsubscribe()
    settle(app, timeout=10)  # record the outcome of sends still in flight


def _pages(message: dict[str, Any]) -> bool:
    """A live notice of pages written (outbox rows to deliver), or a reconnect after which some may be."""
    return message.get("type") == "resync" or PAGED in (message.get("kinds") or ())


def _loop(app: App, stop: threading.Event, wake: threading.Event, max_ticks: int | None) -> None:
    ticks = failing = 0
    timers_at = 0.0
    while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
        wake.clear()
        # a wake-up means new outbox rows: deliver now; the timer jobs keep their own cadence
        if time.monotonic() - timers_at >= app.settings.tick_seconds:
            timers_at = time.monotonic()
            busy = tick(app)
        else:
            busy = tick(app, jobs=(deliver_due,))
        ticks += 1
        failing = failing + 1 if any(n < 0 for n in busy.values()) else 0
        if failing:  # the database is down or not migrated: back off instead of logging 15 tracebacks a second
            stop.wait(min(30.0, app.settings.tick_seconds * 2 ** min(failing, 10)))
        elif any(n >= 50 for n in busy.values()):
            continue  # a full batch: there is probably more due right now
        else:
            wake.wait(app.settings.tick_seconds)


def start_embedded(app: App) -> Callable[[], None]:
    """BACKGROUND hook for `warroom serve`: one worker thread when settings.embedded_worker is true."""
    if not app.settings.embedded_worker:
        return lambda: None
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(app, stop), name="warroom-worker", daemon=True)
    thread.start()
    log.info("embedded worker started")

    def halt() -> None:
        stop.set()
        app.notifications.wake.set()
        thread.join(timeout=15)

    return halt
