"""`warroom worker`: the background worker as its own process (escalation steps, target breaches, deliveries)."""

from __future__ import annotations

import signal
import threading

import typer


def register(app: typer.Typer) -> None:
    app.command()(worker)


def worker(once: bool = typer.Option(False, "--once", help="Run every job once, then exit")) -> None:
    """Run the worker until SIGTERM/SIGINT. Safe to run several against PostgreSQL; with SQLite, prefer the
    one embedded in `warroom serve` (WARROOM_EMBEDDED_WORKER=1) or this one with `serve --no-worker`."""
    from warroom.bootstrap import build_app
    from warroom.platform import logs
    from warroom.platform.settings import Settings
    from warroom.worker.loop import run

    settings = Settings()
    logs.setup(settings.log_json)
    wr = build_app(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"warroom worker running (tick {settings.tick_seconds}s)", err=True)
    try:
        run(wr, stop, max_ticks=1 if once else None)
    finally:
        wr.close()
