"""Nasty input on every kind of route: a 4xx naming the field, never a 500, never a partial write.
Runs on SQLite and PostgreSQL (NUL characters and out-of-range integers fail differently on each)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.api_support import shared_api

# module-scoped fixtures (and tests that build on each other) stay on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("test_api_nasty")

DECLARE = {"title": "x", "impact": "minor", "urgency": "low"}
INC = "/api/v1/incidents"
INTEG = "/api/v1/integrations"
BIG = 10**30

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
    ("POST", INTEG, {"name": "x", "kind": "nagios"}, "kind"),
    ("POST", INTEG, {"name": "x\x00", "kind": "pagerduty"}, "name"),
    ("POST", INTEG, {"name": "x", "kind": "pagerduty", "service_id": BIG}, "service_id"),
    ("POST", INTEG, {"name": "x", "kind": "pagerduty", "service_id": 424242}, "service_id"),
    ("POST", INTEG, {"name": "x", "kind": "pagerduty", "config": {"rules": [{"match": {}, "suppress": "y"}]}},
     "config.rules.0.suppress"),
    ("POST", INTEG, {"name": "x", "kind": "pagerduty", "config": {"maintenance_until": "soon"}},
     "config.maintenance_until"),
    ("POST", INTEG, {"name": "x", "kind": "generic", "config": {"mapping": {"summary": 3}}},
     "config.mapping.summary"),
    ("PATCH", f"{INTEG}/{BIG}", {"enabled": False}, "integration_id"),
    ("POST", f"{INTEG}/{BIG}/maintenance", {"minutes": 5}, "integration_id"),
    ("POST", f"{INTEG}/1/maintenance", {"minutes": BIG}, "minutes"),
    ("POST", f"{INTEG}/1/maintenance", {"until": "later"}, "until"),
    ("POST", f"{INTEG}/1/maintenance", {"minutes": 5, "extra": 1}, "extra"),
    ("GET", f"{INTEG}/{BIG}/history", None, "integration_id"),
    ("GET", f"/api/v1/alerts?integration_id={BIG}", None, "integration_id"),
    ("GET", "/api/v1/alerts?severity=loud", None, "severity.0"),
    ("POST", f"/api/v1/alerts/{BIG}/acknowledge", None, "alert_id"),
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One app per database for the module, with one incident (id 1) to aim at."""
    with shared_api(request.param, request, tmp_path_factory) as s:
        assert s.api.post(INC, headers=s.users.headers("admin"), json=DECLARE).json()["id"] == 1
        yield s


def _counts(api, h) -> tuple[int, int, int]:  # noqa: ANN001
    inc = api.get(INC, headers=h).json()["total"]
    return inc, len(api.get(f"{INC}/1/timeline", headers=h).json()), len(api.get("/api/v1/services", headers=h).json())


@pytest.mark.parametrize(("method", "path", "body", "field"), NASTY, ids=[f"{m} {p[:50]} {f}" for m, p, _, f in NASTY])
def test_nasty_input_is_a_4xx_naming_the_field_and_writes_nothing(shared, method, path, body, field) -> None:
    api, h = shared.api, shared.users.headers("admin")
    before = _counts(api, h)
    r = api.request(method, path, headers=h, json=body)
    assert 400 <= r.status_code < 500, r.text
    data = r.json()
    assert data["error"] and data["message"]
    assert field in {e["field"] for e in data["errors"]}, data
    assert _counts(api, h) == before




def test_an_empty_patch_changes_nothing_and_is_not_an_error(shared) -> None:
    api, h = shared.api, shared.users.headers("admin")
    me = api.get("/api/v1/users", headers=h).json()[0]
    r = api.patch(f"/api/v1/users/{me['id']}", headers=h, json={})
    assert r.status_code == 200 and r.json()["username"] == me["username"]
