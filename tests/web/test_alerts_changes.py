"""PagerDuty Change Events (`POST /v2/change/enqueue`): a deploy is kept, listed (API, CLI) and shown in the war
room of an incident on the same service; it never opens an incident. Bad events get PagerDuty's 400."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.alerts_support import incidents as all_incidents
from tests.alerts_support import integration
from tests.web.pages_support import declare, login_as
from warroom.alerts import changes
from warroom.alerts.model import BadEvent
from warroom.alerts.sources.change import parse_change
from warroom.catalog import service as catalog


def change(key: str, summary: str = "Deploy checkout v2.41", **payload) -> dict:  # noqa: ANN003
    return {"routing_key": key, "payload": {"summary": summary, "source": "github-actions", **payload},
            "links": [{"href": "https://github.example/acme/checkout/pull/4242", "text": "PR 4242"},
                      {"href": "javascript:alert(1)", "text": "bad"}]}


def test_parse_change_follows_pagerduty() -> None:
    c = parse_change(change("k", timestamp="2026-11-27T10:00:00Z", custom_details={"build": 812}))
    assert c.summary == "Deploy checkout v2.41" and c.source == "github-actions" and c.details == {"build": 812}
    assert c.links == [("https://github.example/acme/checkout/pull/4242", "PR 4242")]
    assert c.occurred_at is not None and c.occurred_at.hour == 10
    for body, says in (([1], "body"), ({"payload": "x"}, "payload"), ({"payload": {}}, "payload.summary"),
                       ({"payload": {"summary": "x", "timestamp": "noon"}}, "payload.timestamp"),
                       ({"payload": {"summary": "x", "custom_details": [1]}}, "payload.custom_details"),
                       ({"payload": {"summary": "x"}, "links": "y"}, "links")):
        with pytest.raises(BadEvent) as exc:
            parse_change(body)
        assert any(e.startswith(says) for e in exc.value.errors), exc.value.errors


def test_a_change_is_kept_listed_and_shown_in_the_war_room_but_opens_nothing(api, app, users, clock) -> None:
    svc = catalog.create_service(app, name="checkout")
    other = catalog.create_service(app, name="search")
    _, key = integration(app, service_id=svc["id"])
    r = api.post("/v2/change/enqueue", json=change(key, custom_details={"build": 812}))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "success" and body["message"] == "Change event processed" and body["id"]
    assert all_incidents(app) == [], "a change opens nothing"
    listed = api.get("/api/v1/changes", headers=users.headers("viewer")).json()
    assert [c["summary"] for c in listed] == ["Deploy checkout v2.41"] and listed[0]["service_id"] == svc["id"]
    assert listed[0]["links"] == [["https://github.example/acme/checkout/pull/4242", "PR 4242"]]
    assert api.get(f"/api/v1/changes?service_id={other['id']}", headers=users.headers("viewer")).json() == []
    assert api.get("/api/v1/changes").status_code == 401

    clock.advance(minutes=20)
    state = declare(app, users, title="Checkout 5xx", service_ids=[svc["id"]])
    login_as(api, "viewer")
    room = api.get(f"/incidents/{state.ref}").text
    assert "Recent changes (1)" in room and "Deploy checkout v2.41" in room and "before detection" in room
    assert '<a href="https://github.example/acme/checkout/pull/4242"' in room and "javascript:" not in room
    elsewhere = declare(app, users, title="Search slow", service_ids=[other["id"]])
    assert "Recent changes" not in api.get(f"/incidents/{elsewhere.ref}").text
    clock.advance(days=2)
    late = declare(app, users, title="Checkout again", service_ids=[svc["id"]])
    assert "Recent changes" not in api.get(f"/incidents/{late.ref}").text, "a change 2 days before is no suspect"
    assert len(changes.recent_changes(app, since=clock.now() - timedelta(days=3))) == 1


def test_bad_change_events_get_pagerdutys_answers(api, app) -> None:
    _, key = integration(app)
    _, am_key = integration(app, "alertmanager", name="am")
    cases = [(change("f" * 32), 400, "Invalid routing key"), (change(am_key), 400, "Invalid routing key"),
             ({"routing_key": key, "payload": {}}, 400, "payload.summary: is required"),
             (change(key, summary="x" * 1025), 400, "payload.summary: must be at most 1024")]
    for body, status, says in cases:
        r = api.post("/v2/change/enqueue", json=body)
        assert r.status_code == status and says in r.text, r.text
        assert r.json()["status"] == "invalid event"
    r = api.post("/v2/change/enqueue", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "malformed JSON" in r.text
    r = api.post("/v2/change/enqueue", content=b"x" * (512 * 1024 + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert changes.recent_changes(app) == []
