"""Alert list queries over a large alerts table (not a test; numbers go in docs/bench-ingest.md).

    .venv/bin/python bench/alerts_list.py --db sqlite,postgres --alerts 1000000

Fills a fresh database (a temporary SQLite file, or a scratch PostgreSQL database on 127.0.0.1 that it drops
afterwards) with N alerts of one integration (10% firing or acknowledged, 4 severities, 5,000 hosts, one every
30 s), runs ANALYZE, then times `alerts.queries.list_alerts` (200 rows and the total, as the web page and the API
ask) for each filter: best of 3, in-process."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import ingest  # noqa: E402  (the ingestion benchmark's database set-up)

from warroom.alerts import queries  # noqa: E402
from warroom.bootstrap import build_app  # noqa: E402
from warroom.platform.settings import Settings  # noqa: E402

FILTERS = [("no filter", {}), ("status firing", {"statuses": ["firing"]}),
           ("severity critical", {"severities": ["critical"]}),
           ("open + critical", {"statuses": ["firing", "acknowledged"], "severities": ["critical"]}),
           ("integration", {"integration_id": 1}), ("text q=host4242", {"text": "host4242"})]


def fill(app, db: str, n: int) -> float:  # noqa: ANN001
    start = time.perf_counter()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    sev = ["critical", "error", "warning", "info"]
    status = ["resolved"] * 18 + ["firing", "acknowledged"]
    ph = "?" if db == "sqlite" else "%s"
    sql = ("INSERT INTO alerts (integration_id, dedup_key, status, severity, summary, source, service_id, group_key, "
           f"labels, payload, incident_id, count, first_seen_at, last_seen_at) VALUES ({', '.join([ph] * 14)})")
    with app.db.engine.begin() as c:
        cur = c.connection.driver_connection.cursor()
        for chunk in range(0, n, 50_000):
            rows = []
            for i in range(chunk, min(n, chunk + 50_000)):
                t = base + timedelta(seconds=i * 30)
                at = t.isoformat() if db == "sqlite" else t
                rows.append((1, f"k{i}", status[i % 20], sev[(i // 7) % 4], f"disk {i % 997} full on host{i % 5000}",
                             f"host{i % 5000}", None, "g", "{}", "{}", None, 1, at, at))
            cur.executemany(sql, rows)
        c.exec_driver_sql("ANALYZE")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--alerts", type=int, default=1_000_000)
    args = ap.parse_args()
    for db in args.db.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            url, _, _ = ingest.prepare(db, Path(tmp))
            app = build_app(Settings(database_url=url))
            try:
                print(f"{db}: {args.alerts:,} alerts loaded in {fill(app, db, args.alerts):.1f} s", flush=True)
                for name, kw in FILTERS:
                    times = []
                    for _ in range(3):
                        t = time.perf_counter()
                        _, total = queries.list_alerts(app, limit=200, **kw)
                        times.append(time.perf_counter() - t)
                    print(f"{db}: {name:<18} {min(times) * 1000:7.1f} ms  (total {total:,})", flush=True)
            finally:
                app.close()
                ingest.drop(url)


if __name__ == "__main__":
    main()
