"""Group commit: one writer thread commits the alerts of many concurrent requests in one transaction,
then answers all of them. A request is answered only after its transaction has committed.

On SQLite the writer's connection commits with synchronous=FULL (an fsync per batch, not per
request), so an answered event survives even a power cut; PostgreSQL commits synchronously by default."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from warroom.alerts import catalog_view
from warroom.alerts.ingest import Submission, process
from warroom.bootstrap import App
from warroom.platform.db import Tx

log = logging.getLogger("warroom.alerts.writer")

MAX_BATCH_ALERTS = 2000
MAX_QUEUE = 20000  # submissions waiting; beyond this the intake sheds load
KEY = "alerts.writer"


class Unavailable(Exception):
    """Nothing was committed (database down, or shutting down); the sender should retry."""


@contextmanager
def durable_transaction(app: App) -> Iterator[Tx]:
    """app.db.transaction(), but on SQLite this commit is fsynced (synchronous=FULL) before returning."""
    if app.db.dialect != "sqlite":
        with app.db.transaction() as tx:
            yield tx
        return
    with app.db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA synchronous=FULL")  # outside any transaction: SQLite refuses it inside one
        try:
            with conn.begin():
                tx = Tx(conn)
                yield tx
        finally:
            raw.execute("PRAGMA synchronous=NORMAL")
    for fn in tx._after:
        try:
            fn()
        except Exception:  # a failed post-commit fan-out must not undo a committed change
            log.exception("after-commit callback failed")


def commit(app: App, subs: list[Submission]) -> list[BaseException | None]:
    """Commit `subs` together; on a persistent error split the batch so one bad request fails alone."""
    for attempt in range(3):
        try:
            with durable_transaction(app) as tx:
                process(app, tx, subs)
            return [None] * len(subs)
        except (IntegrityError, OperationalError) as exc:  # a concurrent writer, a deadlock, a stale cache
            catalog_view.forget(app)
            if attempt == 2:
                if len(subs) == 1:
                    return [Unavailable(str(exc).splitlines()[0])]
                break
        except Exception as exc:  # noqa: BLE001 - isolate the failing request below
            if len(subs) == 1:
                log.exception("alert batch failed")
                return [exc]
            break
    return [commit(app, [s])[0] for s in subs]


class Writer:
    def __init__(self, app: App) -> None:
        self.app = app
        self._q: queue.SimpleQueue[tuple[Submission, Callable[[BaseException | None], None]]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alerts-writer", daemon=True)
        self._thread.start()
        self.batches = 0

    def depth(self) -> int:
        return self._q.qsize()

    def submit(self, sub: Submission, done: Callable[[BaseException | None], None]) -> None:
        if self._stop.is_set():
            done(Unavailable("shutting down"))
            return
        self._q.put((sub, done))

    async def send(self, sub: Submission) -> None:
        """Wait until `sub` is committed; raise if it was not."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[BaseException | None] = loop.create_future()

        def done(outcome: BaseException | None) -> None:
            loop.call_soon_threadsafe(_settle, fut, outcome)

        self.submit(sub, done)
        outcome = await fut
        if outcome is not None:
            raise outcome

    def send_blocking(self, sub: Submission, timeout: float = 60.0) -> None:
        box: list[BaseException | None] = []
        ready = threading.Event()

        def done(outcome: BaseException | None) -> None:
            box.append(outcome)
            ready.set()

        self.submit(sub, done)
        if not ready.wait(timeout):
            raise Unavailable("timed out waiting for the alert writer")
        if box[0] is not None:
            raise box[0]

    def _run(self) -> None:
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
                outcomes = commit(self.app, [s for s, _ in batch])
            except DBAPIError as exc:
                outcomes = [Unavailable(str(exc).splitlines()[0])] * len(batch)
            except Exception as exc:  # noqa: BLE001 - never let the writer die
                log.exception("alert writer failed")
                outcomes = [exc] * len(batch)
            self.batches += 1
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                done(outcome)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                _, done = self._q.get_nowait()
            except queue.Empty:
                return
            done(Unavailable("shutting down"))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _settle(fut: asyncio.Future, outcome: Any) -> None:
    if not fut.done():
        fut.set_result(outcome)


_lock = threading.Lock()


def writer_of(app: App) -> Writer:
    """The app's writer, started on first use."""
    w = app.extras.get(KEY)
    if w is None:
        with _lock:
            w = app.extras.get(KEY)
            if w is None:
                w = app.extras[KEY] = Writer(app)
    return w


def stop_writer(app: App) -> None:
    w = app.extras.pop(KEY, None)
    if w is not None:
        w.stop()


def background(app: App) -> Callable[[], None]:
    """For web.app.BACKGROUND: start the writer with the server, drain and stop it on shutdown."""
    writer_of(app)
    return lambda: stop_writer(app)
