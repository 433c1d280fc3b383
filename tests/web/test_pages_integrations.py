"""Integrations managed from the web app (admin): create one and see its key once, send to it, edit its rules,
disable and enable it, rotate its key; bad input re-shows the form with the field and the problem."""

from __future__ import annotations

import re

import pytest

from tests.web.pages_support import csrf_of, login_as
from warroom.alerts import queries as alert_queries


def _key(html: str) -> str:
    m = re.search(r'id="secret-key" readonly value="([0-9a-f]{32})"', html)
    assert m, "the page shows no key"
    return m.group(1)


def _event(key: str, dedup: str = "disk-1", action: str = "trigger") -> dict:
    return {"routing_key": key, "event_action": action, "dedup_key": dedup,
            "payload": {"summary": "disk full on db1", "source": "db1", "severity": "critical"}}


def test_admin_creates_sends_to_edits_disables_and_rotates_an_integration(api, app, users) -> None:
    from warroom.catalog import service as catalog

    svc = catalog.create_service(app, name="payments-db", tier=1)
    csrf = login_as(api, "admin")
    listing = api.get("/integrations").text
    assert "New integration" in listing and "No integrations yet." in listing

    made = api.post("/integrations", data={"csrf": csrf, "name": "Prometheus <prod>", "kind": "pagerduty",
                                           "service_id": str(svc["id"]), "config": '{"group_by": ["cluster"]}'})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    key = _key(made.text)
    assert "shown only once" in made.text and f"routing_key: {key}" in made.text
    assert "Prometheus &lt;prod&gt;" in made.text and "<prod>" not in made.text
    [row] = alert_queries.list_integrations(app)
    assert row["config"] == {"group_by": ["cluster"]} and row["service_id"] == svc["id"]
    assert key not in api.get("/integrations").text and key not in api.get(f"/integrations/{row['id']}").text

    assert api.post("/v2/enqueue", json=_event(key)).status_code == 202
    detail = api.get(f"/integrations/{row['id']}").text
    assert "Latest alerts (1)" in detail and "disk full on db1" in detail and "payments-db" in detail
    only = api.get(f"/alerts?integration={row['id']}").text
    assert "disk full on db1" in only and 'id="integration-filter"' in only

    edited = api.post(f"/integrations/{row['id']}", data={"csrf": csrf, "name": "Prometheus", "service_id": "",
                                                         "config": '{"reopen_window_s": 60}'}, follow_redirects=False)
    assert edited.status_code == 303
    row = alert_queries.get_integration(app, row["id"])
    assert (row["name"], row["service_id"], row["config"]) == ("Prometheus", None, {"reopen_window_s": 60})

    off = api.post(f"/integrations/{row['id']}/state", data={"csrf": csrf, "enabled": "0"}, follow_redirects=False)
    assert off.status_code == 303 and 'id="state">disabled' in api.get(f"/integrations/{row['id']}").text
    refused = api.post("/v2/enqueue", json=_event(key, "disk-2"))
    assert refused.status_code == 400 and refused.json()["message"] == "Invalid routing key"
    api.post(f"/integrations/{row['id']}/state", data={"csrf": csrf, "enabled": "1"})
    assert api.post("/v2/enqueue", json=_event(key, "disk-2")).status_code == 202

    history = api.get(f"/integrations/{row['id']}").text.split('id="history"', 1)[1]
    assert "ada</b> enabled" in history and "ada</b> disabled" in history
    assert "name Prometheus &lt;prod&gt; → Prometheus" in history
    assert "config: group_by, reopen_window_s changed" in history
    rotated = api.post(f"/integrations/{row['id']}/rotate-key", data={"csrf": csrf})
    assert rotated.status_code == 200 and "the previous key no longer works" in rotated.text
    new = _key(rotated.text)
    assert new != key
    assert api.post("/v2/enqueue", json=_event(key, "disk-3")).status_code == 400
    assert api.post("/v2/enqueue", json=_event(new, "disk-3")).status_code == 202


@pytest.mark.parametrize(("form", "status", "says"), [
    ({"name": "", "kind": "pagerduty"}, 422, "name: must be 1-100 characters"),
    ({"name": "x", "kind": "nagios"}, 422, "kind: must be one of"),
    ({"name": "x", "kind": "pagerduty", "service_id": "999"}, 422, "service_id: no such service: 999"),
    ({"name": "x", "kind": "pagerduty", "service_id": "db"}, 422, "service_id: must be a service id"),
    ({"name": "x", "kind": "pagerduty", "config": "{group_by: 1}"}, 422, "config: not valid JSON"),
    ({"name": "x", "kind": "pagerduty", "config": "[1]"}, 422, "config: must be a JSON object"),
    ({"name": "x", "kind": "pagerduty", "config": "[" * 50000}, 422, "config: not valid JSON"),
    ({"name": "x", "kind": "pagerduty", "config": '{"rate_limit": -1}'}, 422, "rate_limit"),
    ({"name": "x", "kind": "generic", "config": "{}"}, 422, "config.mapping.summary: is required"),
])
def test_bad_input_shows_the_field_and_keeps_what_was_typed(api, app, users, form, status, says) -> None:
    csrf = login_as(api, "admin")
    r = api.post("/integrations", data={"csrf": csrf, **form})
    assert r.status_code == status and says in r.text, r.text[-2000:]
    assert 'id="form-error"' in r.text and "secret-key" not in r.text
    if form.get("config"):
        assert form["config"].replace('"', "&#34;") in r.text
    assert alert_queries.list_integrations(app) == []


def test_a_duplicate_name_is_a_conflict_and_edits_are_checked_too(api, app, users) -> None:
    csrf = login_as(api, "admin")
    api.post("/integrations", data={"csrf": csrf, "name": "AM", "kind": "alertmanager"})
    again = api.post("/integrations", data={"csrf": csrf, "name": "AM", "kind": "alertmanager"})
    assert again.status_code == 409 and "an integration named &#39;AM&#39; exists" in again.text
    [row] = alert_queries.list_integrations(app)
    bad = api.post(f"/integrations/{row['id']}", data={"csrf": csrf, "name": "AM", "config": '{"major": 1}'})
    assert bad.status_code == 422 and "major" in bad.text and "&#34;major&#34;: 1" in bad.text
    assert alert_queries.get_integration(app, row["id"])["config"] == {}
    assert api.post(f"/integrations/{row['id']}/state", data={"csrf": csrf, "enabled": "maybe"}).status_code == 422


def test_only_admins_and_only_with_the_form_token(api, app, users) -> None:
    csrf = login_as(api, "admin")
    api.post("/integrations", data={"csrf": csrf, "name": "AM", "kind": "alertmanager"})
    [row] = alert_queries.list_integrations(app)
    assert api.post(f"/integrations/{row['id']}/rotate-key", data={"csrf": "forged"}).status_code == 403
    assert api.post("/integrations", data={"csrf": "forged", "name": "B", "kind": "generic"}).status_code == 403
    assert api.get("/integrations/999").status_code == 404
    assert api.post("/integrations/999/rotate-key", data={"csrf": csrf}).status_code == 404
    assert api.post("/integrations/999", data={"csrf": csrf, "name": "x"}).status_code == 404
    assert api.get("/alerts?integration=999").status_code == 404
    assert api.get("/alerts?integration=abc").status_code == 422
    for role in ("responder", "viewer"):
        csrf = login_as(api, role)
        assert api.get("/integrations").status_code == 403
        assert api.get(f"/integrations/{row['id']}").status_code == 403
        assert api.post(f"/integrations/{row['id']}/rotate-key", data={"csrf": csrf}).status_code == 403
        assert api.post("/integrations", data={"csrf": csrf, "name": "B", "kind": "generic"}).status_code == 403
    assert [r["name"] for r in alert_queries.list_integrations(app)] == ["AM"]
    assert alert_queries.get_integration(app, row["id"])["key_prefix"] == row["key_prefix"]
    api.cookies.clear()
    assert api.get("/integrations", follow_redirects=False).status_code == 303
    assert csrf_of(api.get("/login").text)


def test_maintenance_from_the_integration_page(api, app, users) -> None:
    csrf = login_as(api, "admin")
    made = api.post("/integrations", data={"csrf": csrf, "name": "AM", "kind": "pagerduty"})
    key = _key(made.text)
    [row] = alert_queries.list_integrations(app)
    page = api.get(f"/integrations/{row['id']}").text
    assert "Start maintenance" in page and "End maintenance now" not in page
    r = api.post(f"/integrations/{row['id']}/maintenance", data={"csrf": csrf, "minutes": "120"},
                 follow_redirects=False)
    assert r.status_code == 303
    page = api.get(f"/integrations/{row['id']}").text
    assert "End maintenance now" in page and "page nobody" in page
    assert "maintenance</span> until" in api.get("/integrations").text
    assert api.post("/v2/enqueue", json=_event(key, "planned")).status_code == 202
    [alert], _ = alert_queries.list_alerts(app)
    assert alert["incident_id"] is None
    assert "fired while the integration was in maintenance" in api.get(f"/alerts/{alert['id']}").text
    bad = api.post(f"/integrations/{row['id']}/maintenance", data={"csrf": csrf, "minutes": "7"})
    assert bad.status_code == 422 and "minutes: pick one of the offered durations" in bad.text
    api.post(f"/integrations/{row['id']}/maintenance", data={"csrf": csrf, "minutes": "0"})
    assert "Start maintenance" in api.get(f"/integrations/{row['id']}").text
    assert api.post("/integrations/999/maintenance", data={"csrf": csrf, "minutes": "0"}).status_code == 404
    login_as(api, "responder")
    assert api.post(f"/integrations/{row['id']}/maintenance", data={"csrf": csrf, "minutes": "60"}).status_code == 403
