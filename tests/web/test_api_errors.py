"""Bad input never gives a 500 nor a partial write; errors are JSON naming the field; probes, docs and logs."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from warroom.platform.logs import JsonFormatter

BIG = 10**30
DECLARE = {"title": "x", "impact": "minor", "urgency": "low"}
INC = "/api/v1/incidents"

# (method, path, json body, field the error must name)
NASTY: list[tuple[str, str, Any, str]] = [
    ("POST", INC, {**DECLARE, "service_ids": [BIG]}, "service_ids.0"),
    ("POST", INC, {**DECLARE, "service_ids": [-1]}, "service_ids.0"),
    ("POST", INC, {**DECLARE, "service_ids": [424242]}, "service_ids"),
    ("POST", INC, {**DECLARE, "service_ids": "1,2"}, "service_ids"),
    ("POST", INC, {**DECLARE, "title": 12}, "title"),
    ("POST", INC, {**DECLARE, "title": ""}, "title"),
    ("POST", INC, {**DECLARE, "title": "x" * 301}, "title"),
    ("POST", INC, {**DECLARE, "title": "nul\x00byte"}, "title"),
    ("POST", INC, {**DECLARE, "description": "a\x00"}, "description"),
    ("POST", INC, {**DECLARE, "impact": "apocalyptic"}, "impact"),
    ("POST", INC, {**DECLARE, "identified_via": "dream"}, "identified_via"),
    ("POST", INC, {**DECLARE, "detected_at": "yesterday"}, "detected_at"),
    ("POST", INC, {**DECLARE, "detected_at": "2999-01-01T00:00:00Z"}, "detected_at"),
    ("POST", INC, {**DECLARE, "detected_at": "0001-01-01T00:00:00+01:00"}, "detected_at"),
    ("POST", INC, {**DECLARE, "surprise": True}, "surprise"),
    ("POST", INC, {"impact": "minor", "urgency": "low"}, "title"),
    ("POST", INC, [1, 2, 3], "body"),
    ("POST", INC, None, "body"),
    ("POST", f"{INC}/1/roles", {"role": "coordinator", "user_id": BIG}, "user_id"),
    ("POST", f"{INC}/1/roles", {"role": "coordinator", "user_id": 424242}, "user_id"),
    ("POST", f"{INC}/1/roles", {"role": "expert", "user_id": 1, "team_id": BIG}, "team_id"),
    ("POST", f"{INC}/1/roles", {"role": "expert", "user_id": 1, "team_id": 424242}, "team_id"),
    ("POST", f"{INC}/1/roles", {"role": "overlord", "user_id": 1}, "role"),
    ("POST", f"{INC}/1/children", {"child_id": BIG}, "child_id"),
    ("POST", f"{INC}/1/children", {"child_id": "two"}, "child_id"),
    ("POST", f"{INC}/1/merge", {"primary_id": BIG}, "primary_id"),
    ("POST", f"{INC}/1/status", {"status": "investigating", "version": BIG}, "version"),
    ("POST", f"{INC}/1/acknowledge", {"version": "abc"}, "version"),
    ("POST", f"{INC}/1/notes", {"text": "x" * 20001}, "text"),
    ("POST", f"{INC}/1/notes", {"text": ["a"]}, "text"),
    ("PATCH", f"{INC}/1", {"service_ids": [BIG]}, "service_ids.0"),
    ("PATCH", f"{INC}/1", {"status": "closed"}, "status"),
    ("PATCH", f"{INC}/1", {"priority": "P1"}, "priority_reason"),
    ("GET", f"{INC}?service_id={BIG}", None, "service_id"),
    ("GET", f"{INC}?team_id={BIG}", None, "team_id"),
    ("GET", f"{INC}?offset={BIG}", None, "offset"),
    ("GET", f"{INC}?q=%00", None, "q"),
    ("GET", f"{INC}?q={'x' * 201}", None, "q"),
    ("GET", f"{INC}/1/timeline?after_seq={BIG}", None, "after_seq"),
    ("GET", f"/api/v1/teams/{BIG}", None, "team_id"),
    ("POST", f"/api/v1/teams/{BIG}/members", {"user_id": 1}, "team_id"),
    ("POST", "/api/v1/teams", {"name": " "}, "name"),
    ("GET", f"/api/v1/services/{BIG}", None, "service_id"),
    ("GET", f"/api/v1/services?team_id={BIG}", None, "team_id"),
    ("POST", "/api/v1/services", {"name": "s", "team_id": BIG}, "team_id"),
    ("POST", "/api/v1/services", {"name": "s", "depends_on": [BIG]}, "depends_on.0"),
    ("POST", "/api/v1/services", {"name": "s", "depends_on": [424242]}, "depends_on"),
    ("POST", "/api/v1/services", {"name": "s", "tier": 9}, "tier"),
    ("POST", "/api/v1/services", {"name": "s", "escalation_policy_id": BIG}, "escalation_policy_id"),
    ("PATCH", f"/api/v1/services/{BIG}", {"tier": 2}, "service_id"),
    ("PATCH", f"/api/v1/users/{BIG}", {"display_name": "x"}, "user_id"),
    ("POST", "/api/v1/users", {"username": "Bad Name"}, "username"),
    ("POST", "/api/v1/users", {"username": "zed", "time_zone": "Mars/Base"}, "time_zone"),
    ("POST", "/api/v1/users", {"username": "zed", "time_zone": "\x00"}, "time_zone"),
    ("POST", "/api/v1/users", {"username": "zed", "email": "not-an-email"}, "email"),
    ("POST", "/api/v1/tokens", {"user_id": BIG}, "user_id"),
    ("DELETE", f"/api/v1/tokens/{BIG}", None, "token_id"),
    ("PUT", "/api/v1/settings/priority-matrix", {"minor": {"low": "P1"}}, "matrix.extensive"),
    ("PUT", "/api/v1/settings/priority-matrix", [1], "body"),
]


@pytest.fixture
def seeded(api, users) -> dict[str, str]:
    """One incident (id 1) to aim at; returns the admin's headers."""
    h = users.headers("admin")
    assert api.post(INC, headers=h, json=DECLARE).json()["id"] == 1
    return h


def _counts(api, h) -> tuple[int, int, int]:  # noqa: ANN001
    inc = api.get(INC, headers=h).json()["total"]
    return inc, len(api.get(f"{INC}/1/timeline", headers=h).json()), len(api.get("/api/v1/services", headers=h).json())


@pytest.mark.parametrize(("method", "path", "body", "field"), NASTY, ids=[f"{m} {p[:50]} {f}" for m, p, _, f in NASTY])
def test_nasty_input_is_a_4xx_naming_the_field_and_writes_nothing(api, seeded, method, path, body, field) -> None:
    before = _counts(api, seeded)
    r = api.request(method, path, headers=seeded, json=body)
    assert 400 <= r.status_code < 500, r.text
    data = r.json()
    assert data["error"] and data["message"]
    assert field in {e["field"] for e in data["errors"]}, data
    assert _counts(api, seeded) == before


@pytest.mark.parametrize("raw", [b"{bad", b'{"title": "x",}', b"\xff\xfe", b"[", b'{"title": "x"'])
def test_malformed_json_is_400(api, seeded, raw: bytes) -> None:
    r = api.post(INC, headers={**seeded, "content-type": "application/json"}, content=raw)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "bad_request" and r.json()["errors"][0]["field"] == "body"
    assert "malformed JSON" in r.json()["message"]


def test_unknown_routes_and_methods(api, seeded) -> None:
    assert api.get("/api/v1/nope", headers=seeded).status_code == 404
    r = api.delete(f"{INC}/1", headers=seeded)
    assert r.status_code == 405 and r.json()["error"]


def test_health_and_readiness_need_no_token(api, app) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    r = api.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": app.db.dialect}


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
