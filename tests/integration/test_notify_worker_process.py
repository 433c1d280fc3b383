"""Durability: SIGKILL a worker process mid-delivery, restart it, and every notification still arrives;
several workers against one database never fire an escalation step twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from tests.notify_support import ADMIN, Receiver, declare, kinds, paged, person, policy, run_ticks, service_with
from warroom.bootstrap import build_app
from warroom.notifications import contacts
from warroom.notifications import queries as notify_queries
from warroom.platform.settings import Settings


def _worker(db_url: str) -> subprocess.Popen:
    env = {**os.environ, "WARROOM_DATABASE_URL": db_url, "WARROOM_TICK_SECONDS": "0.05",
           "WARROOM_NOTIFY_LEASE_SECONDS": "2", "WARROOM_NOTIFY_BACKOFF_SECONDS": "0.2", "WARROOM_LOG_JSON": "1"}
    return subprocess.Popen([sys.executable, "-m", "warroom.cli.main", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(cond, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


@pytest.mark.slow
def test_sigkill_mid_delivery_loses_nothing(db_url, tmp_path):
    from warroom.platform.clock import SystemClock

    app = build_app(Settings(database_url=db_url), clock=SystemClock())
    slow = Receiver(delay=0.15, serial=True)
    proc = None
    try:
        users = [person(app, f"u{i}") for i in range(8)]
        for u in users:
            m = contacts.add_method(app, ADMIN, u, kind="webhook", address=slow.url(), secret="k")
            contacts.add_rule(app, ADMIN, u, method_id=m["id"])
        pid = policy(app, "all", [[{"kind": "user", "id": u} for u in users]], timeout=60)
        for i in range(2):
            declare(app, service_with(app, f"svc{i}", pid), title=f"outage {i}")
        rows = notify_queries.list_(app)
        assert len(rows) == 16
        proc = _worker(db_url)
        assert _wait(lambda: len(slow.got) >= 3, 30), "the worker never started delivering"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_after = len(slow.got)
        undelivered = [r for r in notify_queries.list_(app) if r["state"] != "delivered"]
        assert undelivered, "the kill came too late to test anything"
        assert any(r["attempts"] > 0 for r in undelivered)  # some were in flight when the worker died
        proc = _worker(db_url)
        assert _wait(lambda: all(r["state"] == "delivered" for r in notify_queries.list_(app)), 60)
        got = Counter(r.headers["x-warroom-idempotency-key"] for r in slow.got)
        assert set(got) == {r["key"] for r in rows}  # none lost
        assert len(slow.got) >= killed_after
        # an attempt cut short by the kill stays on record without an outcome
        assert any(a["ok"] is None for r in undelivered for a in notify_queries.get(app, r["id"])["attempt_log"])
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        slow.close()
        app.close()


def test_concurrent_workers_never_fire_a_step_twice(app, clock, db_url):
    from tests.notify_support import Recorder

    Recorder(app)
    ana, bo = person(app, "ana"), person(app, "bo")
    # three levels: a step fired twice would page level 3 (or, past the end, log an exhaustion)
    pid = policy(app, "three", [[{"kind": "user", "id": ana}], [{"kind": "user", "id": bo}],
                                [{"kind": "user", "id": ana}]], timeout=1)
    incs = [declare(app, service_with(app, f"s{i}", pid), title=f"i{i}") for i in range(15)]
    clock.advance(minutes=1)
    workers = [build_app(Settings(database_url=db_url), clock=clock) for _ in range(3)]
    for w in workers:
        Recorder(w)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def go(w) -> None:
        try:
            start.wait(10)
            run_ticks(w, 3)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for w in workers:
        w.close()
    assert not errors
    for inc in incs:
        assert [p["level"] for p in paged(app, inc)] == [1, 2], inc
        assert kinds(app, inc, "escalation.") == ["escalation.paged"] * 2, inc
    keys = [n["key"] for n in notify_queries.list_(app, limit=1000)]
    assert len(keys) == len(set(keys)) == 30
    run_ticks(app)
    assert all(n["state"] == "delivered" for n in notify_queries.list_(app, limit=1000))


def test_a_stale_due_list_fires_nothing_and_a_held_incident_waits(app, clock):
    from warroom.escalation import service as esc
    from warroom.escalation import store
    from warroom.incidents import service as incidents

    ana, bo = person(app, "ana"), person(app, "bo")
    pid = policy(app, "two", [[{"kind": "user", "id": ana}], [{"kind": "user", "id": bo}]], timeout=1)
    inc = declare(app, service_with(app, "s", pid))
    clock.advance(minutes=1)
    with app.db.read() as conn:
        stale = store.due_ids(conn, store.escalations, "next_at", clock.now(), 100)
    if app.db.dialect == "postgresql":  # an incident another transaction holds is skipped, not waited for
        with app.db.transaction() as tx:
            incidents.load_in(tx, inc)
            assert esc.escalate_due(app, clock.now()) == 0
    assert esc.escalate_due(app, clock.now()) == 1
    # a worker that read the due list before that step fired re-checks under lock and fires nothing
    assert esc._chunk(app, clock.now(), store.escalations, "next_at", esc._escalation_step, stale) == 0
    assert [p["level"] for p in paged(app, inc)] == [1, 2]


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path) -> str:
    from tests.conftest import make_db_url

    return make_db_url("postgres", request, tmp_path)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_separate_worker_is_woken_by_a_page_written_elsewhere(pg_url):
    """PostgreSQL: a page written by a server process reaches a separate `warroom worker` by LISTEN/NOTIFY at
    once, not at its next tick (here 30 s)."""
    from warroom.platform.clock import SystemClock
    from warroom.platform.live import PgListener

    app = build_app(Settings(database_url=pg_url), clock=SystemClock())
    listener = PgListener(app.live, pg_url)  # as in `warroom serve`: its changes are announced by NOTIFY
    assert listener.start()
    hook = Receiver()
    env = {**os.environ, "WARROOM_DATABASE_URL": pg_url, "WARROOM_TICK_SECONDS": "30", "WARROOM_LOG_JSON": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "warroom.cli.main", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ana = person(app, "ana")
        m = contacts.add_method(app, ADMIN, ana, kind="webhook", address=hook.url(), secret="k")
        contacts.add_rule(app, ADMIN, ana, method_id=m["id"])
        pid = policy(app, "p", [[{"kind": "user", "id": ana}]])
        assert _wait(lambda: _listening(app) >= 2, 30), "the worker never started listening"
        time.sleep(0.5)  # past the worker's first tick, which ran at its start
        started = time.monotonic()
        declare(app, service_with(app, "svc", pid))
        assert hook.wait_for(1, timeout=10), "the page waited for the worker's next tick"
        assert time.monotonic() - started < 5
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        listener.stop()
        hook.close()
        app.close()


def _listening(app) -> int:
    """Connections LISTENing for live notices on this database (ours and the worker's)."""
    from sqlalchemy import text

    from warroom.platform.live import APPLICATION_NAME

    with app.db.read() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n "
                                 "AND datname = current_database()"), {"n": APPLICATION_NAME}).scalar_one()
