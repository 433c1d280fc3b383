"""an index on notification attempts' finish time: e-mail failures of the last hour, for the admin's banner

Revision ID: 0010_attempts_finished_index
Revises: 0009_token_expiry
"""
from __future__ import annotations

from alembic import op

revision = "0010_attempts_finished_index"
down_revision = "0009_token_expiry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notification_attempts_finished_at", "notification_attempts", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_attempts_finished_at", table_name="notification_attempts")
