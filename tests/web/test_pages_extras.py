"""Pages for the other domains: alerts, integrations, on call, escalation policies, notifications with delivery
attempts, and their war room panels and timeline entries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.web.pages_support import csrf_of, declare, login_as
from warroom.alerts import queries as alert_queries
from warroom.alerts import service as alerts
from warroom.incidents import service
from warroom.incidents.events import Event
from warroom.oncall import service as oncall


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Rendering does not depend on the database; actions, sessions and streams run on both (other files)."""
    return sqlite_url


def test_nav_and_pages_of_the_other_domains(api, app, users) -> None:
    login_as(api, "admin")
    home = api.get("/").text
    for href in ("/alerts", "/oncall", "/policies", "/notifications", "/integrations"):
        assert f'href="{href}"' in home, href
        assert api.get(href).status_code == 200, href
    assert api.get("/alerts?severity=loud").status_code == 422
    assert api.get("/notifications?state=lost").status_code == 422
    assert api.get("/notifications/999").status_code == 404


def test_integrations_are_for_admins_only(api, users) -> None:
    login_as(api, "viewer")
    assert 'href="/integrations"' not in api.get("/").text
    assert api.get("/integrations").status_code == 403


def test_timeline_renders_alert_and_escalation_events(api, app, users) -> None:
    s = declare(app, users)
    now = datetime.now(UTC)
    events = [Event("alerts.attached", {"count": 3, "alert_ids": [1, 2, 3], "alerts": [
                  {"id": 1, "dedup_key": "k", "summary": "<b>disk</b> full", "severity": "critical",
                   "integration_id": 1}]}, "alertmanager", now),
              Event("escalation.paged", {"escalation_id": 1, "policy_id": 1, "policy": "DB on call", "level": 1,
                                         "cycle": 0, "user_ids": [users.ids["responder"]], "notifications": 2,
                                         "timeout_minutes": 5, "reason": "declared"}, "warroom", now),
              Event("sla.breached", {"target": "ack", "priority": "P1", "due_at": now.isoformat()}, "warroom", now)]
    with app.db.transaction() as tx:
        service.append_in(app, tx, service.load_in(tx, s.id), events)
    login_as(api, "viewer")
    html = api.get(f"/incidents/{s.ref}").text
    assert "3 alerts attached" in html and "&lt;b&gt;disk&lt;/b&gt; full" in html and "and 2 more" in html
    assert "Paged level 1 of <b>DB on call</b>" in html and "Rui" in html
    assert "Missed the acknowledgement target" in html


def test_an_alert_opened_incident_shows_its_alerts_pages_and_deliveries(api, app, users) -> None:
    from tests.alerts_support import integration
    from tests.notify_support import Recorder, person, policy, run_ticks, service_with
    from warroom.alerts.model import Action, AlertIn

    Recorder(app)
    ana = person(app, "ana")
    sid = service_with(app, "db", policy(app, "DB primary", [[{"kind": "user", "id": ana}]]))
    integ, _ = integration(app, "pagerduty", name="Prometheus", service_id=sid)
    alerts.ingest(app, integ, [AlertIn("disk-1", Action.TRIGGER, "disk <full> on db1", "critical")])
    run_ticks(app)
    oncall.create_schedule(app, users.principal("admin"), name="DB rota", time_zone="UTC", description="",
                           layers=[{"name": "primary", "user_ids": [ana], "start": "2026-01-01T09:00",
                                    "shift": "weekly"}])
    [row], _ = alert_queries.list_alerts(app)
    ref = service.get(app, row["incident_id"]).ref
    login_as(api, "admin")
    room = api.get(f"/incidents/{ref}").text
    assert "Attached alerts (1)" in room and "disk &lt;full&gt; on db1" in room
    assert "Escalation and targets" in room and "DB primary: level 1" in room
    assert "Notifications" in room and "→ Ana" in room
    assert "Paged level 1 of <b>DB primary</b>: Ana" in room
    listing = api.get("/alerts?severity=critical").text
    assert "disk &lt;full&gt; on db1" in listing and f"INC-{ref}" in listing
    csrf = csrf_of(listing)
    assert api.post(f"/alerts/{row['id']}/acknowledge", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    again = api.post(f"/alerts/{row['id']}/acknowledge", data={"csrf": csrf})
    assert again.status_code == 409 and "only a firing alert can be acknowledged" in again.text
    assert api.post(f"/alerts/{row['id']}/resolve", data={"csrf": "forged"}).status_code == 403
    assert api.post(f"/alerts/{row['id']}/resolve", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert alert_queries.get_alert(app, row["id"])["status"] == "resolved"
    assert "3 alerts attached" not in api.get(f"/incidents/{ref}").text
    assert "Prometheus" in api.get("/integrations").text
    notes = api.get("/notifications").text
    nid = int(notes.split('<a href="/notifications/', 1)[1].split('"', 1)[0])
    detail = api.get(f"/notifications/{nid}").text
    assert "Delivery attempts" in detail and "delivered" in detail
    now = api.get("/oncall").text
    assert "DB rota" in now and "Ana" in now
    policies = api.get("/policies").text
    assert "Page Ana; wait 5 min" in policies and "Acknowledge within" in policies and ">5 min<" in policies


def test_dead_pages_can_be_sent_again_and_people_show_shifts_and_contacts(api, app, users) -> None:
    from tests.alerts_support import integration
    from tests.notify_support import Recorder, person, policy, run_ticks, service_with
    from warroom.alerts.model import Action, AlertIn
    from warroom.notifications.outbox import Retry

    app.notifications.retry = Retry(max_attempts=1)
    recorder = Recorder(app, fail={"email"})
    ana = person(app, "ana")
    sid = service_with(app, "db", policy(app, "DB primary", [[{"kind": "user", "id": ana}]]))
    integ, _ = integration(app, "pagerduty", service_id=sid)
    alerts.ingest(app, integ, [AlertIn("disk-1", Action.TRIGGER, "disk full", "critical")])
    run_ticks(app)  # the e-mail server is down: one attempt, then the page is dead
    oncall.create_schedule(app, users.principal("admin"), name="DB rota", time_zone="UTC", description="",
                           layers=[{"name": "primary", "user_ids": [ana], "start": "2026-01-01T09:00",
                                    "shift": "weekly"}])
    csrf = login_as(api, "admin")  # ana's page: ana or an admin may send it again (issue 11)
    page = api.get("/notifications?state=dead").text
    nid = int(page.split('<a href="/notifications/', 1)[1].split('"', 1)[0])
    detail = api.get(f"/notifications/{nid}").text
    assert "Send again" in detail
    r = api.post(f"/notifications/{nid}/retry", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    again = api.post(f"/notifications/{nid}/retry", data={"csrf": csrf})
    assert again.status_code == 409 and "only dead or cancelled" in again.text
    recorder.fail.clear()
    run_ticks(app)
    assert "delivered" in api.get(f"/notifications/{nid}").text and len(recorder.sent) == 1
    me = api.get(f"/people/{ana}").text
    assert "DB rota" in me and "Contact rules, in order" in me
    login_as(api, "viewer")
    assert "Contact rules" not in api.get(f"/people/{ana}").text, "how to reach someone is for responders"


def test_an_alert_page_shows_labels_links_and_payload_but_never_the_key(api, app, users) -> None:
    csrf = login_as(api, "admin")
    made = api.post("/integrations", data={"csrf": csrf, "name": "Grafana", "kind": "pagerduty"})
    key = made.text.split('id="secret-key" readonly value="', 1)[1].split('"', 1)[0]
    event = {"routing_key": key, "event_action": "trigger", "dedup_key": "lag-1",
             "payload": {"summary": "replication <lag>", "source": "db1", "severity": "warning",
                         "custom_details": {"cluster": "eu-1"}},
             "links": [{"href": "https://grafana.example/d/db", "text": "DB dashboard"},
                       {"href": "javascript:alert(document.cookie)", "text": "click me"}]}
    assert api.post("/v2/enqueue", json=event).status_code == 202
    [row], _ = alert_queries.list_alerts(app)
    assert "routing_key" not in alert_queries.get_alert(app, row["id"])["payload"]
    csrf = login_as(api, "viewer")
    assert f'href="/alerts/{row["id"]}"' in api.get("/alerts").text
    page = api.get(f"/alerts/{row['id']}").text
    assert "replication &lt;lag&gt;" in page and "<lag>" not in page
    assert "<dt>cluster</dt><dd>eu-1</dd>" in page and "lag-1" in page and "Grafana" in page
    link = '<a href="https://grafana.example/d/db" rel="noopener noreferrer nofollow" target="_blank">DB dashboard</a>'
    assert link in page
    assert "javascript:" not in page.split('id="alert-payload"')[0], "only http(s) links become links"
    assert key not in page
    assert "Acknowledge" not in page, "viewers see no actions"
    assert api.get("/alerts/999").status_code == 404
    csrf = login_as(api, "responder")
    r = api.post(f"/alerts/{row['id']}/acknowledge", data={"csrf": csrf, "back": "alert"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/alerts/{row['id']}"
    again = api.post(f"/alerts/{row['id']}/acknowledge", data={"csrf": csrf, "back": "alert"})
    assert again.status_code == 409 and 'id="alert-facts"' in again.text and "only a firing alert" in again.text
    assert 'id="alert-status">acknowledged' in api.get(f"/alerts/{row['id']}").text


def test_an_alert_a_rule_suppresses_says_so_on_its_page(api, app, users) -> None:
    from tests.alerts_support import integration
    from warroom.alerts.model import Action, AlertIn

    integ, _ = integration(app, rules=[{"match": {"severity": "info"}, "suppress": True}])
    alerts.ingest(app, integ, [AlertIn("n1", Action.TRIGGER, "disk 71% full", "info"),
                               AlertIn("c1", Action.TRIGGER, "disk 99% full", "critical")])
    rows = {r["dedup_key"]: r for r in alert_queries.list_alerts(app)[0]}
    login_as(api, "viewer")
    assert "a rule of this integration suppresses it" in api.get(f"/alerts/{rows['n1']['id']}").text
    assert 'id="held"' not in api.get(f"/alerts/{rows['c1']['id']}").text
    listing = api.get("/alerts").text
    assert 'title="a rule of this integration suppresses it">— suppressed</span>' in listing
    assert listing.count("— suppressed") == 1


def test_alerts_filter_by_service(api, app, users) -> None:
    from tests.alerts_support import integration
    from warroom.alerts.model import Action, AlertIn
    from warroom.catalog import service as catalog

    db = catalog.create_service(app, name="payments-db")
    web = catalog.create_service(app, name="web")
    integ, _ = integration(app, service_id=db["id"])
    alerts.ingest(app, integ, [AlertIn("d1", Action.TRIGGER, "replica lag", "warning"),
                               AlertIn("w1", Action.TRIGGER, "5xx burst", "error", service="web")])
    login_as(api, "viewer")
    page = api.get(f"/alerts?service={db['id']}").text
    assert "replica lag" in page and "5xx burst" not in page
    assert f'<option value="{db["id"]}" selected>payments-db</option>' in page
    assert "5xx burst" in api.get(f"/alerts?service={web['id']}").text
    assert api.get("/alerts?service=web").status_code == 422
