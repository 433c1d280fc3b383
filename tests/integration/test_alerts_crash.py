"""A 2xx answer means committed: kill -9 the server right after the last answer, then every answered
event must be in the database. Runs the real server (uvicorn subprocess) on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.alerts_support import alerts, integration, pd_event, server_process


@pytest.mark.slow
def test_answered_events_survive_a_sigkill_right_after_the_answer(app, db_url):
    integ, key = integration(app)
    with server_process(db_url) as (url, proc):
        with httpx.Client(base_url=url, timeout=10) as http:
            def send(i: int) -> str | None:
                event = pd_event(key, dedup=f"crash-{i}", summary=f"event {i}", group="crash")
                r = http.post("/v2/enqueue", json=event)
                return r.json()["dedup_key"] if r.status_code == 202 else None

            with ThreadPoolExecutor(16) as pool:
                answered = [k for k in pool.map(send, range(300)) if k]
        os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no flush: only what was committed survives
        proc.wait(timeout=10)
    assert len(answered) == 300
    stored = {a["dedup_key"] for a in alerts(app)}
    assert set(answered) <= stored
