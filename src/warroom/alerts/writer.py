"""Group commit: one writer thread commits the alerts of many concurrent requests in one transaction,
then answers all of them. A request is answered only after its transaction has committed.

On SQLite the writer's connection commits with synchronous=FULL (an fsync per batch, not per
request), so an answered event survives even a power cut; PostgreSQL commits synchronously by default."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from warroom.alerts import catalog_view
from warroom.alerts.batch import Submission
from warroom.alerts.ingest import StaleGroups, process
from warroom.platform.app import App
from warroom.platform.db import Tx

log = logging.getLogger("warroom.alerts.writer")

MAX_BATCH_ALERTS = 2000
MAX_QUEUE = 20000  # submissions waiting; beyond this the intake sheds load
# SQLite in WAL mode with synchronous=NORMAL (the foundation's setting) keeps every commit across a crash of
# the process; synchronous=FULL also keeps it across an OS crash or power cut, at one fsync per batch.
PG_WRITERS = int(os.environ.get("WARROOM_ALERTS_PG_WRITERS", "2"))
FSYNC_EACH_COMMIT = os.environ.get("WARROOM_ALERTS_SQLITE_FULL_SYNC", "1").strip().lower() in ("1", "true", "yes")


class Unavailable(Exception):
    """Nothing was committed (database down, or shutting down); the sender should retry."""


@contextmanager
def durable_transaction(app: App, conn: Connection | None = None) -> Iterator[Tx]:
    """A transaction on `conn` (a writer's own connection) or a pooled one; on SQLite with
    FSYNC_EACH_COMMIT its commit is fsynced (synchronous=FULL) before this returns."""
    with contextlib.ExitStack() as stack:
        if conn is None:
            conn = stack.enter_context(app.db.engine.connect())
        raw = conn.connection.driver_connection if app.db.dialect == "sqlite" and FSYNC_EACH_COMMIT else None
        if raw is not None:
            raw.execute("PRAGMA synchronous=FULL")  # outside any transaction: SQLite refuses it inside one
        try:
            with Tx(conn).begin() as tx:  # a pipeline the batch left open ends with the commit
                yield tx
        finally:
            if raw is not None:
                raw.execute("PRAGMA synchronous=NORMAL")
    for fn in tx._after:
        try:
            fn()
        except Exception:  # a failed post-commit fan-out must not undo a committed change
            log.exception("after-commit callback failed")


def commit(app: App, subs: list[Submission], conn: Connection | None = None) -> list[BaseException | None]:
    """Commit `subs` together; on a persistent error split the batch so one bad request fails alone."""
    for attempt in range(3):
        try:
            with durable_transaction(app, conn) as tx:
                process(app, tx, subs)
            return [None] * len(subs)
        except (IntegrityError, OperationalError, StaleGroups) as exc:  # a concurrent writer, a deadlock, a stale cache
            catalog_view.forget(app)
            if attempt == 2:
                if len(subs) == 1:
                    return [Unavailable(str(exc).splitlines()[0])]
                break
        except Exception as exc:  # noqa: BLE001 - isolate the failing request below
            catalog_view.forget(app)  # e.g. a service deleted since the catalog view was loaded
            if len(subs) == 1:
                log.exception("alert batch failed")
                return [exc]
            break
    return [commit(app, [s], conn)[0] for s in subs]


class _Waiter:
    """A request waiting for its submission: an asyncio future, settled on its own event loop."""

    __slots__ = ("loop", "fut")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.fut: asyncio.Future[Any] = loop.create_future()


class Writer:
    """Writer threads sharing one queue, each with its own database connection. SQLite has one writer
    (it allows one at a time); PostgreSQL several, so one batch's round trips and commit overlap the next."""

    def __init__(self, app: App, threads: int | None = None) -> None:
        self.app = app
        self._q: queue.SimpleQueue[tuple[Submission, _Waiter]] = queue.SimpleQueue()
        self._stop = threading.Event()
        n = threads or (1 if app.db.dialect == "sqlite" else PG_WRITERS)
        self._threads = [threading.Thread(target=self._run, name=f"alerts-writer-{i}", daemon=True)
                         for i in range(n)]
        for t in self._threads:
            t.start()
        self.batches = 0

    def depth(self) -> int:
        return self._q.qsize()

    def _submit(self, sub: Submission, waiter: _Waiter) -> None:
        if self._stop.is_set():
            _answer([(waiter, Unavailable("shutting down"))])
            return
        self._q.put((sub, waiter))

    async def send(self, sub: Submission) -> None:
        """Wait until `sub` is committed; raise if it was not."""
        waiter = _Waiter(asyncio.get_running_loop())
        self._submit(sub, waiter)
        outcome = await waiter.fut
        if outcome is not None:
            raise outcome

    def _connection(self) -> Connection | None:
        try:
            return self.app.db.engine.connect()
        except DBAPIError:
            log.exception("alert writer cannot connect; using the pool per batch")
            return None

    def _run(self) -> None:
        conn = self._connection()
        while not self._stop.is_set():
            try:
                first = self._q.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            size = len(first[0].alerts)
            while size < MAX_BATCH_ALERTS:
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    break
                batch.append(item)
                size += len(item[0].alerts)
            try:
                outcomes = commit(self.app, [s for s, _ in batch], conn)
            except DBAPIError as exc:
                outcomes = [Unavailable(str(exc).splitlines()[0])] * len(batch)
            except Exception as exc:  # noqa: BLE001 - never let the writer die
                log.exception("alert writer failed")
                outcomes = [exc] * len(batch)
            self.batches += 1
            try:
                _answer([(w, o) for (_, w), o in zip(batch, outcomes, strict=True)])
            except Exception:  # a writer that died would leave every later request waiting forever
                log.exception("alert writer could not answer a batch")
            if conn is not None and conn.invalidated:
                conn.close()
                conn = self._connection()
        if conn is not None:
            conn.close()
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                _, waiter = self._q.get_nowait()
            except queue.Empty:
                return
            _answer([(waiter, Unavailable("shutting down"))])

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)


def _answer(done: list[tuple[_Waiter, BaseException | None]]) -> None:
    """Wake every waiter: one call into each event loop per batch, not one per request."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
    for waiter, outcome in done:
        by_loop.setdefault(waiter.loop, []).append((waiter.fut, outcome))
    for loop, futs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_settle_all, futs)


def _settle_all(futs: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for fut, outcome in futs:
        if not fut.done():
            fut.set_result(outcome)


_lock = threading.Lock()


def writer_of(app: App) -> Writer:
    """The app's writer, started on first use."""
    w = app.alerts.writer
    if w is None:
        with _lock:
            w = app.alerts.writer
            if w is None:
                w = app.alerts.writer = Writer(app)
    return w


def stop_writer(app: App) -> None:
    w, app.alerts.writer = app.alerts.writer, None
    if w is not None:
        w.stop()


def background(app: App) -> Callable[[], None]:
    """For web.registry BACKGROUND: start the writer with the server, drain and stop it on shutdown."""
    writer_of(app)
    return lambda: stop_writer(app)
