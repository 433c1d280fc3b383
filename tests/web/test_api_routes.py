"""Walk EVERY route of the app: each declares a role (web.deps.needs) or is explicitly public, refuses callers
without a token (401) and callers below its role (403), and never answers 5xx to an allowed caller."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.web.api_support import Shared, shared_api
from warroom.auth.permissions import RANK, UserRole
from warroom.web.registry import ROUTERS

# module-scoped fixtures (and tests that build on each other) stay on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("test_api_routes")

MISSING_ID = "999999"  # every path parameter names something that does not exist: no side effects


@pytest.fixture(scope="module")
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Authorization does not depend on the database: one SQLite app for the whole walk."""
    with shared_api("sqlite", request, tmp_path_factory) as s:
        yield s


def _routes() -> list[APIRoute]:
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def _calls(dependant: Any) -> list[Any]:
    out = []
    for d in dependant.dependencies:
        out.append(d.call)
        out.extend(_calls(d))
    return out


def _guard(route: APIRoute) -> tuple[UserRole | None, str | None]:
    calls = _calls(route.dependant)
    roles = [c.warroom_role for c in calls if hasattr(c, "warroom_role")]
    public = [c.warroom_public for c in calls if hasattr(c, "warroom_public")]
    return (max(roles, key=lambda r: RANK[r]) if roles else None), (public[0] if public else None)


def _streams(route: APIRoute) -> bool:
    return bool(re.search(r"stream|sse|events$|live", route.path + " " + route.name))


def _cases() -> list[Any]:
    return [pytest.param(r, m, id=f"{m} {r.path}") for r in _routes() for m in sorted(r.methods - {"HEAD"})]


def test_the_walk_sees_the_foundation_routes() -> None:
    paths = {r.path for r in _routes()}
    assert {"/healthz", "/readyz", "/api/v1/incidents", "/api/v1/incidents/{key}/status", "/api/v1/services",
            "/api/v1/teams/{team_id}/members/{user_id}", "/api/v1/settings/priority-matrix"} <= paths


@pytest.mark.parametrize(("route", "method"), _cases())
def test_every_route_checks_who_calls(shared: Shared, route: APIRoute, method: str) -> None:
    api, users = shared.api, shared.users
    role, public = _guard(route)
    assert role or public, f"{method} {route.path} declares neither a role (needs) nor public(...)"
    assert not (role and public), f"{method} {route.path} is both public and role-guarded"
    path = re.sub(r"\{[^}]+\}", MISSING_ID, route.path)
    body = {} if method in ("POST", "PUT", "PATCH") else None

    def call(headers: dict[str, str] | None = None) -> Any:
        return api.request(method, path, headers=headers or {}, json=body)

    if public:
        assert call().status_code < 500
        return
    anonymous = call()
    if path.startswith("/api/"):
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.headers.get("www-authenticate") == "Bearer"
        assert anonymous.json()["error"] == "unauthorized"
    else:
        assert anonymous.status_code in (401, 302, 303, 307), anonymous.text
    assert call({"Authorization": "Bearer wr_not-a-real-token"}).status_code in (401, 302, 303, 307)
    for lower in UserRole:
        if RANK[lower] < RANK[role]:
            r = call(users.headers(lower.value))
            assert r.status_code == 403, f"{lower} on {method} {route.path}: {r.status_code} {r.text}"
            assert r.json()["error"] == "forbidden" and str(role) in r.json()["message"]
    if not _streams(route):
        for allowed in UserRole:
            if RANK[allowed] >= RANK[role]:
                r = call(users.headers(allowed.value))
                assert r.status_code != 401 and r.status_code < 500, f"{allowed}: {r.text}"
                # a 403 may still come from ownership rules (someone else's settings), never from the role gate
                assert not (r.status_code == 403 and "this needs the" in r.text), f"{allowed}: {r.text}"
