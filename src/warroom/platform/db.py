"""Engine set-up for SQLite and PostgreSQL, aware-UTC timestamps, and the transaction helper."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool
from sqlalchemy.types import TypeDecorator

from warroom.platform.clock import utc

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class UTCDateTime(TypeDecorator):
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
    return create_engine(
        u,
        pool_size=pool_size,
        max_overflow=20,
        pool_pre_ping=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    ) if u.get_backend_name() == "postgresql" else create_engine(u, poolclass=NullPool)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Tx:
    """One database transaction plus the work to run once it has committed."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._after: list[Callable[[], None]] = []
        self.data: dict[str, Any] = {}

    def after_commit(self, fn: Callable[[], None]) -> None:
        self._after.append(fn)

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
            with conn.begin():
                tx = Tx(conn)
                yield tx
            for fn in tx._after:
                try:
                    fn()
                except Exception:  # a failed post-commit fan-out must not undo a committed change
                    import logging

                    logging.getLogger("warroom.db").exception("after-commit callback failed")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(warroom_read=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()
