"""Benchmark: how late due escalation steps fire. N incidents each get an escalation step due at a time spread
evenly over a window (starting 5 s after setup); one or more `warroom worker` processes (tick 0.2 s) fire them.
Lateness = `recorded_at` of each `escalation.paged` event minus its due time; `fired_twice` counts steps fired more
than once (must be 0).

    .venv/bin/python bench/timers.py [--timers 10000] [--spread 60] [--workers 1] [--db URL of an EMPTY database]
    .venv/bin/python bench/timers.py --spread 0          # all 10,000 timers due at the same instant

Declaration cost and paging latency are bench/notify.py. Not part of `make test`; results in docs/bench-notify.md."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from warroom.auth.permissions import Principal, UserRole
from warroom.bootstrap import build_app
from warroom.escalation import service as esc
from warroom.escalation import store as esc_store
from warroom.incidents import service as incidents
from warroom.incidents import store as inc_store
from warroom.incidents.priority import Impact, Urgency
from warroom.platform.schema import upgrade
from warroom.platform.settings import Settings

ADMIN = Principal(0, "bench", UserRole.ADMIN)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def env_for(db: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "WARROOM_DATABASE_URL": db, "WARROOM_LOG_JSON": "1", "WARROOM_NO_DEMO": "1", **extra}


def bench_timers(db: str, n: int, spread: float, workers: int) -> dict[str, float]:
    """N escalation steps due over `spread` seconds starting a few seconds from now; workers fire them."""
    app = build_app(Settings(database_url=db))
    pid = esc.create_policy(app, ADMIN, name="timers", levels=[
        {"timeout_minutes": 1, "targets": [{"kind": "role", "role": "coordinator"}]},
        {"timeout_minutes": 1, "targets": [{"kind": "role", "role": "coordinator"}]}])["id"]
    now = datetime.now(UTC)
    rows = []
    with app.db.transaction() as tx:  # plain incidents (no service policy), then one due step each
        for i in range(n):
            s = incidents.declare_in(app, tx, by="bench", title=f"t{i}", impact=Impact.MINOR, urgency=Urgency.LOW)
            rows.append(s.id)
    first_due = datetime.now(UTC) + timedelta(seconds=5)
    due = {iid: first_due + timedelta(seconds=spread * k / n) for k, iid in enumerate(rows)}
    with app.db.transaction() as tx:
        tx.conn.execute(esc_store.escalations.insert(), [
            {"incident_id": iid, "policy_id": pid, "reason": "declared", "level": 0, "cycle": 0, "state": "active",
             "next_at": at, "started_at": now, "updated_at": now} for iid, at in due.items()])
    procs = [subprocess.Popen([sys.executable, "-m", "warroom.cli.main", "worker"],
                              env=env_for(db, WARROOM_TICK_SECONDS="0.2"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        end = time.monotonic() + 5 + spread + 120
        q = select(inc_store.incident_events.c.incident_id, inc_store.incident_events.c.recorded_at).where(
            inc_store.incident_events.c.kind == "escalation.paged", inc_store.incident_events.c.incident_id >= rows[0])
        fired: dict[int, datetime] = {}
        while time.monotonic() < end:
            with app.db.read() as conn:
                got = list(conn.execute(q))
            if len(got) >= n:
                break
            time.sleep(1)
        for iid, at in got:
            fired.setdefault(iid, at if at.tzinfo else at.replace(tzinfo=UTC))
        late = [(fired[i] - due[i]).total_seconds() for i in fired]
        doubles = len(got) - len(fired)
        return {"timers": n, "fired": len(fired), "fired_twice": doubles, "spread_s": spread, "workers": workers,
                "late_p50_s": round(statistics.median(late), 3), "late_p99_s": round(pct(late, 99), 3),
                "late_max_s": round(max(late), 3), "early": sum(1 for x in late if x < 0)}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
        app.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timers", type=int, default=10000)
    ap.add_argument("--spread", type=float, default=60, help="seconds over which the timers come due")
    ap.add_argument("--workers", type=int, default=1, help="worker processes")
    ap.add_argument("--db", help="database URL of an EMPTY database (default: a fresh SQLite file)")
    a = ap.parse_args()
    db = a.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='warroom-bench-')) / 'timers.db'}"
    upgrade(db)
    print(json.dumps({"db": "postgresql" if db.startswith("postgres") else "sqlite",
                      **bench_timers(db, a.timers, a.spread, a.workers)}, indent=2))


if __name__ == "__main__":
    main()
