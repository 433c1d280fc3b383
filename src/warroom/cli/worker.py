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
    listener = None
    if wr.db.dialect == "postgresql" and not once:  # pages written by the servers wake this worker at once
        from warroom.platform.live import PgListener

        listener = PgListener(wr.live, settings.database_url)
        listener.start()
    stop = threading.Event()
    wake = wr.notifications.wake

    def _halt(*_: object) -> None:  # end the wait for the next tick too, however long the tick
        stop.set()
        wake.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _halt)
    typer.echo(f"warroom worker running (tick {settings.tick_seconds}s)", err=True)
    try:
        run(wr, stop, max_ticks=1 if once else None)
    finally:
        if listener is not None:
            listener.stop()
        wr.close()
