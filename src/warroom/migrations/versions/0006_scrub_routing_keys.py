"""remove integration keys from stored PagerDuty payloads

PagerDuty events carry the integration key as `routing_key`; it was kept in the alert's raw payload, which
anyone who may read alerts can see. New events are stored without it (alerts/sources/pagerduty.py); this
removes it from the alerts already stored. Not reversible: the keys are not kept anywhere.

Revision ID: 0006_scrub_routing_keys
Revises: 0005_ref_seq
"""
from __future__ import annotations

from alembic import op

revision = "0006_scrub_routing_keys"
down_revision = "0005_ref_seq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE alerts SET payload = payload - 'routing_key' WHERE payload ? 'routing_key'")
    else:
        op.execute("UPDATE alerts SET payload = json_remove(payload, '$.routing_key') "
                   "WHERE json_type(payload, '$.routing_key') IS NOT NULL")


def downgrade() -> None:
    pass  # the removed keys are gone for good
