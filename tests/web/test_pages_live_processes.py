"""Live updates across processes: two real `warroom serve` processes on one PostgreSQL database. A change made
through one's API reaches an SSE stream served by the other (LISTEN/NOTIFY), and a reconnect with
Last-Event-ID catches up on what happened while it was away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import Users, make_db_url
from tests.web.pages_support import SSEReader, free_port, login
from warroom.bootstrap import build_app
from warroom.platform.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
WARROOM = str(Path(sys.executable).with_name("warroom"))


@contextmanager
def warroom_servers(db_url: str, tmp_path: Path, count: int = 2) -> Iterator[list[str]]:
    """Start `count` real `warroom serve` processes at once on one database; yields their base URLs."""
    env = {**os.environ, "WARROOM_DATABASE_URL": db_url, "WARROOM_EMBEDDED_WORKER": "0", "WARROOM_LOG_JSON": "1"}
    procs, bases, logs = [], [], []
    try:
        for i in range(count):
            port = free_port()
            logs.append(open(tmp_path / f"serve{i}.log", "wb"))  # noqa: SIM115 - closed below
            procs.append(subprocess.Popen([WARROOM, "serve", "--host", "127.0.0.1", "--port", str(port),
                                           "--no-worker"], env=env, stdout=logs[-1], stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for i, (proc, base) in enumerate(zip(procs, bases, strict=True)):
            while True:
                assert proc.poll() is None, (tmp_path / f"serve{i}.log").read_text()
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "warroom serve did not come up"
                time.sleep(0.1)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for log in logs:
            log.close()


def timeline(frames: list[dict[str, str]]) -> list[dict[str, str]]:
    return [f for f in frames if f.get("event") == "timeline"]


def test_a_change_through_one_process_reaches_a_stream_served_by_the_other(request, tmp_path) -> None:
    url = make_db_url("postgres", request, tmp_path)
    wr = build_app(Settings(database_url=url))
    users = Users(wr)
    wr.close()
    api = {"Authorization": f"Bearer {users.tokens['responder']}"}
    with warroom_servers(url, tmp_path) as (a, b), httpx.Client(base_url=a, timeout=10) as on_a, \
            httpx.Client(base_url=b, timeout=10) as on_b:
        inc = on_a.post("/api/v1/incidents", json={"title": "Payments down", "impact": "extensive",
                                                   "urgency": "critical"}, headers=api).json()
        assert login(on_a, "vic").status_code == 303
        on_b.cookies.update(on_a.cookies)  # sessions live in the database: a login on A is valid on B
        queue = SSEReader(on_b, "/live/queue?after=0")
        stream = SSEReader(on_b, f"/live/incidents/{inc['number']}?after={inc['version']}")
        try:
            stream.wait_for(lambda fs: any("retry" in f for f in fs))
            queue.wait_for(lambda fs: any(f.get("event") == "changed" for f in fs))  # catch-up of the declare
            seen_queue = len(queue.frames)
            started = time.monotonic()
            r = on_a.post(f"/api/v1/incidents/{inc['id']}/notes", json={"text": "made on A"}, headers=api)
            assert r.status_code == 201
            frames = timeline(stream.wait_for(lambda fs: len(timeline(fs)) >= 1, timeout=10))
            latency = time.monotonic() - started
            queue.wait_for(lambda fs: len(fs) > seen_queue, timeout=10)
        finally:
            stream.close()
            queue.close()
        print(f"cross-process delivery: {latency * 1000:.0f} ms")
        assert frames[0]["id"] == "2" and "made on A" in json.loads(frames[0]["data"])["html"]

        # B's page lost its connection; meanwhile two more changes land through A
        for text in ("while away 1", "while away 2"):
            assert on_a.post(f"/api/v1/incidents/{inc['id']}/notes", json={"text": text},
                             headers=api).status_code == 201
        again = SSEReader(on_b, f"/live/incidents/{inc['number']}?after=1", headers={"Last-Event-ID": "2"})
        try:
            frames = timeline(again.wait_for(lambda fs: len(timeline(fs)) >= 2, timeout=10))
            on_a.post(f"/api/v1/incidents/{inc['id']}/promote", json={"reason": "spreading"}, headers=api)
            frames = timeline(again.wait_for(lambda fs: len(timeline(fs)) >= 3, timeout=10))
        finally:
            again.close()
        assert [f["id"] for f in frames] == ["3", "4", "5"]
        assert json.loads(frames[2]["data"])["kind"] == "major.promoted"
