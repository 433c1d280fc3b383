"""API tokens may expire (expires_at; NULL: never)

Revision ID: 0009_token_expiry
Revises: 0008_change_events
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import warroom.platform.db

revision = "0009_token_expiry"
down_revision = "0008_change_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", warroom.platform.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
