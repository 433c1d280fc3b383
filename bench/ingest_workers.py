"""`bench/ingest.py --workers 1,2`: the same scenarios against `warroom serve --workers N` for each N, in the same
rounds as the reference (reference, then each warroom, the order of the warrooms reversed every other round), each
on its own fresh PostgreSQL database; reports each N's alerts/s over the first N's (docs/bench-ingest.md, "Every
core"). PostgreSQL only: `warroom serve` refuses N > 1 on SQLite.

A count may name the alert writer threads per process too: `2w2` is `warroom serve --workers 2` with
WARROOM_ALERTS_PG_WRITERS=2 (the default: 2 in one process, 1 in each of several)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from servers import Server, drop, free_port, prepare, start_warroom

Measure = Callable[[Server, str, dict[str, str], int, argparse.Namespace], dict]


def run_db(db: str, ref: Server, args: argparse.Namespace, tmp: Path, deadline: float, rows: list[dict], *,
           workloads: dict, measure: Measure, wrk: Callable[..., dict], need: Callable[[float, float, str], None],
           env_for: Callable[[dict[str, str], dict[str, str], str], dict[str, str]]) -> None:
    counts: list[str] = args.worker_counts
    if db != "postgres":
        raise RuntimeError("several --workers counts are measured on PostgreSQL only (SQLite: one process)")
    prepared = {n: prepare(db, tmp, f"workers{n}") for n in counts}
    servers: dict[int, Server] = {}
    try:
        for n in counts:
            processes, _, writers = n.partition("w")
            servers[n] = start_warroom(prepared[n][0], free_port(), tmp, workers=int(processes),
                                       embedded_worker=not args.no_worker,
                                       settings={"WARROOM_ALERTS_PG_WRITERS": writers} if writers else None)
        for sc in [s for s in args.scenarios if s in workloads]:
            script, env, per_request = workloads[sc]
            envs = {n: env_for(env, prepared[n][1], sc) for n in counts}
            need(deadline, (args.warmup + args.duration) * len(counts) + args.duration + 4, f"{db} {sc}")
            for n in counts if args.warmup else ():
                wrk(servers[n].port, script, envs[n], args.warmup, args)
            for rnd in range(1, args.rounds + 1):
                need(deadline, args.duration * (len(counts) + 1) + 4, f"{db} {sc} round {rnd}")
                r = measure(ref, script, envs[counts[0]], 1, args)
                got = {n: measure(servers[n], script, envs[n], per_request, args)
                       for n in (counts if rnd % 2 else counts[::-1])}
                first = max(got[counts[0]]["alerts_per_s"], 1)
                row = {"db": db, "scenario": sc, "round": rnd, "reference": r,
                       "workers": {n: got[n] for n in counts},
                       "over_first": {n: round(got[n]["alerts_per_s"] / first, 3) for n in counts}}
                rows.append(row)
                print(line(row), flush=True)
    finally:
        for s in servers.values():
            s.stop()
        for url, _, _ in prepared.values():
            drop(url)


def line(row: dict) -> str:
    r = row["reference"]
    parts = [f"{row['db']:8} {row['scenario']:3} r{row['round']}  reference {r['requests_per_s']:>7,} req/s"]
    for n, w in row["workers"].items():
        warn = f" NON-2xx {w['non2xx']}+{w['socket_errors']}" if w["non2xx"] or w["socket_errors"] else ""
        parts.append(f"{n}p {w['alerts_per_s']:>6,} alerts/s p99 {w['p99_ms']:5.1f} ms "
                     f"{w['server_cpu_us_per_alert']:5.0f} us/alert ({row['over_first'][n]:.2f}x) "
                     f"load {w['loadavg_1m']:.1f}{warn}")
    return " | ".join(parts)


def summary(rows: list[dict]) -> str:
    """A Markdown table: per database, scenario and process count, each figure as the range over the rounds."""
    def span(values: list[float], fmt: str) -> str:
        lo, hi = min(values), max(values)
        return format(lo, fmt) if lo == hi else f"{format(lo, fmt)}-{format(hi, fmt)}"

    out = ["| database | scenario | processes | reference req/s | warroom alerts/s | over the first count | p99 | "
           "CPU per alert | load 1m |", "|---|---|---|---|---|---|---|---|---|"]
    for key in dict.fromkeys((r["db"], r["scenario"]) for r in rows):
        group = [r for r in rows if (r["db"], r["scenario"]) == key]
        ref = span([r["reference"]["requests_per_s"] for r in group], ",")
        for n in group[0]["workers"]:
            ws = [r["workers"][n] for r in group]
            out.append(f"| {key[0]} | {key[1]} | {n} | {ref} | {span([w['alerts_per_s'] for w in ws], ',')} | "
                       f"{span([r['over_first'][n] for r in group], '.2f')}x | "
                       f"{span([w['p99_ms'] for w in ws], '.1f')} ms | "
                       f"{span([w['server_cpu_us_per_alert'] for w in ws], '.0f')} us | "
                       f"{span([w['loadavg_1m'] for w in ws], '.1f')} |")
    return "\n".join(out)
