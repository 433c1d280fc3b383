"""The incidents REST API as a client sees it: JSON in and out, 4xx naming the field, 409s, 404s."""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_replay_matches

BASE = "/api/v1/incidents"


def _declare(call, **kw: Any) -> dict:  # noqa: ANN001
    body = {"title": "checkout 500s", "impact": "significant", "urgency": "high", **kw}
    r = call("POST", BASE, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _errors(r: Any) -> dict[str, str]:
    return {e["field"]: e["problem"] for e in r.json()["errors"]}


def test_declare_and_read_back(app, api, call) -> None:
    svc = call("POST", "/api/v1/services", "admin", json={"name": "checkout", "tier": 1}).json()
    inc = _declare(call, description="HTTP 500", category="availability", service_ids=[svc["id"]],
                   identified_via="monitoring")
    assert inc["ref"] == "INC-1" and inc["number"] == 1 and inc["priority"] == "P3" and inc["version"] == 1
    assert inc["declared_by"] == "rui" and inc["status"] == "identified" and inc["service_ids"] == [svc["id"]]
    assert call("GET", f"{BASE}/{inc['id']}", "viewer").json() == inc
    assert call("GET", f"{BASE}/inc-1", "viewer").json()["id"] == inc["id"]  # the reference works too
    r = call("POST", BASE, json={"title": "x", "impact": "minor", "urgency": "low"})
    assert r.headers["location"] == f"{BASE}/{r.json()['id']}"
    assert_replay_matches(app, inc["id"])


def test_priority_override_needs_a_reason(app, call) -> None:
    r = call("POST", BASE, json={"title": "x", "impact": "minor", "urgency": "low", "priority": "P1"})
    assert r.status_code == 422 and _errors(r) == {"priority_reason": "a reason is required"}
    inc = _declare(call, priority="P1", priority_reason="CEO demo")
    assert (inc["priority"], inc["priority_overridden"], inc["priority_reason"]) == ("P1", True, "CEO demo")
    assert call("GET", f"{BASE}/{inc['id']}/timeline", "viewer").json()[0]["data"]["priority_reason"] == "CEO demo"
    assert call("GET", BASE, "viewer").json()["total"] == 1  # the refused declaration wrote nothing


def test_admin_changes_the_matrix(call) -> None:
    grid = call("GET", "/api/v1/settings/priority-matrix", "viewer").json()
    assert grid["extensive"]["critical"] == "P1"
    grid["minor"]["low"] = "P1"
    assert call("PUT", "/api/v1/settings/priority-matrix", "responder", json=grid).status_code == 403
    assert call("PUT", "/api/v1/settings/priority-matrix", "admin", json=grid).json()["minor"]["low"] == "P1"
    assert _declare(call, impact="minor", urgency="low")["priority"] == "P1"
    del grid["minor"]["low"]
    r = call("PUT", "/api/v1/settings/priority-matrix", "admin", json=grid)
    assert r.status_code == 422 and "matrix.minor.low" in _errors(r)


def test_lifecycle_milestones_and_illegal_moves(app, call, clock) -> None:
    inc = _declare(call)
    path = f"{BASE}/{inc['id']}"
    r = call("POST", f"{path}/acknowledge")  # no body at all
    assert r.status_code == 200 and r.json()["acknowledged_at"] is not None
    for to in ("investigating", "contained", "resolved"):
        clock.advance(minutes=2)
        inc = call("POST", f"{path}/status", json={"status": to, "note": f"now {to}"}).json()
        assert inc["status"] == to and inc[f"{to}_at"] is not None
    r = call("POST", f"{path}/status", json={"status": "contained"})
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "illegal_move" and body["allowed"] == ["closed", "investigating"]
    assert "investigating" in body["message"] and "closed" in body["message"]
    inc = call("POST", f"{path}/status", json={"status": "investigating"}).json()  # reopen
    assert inc["resolved_at"] is None
    r = call("POST", f"{path}/status", json={"status": "sideways"})
    assert r.status_code == 422 and "status" in _errors(r)
    assert_replay_matches(app, inc["id"])


def test_stale_version_gets_409(app, call) -> None:
    inc = _declare(call)
    path = f"{BASE}/{inc['id']}"
    assert call("PATCH", path, json={"title": "new title", "version": 1}).status_code == 200
    r = call("PATCH", path, json={"title": "lost update", "version": 1})
    assert r.status_code == 409 and r.json()["error"] == "conflict" and "version" in r.json()["message"]
    for sub, body in (("status", {"status": "investigating"}), ("promote", {"reason": "x"}),
                      ("acknowledge", {}), ("roles", {"role": "scribe", "user_id": 1})):
        r = call("POST", f"{path}/{sub}", json={**body, "version": 1})
        assert r.status_code == 409, (sub, r.text)
    assert call("GET", path).json()["title"] == "new title"
    assert_replay_matches(app, inc["id"])


def test_major_roles_links_notes(app, call, users) -> None:
    team = call("POST", "/api/v1/teams", "admin", json={"name": "Databases"}).json()
    a, b, c = _declare(call, title="outage"), _declare(call, title="child"), _declare(call, title="dup")
    pa = f"{BASE}/{a['id']}"
    r = call("POST", f"{pa}/promote", json={})
    assert r.status_code == 422 and "reason" in _errors(r)
    r = call("POST", f"{pa}/promote", json={"reason": "   "})
    assert r.status_code == 422 and "reason" in _errors(r)
    assert call("POST", f"{pa}/promote", json={"reason": "revenue"}).json()["major"] is True
    assert call("POST", f"{pa}/promote", json={"reason": "again"}).status_code == 409
    rui, ada = users.ids["responder"], users.ids["admin"]
    call("POST", f"{pa}/roles", json={"role": "coordinator", "user_id": rui})
    inc = call("POST", f"{pa}/roles", json={"role": "coordinator", "user_id": ada}).json()
    assert inc["coordinator_id"] == ada
    r = call("POST", f"{pa}/roles", json={"role": "expert", "user_id": rui})
    assert r.status_code == 422 and "team_id" in _errors(r)
    inc = call("POST", f"{pa}/roles", json={"role": "expert", "user_id": rui, "team_id": team["id"]}).json()
    assert inc["experts"] == [{"user_id": rui, "team_id": team["id"]}]
    inc = call("POST", f"{pa}/roles/remove", json={"role": "expert", "user_id": rui}).json()
    assert inc["experts"] == []
    assert call("POST", f"{pa}/children", json={"child_id": b["id"]}).status_code == 200
    assert [x["id"] for x in call("GET", f"{pa}/children", "viewer").json()] == [b["id"]]
    r = call("POST", f"{pa}/children", json={"child_id": 999})
    assert r.status_code == 422 and "child_id" in _errors(r)
    assert call("POST", f"{BASE}/{c['id']}/merge", json={"primary_id": a["id"]}).json()["id"] == a["id"]
    assert [x["id"] for x in call("GET", f"{pa}/duplicates", "viewer").json()] == [c["id"]]
    r = call("POST", f"{BASE}/{b['id']}/merge", json={"primary_id": 999})
    assert r.status_code == 422 and "primary_id" in _errors(r)
    note = call("POST", f"{pa}/notes", json={"text": "failing over"})
    assert note.status_code == 201 and note.json()["kind"] == "note.added" and note.json()["actor"] == "rui"
    r = call("POST", f"{pa}/demote", json={"reason": "under control"})
    assert r.json()["major"] is False and r.json()["major_reason"] == "under control"
    timeline = call("GET", f"{pa}/timeline", "viewer").json()
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    assert {"role.assigned", "child.linked", "duplicate.attached", "note.added", "major.demoted"} <= {
        e["kind"] for e in timeline}
    reassigned = [e for e in timeline if e["kind"] == "role.assigned" and e["data"]["role"] == "coordinator"][-1]
    assert reassigned["data"]["previous_user_id"] == rui
    assert call("GET", f"{pa}/timeline?after_seq=2&limit=1", "viewer").json()[0]["seq"] == 3
    for i in (a["id"], b["id"], c["id"]):
        assert_replay_matches(app, i)


def test_no_route_edits_or_deletes_events(api) -> None:
    for route in api.app.routes:
        path = getattr(route, "path", "")
        if "timeline" in path or "events" in path:
            assert not (getattr(route, "methods", set()) & {"PUT", "PATCH", "DELETE"}), path


def test_list_filters_and_pagination(call) -> None:
    for i in range(5):
        _declare(call, title=f"inc {i}", impact="moderate", urgency="medium")
    big = _declare(call, title="big one", impact="extensive", urgency="critical")
    call("POST", f"{BASE}/{big['id']}/promote", json={"reason": "all down"})
    page = call("GET", f"{BASE}?limit=2&offset=0", "viewer").json()
    assert page["total"] == 6 and page["limit"] == 2 and [i["title"] for i in page["items"]] == ["big one", "inc 0"]
    assert call("GET", f"{BASE}?major=true", "viewer").json()["total"] == 1
    assert call("GET", f"{BASE}?priority=P1&priority=P5", "viewer").json()["total"] == 6
    assert call("GET", f"{BASE}?status=identified&open=true", "viewer").json()["total"] == 6
    assert call("GET", f"{BASE}?q=BIG", "viewer").json()["items"][0]["id"] == big["id"]
    assert call("GET", f"{BASE}?order=recent", "viewer").json()["items"][0]["id"] == big["id"]
    for bad, field in (("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset"),
                       ("status=nope", "status.0"), ("priority=P9", "priority.0"), ("order=random", "order"),
                       ("major=maybe", "major"), ("service_id=abc", "service_id")):
        r = call("GET", f"{BASE}?{bad}", "viewer")
        assert r.status_code == 422 and field in _errors(r), (bad, r.text)


def test_missing_things_are_404(call) -> None:
    for path in (f"{BASE}/999", f"{BASE}/INC-999", f"{BASE}/nonsense", f"{BASE}/999/timeline",
                 f"{BASE}/999/children", f"{BASE}/999/duplicates", "/api/v1/teams/999", "/api/v1/services/999",
                 "/api/v1/nothing-here"):
        r = call("GET", path, "viewer")
        assert r.status_code == 404 and r.json()["message"], path
    for sub, body in (("status", {"status": "investigating"}), ("notes", {"text": "x"}), ("acknowledge", None),
                      ("promote", {"reason": "x"}), ("children", {"child_id": 1}), ("merge", {"primary_id": 1})):
        assert call("POST", f"{BASE}/999/{sub}", json=body).status_code == 404, sub
