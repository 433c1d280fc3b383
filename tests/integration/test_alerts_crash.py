"""A 2xx answer means committed: kill -9 the server right after the last answer, then every answered
event must be in the database. Runs the real server (uvicorn subprocess) on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.alerts_support import alerts, free_port, integration, pd_event, wait_until


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_answered_events_survive_a_sigkill_right_after_the_answer(app, db_url):
    integ, key = integration(app)
    port = free_port()
    env = dict(os.environ, WARROOM_DATABASE_URL=db_url, WARROOM_EMBEDDED_WORKER="0", WARROOM_LOG_JSON="0")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "warroom.web.asgi:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url), timeout=30)
        with httpx.Client(base_url=url, timeout=10) as http:
            def send(i: int) -> str | None:
                r = http.post("/v2/enqueue", json=pd_event(key, dedup=f"crash-{i}", summary=f"event {i}"))
                return r.json()["dedup_key"] if r.status_code == 202 else None

            with ThreadPoolExecutor(16) as pool:
                answered = [k for k in pool.map(send, range(300)) if k]
        os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no flush: only what was committed survives
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert len(answered) == 300
    stored = {a["dedup_key"] for a in alerts(app)}
    assert set(answered) <= stored
