"""Post-commit fan-out of change notices to live pages.

A change is announced inside its transaction: on PostgreSQL with NOTIFY (delivered to every
listening process only if and when the transaction commits), on SQLite by a callback that runs
after commit in this process. Subscribers receive small dicts; pages reload what they need."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import text

from warroom.platform.db import Tx

CHANNEL = "warroom_live"
log = logging.getLogger("warroom.live")

Subscriber = Callable[[dict[str, Any]], None]


class LiveHub:
    def __init__(self) -> None:
        self._subs: list[Subscriber] = []
        self._lock = threading.Lock()
        self.cross_process = False  # set when a PostgreSQL listener delivers NOTIFYs to this hub

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subs.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subs:
                    self._subs.remove(fn)

        return unsubscribe

    def dispatch(self, message: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs)
        for fn in subs:
            try:
                fn(message)
            except Exception:
                log.exception("live subscriber failed")

    def announce(self, tx: Tx, message: dict[str, Any]) -> None:
        """Announce a change made in `tx`; nobody hears it unless the transaction commits."""
        if tx.dialect == "postgresql" and self.cross_process:
            tx.conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": orjson.dumps(message).decode()})
        else:
            tx.after_commit(lambda: self.dispatch(message))
