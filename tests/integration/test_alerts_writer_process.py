"""The alert writer in a process of its own (WARROOM_ALERT_WRITER=process): answers only after commit,
survives the death of its child, forwards live notices on SQLite, and is what a real server runs."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.alerts_support import alerts, incidents, integration, pd_event, start_uvicorn, wait_until
from warroom.alerts.ingest import Submission
from warroom.alerts.sources import pagerduty
from warroom.alerts.writer import Unavailable
from warroom.alerts.writer_process import ProcessWriter
from warroom.bootstrap import build_app
from warroom.platform.settings import Settings


def _run(coro):  # noqa: ANN001, ANN202 - in a thread of its own: another test may leave a loop running here
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _sub(integ, i: int, group: str = "storm") -> Submission:
    return Submission(integ, [pagerduty.parse(pd_event("k", dedup=f"p-{i}", summary=f"event {i}", group=group))])


@pytest.fixture
def real_app(db_url):
    """A process writer needs a real clock: its child has its own."""
    app = build_app(Settings(database_url=db_url, alert_writer="process"))
    yield app
    app.close()


def test_events_are_answered_after_the_child_commits_them(real_app):
    integ, _ = integration(real_app)
    writer = ProcessWriter(real_app)
    try:
        async def go() -> None:
            await asyncio.gather(*(writer.send(_sub(integ, i)) for i in range(200)))

        _run(go())
        assert writer.depth() == 0
    finally:
        writer.stop()
    stored = alerts(real_app)
    assert len(stored) == 200  # every answered event is in the database: one incident collected them all
    assert len({a["incident_id"] for a in stored}) == 1
    assert len(incidents(real_app)) == 1


def test_a_dead_child_fails_what_it_held_and_a_new_one_takes_over(real_app):
    integ, _ = integration(real_app)
    writer = ProcessWriter(real_app)
    try:
        _run(writer.send(_sub(integ, 0)))  # the child is up
        first = writer._proc
        os.kill(first.pid, signal.SIGKILL)
        first.join(timeout=10)

        async def after_death() -> list:
            return await asyncio.gather(*(writer.send(_sub(integ, i)) for i in range(1, 4)), return_exceptions=True)

        outcomes = _run(after_death())
        # sent to the dead child or to its successor: refused with "retry", or committed; never lost silently
        assert all(o is None or isinstance(o, Unavailable) for o in outcomes)
        wait_until(lambda: writer._proc is not first and writer._proc.is_alive(), timeout=30)
        _run(writer.send(_sub(integ, 99)))
    finally:
        writer.stop()
    keys = {a["dedup_key"] for a in alerts(real_app)}
    assert {"p-0", "p-99"} <= keys
    committed = [i for i, o in zip(range(1, 4), outcomes, strict=True) if o is None]
    assert {f"p-{i}" for i in committed} <= keys


def test_live_notices_reach_the_server_process_on_sqlite(sqlite_url):
    app = build_app(Settings(database_url=sqlite_url, alert_writer="process"))
    got: list[dict] = []
    seen = threading.Event()

    def hear(message: dict) -> None:
        got.append(message)
        if message.get("type") == "incident":
            seen.set()

    app.live.subscribe(hear)
    integ, _ = integration(app)
    writer = ProcessWriter(app)
    try:
        _run(writer.send(_sub(integ, 1)))
        assert seen.wait(10), got  # the incident the alert opened, announced in the child, heard here
    finally:
        writer.stop()
        app.close()


@pytest.mark.slow
def test_a_real_server_runs_the_writer_process_and_stops_it_with_itself(app, db_url):
    integ, key = integration(app)
    proc, url = start_uvicorn(db_url, WARROOM_ALERT_WRITER="process")
    try:
        children = _children(proc.pid)
        assert children, "no writer process"
        with httpx.Client(base_url=url, timeout=10) as http, ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(lambda i: http.post("/v2/enqueue", json=pd_event(key, dedup=f"w-{i}")).status_code,
                                  range(100)))
        assert codes == [202] * 100
        assert len(alerts(app)) == 100
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        wait_until(lambda: not any(_alive(c) for c in children), timeout=15)  # no orphan left behind
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
