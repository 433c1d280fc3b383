"""Declaration benchmark: what a declaration costs the server and how soon its first page arrives, measured against
a reference in the same run (docs/bench-notify.md).

For each database and round, interleaved: the reference (bench/reference_app.py, a raw ASGI app that parses the
same POST and answers 201; uvicorn, uvloop, httptools, one worker: this machine's Python ceiling for one request
right now), then warroom as users start it (`warroom serve` with its defaults: one process, embedded worker on;
the only setting given is where the mail relay is) on a fresh database. Both get the same open-loop client:
--rate declarations/s for --seconds, each request sent at its planned time whatever the earlier answers (a slow
server is not offered less). Every declaration is a P1 on a service whose escalation policy pages one person
whose contact rule is e-mail; the mail relay is an SMTP receiver (aiosmtpd) on loopback in this script, which
notes when each incident's first page arrives.

Per run, after a warm-up (--warmup seconds at 20/s, not measured: the first requests build FastAPI's route
tables and the statement caches, once per process): the achieved rate (201 answers over the time from the first
request to the last answer), API p50/p99, declaration -> first page p50/p99 measured from the moment the request
was sent, the server's CPU per declaration (user + system time of the server process from /proc, from the first
request until the last page arrived: the HTTP request, the declaration, the worker's claim, the SMTP send and the
recorded outcome; idle ticks included), the load average; and the ratios warroom / reference.

    .venv/bin/python bench/notify.py                                  # SQLite and PostgreSQL, 2 rounds of 20 s
    .venv/bin/python bench/notify.py --db sqlite --rounds 3 --seconds 10
    .venv/bin/python bench/notify.py --db sqlite --profile var/profile  # + one py-spy'd run, top 25 functions
    .venv/bin/python bench/notify.py --baseline /tmp/before             # + that checkout's code, alternating

Timer lateness (escalation steps coming due) is bench/timers.py. Only 127.0.0.1 traffic. Not part of `make test`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session
from servers import ROOT, Server, cpu_seconds, drop, free_port, new_database, start_reference, start_warroom

BODY = {"impact": "extensive", "urgency": "critical"}
_KEY = re.compile(rb"^X-Warroom-Idempotency-Key: inc(\d+)-", re.MULTILINE)
_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)
_ID = re.compile(rb'"id": *(\d+)')
KEEP_ALIVE = 4.0  # seconds a connection is reused after its last answer (uvicorn closes idle ones after 5 s)


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 1)


def prepare(db: str, tmp: Path, mail_to: str) -> tuple[str, str, int]:
    """A fresh migrated database: one person paged by e-mail, a policy paging them, a service with that policy;
    returns (url, API token, service id)."""
    from warroom.auth import service as auth
    from warroom.auth.permissions import Principal, UserRole
    from warroom.bootstrap import build_app
    from warroom.catalog import service as catalog
    from warroom.escalation import service as esc
    from warroom.notifications import contacts
    from warroom.platform.schema import upgrade
    from warroom.platform.settings import Settings

    url = new_database(db, tmp, "notify")
    upgrade(url)
    app = build_app(Settings(database_url=url))
    admin_p = Principal(0, "bench", UserRole.ADMIN)
    user = auth.create_user(app, username="oncall", display_name="On Call", role=UserRole.ADMIN)
    token = auth.create_token(app, user["id"], "bench")[0]
    method = contacts.add_method(app, admin_p, user["id"], kind="email", address=mail_to)
    contacts.add_rule(app, admin_p, user["id"], method_id=method["id"])
    policy = esc.create_policy(app, admin_p, name="bench", levels=[
        {"timeout_minutes": 30, "targets": [{"kind": "user", "id": user["id"]}]}])["id"]
    service = catalog.create_service(app, name="bench", escalation_policy_id=policy)["id"]
    app.close()
    return url, token, service


class Mailbox:
    """aiosmtpd handler: the time each incident's first page arrived (the incident id is in the idempotency key)."""

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        at = time.time()
        m = _KEY.search(envelope.original_content or b"")
        self.count += 1
        if m:
            self.first.setdefault(int(m.group(1)), at)
        return "250 OK"


class Client:
    """A minimal HTTP/1.1 client on asyncio streams, keep-alive, a connection per request in flight: the load
    generator shares this loaded machine, so it must cost little (httpx costs ~1 ms of CPU per request)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (f"POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\nContent-Length: ")
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(self, body: bytes) -> tuple[int, bytes]:
        reader, writer, since = self.idle.pop() if self.idle else (None, None, 0.0)
        if writer is not None and time.monotonic() - since > KEEP_ALIVE:
            writer.close()  # the server may close it any moment now: a request sent then would be lost
            writer = None
        if reader is None or writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(f"{self.head}{len(body)}\r\n\r\n".encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        m = _LENGTH.search(head)
        data = await reader.readexactly(int(m.group(1))) if m else b""
        self.idle.append((reader, writer, time.monotonic()))
        return int(head[9:12]), data

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()


async def drive(port: int, token: str, service_id: int, rate: float, seconds: float, box: Mailbox | None,
                pid: int, settle: float) -> dict:
    """Offer `rate` declarations/s for `seconds` (open loop); wait until every declared incident is paged (or
    `settle` seconds after the last answer); return the raw measurements."""
    sent: dict[int, float] = {}
    api: list[float] = []
    lag: list[float] = []
    failed = 0
    errors: dict[str, int] = {}
    last_answer = 0.0
    client = Client(port, token)

    async def declare(i: int, planned: float) -> None:
        nonlocal failed, last_answer
        body = json.dumps({"title": f"checkout 500s #{i}", **BODY, "service_ids": [service_id]}).encode()
        t0 = time.time()
        lag.append((t0 - planned) * 1000)
        try:
            status, data = await client.post(body)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            failed += 1
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return
        t1 = time.time()
        last_answer = max(last_answer, t1)
        m = _ID.search(data)
        if status != 201 or m is None:
            failed += 1
            errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
            return
        sent[int(m.group(1))] = t0
        api.append((t1 - t0) * 1000)

    total = int(rate * seconds)
    cpu0 = cpu_seconds(pid)
    start = time.time()
    tasks = []
    for i in range(total):
        planned = start + i / rate
        delay = planned - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(declare(i, planned)))
    await asyncio.gather(*tasks)
    client.close()
    if box is not None:
        deadline = time.time() + settle
        while time.time() < deadline and any(k not in box.first for k in sent):
            await asyncio.sleep(0.05)
    end = time.time()
    cpu = cpu_seconds(pid) - cpu0
    done = len(sent)
    out = {"offered_per_s": rate, "seconds": seconds, "ok": done, "failed": failed, "errors": errors,
           "achieved_per_s": round(done / max(1e-9, last_answer - start), 1) if done else 0.0,
           "api_p50_ms": pct(api, 50), "api_p99_ms": pct(api, 99), "client_lag_p99_ms": pct(lag, 99),
           "server_cpu_ms_per_request": round(cpu * 1000 / max(1, done), 2),
           "server_cores": round(cpu / max(1e-9, end - start), 2)}
    if box is not None:
        first = [(box.first[k] - t0) * 1000 for k, t0 in sent.items() if k in box.first]
        out.update({"paged": len(first), "page_p50_ms": pct(first, 50), "page_p99_ms": pct(first, 99),
                    "page_max_ms": pct(first, 100)})
    return out


async def measure(server: Server, token: str, service_id: int, args: argparse.Namespace, box: Mailbox | None,
                  profile: Path | None = None) -> dict:
    # warm-up, not measured: the first requests build FastAPI's route tables and SQLAlchemy's statement caches
    await drive(server.port, token, service_id, 20, args.warmup, None, server.pid, 0)
    prof = None
    if profile is not None:
        from profile_ingest import record

        profile.parent.mkdir(parents=True, exist_ok=True)
        prof = record(server.pid, int(args.seconds + args.idle + 3), profile)
    load = os.getloadavg()[0]
    idle0 = cpu_seconds(server.pid)
    await asyncio.sleep(args.idle)
    idle = (cpu_seconds(server.pid) - idle0) * 1000 / args.idle
    r = await drive(server.port, token, service_id, args.rate, args.seconds, box, server.pid, args.settle)
    if prof is not None:
        await asyncio.to_thread(prof.wait, args.seconds + 60)
    return {**r, "idle_cpu_ms_per_s": round(idle, 1), "loadavg_1m": round(load, 2)}


async def run_warroom(db: str, rnd: int, smtp_port: int, args: argparse.Namespace, tmp: Path,
                      checkout: Path | None = None) -> dict:
    url, token, service_id = prepare(db, tmp, "oncall@example.org")
    server = start_warroom(url, free_port(), tmp, checkout=checkout,
                           settings={"WARROOM_SMTP_HOST": "127.0.0.1", "WARROOM_SMTP_PORT": str(smtp_port)})
    target = "baseline" if checkout else "warroom"
    try:
        box = Mailbox()
        args.mailbox[0] = box
        profile = args.profile / f"notify-{db}-{target}.txt" if args.profile and rnd == 0 else None
        return {"db": db, "round": rnd, "target": target,
                **await measure(server, token, service_id, args, box, profile)}
    finally:
        server.stop()
        drop(url)


async def one_round(db: str, rnd: int, ref: Server, smtp_port: int, args: argparse.Namespace,
                    tmp: Path) -> list[dict]:
    """The reference, then warroom (and the baseline checkout, in alternating order), one after the other."""
    r = {"db": db, "round": rnd, "target": "reference", **await measure(ref, "x", 0, args, None)}
    runs = [None, args.baseline] if args.baseline else [None]
    if rnd % 2:
        runs.reverse()
    rows = [r, *[await run_warroom(db, rnd, smtp_port, args, tmp, checkout) for checkout in runs]]
    for w in rows[1:]:
        w["ratio_cpu"] = round(w["server_cpu_ms_per_request"] / max(1e-9, r["server_cpu_ms_per_request"]), 1)
        w["ratio_achieved"] = round(w["achieved_per_s"] / max(1e-9, r["achieved_per_s"]), 2)
        w["ratio_api_p99"] = round((w["api_p99_ms"] or 0) / max(1e-9, r["api_p99_ms"] or 0), 1)
    return rows


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except OSError:
        return "?"


def summary(rows: list[dict]) -> str:
    head = ("| db | round | target | load | achieved/s | API p50 / p99 ms | first page p50 / p99 ms (from request) "
            "| CPU ms / declaration | idle CPU ms/s | ratios (CPU, achieved, API p99) |")
    lines = [head, "|" + "---|" * 10]
    for x in rows:
        page = f"{x['page_p50_ms']} / **{x['page_p99_ms']}**" if "page_p50_ms" in x else "-"
        ratios = (f"{x['ratio_cpu']}x, {x['ratio_achieved']}x, {x['ratio_api_p99']}x" if "ratio_cpu" in x else "-")
        lines.append(f"| {x['db']} | {x['round']} | {x['target']} | {x['loadavg_1m']} | {x['achieved_per_s']} | "
                     f"{x['api_p50_ms']} / {x['api_p99_ms']} | {page} | **{x['server_cpu_ms_per_request']}** | "
                     f"{x['idle_cpu_ms_per_s']} | {ratios} |")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="warroom-notify-"))
    loop = asyncio.get_running_loop()
    args.mailbox = [Mailbox()]

    class Relay:  # the current run's mailbox
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
            return await args.mailbox[0].handle_DATA(server, session, envelope)

    relay = await loop.create_server(lambda: SMTP(Relay(), hostname="bench.local"), "127.0.0.1", 0)
    smtp_port = relay.sockets[0].getsockname()[1]
    ref = start_reference(free_port(), tmp)
    rows: list[dict] = []
    try:
        for rnd in range(args.rounds):
            for db in args.db.split(","):
                for row in await one_round(db, rnd, ref, smtp_port, args, tmp):
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        ref.stop()
        relay.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    ap.add_argument("--rate", type=float, default=100, help="declarations offered per second")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of 20 declarations/s before measuring")
    ap.add_argument("--idle", type=float, default=2.0, help="seconds of idle CPU measured before each run")
    ap.add_argument("--settle", type=float, default=30.0, help="seconds to wait for pages after the last answer")
    ap.add_argument("--profile", type=Path, metavar="DIR", help="py-spy the first warroom run of each database "
                    "into DIR/notify-<db>-warroom.txt (collapsed stacks) and print its top 25 functions")
    ap.add_argument("--baseline", type=Path, metavar="CHECKOUT", help="also measure the code of another checkout "
                    "(e.g. `git worktree add /tmp/before HEAD~1`) in the same rounds, alternating with this one")
    args = ap.parse_args()
    started = datetime.now(UTC)
    rows = asyncio.run(main_async(args))
    print(f"\n{started:%Y-%m-%d %H:%M} UTC, commit {_commit()}, {os.cpu_count()} cores, "
          f"{args.rate:g}/s offered for {args.seconds:g} s\n")
    print(summary(rows))
    if args.profile:
        from profile_ingest import top

        for f in sorted(args.profile.glob("notify-*.txt")):
            print(top(f))


if __name__ == "__main__":
    sys.exit(main())
