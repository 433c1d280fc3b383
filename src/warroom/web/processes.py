"""`warroom serve --workers N`: N server processes on one port, each with its own listening socket
(SO_REUSEPORT), under a small supervisor (docs/deploy.md).

Why not one shared socket (uvicorn's own `--workers`): the process that wakes first accepts every connection
waiting, so a sender's keep-alive connections (Alertmanager, wrk) often all land on one process and the others
idle. With SO_REUSEPORT the kernel spreads new connections over the processes' sockets by their addresses.

Each child is a whole `warroom serve` (one process, `--supervised-by` the supervisor) with its own alert writer
(one thread by default), key listener and live bridge; an alert is answered only after its own process has
committed it, and PostgreSQL's row locks keep dedup and grouping exact across processes
(tests/integration/test_alerts_processes.py).
The supervisor starts another child when one exits, stops every child on SIGTERM or SIGINT, and exits with an
error when a child fails while starting (a broken configuration would fail the same way again). A child whose
supervisor dies gets SIGTERM from the kernel.

The background worker runs once, in the supervisor, not in every child: its jobs are safe side by side, but N
copies would only multiply the polling. It hears the children's pages by LISTEN/NOTIFY, as a separate `warroom
worker` does, and it outlives a child that is replaced.

Only on PostgreSQL: SQLite takes one writer at a time, so extra processes would only queue for its write lock,
and it has no NOTIFY to carry one process's changes to another's live pages and worker."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger("warroom.serve")

SQLITE_REFUSAL = ("warroom serve --workers N needs PostgreSQL: SQLite lets one process write at a time, so more "
                  "processes only wait for its lock; run one (see docs/deploy.md)")
STARTUP_FAILURE = 3  # a child's exit status when it could not start serving (uvicorn's own code for it)
PR_SET_PDEATHSIG = 1


def refusal(workers: int, database_url: str) -> str | None:
    """Why `--workers` cannot be honoured here, or None."""
    if workers < 1:
        return "--workers must be at least 1"
    if workers > 1 and database_url.startswith("sqlite"):
        return SQLITE_REFUSAL
    return None


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket that shares `port` with the other children (SO_REUSEPORT)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    return sock


def die_with(supervisor: int) -> None:
    """In a child: SIGTERM when the supervisor dies (Linux), and exit now if it already has."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:
        raise SystemExit("the supervising process is gone")


def start_supervisor_worker() -> Callable[[], None]:
    """In the supervisor: the embedded worker (when enabled) with the LISTEN bridge that wakes it. Returns the stop."""
    from warroom.bootstrap import build_app
    from warroom.platform.live import PgListener
    from warroom.worker.loop import start_embedded

    wr = build_app()
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


def supervise(workers: int, host: str, port: int) -> int:
    """Run `workers` children until SIGTERM/SIGINT (0) or until one fails while starting (1)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    cmd = [sys.executable, "-m", "warroom.cli.main", "serve", "--host", host, "--port", str(port),
           "--supervised-by", str(os.getpid())]
    env = dict(os.environ, WARROOM_EMBEDDED_WORKER="0")  # the worker runs here only
    # One alert writer per child unless told otherwise: a batch costs about the same CPU whatever its size, and
    # each of N children sees 1/N of the senders, so two writers each would halve its batches again
    # (docs/bench-ingest.md, "Every core").
    env.setdefault("WARROOM_ALERTS_PG_WRITERS", "1")
    children = [subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL) for _ in range(workers)]
    log.info("server processes started", extra={"pids": [c.pid for c in children]})
    failed = False
    while not stop.wait(0.5):
        for i, child in enumerate(children):
            code = child.poll()
            if code is None:
                continue
            if code == STARTUP_FAILURE:
                log.error("a server process could not start; stopping", extra={"pid": child.pid})
                failed = True
                stop.set()
                break
            log.error("server process exited; starting another", extra={"pid": child.pid, "status": code})
            time.sleep(0.5)  # a child dying at once again and again must not spin
            children[i] = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
    _stop_all(children)
    return 1 if failed else 0


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log.error("server process did not stop; killing it", extra={"pid": child.pid})
            child.kill()
            child.wait(timeout=5)
    log.info("server processes stopped")
