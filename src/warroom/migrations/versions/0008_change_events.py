"""change events (PagerDuty Change Events API: deploys, config pushes) kept for war rooms

Revision ID: 0008_change_events
Revises: 0007_audit_log
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import warroom.platform.db

revision = "0008_change_events"
down_revision = "0007_audit_log"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table("change_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("integration_id", sa.Integer(), nullable=False),
    sa.Column("service_id", sa.Integer(), nullable=True),
    sa.Column("summary", sa.String(length=1024), nullable=False),
    sa.Column("source", sa.String(length=255), nullable=False),
    sa.Column("occurred_at", warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column("received_at", warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column("details", JSON, nullable=False),
    sa.Column("links", JSON, nullable=False),
    sa.ForeignKeyConstraint(["integration_id"], ["alert_integrations.id"],
                            name=op.f("fk_change_events_integration_id_alert_integrations"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_change_events_service_id_services"),
                            ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_change_events"))
    )
    op.create_index("ix_change_events_occurred", "change_events", ["occurred_at"], unique=False)
    op.create_index("ix_change_events_service_occurred", "change_events", ["service_id", "occurred_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_change_events_service_occurred", table_name="change_events")
    op.drop_index("ix_change_events_occurred", table_name="change_events")
    op.drop_table("change_events")
