"""Queue page render time with 100 open and 100,000 closed incidents (not a test; numbers go in docs/bench-web.md).

    .venv/bin/python bench/queue_page.py                      # a temporary SQLite database
    .venv/bin/python bench/queue_page.py --pg postgresql://postgres@127.0.0.1:5432/postgres   # a scratch PG DB

Times each request in-process through the ASGI app (FastAPI TestClient: routing, session check, queries,
template rendering; no network), after warming up."""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from warroom.auth import service as auth  # noqa: E402
from warroom.bootstrap import build_app  # noqa: E402
from warroom.catalog import service as catalog  # noqa: E402
from warroom.incidents.store import incident_events, incident_services, incidents  # noqa: E402
from warroom.platform.schema import upgrade  # noqa: E402
from warroom.platform.settings import Settings  # noqa: E402
from warroom.web.app import create_app  # noqa: E402

PRIORITIES = ["P1", "P2", "P3", "P4", "P5"]


def seed(app, n_open: int, n_closed: int) -> None:  # noqa: ANN001
    svc_ids = [catalog.create_service(app, name=f"svc-{i}", tier=1 + i % 4)["id"] for i in range(20)]
    now = datetime.now(UTC)
    rng = random.Random(7)
    rows, events, links = [], [], []
    for n in range(1, n_open + n_closed + 1):
        is_open = n > n_closed
        detected = now - timedelta(minutes=rng.randint(1, 60 * 24 * 365))
        pr = rng.choice(PRIORITIES)
        rows.append({"id": n, "ref": n, "title": f"Incident {n}: something broke", "description": "", "category": "",
                     "identified_via": "monitoring", "impact": "moderate", "urgency": "medium", "priority": pr,
                     "priority_rank": int(pr[1]), "priority_overridden": False, "priority_reason": None,
                     "status": rng.choice(["identified", "investigating", "contained"]) if is_open else "closed",
                     "is_open": is_open, "major": is_open and n % 25 == 0, "major_reason": None,
                     "coordinator_id": None, "comms_lead_id": None, "scribe_id": None, "experts": [],
                     "service_ids": [svc_ids[n % 20]], "parent_id": None, "duplicate_of_id": None,
                     "declared_by": "bench", "detected_at": detected, "acknowledged_at": None,
                     "investigating_at": None, "contained_at": None, "resolved_at": None if is_open else detected,
                     "closed_at": None if is_open else detected, "created_at": detected, "updated_at": detected,
                     "version": 1})
        events.append({"incident_id": n, "seq": 1, "kind": "incident.declared", "occurred_at": detected,
                       "recorded_at": detected, "actor": "bench", "data": {"ref": n}})
        links.append({"incident_id": n, "service_id": svc_ids[n % 20]})
    with app.db.transaction() as tx:
        for start in range(0, len(rows), 5000):
            tx.conn.execute(incidents.insert(), rows[start:start + 5000])
            tx.conn.execute(incident_events.insert(), events[start:start + 5000])
            tx.conn.execute(incident_services.insert(), links[start:start + 5000])
        if tx.dialect == "postgresql":
            tx.conn.execute(text("SELECT setval('incidents_id_seq', (SELECT max(id) FROM incidents))"))
    with app.db.engine.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()


def measure(client: TestClient, path: str, n: int) -> dict[str, float]:
    for _ in range(5):
        assert client.get(path).status_code == 200
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    times.sort()
    return {"median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "max": times[-1]}


def run(url: str, n_open: int, n_closed: int, n: int) -> None:
    upgrade(url)
    app = build_app(Settings(database_url=url))
    t = time.perf_counter()
    seed(app, n_open, n_closed)
    print(f"seeded {n_open} open + {n_closed} closed incidents in {time.perf_counter() - t:.1f}s ({app.db.dialect})")
    auth.create_user(app, username="bench", password="bench-password", role="viewer")
    with TestClient(create_app(app, background=False)) as c:
        page = c.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert c.post("/login", data={"username": "bench", "password": "bench-password", "csrf": csrf},
                      follow_redirects=False).status_code == 303
        html = c.get("/").text
        assert html.count('<tr data-key="') == n_open, "the queue shows every open incident"
        for path in ("/", "/queue/rows", "/?priority=P1", "/?status=closed", "/?q=Incident%2099999"):
            m = measure(c, path, n)
            print(f"  GET {path:24s} median {m['median']:6.1f} ms   p95 {m['p95']:6.1f} ms   max {m['max']:6.1f} ms")
    app.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", help="PostgreSQL server URL; a scratch database is created and dropped")
    ap.add_argument("--open", type=int, default=100)
    ap.add_argument("--closed", type=int, default=100_000)
    ap.add_argument("-n", type=int, default=50, help="requests per path")
    args = ap.parse_args()
    if args.pg:
        name = f"warroom_bench_{uuid.uuid4().hex[:6]}"
        admin = create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(args.pg.rsplit("/", 1)[0] + f"/{name}", args.open, args.closed, args.n)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", args.open, args.closed, args.n)


if __name__ == "__main__":
    main()
