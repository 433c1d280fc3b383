"""The alert writer in a process of its own (WARROOM_ALERT_WRITER=process; "auto", the default, on SQLite).

The server's event loop reads, parses and authenticates alert events; a child process runs the group-commit
writer (alerts/writer.py) and answers each event once its batch has committed. Each process has its own
interpreter lock, so an alert storm uses both cores instead of one: on a 2-core machine the writer's
work (SQL, snapshots, timeline) no longer waits behind HTTP parsing (docs/bench-ingest.md).

Nothing changes for the sender: a 2xx still means committed. If the child dies, every event it had not
answered gets "not committed; retry" (503 / PagerDuty's 503) and a new child starts. The child stops when
the server stops, or when its pipe to the server closes (the server was killed)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import pickle
import queue
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from warroom.alerts.ingest import Submission
from warroom.alerts.writer import Unavailable, Writer, _settle_all, _Waiter
from warroom.bootstrap import App
from warroom.platform.settings import Settings

log = logging.getLogger("warroom.alerts.writer")

_STOP = b"stop"
RESTART_DELAY_S = 0.5


class ProcessWriter:
    """Same interface as Writer (send, depth, stop); the commits happen in a child process."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._pending: dict[int, _Waiter] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()  # orders every queued submission before or after a child's end
        self._stopping = False
        self._down = False
        self._out: queue.SimpleQueue[tuple[int, Submission] | None]
        self._start_child()

    def _start_child(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        mine, theirs = ctx.Pipe(duplex=True)
        self._proc = ctx.Process(target=_child_main, args=(self.app.settings, theirs), name="warroom-alert-writer",
                                 daemon=True)
        self._proc.start()
        theirs.close()
        self._out = queue.SimpleQueue()
        sender = threading.Thread(target=self._send_loop, args=(mine, self._out), name="alerts-writer-send",
                                  daemon=True)
        self._reader = threading.Thread(target=self._read_loop, args=(mine, sender), name="alerts-writer-read",
                                        daemon=True)
        sender.start()
        self._reader.start()

    def depth(self) -> int:
        return len(self._pending)

    async def send(self, sub: Submission) -> None:
        """Wait until `sub` is committed by the writer process; raise if it was not."""
        waiter = _Waiter(asyncio.get_running_loop())
        with self._lock:
            if self._stopping or self._down:
                raise Unavailable("alert writer restarting" if self._down else "shutting down")
            rid = next(self._ids)
            self._pending[rid] = waiter
            self._out.put((rid, sub))
        outcome = await waiter.fut
        if outcome is not None:
            raise outcome

    def _send_loop(self, pipe: Connection, out: queue.SimpleQueue) -> None:
        """Pickle and write queued submissions, as many as are waiting in one message, until None."""
        broken = False
        while True:
            item = out.get()
            if item is None:
                break
            items = [item]
            while len(items) < 1000:
                try:
                    more = out.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    out.put(None)
                    break
                items.append(more)
            if not broken:
                try:
                    pipe.send_bytes(pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL))
                    continue
                except OSError:
                    broken = True  # the child is gone; the reader starts another
            self._fail([rid for rid, _ in items], "alert writer unavailable")
        if not broken:
            with contextlib.suppress(OSError):
                pipe.send_bytes(_STOP)

    def _read_loop(self, pipe: Connection, sender: threading.Thread) -> None:
        """Settle the waiters of each answered batch (one call into each event loop per message); when the
        child ends, fail what it held and, unless stopping, start another."""
        while True:
            try:
                answers = pickle.loads(pipe.recv_bytes())
            except (EOFError, OSError):
                break
            if answers and answers[0] == "live":
                self.app.live.dispatch(answers[1])
                continue
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = {}
            for rid, failure in answers:
                waiter = self._pending.pop(rid, None)
                if waiter is not None:
                    outcome = None if failure is None else Unavailable(failure)
                    by_loop.setdefault(waiter.loop, []).append((waiter.fut, outcome))
            _settle(by_loop)
        with self._lock:
            self._down = True
            self._out.put(None)  # nothing is queued after this: the sender sends or fails all before it
        sender.join(timeout=30)
        pipe.close()
        self._fail(list(self._pending), "alert writer stopped")  # sent to the child, never answered
        if self._stopping:
            return
        log.error("alert writer process ended (exit code %s); starting another", self._proc.exitcode)
        time.sleep(RESTART_DELAY_S)
        with self._lock:
            if not self._stopping:
                self._start_child()
                self._down = False

    def _fail(self, rids: list[int], why: str) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = {}
        for rid in rids:
            waiter = self._pending.pop(rid, None)
            if waiter is not None:
                by_loop.setdefault(waiter.loop, []).append((waiter.fut, Unavailable(why)))
        _settle(by_loop)

    def stop(self) -> None:
        """Let the child finish and answer what it holds, then end it."""
        with self._lock:
            self._stopping = True
            self._out.put(None)
        self._reader.join(timeout=30)
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
        self._fail(list(self._pending), "shutting down")


def _settle(by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]]) -> None:
    for loop, futs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_settle_all, futs)


# -- the child ------------------------------------------------------------------------------------

def _child_main(settings: Settings, pipe: Connection) -> None:
    from warroom.bootstrap import build_app
    from warroom.platform import logs

    logs.setup(settings.log_json)
    app = build_app(settings)
    replies: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    if app.db.dialect == "postgresql":
        app.live.cross_process = True  # NOTIFY reaches the server's listener (and every other process)
    else:  # SQLite: hand live notices to the server, whose pages are listening
        app.live.dispatch = lambda message: replies.put(pickle.dumps(("live", message)))  # type: ignore[method-assign]

    def reply(done: list[tuple[Any, BaseException | None]]) -> None:
        replies.put(pickle.dumps([(rid, None if o is None else _why(o)) for rid, o in done]))

    def write_replies() -> None:
        while (message := replies.get()) is not None:
            try:
                pipe.send_bytes(message)
            except OSError:
                return

    replier = threading.Thread(target=write_replies, name="alerts-writer-reply", daemon=True)
    replier.start()
    writer = Writer(app, reply=reply)
    try:
        while True:
            try:
                raw = pipe.recv_bytes()
            except (EOFError, OSError):  # the server is gone
                break
            if raw == _STOP:
                break
            for rid, sub in pickle.loads(raw):
                writer.submit(sub, rid)
    finally:
        writer.stop()  # finishes the batch in hand and answers everything still queued
        replies.put(None)
        replier.join(timeout=10)
        app.close()


def _why(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, Unavailable) else "internal error"
