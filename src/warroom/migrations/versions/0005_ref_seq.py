"""merge the domain branches; INC numbers from a PostgreSQL sequence

Revision ID: 0005_ref_seq
Revises: 0002, 0003, 0004
"""
from __future__ import annotations

from alembic import op

revision = "0005_ref_seq"
down_revision = ("0002", "0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Concurrent declarations no longer queue on one lock for their whole transaction; a rolled-back
        # declaration leaves a gap in the INC numbers, as ticket systems commonly do.
        op.execute("CREATE SEQUENCE IF NOT EXISTS incident_ref_seq")
        op.execute("SELECT setval('incident_ref_seq', COALESCE((SELECT MAX(ref) FROM incidents), 0) + 1, false)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS incident_ref_seq")
