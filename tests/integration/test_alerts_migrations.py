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
