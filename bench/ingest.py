"""Alert ingestion benchmark, measured against a reference in the same run (docs/bench-ingest.md, "How to measure").

It starts two servers on loopback: warroom as users start it (`warroom serve`, defaults: one process, embedded
worker on) on a fresh database, and the reference (bench/reference_app.py: a raw ASGI app that only parses the
JSON and answers 202; uvicorn, uvloop, httptools, one worker), then drives both with the same wrk client (C, Lua
scripts in bench/, 32 connections), interleaved: for each scenario, reference, warroom, reference, warroom ...
for --rounds. It reports warroom / reference beside the absolute numbers, the server CPU per alert, p99, the
load average, the date and the commit. Absolute numbers depend on the machine and on what else runs on it; the
ratio of two servers measured in the same minutes much less.

    .venv/bin/python bench/ingest.py                     # SQLite and PostgreSQL, A, B, AM, C, 2 rounds of 10 s
    .venv/bin/python bench/ingest.py --db sqlite --scenarios A,B --duration 5 --rounds 3
    .venv/bin/python bench/ingest.py --short             # CI's report: A and B, 3 s, ratios only (< 90 s)
    .venv/bin/python bench/ingest.py --db sqlite --scenarios B --profile var/profile    # + py-spy top 25

Scenarios: A = PagerDuty events over 1,000 keys (after warm-up ~all repeats), B = all-new PagerDuty events,
AM = Alertmanager webhook posts of 100 new alerts each (ratio: warroom's alerts/s over the reference's requests/s
for the same posts), C = a storm of exactly 10,000 new alerts for one outage from 4 Python sender processes
(warroom only: throughput, the time until all are visible through the API, the incident count).
Only 127.0.0.1 traffic; every run is bounded by --duration (and --budget). Not part of `make test`."""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.client import HTTPConnection
from multiprocessing import Process, Queue
from pathlib import Path

import ingest_workers
from servers import HERE, ROOT, Server, cpu_seconds, drop, free_port, prepare, start_reference, start_warroom

# scenario -> wrk script, its environment (the key or path is added per database), alerts per request
WORKLOADS = {"A": ("ingest_pd.lua", {"WR_MODE": "dup"}, 1), "B": ("ingest_pd.lua", {"WR_MODE": "new"}, 1),
             "AM": ("ingest_am.lua", {"WR_BATCH": "100"}, 100)}


class OutOfTime(Exception):
    """The --budget would be exceeded by the next measurement, or the run was told to stop (SIGTERM)."""


def _stop(*_: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the clean-up must not be interrupted
    raise OutOfTime("stopped by SIGTERM: the rest was not measured")


def wrk(port: int, script: str, env: dict[str, str], duration: int, args: argparse.Namespace) -> dict:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
           "-s", str(HERE / script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(cmd, env=dict(os.environ, WR_BENCH_DIR=str(HERE), **env), capture_output=True, text=True,
                          timeout=duration + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(line[len("WRKJSON "):])


def measure(server: Server, script: str, env: dict[str, str], per_request: int, args: argparse.Namespace) -> dict:
    """One wrk run of --duration against one server: its throughput, latency and CPU per alert (or request)."""
    load = os.getloadavg()[0]
    before = cpu_seconds(server.pid)
    r = wrk(server.port, script, env, args.duration, args)
    cpu = cpu_seconds(server.pid) - before
    secs = r["duration_us"] / 1e6
    n = max(r["requests"], 1)
    return {"requests_per_s": round(r["requests"] / secs), "alerts_per_s": round(r["requests"] * per_request / secs),
            "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "max_ms": r["max_ms"], "non2xx": r["non2xx"],
            "socket_errors": r["socket_errors"], "server_cpu_s": round(cpu, 2),
            "server_cpu_us_per_request": round(cpu / n * 1e6, 1),
            "server_cpu_us_per_alert": round(cpu / (n * per_request) * 1e6, 1), "loadavg_1m": round(load, 2)}


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


def run_db(db: str, ref: Server, args: argparse.Namespace, tmp: Path, deadline: float, rows: list[dict]) -> None:
    """Measure one database's scenarios into `rows` (kept when a later step fails or runs out of time)."""
    url, keys, token = prepare(db, tmp)
    base_url, base_keys, base_token = prepare(db, tmp, "baseline") if args.baseline else (None, keys, token)
    server = base = None
    try:
        server = start_warroom(url, free_port(), tmp, workers=args.workers, embedded_worker=not args.no_worker)
        if base_url:
            base = start_warroom(base_url, free_port(), tmp, workers=args.workers,
                                 embedded_worker=not args.no_worker, checkout=args.baseline)
        for sc in [s for s in args.scenarios if s in WORKLOADS]:
            script, env, per_request = WORKLOADS[sc]
            benv = _env(env, base_keys, sc)
            env = _env(env, keys, sc)
            pairs = 3 if base else 2
            _need(deadline, args.warmup * (pairs - 1) + pairs * args.duration + 4, f"{db} {sc}")
            if args.warmup:
                wrk(server.port, script, env, args.warmup, args)
                if base:
                    wrk(base.port, script, benv, args.warmup, args)
            for rnd in range(1, args.rounds + 1):
                _need(deadline, pairs * args.duration + 4, f"{db} {sc} round {rnd}")
                r = measure(ref, script, env, 1, args)
                # the baseline goes first in odd rounds, second in even ones: neither always follows the reference
                b = measure(base, script, benv, per_request, args) if base and rnd % 2 else None
                w = measure(server, script, env, per_request, args)
                if base and not rnd % 2:
                    b = measure(base, script, benv, per_request, args)
                row = {"db": db, "scenario": sc, "round": rnd, "reference": r, "warroom": w,
                       "ratio": round(w["alerts_per_s"] / max(r["requests_per_s"], 1), 3),
                       "cpu_ratio": round(w["server_cpu_us_per_request"] / max(r["server_cpu_us_per_request"], 0.1),
                                          2)}
                if b:
                    row |= {"baseline": b, "baseline_ratio": round(b["alerts_per_s"] / max(r["requests_per_s"], 1),
                                                                    3)}
                rows.append(row)
                if not args.short:
                    print(_line(row), flush=True)
        if "C" in args.scenarios:
            for s, name, k, t in ((server, "warroom", keys, token), (base, "baseline", base_keys, base_token)):
                if s is None:
                    continue
                _need(deadline, 60, f"{db} C")
                before = cpu_seconds(s.pid)
                c = storm(s.port, k["C"], t)
                c["server_cpu_us_per_alert"] = round((cpu_seconds(s.pid) - before) / c["alerts"] * 1e6, 1)
                rows.append({"db": db, "scenario": "C", "round": 1, name: c})
                print(f"{db:8} C     {name} {json.dumps(c)}", flush=True)
        if args.profile:
            for sc in [s for s in args.scenarios if s in WORKLOADS]:
                profile(server, db, sc, keys, args)
    finally:
        for s in (server, base):
            if s:
                s.stop()
        drop(url)
        if base_url:
            drop(base_url)


def _env(env: dict[str, str], keys: dict[str, str], sc: str) -> dict[str, str]:
    return dict(env, WR_KEY=keys[sc], WR_PATH=f"/api/v1/integrations/{keys['AM']}/alertmanager")


def profile(server: Server, db: str, sc: str, keys: dict[str, str], args: argparse.Namespace) -> None:
    """One extra run of the scenario, not counted, with py-spy sampling the warroom server."""
    from profile_ingest import record, top

    script, env, _ = WORKLOADS[sc]
    env = dict(env, WR_KEY=keys[sc], WR_PATH=f"/api/v1/integrations/{keys['AM']}/alertmanager")
    args.profile.mkdir(parents=True, exist_ok=True)
    out = args.profile / f"ingest-{db}-{sc}.txt"
    spy = record(server.pid, args.duration, out, subprocesses=args.workers > 1)
    time.sleep(0.5)  # attached before the load starts
    wrk(server.port, script, env, args.duration, args)
    _, err = spy.communicate(timeout=args.duration + 60)
    if spy.returncode != 0 or not out.exists():
        print(f"py-spy failed ({spy.returncode}): {err.strip()}", flush=True)
        return
    print(top(out, 25), flush=True)


def _need(deadline: float, seconds: float, what: str) -> None:
    if time.monotonic() + seconds > deadline:
        raise OutOfTime(f"{what}: not measured, over the --budget")


def _line(row: dict) -> str:
    r, w = row["reference"], row["warroom"]
    warn = f"  NON-2xx {w['non2xx']}+{w['socket_errors']} errors" if w["non2xx"] or w["socket_errors"] else ""
    return (f"{row['db']:8} {row['scenario']:3} r{row['round']}  reference {r['requests_per_s']:>7,} req/s "
            f"p99 {r['p99_ms']:6.1f} ms {r['server_cpu_us_per_request']:6.1f} us/req | warroom "
            f"{w['alerts_per_s']:>7,} alerts/s p99 {w['p99_ms']:6.1f} ms {w['server_cpu_us_per_alert']:6.1f} us/alert"
            f" | {row['ratio']:.2f}x, CPU/req {row['cpu_ratio']:.1f}x | load {w['loadavg_1m']:.1f}{warn}"
            + (_baseline_line(row) if "baseline" in row else ""))


def _baseline_line(row: dict) -> str:
    b = row["baseline"]
    warn = f"  NON-2xx {b['non2xx']}+{b['socket_errors']} errors" if b["non2xx"] or b["socket_errors"] else ""
    return (f"\n{'':16}baseline {b['alerts_per_s']:>7,} alerts/s p99 {b['p99_ms']:6.1f} ms "
            f"{b['server_cpu_us_per_alert']:6.1f} us/alert | {row['baseline_ratio']:.2f}x | load "
            f"{b['loadavg_1m']:.1f}{warn}")


def _span(values: list[float], fmt: str) -> str:
    lo, hi = min(values), max(values)
    return format(lo, fmt) if lo == hi else f"{format(lo, fmt)}-{format(hi, fmt)}"


def summary(rows: list[dict], short: bool) -> str:
    """A Markdown table: one line per database and scenario, each figure as the range over the rounds."""
    out = []
    if short:
        out += ["| database | scenario | warroom / reference | server CPU per request, warroom / reference |",
                "|---|---|---|---|"]
    else:
        out += ["| database | scenario | reference req/s | warroom alerts/s | warroom / reference | warroom p99 | "
                "CPU per alert (per request: x reference) | load 1m |", "|---|---|---|---|---|---|---|---|"]
    for key in dict.fromkeys((r["db"], r["scenario"]) for r in rows):
        group = [r for r in rows if (r["db"], r["scenario"]) == key]
        if key[1] == "C":
            for row in group if not short else []:
                name, c = next((k, v) for k, v in row.items() if k in ("warroom", "baseline"))
                out.append(f"| {key[0]} | C storm of {c['alerts']:,} ({name}) | | {c['alerts_per_s']:,} | | "
                           f"{c['p99_ms']} ms | {c['server_cpu_us_per_alert']} us | {c['incidents']} incident(s), all "
                           f"visible {c['visible_after_last_answer_s']} s after the last answer |")
            continue
        ratio = _span([r["ratio"] for r in group], ".2f") + "x"
        cpu = _span([r["cpu_ratio"] for r in group], ".1f") + "x"
        errors = sum(r["warroom"]["non2xx"] + r["warroom"]["socket_errors"] for r in group)
        flag = f" ({errors} errors)" if errors else ""
        if short:
            out.append(f"| {key[0]} | {key[1]} | {ratio}{flag} | {cpu} |")
            continue
        ref = _span([r["reference"]["requests_per_s"] for r in group], ",")
        wr = _span([r["warroom"]["alerts_per_s"] for r in group], ",")
        p99 = _span([r["warroom"]["p99_ms"] for r in group], ".1f")
        us = _span([r["warroom"]["server_cpu_us_per_alert"] for r in group], ".0f")
        load = _span([r["warroom"]["loadavg_1m"] for r in group], ".1f")
        out.append(f"| {key[0]} | {key[1]} | {ref} | {wr}{flag} | {ratio} | {p99} ms | {us} us ({cpu}) | {load} |")
        based = [r for r in group if "baseline" in r]
        if based:
            wr = _span([r["baseline"]["alerts_per_s"] for r in based], ",")
            ratio = _span([r["baseline_ratio"] for r in based], ".2f") + "x"
            p99 = _span([r["baseline"]["p99_ms"] for r in based], ".1f")
            us = _span([r["baseline"]["server_cpu_us_per_alert"] for r in based], ".0f")
            load = _span([r["baseline"]["loadavg_1m"] for r in based], ".1f")
            out.append(f"| {key[0]} | {key[1]}, baseline | | {wr} | {ratio} | {p99} ms | {us} us | {load} |")
    return "\n".join(out)


def _commit(checkout: Path = ROOT) -> str:
    try:
        sha = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return sha + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


FULL = {"db": "sqlite,postgres", "scenarios": "A,B,AM,C", "duration": 10, "rounds": 2, "warmup": 2, "budget": 0}
SHORT = {"db": "sqlite,postgres", "scenarios": "A,B", "duration": 3, "rounds": 1, "warmup": 1, "budget": 70}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="CI's report: " + ", ".join(f"--{k} {v}" for k, v in
                                                                                    SHORT.items()) + "; ratios only")
    ap.add_argument("--db", help=f"default {FULL['db']}")
    ap.add_argument("--scenarios", help=f"default {FULL['scenarios']}")
    ap.add_argument("--duration", type=int, help=f"seconds per measured wrk run (default {FULL['duration']})")
    ap.add_argument("--rounds", type=int, help=f"reference/warroom pairs per scenario (default {FULL['rounds']})")
    ap.add_argument("--warmup", type=int, help=f"seconds of unmeasured load per scenario (default {FULL['warmup']})")
    ap.add_argument("--budget", type=int, help="stop measuring after this many seconds in all (0: no limit)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", default="1", help="warroom serve --workers (default: its default, 1); a list such as "
                    "1,2 serves each count on PostgreSQL, interleaved, and reports each over the first; 2w2: 2 "
                    "processes of 2 alert writers each (bench/ingest_workers.py)")
    ap.add_argument("--no-worker", action="store_true", help="warroom serve --no-worker (default: worker on)")
    ap.add_argument("--profile", type=Path, metavar="DIR", help="after the measurements, one more run per scenario "
                    "with py-spy on the warroom server: DIR/ingest-<db>-<scenario>.txt and its top 25 functions")
    ap.add_argument("--baseline", type=Path, metavar="CHECKOUT", help="also serve the code of another checkout "
                    "(e.g. `git worktree add /tmp/before HEAD~1`) with this virtualenv, on its own fresh database, "
                    "measured in the same rounds (reference, then both warrooms, the order alternating per round); "
                    "the schemas must match")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if "," in args.workers and args.db is None:
        args.db = "postgres"  # several processes: PostgreSQL only
    for k, v in (SHORT if args.short else FULL).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    args.scenarios = args.scenarios.split(",")
    args.worker_counts = args.workers.split(",")  # e.g. 1,2 or 1,2,2w2 (bench/ingest_workers.py)
    args.workers = int(args.worker_counts[0].split("w")[0])
    if args.profile:
        from profile_ingest import py_spy

        py_spy()  # missing: say so now, not after the measurements
    signal.signal(signal.SIGTERM, _stop)  # unwind: stop the servers, drop the databases, report what was measured
    started = time.monotonic()
    deadline = started + args.budget if args.budget else float("inf")
    head = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": _commit(),
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
            "wrk": f"{args.threads} threads, {args.connections} connections",
            "duration_s": args.duration, "warmup_s": args.warmup, "rounds": args.rounds,
            "warroom": f"warroom serve (workers {','.join(args.worker_counts)}, embedded worker "
                       f"{'off' if args.no_worker else 'on'})",
            "reference": "bench/reference_app.py (uvicorn, uvloop, httptools, 1 worker)",
            "baseline": _commit(args.baseline) if args.baseline else None}
    print(f"ingest benchmark {head['date']}, commit {head['commit']}, Python {head['python']}, {head['cpus']} CPUs, "
          f"load average {' '.join(map(str, head['loadavg_start']))}"
          + (f"; baseline {args.baseline}, commit {head['baseline']}" if args.baseline else ""), flush=True)
    print(f"wrk {head['wrk']}; {args.duration} s per measurement after {args.warmup} s warm-up, {args.rounds} "
          f"round(s) interleaved: reference, warroom, ...; {head['warroom']} vs {head['reference']}", flush=True)
    rows: list[dict] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        try:
            ref = start_reference(free_port(), Path(tmp))
            try:
                wrk(ref.port, "ingest_pd.lua", {"WR_KEY": "warm-up", "WR_MODE": "dup"}, 1, args)
                for db in args.db.split(","):
                    try:
                        if len(args.worker_counts) > 1:
                            ingest_workers.run_db(db, ref, args, Path(tmp), deadline, rows, workloads=WORKLOADS,
                                                  measure=measure, wrk=wrk, need=_need, env_for=_env)
                        else:
                            run_db(db, ref, args, Path(tmp), deadline, rows)
                    except OutOfTime:
                        raise
                    except Exception as exc:  # noqa: BLE001 - report it and measure the other database
                        problems.append(f"{db}: not measured: {type(exc).__name__}: {exc}")
            finally:
                ref.stop()
        except OutOfTime as exc:
            problems.append(str(exc))
    head["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    head["seconds"] = round(time.monotonic() - started)
    am = " (for AM, posts of 100 alerts: the reference parses the same posts)" if "AM" in args.scenarios else ""
    print(f"\nwarroom / reference: warroom's alerts/s over the reference's requests/s for the same requests, measured "
          f"in turn{am}. Load average at the end {' '.join(map(str, head['loadavg_end']))}; {head['seconds']} s in "
          f"all.\n")
    print(ingest_workers.summary(rows) if len(args.worker_counts) > 1 else summary(rows, args.short))
    print(f"\nto measure again: .venv/bin/python bench/ingest.py {' '.join(sys.argv[1:])}")
    for p in problems:
        print(f"\n{p}")
    if args.json:
        args.json.write_text(json.dumps({"run": head, "rows": rows, "problems": problems}, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
