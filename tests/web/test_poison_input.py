"""Poison input never gets a 500 (issue 11.8): Unicode digits (`²` passes str.isdigit() and breaks int(), `٣` is
read as 3), numbers of thousands of digits, non-ASCII CSRF tokens and feed keys. Each is a 4xx naming the field,
or ignored where a client may harmlessly get it wrong (Last-Event-ID)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.web.pages_support import declare, login_as
from warroom.alerts import queries as alert_queries
from warroom.platform.settings import Settings
from warroom.web.app import create_app

POISON = ["²", "٣", "1²", "9" * 5000, "-1", "0x10", " "]


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201 - a TestClient that answers a crash with a 500 instead of raising
    with TestClient(create_app(app, background=False), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("raw", POISON)
@pytest.mark.parametrize(("path", "field"), [("/", "service_id"), ("/", "team_id"), ("/queue/rows", "service_id"),
                                             ("/alerts", "service"), ("/alerts", "integration")])
def test_filters_refuse_unicode_and_huge_numbers(app, users, client, path, field, raw) -> None:
    login_as(client, "viewer")
    r = client.get(path, params={field: raw})
    if raw == " ":
        assert r.status_code == 200  # blank: no filter
        return
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert field in r.text


@pytest.mark.parametrize("raw", POISON[:4])
@pytest.mark.parametrize(("action", "fields", "named"), [
    ("acknowledge", {}, "version"),
    ("status", {"status": "investigating"}, "version"),
    ("promote", {"reason": "big"}, "version"),
    ("roles", {"role": "coordinator", "version": "1"}, "user_id"),
    ("roles", {"role": "expert", "user_id": "1", "version": "1"}, "team_id"),
    ("roles/remove", {"role": "coordinator"}, "user_id"),
    ("children", {"version": "1"}, "child_ref"),
    ("merge", {"version": "1"}, "primary_ref"),
    ("pages", {"message": "help"}, "target"),
])
def test_war_room_forms_refuse_unicode_and_huge_numbers(app, users, client, action, fields, named, raw) -> None:
    s = declare(app, users)
    csrf = login_as(client, "responder")
    value = f"INC-{raw}" if named.endswith("_ref") else f"team:{raw}" if named == "target" else raw
    r = client.post(f"/incidents/{s.ref}/{action}", data={"csrf": csrf, **fields, named: value},
                    headers={"HX-Request": "true"})
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert f"{named.replace('_', ' ').capitalize()}: " in r.text  # the page names the field


@pytest.mark.parametrize("raw", POISON[:4])
def test_integration_forms_refuse_unicode_and_huge_numbers(app, users, client, raw) -> None:
    csrf = login_as(client, "admin")
    r = client.post("/integrations", data={"csrf": csrf, "name": "prom", "kind": "alertmanager", "service_id": raw,
                                           "config": ""})
    assert r.status_code == 422 and "service_id" in r.text, (r.status_code, r.text[:300])
    created = client.post("/integrations", data={"csrf": csrf, "name": "prom", "kind": "alertmanager",
                                                 "service_id": "", "config": ""}, follow_redirects=False)
    assert created.status_code == 201, created.text[:300]

    [row] = alert_queries.list_integrations(app)
    r = client.post(f"/integrations/{row['id']}/maintenance", data={"csrf": csrf, "minutes": raw})
    assert r.status_code == 422 and "durations" in r.text, (r.status_code, r.text[:300])


@pytest.mark.parametrize("raw", POISON[:4])
def test_default_policy_form_refuses_unicode_and_huge_numbers(app, users, client, raw) -> None:
    csrf = login_as(client, "admin")
    r = client.post("/policies/default", data={"csrf": csrf, "policy_id": raw})
    assert r.status_code == 422 and "policy_id" in r.text, (r.status_code, r.text[:300])


def test_resume_point_ignores_unicode_and_huge_last_event_ids() -> None:
    from starlette.requests import Request

    from warroom.web.sse import resume_point

    def req(value: str) -> Request:
        return Request({"type": "http", "headers": [(b"last-event-id", value.encode("latin-1", "replace"))]})

    assert resume_point(req("12"), 3) == 12
    for raw in ("²", "\xb2", "1\xb2", "9" * 5000, "-4", ""):
        assert resume_point(req(raw), 3) == 3, raw


def test_live_streams_ignore_a_poisoned_last_event_id(app, users) -> None:
    from tests.web.pages_support import SSEReader, http_login, serve

    s = declare(app, users)
    with serve(app) as base, http_login(base, "vic") as c:
        for path in ("/live/queue", f"/live/incidents/{s.ref}"):
            reader = SSEReader(c, path, headers={"Last-Event-ID": "²".encode("latin-1")})
            try:
                reader.wait_for(lambda fs: any("retry" in f for f in fs))
                assert reader.status == 200
            finally:
                reader.close()


@pytest.mark.parametrize("token", ["é", "\u202e", "a" * 64 + "é"])
def test_non_ascii_csrf_tokens_are_refused_not_crashed(app, users, client, token) -> None:
    client.get("/login")  # sets the login CSRF cookie
    r = client.post("/login", data={"username": "ada", "password": "ada-password-1", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 403, (r.status_code, r.text[:300])
    csrf = login_as(client, "responder")
    s = declare(app, users)
    r = client.post(f"/incidents/{s.ref}/notes", data={"csrf": token, "text": "x"})
    assert r.status_code == 403, (r.status_code, r.text[:300])
    r = client.post(f"/api/v1/incidents/{s.ref}/notes", json={"text": "x"},
                    headers={"X-CSRF-Token": token.encode()})
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert client.post(f"/incidents/{s.ref}/notes", data={"csrf": csrf, "text": "x"}).status_code == 200


@pytest.mark.parametrize("key", ["é", "²" * 40, "\u202e" + "0" * 39])
def test_non_ascii_feed_keys_are_a_404(db_url, clock, users_app_factory, key) -> None:
    app = users_app_factory(Settings(database_url=db_url, secret_key="s3cret"))
    with TestClient(create_app(app, background=False), raise_server_exceptions=False) as c:
        r = c.get("/api/v1/feeds/users/1.ics", params={"key": key})
    assert r.status_code == 404, (r.status_code, r.text[:300])


@pytest.fixture
def users_app_factory(clock):  # noqa: ANN001, ANN201
    from warroom.bootstrap import build_app

    made = []

    def make(settings: Settings):  # noqa: ANN202
        wr = build_app(settings, clock=clock)
        made.append(wr)
        from tests.conftest import Users

        Users(wr)
        return wr

    yield make
    for wr in made:
        wr.close()


def _nested(depth: int) -> str:
    """JSON text nesting `depth` objects and arrays (built as text: json.dumps would hit Python's recursion limit)."""
    return '{"k": [' * (depth // 2) + '"deep"' + ']}' * (depth // 2)


@pytest.mark.parametrize("route", ["pagerduty", "alertmanager", "generic"])
def test_intake_refuses_payloads_nested_too_deep_to_store(app, client, route) -> None:
    """orjson parses 1024 levels but writes at most 254: a deeper payload was accepted, then failed to store,
    and its sender got a 503 (retry) forever. Now it is a 400 at intake; 120 levels are still stored."""
    from tests.alerts_support import am_alert, am_post, integration, pd_event

    _, key = integration(app, route, **({"mapping": {"summary": "title"}} if route == "generic" else {}))
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(depth: int):  # noqa: ANN202
        if route == "pagerduty":
            body = json.dumps(pd_event(key, dedup=f"d{depth}", deep="@"))
            return client.post("/v2/enqueue", content=body.replace('"@"', _nested(depth)), headers=headers)
        if route == "alertmanager":
            body = json.dumps(am_post([{**am_alert(f"A{depth}"), "extra": "@"}]))
            return client.post("/api/v1/intake/alertmanager", content=body.replace('"@"', _nested(depth)),
                               headers=headers)
        body = json.dumps({"title": f"t{depth}", "deep": "@"})
        return client.post("/api/v1/intake/webhook", content=body.replace('"@"', _nested(depth)), headers=headers)

    for depth in (300, 1020):
        r = post(depth)
        assert r.status_code == 400, (depth, r.status_code, r.text[:300])
        assert "nested deeper than 128 levels" in r.text
    ok = post(120)
    assert ok.status_code == 202, ok.text[:300]
