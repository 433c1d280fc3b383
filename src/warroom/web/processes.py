"""`warroom serve --workers N`: N server processes behind one listening socket (docs/deploy.md).

uvicorn's own supervisor runs them: it binds the socket once and spawns N children that accept on it, pings
each child every half second, replaces one that dies or stops answering, stops every child on SIGTERM or
SIGINT, and exits if a child fails while starting (a broken configuration would fail the same way again).
Each child is a whole server with its own alert writer, key listener and live bridge; an alert is answered
only after its own process has committed it, and PostgreSQL's row locks keep dedup and grouping exact across
processes (tests/integration/test_alerts_processes.py).

The background worker runs once, in the supervising process, not in every child: its jobs are safe side by
side, but N copies would only multiply the polling. It hears the children's pages by LISTEN/NOTIFY, as a
separate `warroom worker` does, and it outlives a child that is replaced.

Only on PostgreSQL: SQLite takes one writer at a time, so extra processes would only queue for its write
lock, and it has no NOTIFY to carry one process's changes to another's live pages and worker."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

log = logging.getLogger("warroom.serve")

SQLITE_REFUSAL = ("warroom serve --workers N needs PostgreSQL: SQLite lets one process write at a time, so more "
                  "processes only wait for its lock; run one (see docs/deploy.md)")


def refusal(workers: int, database_url: str) -> str | None:
    """Why `--workers` cannot be honoured here, or None."""
    if workers < 1:
        return "--workers must be at least 1"
    if workers > 1 and database_url.startswith("sqlite"):
        return SQLITE_REFUSAL
    return None


def start_supervisor_worker() -> Callable[[], None]:
    """In the supervising process, before the children are spawned: the embedded worker (when enabled) with
    the LISTEN bridge that wakes it; the children inherit WARROOM_EMBEDDED_WORKER=0. Returns the stop."""
    from warroom.bootstrap import build_app
    from warroom.platform.live import PgListener
    from warroom.worker.loop import start_embedded

    wr = build_app()
    os.environ["WARROOM_EMBEDDED_WORKER"] = "0"  # read by each child's Settings: the worker runs here only
    if not wr.settings.embedded_worker:
        wr.close()
        return lambda: None
    listener = PgListener(wr.live, wr.settings.database_url)  # the children's pages wake it at once
    if not listener.start():
        log.warning("live listener not ready yet; the worker polls every tick until it is")
    stops = [listener.stop, start_embedded(wr)]
    log.info("embedded worker runs in the supervising process", extra={"pid": os.getpid()})

    def stop() -> None:
        for halt in reversed(stops):
            halt()
        wr.close()

    return stop
