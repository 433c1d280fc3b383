"""Migration 0006: integration keys that older versions kept in stored PagerDuty payloads are removed."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import text

from tests.alerts_support import integration
from warroom.alerts import service
from warroom.alerts.model import Action, AlertIn
from warroom.platform.schema import alembic_config, upgrade


def test_upgrade_removes_routing_keys_from_stored_payloads(app) -> None:
    integ, key = integration(app)
    service.ingest(app, integ, [AlertIn("k1", Action.TRIGGER, "disk full", "error", payload={"x": 1}),
                                AlertIn("k2", Action.TRIGGER, "cpu hot", "error", payload={"y": 2})])
    old = {"routing_key": key, "event_action": "trigger", "payload": {"summary": "disk full"}}
    with app.db.engine.begin() as c:  # what a version before 0006 stored
        c.execute(text("UPDATE alerts SET payload = :p WHERE dedup_key = 'k1'"), {"p": json.dumps(old)})
    url = app.settings.database_url
    command.stamp(alembic_config(url), "0005_ref_seq")  # pretend 0006 has not run yet
    try:
        upgrade(url, "0006_scrub_routing_keys")
    finally:
        command.stamp(alembic_config(url), "heads")  # the later migrations' tables are there already
    with app.db.engine.connect() as c:
        rows = dict(c.execute(text("SELECT dedup_key, payload FROM alerts")).all())
    payloads = {k: v if isinstance(v, dict) else json.loads(v) for k, v in rows.items()}
    assert payloads == {"k1": {"event_action": "trigger", "payload": {"summary": "disk full"}}, "k2": {"y": 2}}
    assert key not in json.dumps(payloads)


def test_upgrade_keys_open_groups_by_sender_group_so_an_outage_keeps_one_incident(app) -> None:
    """Migration 0012: groups stored by an older version (service + sender group) get their new key, so an
    Alertmanager group open at the upgrade keeps one incident, and a PagerDuty alert that fires again still
    reopens its incident."""
    from tests.alerts_support import am_alert, am_post, incidents, pd_event
    from warroom.alerts.sources import alertmanager, pagerduty
    from warroom.catalog import service as catalog

    db, checkout = (catalog.create_service(app, name=n)["id"] for n in ("db", "checkout"))
    am, _ = integration(app, "alertmanager", name="prom")
    pd, pd_key = integration(app, "pagerduty", name="grafana")
    group = '{}:{alertname="HighErrorRate"}'
    service.ingest(app, am, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="pg-1", service="db")],
                                                       group)))
    service.ingest(app, pd, [pagerduty.parse(pd_event(pd_key, dedup="disk-1"))])
    service.ingest(app, pd, [pagerduty.parse(pd_event(pd_key, "resolve", dedup="disk-1"))])
    with app.db.engine.begin() as c:  # what a version before 0012 stored
        c.execute(text("UPDATE alert_groups SET group_key = :old WHERE group_key = :new"),
                  [{"old": f"svc=db|group={group}", "new": f"group={group}"},
                   {"old": "svc=|group=", "new": "group=disk-1"}])
        c.execute(text("UPDATE alerts SET group_key = 'svc=|group=' WHERE dedup_key = 'disk-1'"))
    url = app.settings.database_url
    command.stamp(alembic_config(url), "0011_scrub_delivery_errors")  # pretend 0012 has not run yet
    try:
        upgrade(url, "0012_sender_group_keys")
    finally:
        command.stamp(alembic_config(url), "heads")
    app.alerts.groups = {}  # a server started after the upgrade remembers no groups
    [outage, disk] = sorted(incidents(app), key=lambda i: i.id)
    service.ingest(app, am, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="web-1",
                                                                 service="checkout")], group)))
    service.ingest(app, pd, [pagerduty.parse(pd_event(pd_key, dedup="disk-1"))])
    after = {i.id: i for i in incidents(app)}
    assert sorted(after) == [outage.id, disk.id], "no new incident"
    assert sorted(after[outage.id].service_ids) == sorted([db, checkout])
    assert disk.status == "resolved" and after[disk.id].status == "investigating"  # reopened
