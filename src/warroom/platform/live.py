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

from warroom.platform.db import Tx, driver, driver_errors

CHANNEL = "warroom_live"
APPLICATION_NAME = "warroom-live-listener"  # names the LISTEN connection in pg_stat_activity
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
        if tx.dialect == "postgresql" and self.cross_process:  # on the driver's cursor: pipelined inside a pipeline
            with driver_errors(tx.conn):
                driver(tx.conn).execute("SELECT pg_notify(%s, %s)", (CHANNEL, orjson.dumps(message).decode()))
        else:
            tx.after_commit(lambda: self.dispatch(message))


class PgListener:
    """Delivers NOTIFYs on CHANNEL from every process to this process's hub, on a dedicated connection.

    While LISTENing, the hub is marked cross_process (so announce() uses NOTIFY). After a (re)connect it
    dispatches {"type": "resync"} so live streams re-read what they may have missed meanwhile."""

    def __init__(self, hub: LiveHub, url: str, *, poll_seconds: float = 0.5) -> None:
        from sqlalchemy.engine import make_url

        self.hub = hub
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="warroom-pg-listen", daemon=True)

    def start(self, ready_timeout: float = 10.0) -> bool:
        """Start listening; returns whether LISTEN was in place within `ready_timeout` seconds."""
        self._thread.start()
        return self._ready.wait(ready_timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self.hub.cross_process = False

    def _run(self) -> None:
        import psycopg

        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                                     application_name=APPLICATION_NAME) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.hub.cross_process = True
                    self._ready.set()
                    self.hub.dispatch({"type": "resync"})
                    backoff = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self.poll_seconds):
                            self._deliver(note.payload)
            except Exception:  # connection lost or refused: fall back to local delivery, retry with backoff
                self.hub.cross_process = False
                if not self._stop.is_set():
                    log.warning("live listener disconnected; retrying in %.1fs", backoff, exc_info=True)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        self.hub.cross_process = False

    def _deliver(self, payload: str) -> None:
        try:
            message = orjson.loads(payload)
        except orjson.JSONDecodeError:
            log.warning("ignoring a malformed live notice")
            return
        if isinstance(message, dict):
            self.hub.dispatch(message)
