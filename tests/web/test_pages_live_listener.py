"""The PostgreSQL LISTEN bridge: delivers other processes' notices, survives a lost connection (re-LISTENs and
tells streams to re-read), ignores malformed payloads, and stops cleanly."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import make_db_url
from warroom.platform.live import APPLICATION_NAME, CHANNEL, LiveHub, PgListener

pytestmark = pytest.mark.postgres


class Collector:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.cond = threading.Condition()

    def __call__(self, message: dict[str, Any]) -> None:
        with self.cond:
            self.got.append(message)
            self.cond.notify_all()

    def wait_for(self, pred: Any, timeout: float = 10.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: pred(self.got), timeout), f"got only {self.got}"


def test_listener_delivers_reconnects_and_stops(request, tmp_path) -> None:
    url = make_db_url("postgres", request, tmp_path)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")

    def notify(payload: str) -> None:
        with engine.connect() as c:
            c.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})

    hub, got = LiveHub(), Collector()
    hub.subscribe(got)
    listener = PgListener(hub, url, poll_seconds=0.2)
    assert listener.start() and hub.cross_process
    try:
        notify("not json")
        notify('{"type": "incident", "incident_id": 7}')
        got.wait_for(lambda g: {"type": "incident", "incident_id": 7} in g)
        assert all(isinstance(m, dict) for m in got.got), "a malformed payload is dropped, not delivered"

        with engine.connect() as c:  # the database drops the listener's connection
            killed = c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE application_name = :n AND datname = current_database()"),
                               {"n": APPLICATION_NAME}).scalars().all()
        assert killed == [True]
        resyncs = sum(1 for m in got.got if m == {"type": "resync"})
        got.wait_for(lambda g: sum(1 for m in g if m == {"type": "resync"}) > resyncs)
        deadline = time.monotonic() + 10
        while not hub.cross_process:
            assert time.monotonic() < deadline, "listener did not come back"
            time.sleep(0.05)
        notify('{"type": "incident", "incident_id": 8}')
        got.wait_for(lambda g: {"type": "incident", "incident_id": 8} in g)
    finally:
        listener.stop()
        engine.dispose()
    assert not hub.cross_process and not listener._thread.is_alive()
