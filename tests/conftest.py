"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, the app, and API clients per role.

PostgreSQL: WARROOM_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres) names a server
on which each test session creates its own database. With CI=true a missing server fails the run;
otherwise PostgreSQL tests skip and say why."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from warroom.auth.permissions import UserRole
from warroom.bootstrap import build_app, load_all_tables
from warroom.platform.app import App
from warroom.platform.clock import FakeClock
from warroom.platform.schema import upgrade
from warroom.platform.settings import Settings

# Notification tests deliver to receivers on 127.0.0.1, which the outbound guard refuses unless an admin allows
# it (docs/outbound.md). Set before any Settings() is built, so worker and server subprocesses inherit it too;
# the guard's own tests (tests/integration/test_outbound_guard.py) build their Settings without it.
os.environ.setdefault("WARROOM_OUTBOUND_ALLOW", "127.0.0.1")

PG_ADMIN_URL = os.environ.get("WARROOM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_reachable() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                            connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", reported as the skip reason
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (dropped at the end)."""
    reason = _pg_reachable()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    name = f"warroom_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    if url in _PG_RESET:
        _PG_RESET.pop(url)[0].dispose()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


_PG_RESET: dict[str, tuple[Engine, list[str], str]] = {}


def _truncate_pg(url: str) -> None:
    """Empty every table and restart every sequence at its start, as `TRUNCATE ... RESTART IDENTITY` did. DELETE
    is ~7x faster than TRUNCATE on tables of a few rows (TRUNCATE gives each of the 26 tables new files at every
    test); one engine per session database instead of a new connection per test."""
    if url not in _PG_RESET:
        eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_pre_ping=True)
        with eng.connect() as c:
            seqs = ", ".join(f"setval('{schema}.{name}', {start}, false)" for schema, name, start in c.execute(text(
                "SELECT quote_ident(schemaname), quote_ident(sequencename), start_value FROM pg_sequences")))
        tables = [f'DELETE FROM "{t.name}"' for t in reversed(load_all_tables().sorted_tables)]
        _PG_RESET[url] = (eng, tables, f"SELECT {seqs}")
    eng, tables, restart = _PG_RESET[url]
    with eng.begin() as c:
        for delete in tables:
            c.execute(text(delete))
        c.execute(text(restart))


def make_db_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        path = tmp_path / "warroom.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_server_url")
    _truncate_pg(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    return make_db_url(request.param, request, tmp_path)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return make_db_url("sqlite", request, tmp_path)


class _MemoHasher:
    """The product's argon2 hasher with `hash` memoised per password. A hash costs ~0.2 CPU-s and 64 MiB, and the
    `users` fixture alone made three per test (~500 tests: a fifth of the suite's CPU); the same password now gets
    the same real argon2 hash (same parameters, one salt per password per test process). Verifies are not cached:
    every login still runs argon2 in full."""

    def __init__(self, real: object) -> None:
        self._real = real
        self.hash = lru_cache(maxsize=None)(real.hash)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


@pytest.fixture(scope="session", autouse=True)
def _password_hashes_memoised() -> Iterator[None]:
    from warroom.auth import service as auth

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "hasher", _MemoHasher(auth.hasher))
        yield


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """`warroom serve`/`worker` run in-process (CliRunner) point the root logger at a stream that closes with the
    runner; later log lines in the same worker process would then write "Logging error" into other tests' output."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(db_url: str, clock: FakeClock) -> Iterator[App]:
    wr = build_app(Settings(database_url=db_url), clock=clock)
    yield wr
    wr.close()


class Users:
    """An admin, a responder and a viewer with API tokens."""

    def __init__(self, app: App) -> None:
        from warroom.auth import service as auth

        self.ids: dict[str, int] = {}
        self.tokens: dict[str, str] = {}
        for name, role in (("ada", UserRole.ADMIN), ("rui", UserRole.RESPONDER), ("vic", UserRole.VIEWER)):
            row = auth.create_user(app, username=name, display_name=name.title(), role=role,
                                   password=f"{name}-password-1")
            self.ids[role.value] = row["id"]
            self.tokens[role.value] = auth.create_token(app, row["id"], "test")[0]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def principal(self, role: str):  # noqa: ANN201
        from warroom.auth.permissions import Principal

        return Principal(self.ids[role], {"admin": "ada", "responder": "rui", "viewer": "vic"}[role], UserRole(role))


@pytest.fixture
def users(app: App) -> Users:
    return Users(app)


@pytest.fixture
def api(app: App):  # noqa: ANN201
    from fastapi.testclient import TestClient

    from warroom.web.app import create_app

    with TestClient(create_app(app, background=False)) as c:
        yield c
