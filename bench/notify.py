"""Benchmark: declaration -> first notification latency, and how late due timers fire.

1. latency: `warroom serve` (embedded worker) runs as a subprocess; this script declares incidents over the
   REST API at a fixed rate (open loop) and a loopback webhook receiver notes when each incident's first
   page arrives. Reported from the moment the declaration was sent (includes the API call) and from the
   moment its 201 came back ("accepted").
2. timers: N escalation steps come due spread over a window; a `warroom worker` process fires them. Lateness is
   the recorded time of each `escalation.paged` event minus its due time.

    .venv/bin/python bench/notify.py [--rate 100] [--seconds 20] [--timers 10000] [--spread 60] [--db URL]

Not part of `make test`; results go in docs/bench-notify.md."""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import select

from warroom.auth import service as auth
from warroom.auth.permissions import Principal, UserRole
from warroom.bootstrap import build_app
from warroom.catalog import service as catalog
from warroom.escalation import service as esc
from warroom.escalation import store as esc_store
from warroom.incidents import service as incidents
from warroom.incidents import store as inc_store
from warroom.incidents.priority import Impact, Urgency
from warroom.notifications import contacts
from warroom.platform.schema import upgrade
from warroom.platform.settings import Settings

ADMIN = Principal(0, "bench", UserRole.ADMIN)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.count = 0
        lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                t = time.time()
                doc = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with lock:
                    outer.count += 1
                    outer.first.setdefault(doc["incident"]["id"], t)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"


def server_cpu_ms(pid: int) -> float:
    """utime + stime of a process so far, in ms (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") * 1000


def env_for(db: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "WARROOM_DATABASE_URL": db, "WARROOM_LOG_JSON": "1", "WARROOM_NO_DEMO": "1", **extra}


def bench_latency(db: str, rate: float, seconds: float, separate: bool = False) -> dict[str, float]:
    app = build_app(Settings(database_url=db))
    rx = Receiver()
    user = auth.create_user(app, username="oncall", display_name="On Call", role=UserRole.ADMIN)
    token = auth.create_token(app, user["id"], "bench")[0]
    m = contacts.add_method(app, ADMIN, user["id"], kind="webhook", address=rx.url, secret="bench-secret")
    contacts.add_rule(app, ADMIN, user["id"], method_id=m["id"])
    pid = esc.create_policy(app, ADMIN, name="bench", levels=[
        {"timeout_minutes": 30, "targets": [{"kind": "user", "id": user["id"]}]}])["id"]
    sid = catalog.create_service(app, name="bench", escalation_policy_id=pid)["id"]
    app.close()
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="warroom-bench-log-")) / "serve.log"
    server = subprocess.Popen([sys.executable, "-m", "warroom.cli.main", "serve", "--port", str(port)],
                              env=env_for(db, WARROOM_EMBEDDED_WORKER="0" if separate else "1"),
                              stdout=subprocess.DEVNULL, stderr=log_path.open("wb"))
    worker = subprocess.Popen([sys.executable, "-m", "warroom.cli.main", "worker"],
                              env=env_for(db, WARROOM_TICK_SECONDS="0.05"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) if separate else None
    print(f"server log: {log_path}", file=sys.stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                              limits=httpx.Limits(max_connections=64))
        sent: dict[int, tuple[float, float]] = {}
        failures = 0

        def declare(i: int) -> None:
            nonlocal failures
            t0 = time.time()
            r = client.post("/api/v1/incidents", json={"title": f"bench {i}", "impact": "extensive",
                                                        "urgency": "critical", "service_ids": [sid]})
            if r.status_code != 201:
                failures += 1
                return
            sent[r.json()["id"]] = (t0, time.time())

        cpu_before = server_cpu_ms(server.pid)
        total = int(rate * seconds)
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=64) as pool:
            for i in range(total):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(declare, i)
        elapsed = time.monotonic() - start
        deadline = time.monotonic() + 30
        while len([k for k in sent if k in rx.first]) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        cpu_ms = server_cpu_ms(server.pid) - cpu_before
        from_send = [(rx.first[k] - t0) * 1000 for k, (t0, _) in sent.items() if k in rx.first]
        from_accept = [(rx.first[k] - t1) * 1000 for k, (_, t1) in sent.items() if k in rx.first]
        api = [(t1 - t0) * 1000 for t0, t1 in sent.values()]
        return {"worker": "separate process" if separate else "embedded",
                "declared": len(sent), "failed": failures, "notified": len(from_send),
                "achieved_rate": round(len(sent) / elapsed, 1),
                "server_cpu_ms_per_declaration": round(cpu_ms / max(1, len(sent)), 2),
                "load_average": os.getloadavg()[0],
                "api_p50_ms": round(pct(api, 50), 1), "api_p99_ms": round(pct(api, 99), 1),
                "p50_from_send_ms": round(pct(from_send, 50), 1), "p99_from_send_ms": round(pct(from_send, 99), 1),
                "max_from_send_ms": round(max(from_send), 1),
                "p50_from_accept_ms": round(pct(from_accept, 50), 1),
                "p99_from_accept_ms": round(pct(from_accept, 99), 1)}
    finally:
        for proc in (server, worker):
            if proc is not None:
                proc.terminate()
                proc.wait(20)


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
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--timers", type=int, default=10000)
    ap.add_argument("--spread", type=float, default=60, help="seconds over which the timers come due")
    ap.add_argument("--workers", type=int, default=1, help="worker processes for the timer part")
    ap.add_argument("--db", help="database URL of an EMPTY database (default: a fresh SQLite file)")
    ap.add_argument("--separate-worker", action="store_true",
                    help="latency part: serve --no-worker plus a `warroom worker` process (tick 0.05 s)")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--skip-timers", action="store_true")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="warroom-bench-"))
    results: dict[str, object] = {"db": "postgresql" if a.db and a.db.startswith("postgres") else "sqlite"}
    if not a.skip_latency:
        db = a.db or f"sqlite:///{tmp / 'latency.db'}"
        upgrade(db)
        results["latency"] = bench_latency(db, a.rate, a.seconds, a.separate_worker)
        print(json.dumps(results["latency"]), flush=True)
    if not a.skip_timers:
        db = a.db or f"sqlite:///{tmp / 'timers.db'}"
        upgrade(db)
        results["timers"] = bench_timers(db, a.timers, a.spread, a.workers)
        print(json.dumps(results["timers"]), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
