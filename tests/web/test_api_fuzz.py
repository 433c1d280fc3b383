"""Schemathesis drives every documented route of a real server (uvicorn subprocess on loopback, with the demo
organisation loaded) with schema-derived boundary cases and random data: no answer may be a 5xx, and every answer
whose status the OpenAPI document lists matches the schema it gives (response models, web/api/schemas/). On SQLite and
PostgreSQL, bounded (fixed seed, 12 examples per route and phase; about 20 s per database)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.alerts_support import server_process
from tests.conftest import IN_CI, make_db_url
from warroom.auth import service as auth
from warroom.auth.permissions import UserRole
from warroom.bootstrap import build_app
from warroom.demo import load_demo
from warroom.platform.settings import Settings

ST = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")


@pytest.mark.slow
@pytest.mark.timeout(600)  # ~20 s alone; several times that beside other pytest-xdist workers
@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_no_route_answers_a_server_error(db, request, tmp_path) -> None:
    if ST is None:
        if IN_CI:
            pytest.fail("CI=true but schemathesis (st) is not installed (pip install -e '.[dev]')")
        pytest.skip("schemathesis is not installed")
    url = make_db_url(db, request, tmp_path)
    app = build_app(Settings(database_url=url))
    load_demo(app)
    admin = auth.create_user(app, username="fuzzer", role=UserRole.ADMIN, password="fuzzer-password-1")
    token = auth.create_token(app, admin["id"], "fuzz")[0]
    app.close()
    with server_process(url) as (base, _):
        run = subprocess.run([ST, "run", f"{base}/openapi.json", "-H", f"Authorization: Bearer {token}",
                              "--checks", "not_a_server_error,response_schema_conformance",
                              "--phases", "coverage,fuzzing",
                              "--max-examples", "12", "--seed", "1", "--workers", "2", "--request-timeout", "10",
                              "--exclude-path-regex", "^/api/v1/tokens",  # it would revoke its own token
                              "--no-color"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:]
    assert " passed" in run.stdout and "generated" in run.stdout
