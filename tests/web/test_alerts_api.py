"""The alert intake and alert/integration API over HTTP (TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.alerts_support import am_alert, am_post, pd_event
from warroom.alerts.runtime import RateLimiter
from warroom.alerts.writer import stop_writer


@pytest.fixture
def client(api, app, users):
    yield api
    stop_writer(app)


def make(client, users, kind="pagerduty", **config):
    r = client.post("/api/v1/integrations", headers=users.headers("admin"),
                    json={"name": f"{kind}-1", "kind": kind, "config": config})
    assert r.status_code == 201, r.text
    return r.json()


def test_admin_creates_an_integration_and_sees_the_key_once(client, users):
    body = make(client, users)
    assert len(body["key"]) == 32 and body["key_prefix"] == body["key"][:6]
    assert client.get("/api/v1/integrations", headers=users.headers("admin")).json()[0].get("key") is None
    one = client.get(f"/api/v1/integrations/{body['id']}", headers=users.headers("admin")).json()
    assert "key" not in one and "key_hash" not in one
    for role in ("responder", "viewer"):
        assert client.get("/api/v1/integrations", headers=users.headers(role)).status_code == 403
        assert client.post("/api/v1/integrations", headers=users.headers(role),
                           json={"name": "x", "kind": "generic"}).status_code == 403


def test_bad_integration_config_is_refused_naming_the_field(client, users):
    r = client.post("/api/v1/integrations", headers=users.headers("admin"),
                    json={"name": "x", "kind": "pagerduty",
                          "config": {"rules": [{"match": {}, "set": {"impact": "huge"}}]}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "config.rules.0.set.impact"
    r = client.post("/api/v1/integrations", headers=users.headers("admin"),
                    json={"name": "g", "kind": "generic", "config": {}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "config.mapping.summary"


def test_pagerduty_trigger_generates_a_dedup_key_and_repeats_dedup(client, users):
    key = make(client, users)["key"]
    r = client.post("/v2/enqueue", json=pd_event(key))
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "success" and body["message"] == "Event processed" and body["dedup_key"]
    again = client.post("/v2/enqueue", json=pd_event(key, dedup=body["dedup_key"]))
    assert again.json()["dedup_key"] == body["dedup_key"]
    page = client.get("/api/v1/alerts", headers=users.headers("viewer")).json()
    assert page["total"] == 1 and page["items"][0]["count"] == 2


def test_pagerduty_invalid_events_get_400_with_the_reasons(client, users):
    key = make(client, users)["key"]
    r = client.post("/v2/enqueue", json={"routing_key": key, "event_action": "trigger",
                                         "payload": {"summary": "", "severity": "bad"}})
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "invalid event"
    assert any(e.startswith("payload.severity") for e in body["errors"])
    assert any(e.startswith("payload.source") for e in body["errors"])
    r = client.post("/v2/enqueue", json={"routing_key": key, "event_action": "resolve"})
    assert r.status_code == 400 and "dedup_key" in r.json()["errors"][0]
    r = client.post("/v2/enqueue", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "malformed JSON" in r.json()["errors"][0]


def test_a_wrong_key_gets_the_same_answer_whether_or_not_keys_exist(client, users):
    before_pd = client.post("/v2/enqueue", json=pd_event("0" * 32))
    before_am = client.post(f"/api/v1/integrations/{'0' * 32}/alertmanager", json=am_post([am_alert("X")]))
    make(client, users)
    make(client, users, "alertmanager")
    after_pd = client.post("/v2/enqueue", json=pd_event("0" * 32))
    after_am = client.post(f"/api/v1/integrations/{'0' * 32}/alertmanager", json=am_post([am_alert("X")]))
    assert (before_pd.status_code, before_pd.json()) == (after_pd.status_code, after_pd.json())
    assert (before_am.status_code, before_am.json()) == (after_am.status_code, after_am.json())
    assert before_am.status_code == 401 and before_pd.status_code == 400


def test_a_key_of_another_kind_is_a_wrong_key(client, users):
    am_key = make(client, users, "alertmanager")["key"]
    assert client.post("/v2/enqueue", json=pd_event(am_key)).status_code == 400


def test_oversized_payloads_get_413(client, users):
    key = make(client, users)["key"]
    big = pd_event(key, blob="x" * (600 * 1024))
    assert client.post("/v2/enqueue", json=big).status_code == 413
    assert client.get("/api/v1/alerts", headers=users.headers("viewer")).json()["total"] == 0


def test_nul_characters_are_refused_not_a_500(client, users):
    key = make(client, users)["key"]
    r = client.post("/v2/enqueue", json=pd_event(key, summary="bad\x00byte"))
    assert r.status_code == 400


def test_alertmanager_webhook_fires_and_resolves(client, users):
    key = make(client, users, "alertmanager")["key"]
    alerts = [am_alert("HighLatency", instance=f"web{i}", severity="critical") for i in range(3)]
    r = client.post(f"/api/v1/integrations/{key}/alertmanager", json=am_post(alerts))
    assert r.status_code == 202 and r.json()["accepted"] == 3
    incs = client.get("/api/v1/incidents", headers=users.headers("viewer")).json()["items"]
    assert len(incs) == 1 and incs[0]["status"] == "identified"
    resolved = [dict(a, status="resolved") for a in alerts]
    r = client.post("/api/v1/intake/alertmanager", json=am_post(resolved, status="resolved"),
                    headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 202
    inc = client.get(f"/api/v1/incidents/{incs[0]['id']}", headers=users.headers("viewer")).json()
    assert inc["status"] == "resolved"
    page = client.get(f"/api/v1/incidents/{inc['ref']}/alerts", headers=users.headers("viewer")).json()
    assert page["total"] == 3 and {a["status"] for a in page["items"]} == {"resolved"}


def test_alertmanager_bad_payload_is_400_naming_the_field(client, users):
    key = make(client, users, "alertmanager")["key"]
    r = client.post(f"/api/v1/integrations/{key}/alertmanager", json={"version": "4", "alerts": [{"status": "x"}]})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "alerts.0.status"


def test_rate_limit_sheds_with_the_status_each_protocol_retries_on(client, users, monkeypatch):
    # The bucket's clock stands still, so a slow machine (a request over half a second) cannot refill it mid-test.
    take = RateLimiter.take
    monkeypatch.setattr(RateLimiter, "take", lambda self, integ, n, now=None: take(self, integ, n, 1000.0))
    pd_key = make(client, users, rate_limit=2)["key"]
    codes = [client.post("/v2/enqueue", json=pd_event(pd_key, dedup=f"k{i}")).status_code for i in range(5)]
    assert codes[:2] == [202, 202] and 429 in codes
    shed = client.post("/v2/enqueue", json=pd_event(pd_key, dedup="late"))
    assert shed.status_code == 429 and int(shed.headers["Retry-After"]) >= 1
    am = client.post("/api/v1/integrations", headers=users.headers("admin"),
                     json={"name": "am", "kind": "alertmanager", "config": {"rate_limit": 2}}).json()
    url = f"/api/v1/integrations/{am['key']}/alertmanager"
    codes = [client.post(url, json=am_post([am_alert(f"A{i}")])).status_code for i in range(5)]
    assert 503 in codes and 429 not in codes
    shed = client.post(url, json=am_post([am_alert("B")]))
    assert shed.status_code == 503 and shed.headers["Retry-After"]


def test_generic_webhook_with_mapping(client, users):
    body = make(client, users, "generic", mapping={"items": "events", "summary": "title", "dedup_key": "id",
                                                   "severity": "level", "status": "state", "labels": "tags"})
    r = client.post(f"/api/v1/integrations/{body['key']}/webhook",
                    json={"events": [{"id": "e1", "title": "queue stuck", "level": "critical",
                                      "state": "alerting", "tags": {"team": "ops"}}]})
    assert r.status_code == 202, r.text
    [a] = client.get("/api/v1/alerts", headers=users.headers("viewer")).json()["items"]
    assert a["severity"] == "critical" and a["labels"] == {"team": "ops"} and a["dedup_key"] == "e1"
    r = client.post("/api/v1/intake/webhook", headers={"Authorization": f"Bearer {body['key']}"},
                    json={"events": [{"nothing": 1}]})
    assert r.status_code == 400 and "summary" in r.json()["message"]


def test_list_filter_show_ack_and_resolve_alerts(client, users):
    key = make(client, users)["key"]
    client.post("/v2/enqueue", json=pd_event(key, dedup="a", severity="critical", summary="db down"))
    client.post("/v2/enqueue", json=pd_event(key, dedup="b", severity="warning", summary="slow"))
    v = users.headers("viewer")
    assert client.get("/api/v1/alerts?severity=critical", headers=v).json()["total"] == 1
    assert client.get("/api/v1/alerts?q=slow", headers=v).json()["items"][0]["dedup_key"] == "b"
    assert client.get("/api/v1/alerts?severity=nope", headers=v).status_code == 422
    aid = client.get("/api/v1/alerts?q=down", headers=v).json()["items"][0]["id"]
    full = client.get(f"/api/v1/alerts/{aid}", headers=v).json()
    assert full["payload"]["payload"]["summary"] == "db down"
    assert "routing_key" not in full["payload"], "a viewer must not read the integration key from a payload"
    assert client.post(f"/api/v1/alerts/{aid}/acknowledge", headers=v).status_code == 403
    r = users.headers("responder")
    assert client.post(f"/api/v1/alerts/{aid}/acknowledge", headers=r).json()["status"] == "acknowledged"
    assert client.post(f"/api/v1/alerts/{aid}/acknowledge", headers=r).status_code == 409
    assert client.post(f"/api/v1/alerts/{aid}/resolve", headers=r).json()["resolved_by"] == "rui"
    assert client.get("/api/v1/alerts?status=resolved", headers=v).json()["total"] == 1
    assert client.get("/api/v1/alerts/999999", headers=v).status_code == 404


def test_disable_and_rotate_keys(client, users):
    body = make(client, users)
    admin = users.headers("admin")
    r = client.patch(f"/api/v1/integrations/{body['id']}", headers=admin, json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert client.post("/v2/enqueue", json=pd_event(body["key"])).status_code == 400
    client.patch(f"/api/v1/integrations/{body['id']}", headers=admin, json={"enabled": True})
    rotated = client.post(f"/api/v1/integrations/{body['id']}/rotate-key", headers=admin).json()
    assert client.post("/v2/enqueue", json=pd_event(body["key"])).status_code == 400
    assert client.post("/v2/enqueue", json=pd_event(rotated["key"])).status_code == 202


def test_maintenance_through_the_api(client, users, app):
    body = make(client, users, group_by=["cluster"])
    admin, path = users.headers("admin"), f"/api/v1/integrations/{body['id']}/maintenance"
    r = client.post(path, headers=admin, json={"minutes": 90})
    ends = r.json()["config"]["maintenance_until"]
    assert r.status_code == 200 and ends.endswith("Z") and r.json()["config"]["group_by"] == ["cluster"]
    assert client.post("/v2/enqueue", json=pd_event(body["key"], dedup="during")).status_code == 202
    [row] = client.get("/api/v1/alerts", headers=admin).json()["items"]
    assert row["incident_id"] is None
    for bad, field in (({}, "minutes"), ({"minutes": 5, "until": ends}, "minutes"), ({"minutes": -1}, "minutes"),
                       ({"until": "2020-01-01T00:00:00Z"}, "until"), ({"until": "2030-01-01T00:00:00"}, "until")):
        r = client.post(path, headers=admin, json=bad)
        assert r.status_code == 422 and field in r.text, (bad, r.text)
    assert client.post(path, headers=users.headers("responder"), json={"minutes": 0}).status_code == 403
    assert client.post("/api/v1/integrations/999/maintenance", headers=admin, json={"minutes": 0}).status_code == 404
    ended = client.post(path, headers=admin, json={"minutes": 0}).json()
    assert "maintenance_until" not in ended["config"] and ended["config"]["group_by"] == ["cluster"]
    history = client.get(f"/api/v1/integrations/{body['id']}/history", headers=admin).json()
    assert [h["action"] for h in history] == ["maintenance ended", "maintenance started", "created"]
    assert {h["actor"] for h in history} == {"ada"}
    assert client.get(f"/api/v1/integrations/{body['id']}/history", headers=users.headers("viewer")).status_code == 403
    assert client.get("/api/v1/integrations/999/history", headers=admin).status_code == 404


def test_a_failed_commit_is_a_503_to_retry_never_a_500(client, users, monkeypatch):
    from warroom.alerts import writer

    key = make(client, users)["key"]

    def broken(app, tx, subs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer, "process", broken)
    r = client.post("/v2/enqueue", json=pd_event(key))
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert "disk on fire" not in r.text
    monkeypatch.undo()
    assert client.post("/v2/enqueue", json=pd_event(key)).status_code == 202
