"""A module-scoped app + TestClient + users, for test modules that make many requests without side effects
(building an app and hashing three passwords per test would dominate their run time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Users, make_db_url
from warroom.bootstrap import build_app
from warroom.platform.app import App
from warroom.platform.clock import FakeClock
from warroom.platform.settings import Settings
from warroom.web.app import create_app


@dataclass
class Shared:
    app: App
    api: TestClient
    users: Users


@contextmanager
def shared_api(kind: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """`kind` is "sqlite" or "postgres"; the database is fresh (PostgreSQL: truncated) when the module starts."""
    url = make_db_url(kind, request, tmp_path_factory.mktemp(f"shared-{kind}"))
    app = build_app(Settings(database_url=url), clock=FakeClock())
    try:
        with TestClient(create_app(app, background=False)) as client:
            yield Shared(app, client, Users(app))
    finally:
        app.close()
