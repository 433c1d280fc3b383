"""The audit log of integration changes: who created, edited, disabled, rotated or put an integration in
maintenance, and what changed; written in the change's own transaction, never with a secret."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.alerts_support import ADMIN
from warroom.alerts import queries as alert_queries
from warroom.alerts import service
from warroom.auth.permissions import Principal, UserRole
from warroom.errors import Conflict, NotFound

ADA = Principal(1, "ada", UserRole.ADMIN)


def test_every_change_is_recorded_with_who_and_what(app, clock):
    row, key = service.create_integration(app, ADA, name="prom", kind="alertmanager", config={"group_by": ["a"]})
    iid = row["id"]
    clock.advance(seconds=1)
    service.update_integration(app, ADMIN, iid, name="prom-prod", config={"group_by": ["a", "b"]})
    service.update_integration(app, ADA, iid, enabled=False)
    service.update_integration(app, ADA, iid, enabled=True)
    service.update_integration(app, ADA, iid, name="prom-prod")  # nothing changes: nothing recorded
    _, new = service.rotate_key(app, ADA, iid)
    service.set_maintenance(app, ADA, iid, clock.now() + timedelta(hours=2))
    service.set_maintenance(app, ADMIN, iid, None)
    entries = alert_queries.history(app, iid)
    assert [(e["actor"], e["action"]) for e in reversed(entries)] == [
        ("ada", "created"), ("system", "edited"), ("ada", "disabled"), ("ada", "enabled"), ("ada", "key rotated"),
        ("ada", "maintenance started"), ("system", "maintenance ended")]
    created, edited = entries[-1], entries[-2]
    assert created["data"] == {"name": "prom", "kind": "alertmanager", "service_id": None,
                               "config": {"group_by": ["a"]}}
    assert edited["data"] == {"name": ["prom", "prom-prod"], "config": [{"group_by": ["a"]}, {"group_by": ["a", "b"]}]}
    assert entries[2]["data"] == {"key_prefix": [key[:6], new[:6]]}
    assert "maintenance_until" in entries[1]["data"]["config"][1]
    assert key not in str(entries) and new not in str(entries), "never a key"
    assert entries[-1]["at"] < entries[-2]["at"]


def test_a_refused_change_leaves_no_entry(app):
    a, _ = service.create_integration(app, ADA, name="a", kind="pagerduty")
    service.create_integration(app, ADA, name="b", kind="pagerduty")
    with pytest.raises(Conflict):
        service.update_integration(app, ADA, a["id"], name="b")
    assert [e["action"] for e in alert_queries.history(app, a["id"])] == ["created"]
    with pytest.raises(NotFound):
        alert_queries.history(app, 999)


def test_the_migrations_match_the_tables(app):  # audit_log (0007) and change_events (0008)
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from warroom.bootstrap import load_all_tables

    with app.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), load_all_tables())
    assert [d for d in diffs if "audit_log" in repr(d) or "change_events" in repr(d)] == []
    with app.db.engine.connect() as conn:
        assert {"audit_log", "change_events"} <= set(conn.dialect.get_table_names(conn))
