"""Alert ingestion benchmark: warroom served by uvicorn on loopback, driven by wrk (C, Lua scripts in bench/)
with 32 connections, and by 4 Python sender processes (32 threads) for the exact-count storm.

    .venv/bin/python bench/ingest.py                   # SQLite and PostgreSQL, every scenario
    .venv/bin/python bench/ingest.py --db sqlite --duration 5 --scenarios A,B

Scenarios: A = PagerDuty events over 1,000 keys (after warm-up ~all duplicates), B = all-new PagerDuty
events, AM = Alertmanager webhook posts of 100 new alerts each, C = a storm of exactly 10,000 new alerts
for one outage (one group), then the time until all are visible through the API and the incident count.
Only 127.0.0.1 traffic; every run is bounded by --duration. Not part of `make test`."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from multiprocessing import Process, Queue
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_ADMIN = os.environ.get("WARROOM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(db: str, tmp: Path) -> tuple[str, dict[str, str], str]:
    """A fresh migrated database with an admin token and one integration per scenario."""
    from warroom.alerts import service
    from warroom.auth import service as auth
    from warroom.auth.permissions import Principal, UserRole
    from warroom.bootstrap import build_app
    from warroom.platform.schema import upgrade
    from warroom.platform.settings import Settings

    if db == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        from sqlalchemy import create_engine, text

        name = f"warroom_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    app = build_app(Settings(database_url=url))
    user = auth.create_user(app, username="bench", role=UserRole.ADMIN, password="bench-password-1")
    token = auth.create_token(app, user["id"], "bench")[0]
    p = Principal(user["id"], "bench", UserRole.ADMIN)
    keys = {}
    for name, kind in (("A", "pagerduty"), ("B", "pagerduty"), ("AM", "alertmanager"), ("C", "pagerduty")):
        keys[name] = service.create_integration(app, p, name=f"bench-{name}", kind=kind,
                                                config={"rate_limit": 1_000_000})[1]
    app.close()
    return url, keys, token


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, WARROOM_DATABASE_URL=url, WARROOM_EMBEDDED_WORKER="0", WARROOM_LOG_JSON="0")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "warroom.web.asgi:app", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers), "--no-access-log",
                             "--no-proxy-headers", "--log-level", "warning", "--loop", "uvloop", "--http",
                             "httptools"], env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            c = HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the server process and its children (uvicorn workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measured(server: subprocess.Popen, fn: Any, *args: Any) -> dict:
    load = os.getloadavg()[0]
    before = cpu_seconds(server.pid)
    r = fn(*args)
    r["server_cpu_s"] = round(cpu_seconds(server.pid) - before, 2)
    r["loadavg_1m_before"] = round(load, 2)
    return r


def wrk(port: int, script: str, env: dict[str, str], duration: float, connections: int, threads: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(duration)}s", "--timeout", "10s", "--latency",
           "-s", str(HERE / script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(cmd, env=dict(os.environ, WR_BENCH_DIR=str(HERE), **env), capture_output=True, text=True,
                          timeout=duration + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(line[len("WRKJSON "):])


# -- scenario C: exactly 10,000 new alerts from 4 processes x 8 threads ------------------------

def _storm_sender(port: int, key: str, ids: list[int], out: Queue) -> None:
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    chunks = [ids[i::8] for i in range(8)]

    def run(chunk: list[int]) -> None:
        nonlocal errors
        c = HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for i in chunk:
            body = json.dumps({"routing_key": key, "event_action": "trigger", "dedup_key": f"storm-{i}",
                               "payload": {"summary": f"checkout: pod {i} unreachable", "source": f"pod-{i}",
                                           "severity": "critical", "group": "checkout-outage"}})
            t = time.perf_counter()
            c.request("POST", "/v2/enqueue", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            mine.append(time.perf_counter() - t)
            if r.status != 202:
                with lock:
                    errors += 1
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=run, args=(ch,)) for ch in chunks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((lat, errors, time.time()))


def storm(port: int, key: str, token: str, total: int = 10_000) -> dict:
    q: Queue = Queue()
    ids = list(range(total))
    procs = [Process(target=_storm_sender, args=(port, key, ids[i::4], q)) for i in range(4)]
    start = time.time()
    for p in procs:
        p.start()
    results = [q.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
    last_answer = max(r[2] for r in results)
    lat = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)
    seen_at, total_seen, incidents = None, 0, set()
    deadline = time.time() + 30
    while time.time() < deadline:
        total_seen = _get(port, token, "/api/v1/alerts?q=storm-&limit=1")["total"]
        if total_seen >= total:
            seen_at = time.time()
            break
        time.sleep(0.05)
    for offset in range(0, total, 1000):
        page = _get(port, token, f"/api/v1/alerts?q=storm-&limit=1000&offset={offset}")
        incidents |= {a["incident_id"] for a in page["items"]}
    return {"alerts": total, "non2xx": errors, "seconds": round(last_answer - start, 3),
            "alerts_per_s": round(total / (last_answer - start)), "p50_ms": round(lat[len(lat) // 2] * 1000, 2),
            "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 2), "visible_total": total_seen,
            "visible_after_last_answer_s": None if seen_at is None else round(max(0.0, seen_at - last_answer), 3),
            "incidents": len(incidents)}


def _get(port: int, token: str, path: str) -> dict:
    c = HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    return json.loads(c.getresponse().read())


def run_db(db: str, args: argparse.Namespace) -> dict:
    results: dict = {"db": db, "workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp:
        url, keys, token = prepare(db, Path(tmp))
        port = free_port()
        server = start_server(url, port, args.workers)
        try:
            for sc in args.scenarios:
                if sc in ("A", "B"):
                    env = {"WR_KEY": keys[sc], "WR_MODE": "dup" if sc == "A" else "new"}
                    wrk(port, "ingest_pd.lua", env, 2, args.connections, args.threads)  # warm-up
                    r = measured(server, wrk, port, "ingest_pd.lua", env, args.duration, args.connections,
                                 args.threads)
                    r["alerts_per_s"] = round(r["requests"] / (r["duration_us"] / 1e6))
                    r["server_cpu_us_per_alert"] = round(r["server_cpu_s"] / r["requests"] * 1e6)
                elif sc == "AM":
                    env = {"WR_PATH": f"/api/v1/integrations/{keys['AM']}/alertmanager", "WR_BATCH": "100"}
                    wrk(port, "ingest_am.lua", env, 2, args.connections, args.threads)
                    r = measured(server, wrk, port, "ingest_am.lua", env, args.duration, args.connections,
                                 args.threads)
                    r["posts_per_s"] = round(r["requests"] / (r["duration_us"] / 1e6))
                    r["alerts_per_s"] = r["posts_per_s"] * 100
                    r["server_cpu_us_per_alert"] = round(r["server_cpu_s"] / (r["requests"] * 100) * 1e6)
                else:
                    r = measured(server, storm, port, keys["C"], token)
                results[sc] = r
                print(db, sc, json.dumps(r), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
            drop(url)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--scenarios", default="A,B,AM,C")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    args.scenarios = args.scenarios.split(",")
    out = [run_db(db, args) for db in args.db.split(",")]
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
