"""The OpenAPI document describes every answer: each API operation documents its 2xx body with a real schema (not
an empty or any-object one), and real answers of every read route, and of a sample of writes, validate against
the schema the document gives for them. The demo organisation provides the data."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.conftest import IN_CI
from warroom.auth import service as auth
from warroom.auth.permissions import UserRole
from warroom.bootstrap import build_app
from warroom.demo import load_demo
from warroom.platform.settings import Settings
from warroom.web.app import create_app

pytestmark = pytest.mark.xdist_group("test_api_openapi")  # a module-scoped fixture

API = re.compile(r"^/(api|v2)/|^/(readyz|healthz)$")
# Metadata keys: a schema made only of these says nothing about the answer.
NOTHING = {"title", "description", "examples", "default"}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _vague(doc: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """Why a schema does not describe an answer, or None if it does."""
    schema = _resolve(doc, schema)
    if not set(schema) - NOTHING:
        return "no schema (any value)"
    for alt in schema.get("anyOf", []) + schema.get("oneOf", []):
        if (why := _vague(doc, alt)) is not None:
            return why
    if schema.get("type") == "array":
        return _vague(doc, schema.get("items", {}))
    if schema.get("type") == "object" and not schema.get("properties"):
        extra = schema.get("additionalProperties")
        if extra is True or extra is None:
            return "an object of anything"
        if isinstance(extra, dict):
            return _vague(doc, extra)
    return None


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in doc["paths"].items() if API.match(path)
            for method, op in ops.items()]


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = build_app(Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('openapi')}/doc.db"))
    try:
        return create_app(app, background=False).openapi()
    finally:
        app.close()


def test_every_api_operation_documents_its_answer(doc: dict[str, Any]) -> None:
    missing = []
    ops = _operations(doc)
    for method, path, op in ops:
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        if not ok:
            missing.append(f"{method} {path}: no 2xx answer")
        for code, r in ok.items():
            if code == "204":
                continue
            content = r.get("content") or {}
            if not content:
                missing.append(f"{method} {path} {code}: no body documented")
            for media, c in content.items():
                why = _vague(doc, c.get("schema", {}))
                if why:
                    missing.append(f"{method} {path} {code} {media}: {why}")
    assert len(ops) > 80
    assert not missing, "\n".join(missing)


def test_errors_are_documented_with_the_error_shape(doc: dict[str, Any]) -> None:
    """FastAPI's default 422 (`detail`) is not what warroom answers: each route documents `error`/`message`."""
    wrong = [f"{m} {p}" for m, p, op in _operations(doc)
             if any("HTTPValidationError" in str(r) for r in op["responses"].values())]
    assert not wrong
    declare = doc["paths"]["/api/v1/incidents"]["post"]["responses"]
    assert _resolve(doc, declare["422"]["content"]["application/json"]["schema"])["title"] == "ErrorOut"


def _validator(doc: dict[str, Any], method: str, path: str, status: int, media: str = "application/json") -> Any:
    try:
        import jsonschema_rs  # comes with schemathesis (the dev extras)
    except ImportError:
        if IN_CI:
            pytest.fail("CI=true but jsonschema_rs is not installed (pip install -e '.[dev]')")
        pytest.skip("jsonschema_rs is not installed")
    responses = doc["paths"][path][method.lower()]["responses"]
    schema = responses.get(str(status), responses.get(f"{status // 100}XX"))["content"][media]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": doc["components"]})


def _fill(path: str, ids: dict[str, int]) -> str | None:
    names = re.findall(r"{(\w+)}", path)
    if any(n not in ids for n in names):
        return None
    return re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)


def test_real_answers_match_the_documented_schemas(db_url: str, clock: Any) -> None:
    app = build_app(Settings(database_url=db_url, secret_key="s" * 32), clock=clock)
    try:
        load_demo(app)
        admin = auth.create_user(app, username="schemas", role=UserRole.ADMIN, password="schemas-password-1")
        token = auth.create_token(app, admin["id"], "schemas")[0]
        with TestClient(create_app(app, background=False)) as api:
            _check(api, {"Authorization": f"Bearer {token}"}, admin["id"])
    finally:
        app.close()


def _check(api: Any, headers: dict[str, str], admin_id: int) -> None:
    doc = api.get("/openapi.json").json()
    checked: list[str] = []

    def call(method: str, path: str, url: str, status: int, **kw: Any) -> Any:
        r = api.request(method, url, headers=headers, **kw)
        assert r.status_code == status, (method, url, r.status_code, r.text[:500])
        media = r.headers["content-type"].split(";")[0]
        errors = [e.message for e in _validator(doc, method, path, status, media).iter_errors(
            r.json() if media == "application/json" else r.text)]
        assert not errors, (method, url, errors[:5], r.text[:500])
        checked.append(f"{method} {path}")
        return r.json() if media == "application/json" else r.text

    first = {"team_id": "/api/v1/teams", "service_id": "/api/v1/services", "schedule_id": "/api/v1/schedules",
             "policy_id": "/api/v1/escalation-policies", "integration_id": "/api/v1/integrations",
             "notification_id": "/api/v1/notifications", "alert_id": "/api/v1/alerts"}
    ids: dict[str, int] = {"user_id": admin_id, "key": 1}
    for name, path in first.items():
        body = call("GET", path, path, 200)
        ids[name] = (body["items"] if isinstance(body, dict) else body)[0]["id"]
    for method, path, _ in _operations(doc):
        url = _fill(path, ids)
        if method == "GET" and url is not None and "/feeds/" not in path:
            call(method, path, url, 200)

    # a sample of writes, each answer checked against its documented schema
    team = call("POST", "/api/v1/teams", "/api/v1/teams", 201, json={"name": "schema checkers"})
    call("POST", "/api/v1/services", "/api/v1/services", 201, json={"name": "schemas", "team_id": team["id"]})
    call("POST", "/api/v1/tokens", "/api/v1/tokens", 201, json={"name": "second"})
    call("POST", "/api/v1/incidents", "/api/v1/incidents", 201, json={"title": "t", "impact": "significant",
                                                                      "urgency": "high"})
    feed = call("GET", "/api/v1/users/{user_id}/calendar-feed", f"/api/v1/users/{admin_id}/calendar-feed", 200)
    url = urlsplit(feed["url"])
    call("GET", "/api/v1/feeds/users/{user_id}.ics", f"{url.path}?{url.query}", 200)
    policy = call("GET", "/api/v1/escalation-policies/{policy_id}",
                  f"/api/v1/escalation-policies/{ids['policy_id']}", 200)
    call("PUT", "/api/v1/escalation-policies/{policy_id}", f"/api/v1/escalation-policies/{ids['policy_id']}", 200,
         json={k: policy[k] for k in ("name", "description", "repeat", "levels")})
    call("POST", "/api/v1/users/{user_id}/contact-methods", f"/api/v1/users/{admin_id}/contact-methods", 201,
         json={"kind": "email", "address": "schemas@example.com"})
    call("PUT", "/api/v1/settings/default-escalation-policy", "/api/v1/settings/default-escalation-policy", 200,
         json={"policy_id": None})

    # the alert intake (answered by the fast path, documented by the routes)
    pd = call("POST", "/api/v1/integrations", "/api/v1/integrations", 201, json={"name": "pd", "kind": "pagerduty"})
    am = call("POST", "/api/v1/integrations", "/api/v1/integrations", 201,
              json={"name": "am", "kind": "alertmanager"})
    event = {"routing_key": pd["key"], "event_action": "trigger",
             "payload": {"summary": "disk full", "source": "db1", "severity": "critical"}}
    call("POST", "/v2/enqueue", "/v2/enqueue", 202, json=event)
    call("POST", "/v2/enqueue", "/v2/enqueue", 400, json={**event, "routing_key": "nope"})
    call("POST", "/v2/change/enqueue", "/v2/change/enqueue", 202,
         json={"routing_key": pd["key"], "payload": {"summary": "deploy 42", "source": "ci"}})
    post = {"version": "4", "status": "firing", "receiver": "warroom", "groupKey": "g", "alerts": [
        {"status": "firing", "labels": {"alertname": "DiskFull", "severity": "critical"}, "annotations": {},
         "startsAt": "2026-01-05T08:59:00Z", "fingerprint": "f1"}]}
    call("POST", "/api/v1/integrations/{key}/alertmanager", f"/api/v1/integrations/{am['key']}/alertmanager", 202,
         json=post)
    call("POST", "/api/v1/intake/alertmanager", "/api/v1/intake/alertmanager", 401, json=post)
    call("GET", "/readyz", "/readyz", 200)

    assert len(checked) >= 60, checked
