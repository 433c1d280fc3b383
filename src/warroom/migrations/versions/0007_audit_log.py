"""audit log of configuration changes (who changed an integration, its key, its maintenance)

Revision ID: 0007_audit_log
Revises: 0006_scrub_routing_keys
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import warroom.platform.db

revision = "0007_audit_log"
down_revision = "0006_scrub_routing_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit_log",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("at", warroom.platform.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(length=64), nullable=False),
    sa.Column("subject", sa.String(length=40), nullable=False),
    sa.Column("subject_id", sa.Integer(), nullable=False),
    sa.Column("action", sa.String(length=40), nullable=False),
    sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log"))
    )
    op.create_index("ix_audit_log_subject", "audit_log", ["subject", "subject_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_table("audit_log")
