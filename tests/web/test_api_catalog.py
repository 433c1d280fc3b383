"""The catalog, users and tokens over REST: admins manage, everyone reads, errors name the field."""

from __future__ import annotations

import pytest


@pytest.fixture
def call(api, users):  # noqa: ANN001, ANN201
    def _call(method: str, path: str, role: str = "admin", **kw):  # noqa: ANN003, ANN202
        return api.request(method, path, headers=users.headers(role), **kw)

    return _call


def test_teams_members_services(call, users) -> None:
    team = call("POST", "/api/v1/teams", json={"name": "Networks", "description": "routers"})
    assert team.status_code == 201 and team.json()["members"] == []
    tid = team.json()["id"]
    assert call("POST", "/api/v1/teams", json={"name": "Networks"}).status_code == 409
    assert call("POST", f"/api/v1/teams/{tid}/members", json={"user_id": users.ids["responder"],
                                                                "role": "lead"}).status_code == 204
    members = call("GET", f"/api/v1/teams/{tid}", "viewer").json()["members"]
    assert [(m["username"], m["role"]) for m in members] == [("rui", "lead")]
    assert call("GET", "/api/v1/users/me", "responder").json()["team_ids"] == [tid]
    r = call("POST", f"/api/v1/teams/{tid}/members", json={"user_id": 4242})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "user_id"
    assert call("DELETE", f"/api/v1/teams/{tid}/members/{users.ids['responder']}").status_code == 204
    assert call("DELETE", f"/api/v1/teams/{tid}/members/{users.ids['responder']}").status_code == 404

    core = call("POST", "/api/v1/services", json={"name": "core-net", "team_id": tid, "tier": 1}).json()
    web = call("POST", "/api/v1/services", json={"name": "web", "depends_on": [core["id"]]}).json()
    assert web["depends_on"] == [core["id"]] and web["tier"] == 3
    assert call("GET", f"/api/v1/services/{core['id']}", "viewer").json()["dependents"] == [web["id"]]
    r = call("PATCH", f"/api/v1/services/{core['id']}", json={"depends_on": [web["id"]]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "depends_on"
    r = call("PATCH", f"/api/v1/services/{web['id']}", json={"tier": 2, "description": "site"})
    assert (r.json()["tier"], r.json()["description"]) == (2, "site")
    listing = call("GET", "/api/v1/services", "viewer").json()
    assert [s["name"] for s in listing] == ["core-net", "web"]
    assert call("GET", f"/api/v1/services?team_id={tid}", "viewer").json()[0]["name"] == "core-net"
    inc = call("POST", "/api/v1/incidents", "responder", json={"title": "loss", "impact": "minor", "urgency": "low",
                                                               "service_ids": [core["id"]]}).json()
    assert [i["id"] for i in call("GET", f"/api/v1/services/{core['id']}", "viewer").json()["open_incidents"]] == [
        inc["id"]]


def test_users_and_tokens(call, users, api) -> None:
    r = call("POST", "/api/v1/users", json={"username": "nina", "role": "viewer", "password": "long-password"})
    assert r.status_code == 201 and "password_hash" not in r.json()
    nina = r.json()["id"]
    assert call("POST", "/api/v1/users", json={"username": "nina"}).status_code == 409
    assert "password_hash" not in str(call("GET", "/api/v1/users", "viewer").json())
    r = call("PATCH", f"/api/v1/users/{nina}", json={"role": "responder", "display_name": "Nina"})
    assert r.json()["role"] == "responder"
    r = call("PATCH", f"/api/v1/users/{users.ids['admin']}", json={"role": "viewer"})
    assert r.status_code == 409  # the last admin stays
    assert call("PATCH", "/api/v1/users/4242", json={"display_name": "x"}).status_code == 404
    mine = call("POST", "/api/v1/tokens", "viewer", json={"name": "script"})
    assert mine.status_code == 201 and mine.json()["token"].startswith("wr_")
    assert call("POST", "/api/v1/tokens", "viewer", json={"user_id": nina}).status_code == 403
    theirs = call("POST", "/api/v1/tokens", json={"user_id": nina, "name": "for nina"}).json()
    headers = {"Authorization": f"Bearer {theirs['token']}"}
    assert api.get("/api/v1/users/me", headers=headers).json()["username"] == "nina"
    assert {t["user_id"] for t in call("GET", "/api/v1/tokens", "viewer").json()} == {users.ids["viewer"]}
    assert call("DELETE", f"/api/v1/tokens/{theirs['id']}", "viewer").status_code == 404  # not the viewer's
    assert call("DELETE", f"/api/v1/tokens/{theirs['id']}").status_code == 204
    assert api.get("/api/v1/users/me", headers=headers).status_code == 401  # revoked at once
    assert call("DELETE", f"/api/v1/tokens/{theirs['id']}").status_code == 404


def test_patch_null_clears_a_team_policy_or_email_and_is_refused_elsewhere(call) -> None:
    team = call("POST", "/api/v1/teams", json={"name": "DBA"}).json()["id"]
    pol = call("POST", "/api/v1/escalation-policies", json={
        "name": "dba", "levels": [{"timeout_minutes": 5, "targets": [{"kind": "team", "id": team}]}]})
    assert pol.status_code == 201, pol.text
    svc = call("POST", "/api/v1/services", json={"name": "db", "team_id": team,
                                                 "escalation_policy_id": pol.json()["id"]}).json()
    r = call("PATCH", f"/api/v1/services/{svc['id']}", json={"tier": 1})  # left out: kept
    assert (r.json()["team_id"], r.json()["escalation_policy_id"]) == (team, pol.json()["id"])
    r = call("PATCH", f"/api/v1/services/{svc['id']}", json={"team_id": None, "escalation_policy_id": None})
    assert r.status_code == 200 and (r.json()["team_id"], r.json()["escalation_policy_id"]) == (None, None)
    r = call("PATCH", f"/api/v1/services/{svc['id']}", json={"name": None})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
    assert call("GET", f"/api/v1/services/{svc['id']}").json()["name"] == "db"

    nina = call("POST", "/api/v1/users", json={"username": "nina", "email": "nina@example.test",
                                               "password": "long-password"}).json()["id"]
    r = call("PATCH", f"/api/v1/users/{nina}", json={"email": None})
    assert r.status_code == 200 and r.json()["email"] is None
    r = call("PATCH", f"/api/v1/users/{nina}", json={"role": None})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "role"
