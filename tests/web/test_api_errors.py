"""Bad input never gives a 500 nor a partial write; errors are JSON naming the field; probes, docs and logs."""

from __future__ import annotations

import io
import json
import logging

import pytest

from warroom.platform.logs import JsonFormatter

DECLARE = {"title": "x", "impact": "minor", "urgency": "low"}
INC = "/api/v1/incidents"


@pytest.mark.parametrize("raw", [b"{bad", b'{"title": "x",}', b"\xff\xfe", b"[", b'{"title": "x"'])
def test_malformed_json_is_400(api, users, raw: bytes) -> None:
    r = api.post(INC, headers={**users.headers("responder"), "content-type": "application/json"}, content=raw)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "bad_request" and r.json()["errors"][0]["field"] == "body"
    assert "malformed JSON" in r.json()["message"]


def test_unknown_routes_and_methods(api, users) -> None:
    assert api.get("/api/v1/nope", headers=users.headers("admin")).status_code == 404
    r = api.delete(f"{INC}/1", headers=users.headers("admin"))
    assert r.status_code == 405 and r.json()["error"]


def test_health_and_readiness_need_no_token(api, app) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    r = api.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["database"] == app.db.dialect
    assert r.json()["notifications"]["dead"] == 0  # a detail (issue 10.5)


def test_readiness_fails_when_the_database_is_gone(api, app) -> None:
    from warroom.platform.db import Database

    app.db = Database("postgresql://nobody@127.0.0.1:1/none")  # nothing listens on port 1
    r = api.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"


def test_openapi_and_docs_are_served(api) -> None:
    spec = api.get("/openapi.json").json()
    assert spec["info"]["title"] == "warroom"
    assert {"/api/v1/incidents", "/api/v1/incidents/{key}/status", "/api/v1/services"} <= set(spec["paths"])
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower() and "/openapi.json" in docs.text


def test_request_logs_are_json_lines(api, users) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("warroom.http")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        api.get(f"{INC}/999", headers=users.headers("viewer"))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    entry = next(x for x in lines if x["msg"] == "request")
    assert entry["status"] == 404 and entry["path"] == f"{INC}/999" and entry["method"] == "GET"
    assert entry["level"] == "info" and entry["logger"] == "warroom.http" and entry["ts"].endswith("Z")
    assert isinstance(entry["ms"], float)


def test_json_formatter_keeps_exceptions() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed %s", ("job",),
                                                   exc_info=__import__("sys").exc_info(), extra={"job_id": 7})
    out = json.loads(JsonFormatter().format(record))
    assert out["msg"] == "failed job" and out["job_id"] == 7 and "ValueError: boom" in out["exc"]


def test_database_range_errors_are_a_422_not_a_500() -> None:
    """The last line of defence behind the schemas: a value the database refuses is the caller's 4xx."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import DataError

    from warroom.web import errors

    app = FastAPI()
    errors.install(app)

    @app.get("/overflow")
    def overflow() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    @app.get("/data")
    def data() -> None:
        raise DataError("INSERT ...", {}, Exception("integer out of range"))

    with TestClient(app) as client:
        for path in ("/overflow", "/data"):
            r = client.get(path)
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "request", r.text
