"""Engine set-up for SQLite and PostgreSQL, aware-UTC timestamps, and the transaction helper."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import NullPool, QueuePool
from sqlalchemy.types import TypeDecorator

from warroom.platform.clock import utc

S = TypeVar("S")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC; SQLite hands back naive values, which are UTC by construction."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else utc(value)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=pool_size,
            max_overflow=20,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoint; WAL keeps commits atomic
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers take the write lock up front: no deadlocking read->write upgrades between writers.
            # Readers begin deferred and read a WAL snapshot without blocking anyone.
            if conn.get_execution_options().get("warroom_read"):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() != "postgresql":
        return create_engine(u, poolclass=NullPool)
    engine = create_engine(
        u,
        pool_size=pool_size,
        max_overflow=20,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it sat idle (where a server restart or idle timeout hides).

    `pool_pre_ping` pings on every checkout: a round trip, two per declaration, under load. A connection
    handed back milliseconds ago is as good as a ping; a broken one is replaced before anything runs on it."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, rec: Any) -> None:
        rec.info["warroom_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, rec: Any, _proxy: Any) -> None:
        since = rec.info.get("warroom_idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_conn.cursor().execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as e:  # the pool discards this connection and checks out (or opens) another
            raise DisconnectionError(str(e)) from e


JSONType = JSON().with_variant(JSONB(), "postgresql")


@contextmanager
def driver_errors(conn: Connection) -> Iterator[None]:
    """Statements run on the driver's own cursor (COPY, pipelines) raise the driver's exceptions; translate
    them to SQLAlchemy's (IntegrityError, OperationalError, ...) so callers handle one family."""
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(None, None, exc, base, dialect=conn.dialect) from exc


def driver(conn: Connection) -> Any:
    """The driver's own connection under `conn` (psycopg's or sqlite3's): COPY, pipelines, plain cursors."""
    raw = conn.connection.driver_connection
    if raw is None:  # only once the connection is closed or invalidated
        raise RuntimeError("the database connection is closed")
    return raw


_INSERTS: dict[tuple[int, str, tuple[str, ...]], tuple[str, list[Any]]] = {}


def driver_executemany_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts with the same keys) through the driver's cursor, with each column's bind
    processing: pipelined inside a `pipeline` block, and no RETURNING (SQLAlchemy would wait for it)."""
    if not rows:
        return
    names = tuple(rows[0])
    d = conn.dialect
    key = (id(d), table.name, names)
    got = _INSERTS.get(key)
    if got is None:
        ph = _ph(conn)
        got = _INSERTS[key] = (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([ph] * len(names))})",
                               _procs(conn, table, names, "bind"))
    sql, procs = got
    values = [tuple(p(r[n]) if p else r[n] for n, p in zip(names, procs, strict=True)) for r in rows]
    with driver_errors(conn), closing(driver(conn).cursor()) as cur:
        cur.executemany(sql, values)


_PROCS: dict[tuple[Any, ...], list[Any]] = {}


def _procs(conn: Connection, table: Table, names: tuple[str, ...], kind: str) -> list[Any]:
    """Each column's bind ("bind") or result ("result") processor for this dialect (None: use as is)."""
    d = conn.dialect
    key = (id(d), table.name, names, kind)
    got = _PROCS.get(key)
    if got is None:
        impls = [table.c[n].type.dialect_impl(d) for n in names]
        got = _PROCS[key] = [i.bind_processor(d) if kind == "bind" else i.result_processor(d, None) for i in impls]
    return got


def _ph(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def driver_select(conn: Connection, table: Table, sql: str, params: Any) -> list[dict[str, Any]]:
    """Rows of `table` from `sql` (its own placeholders) run on the driver's cursor, as dicts of the values
    SQLAlchemy would give (each column's result processing): pipelined inside a `pipeline` block."""
    with driver_errors(conn), closing(driver(conn).cursor()) as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
        names = tuple(c[0] for c in cur.description)
    procs = _procs(conn, table, names, "result")
    return [{n: p(v) if p else v for n, p, v in zip(names, procs, r, strict=True)} for r in rows]


def driver_update(conn: Connection, table: Table, values: dict[str, Any], where: dict[str, Any]) -> int:
    """UPDATE `table` SET values WHERE every `where` column equals its value, on the driver's cursor (with
    bind processing). Returns the row count: -1 inside a PostgreSQL `pipeline`, where it is not known yet."""
    names, keys = tuple(values), tuple(where)
    ph = _ph(conn)
    sql = (f"UPDATE {table.name} SET {', '.join(f'{n} = {ph}' for n in names)} "
           f"WHERE {' AND '.join(f'{k} = {ph}' for k in keys)}")
    procs = _procs(conn, table, names + keys, "bind")
    params = tuple(p(v) if p else v for p, v in zip(procs, [*values.values(), *where.values()], strict=True))
    with driver_errors(conn), closing(driver(conn).cursor()) as cur:
        cur.execute(sql, params)
        return cur.rowcount


@contextmanager
def pipeline(conn: Connection) -> Iterator[None]:
    """PostgreSQL: send the driver-cursor statements inside together and wait for their results once
    (psycopg pipeline mode; a fetch inside waits for everything sent before it). Elsewhere: nothing.

    Only for driver-cursor statements: SQLAlchemy reads a result's columns as soon as it executes, which
    a pipelined statement has not got yet."""
    if conn.dialect.name != "postgresql":
        yield
        return
    with driver_errors(conn), driver(conn).pipeline():
        yield


class Tx:
    """One database transaction plus the work to run once it has committed."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._after: list[Callable[[], None]] = []
        self._state: dict[type, Any] = {}
        self._pipelined = False
        self._until_commit = ExitStack()

    def state(self, kind: type[S]) -> S:
        """This transaction's `kind` object, made by `kind()` on first use: what a domain keeps for the length of
        one transaction (a cache, work held back), typed and keyed by its class."""
        found = self._state.get(kind)
        if found is None:
            found = self._state[kind] = kind()
        return found

    def after_commit(self, fn: Callable[[], None]) -> None:
        self._after.append(fn)

    def pipeline_until_commit(self) -> None:
        """PostgreSQL: what is sent from here on goes out with the COMMIT, in one round trip (see `pipeline`:
        driver-cursor statements, and SQLAlchemy writes whose results nobody reads). Elsewhere: nothing."""
        if self.dialect == "postgresql" and not self._pipelined:
            self._pipelined = True
            self._until_commit.enter_context(pipeline(self.conn))

    @contextmanager
    def begin(self) -> Iterator[Tx]:
        """The transaction on `conn`: commit on success, roll back on error (inside a pipeline if one is open)."""
        with self._until_commit, self.conn.begin():
            yield self

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self._local = threading.local()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Commit on success, roll back on error; after-commit callbacks run only after a commit."""
        with self.engine.connect() as conn:
            with Tx(conn).begin() as tx:
                yield tx
            for fn in tx._after:
                try:
                    fn()
                except Exception:  # a failed post-commit fan-out must not undo a committed change
                    import logging

                    logging.getLogger("warroom.db").exception("after-commit callback failed")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading. On PostgreSQL it runs in autocommit: at READ COMMITTED every statement
        sees its own snapshot inside a transaction too, so BEGIN and COMMIT would be two round trips for nothing.
        On SQLite it is a deferred transaction (one WAL snapshot for all its statements)."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execution_options(warroom_read=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()
