"""service_dependencies: the unique constraint on (service_id, depends_on_id) on PostgreSQL too

0001 declared it, but on PostgreSQL it was never created (SQLite has it), so the migrated schema differed from
the metadata (catalog/store.py). No row needs removing first: the pair is also the primary key, so there are no
duplicates to drop. Created only where it is missing.

Revision ID: 0013_service_dependency_unique
Revises: 0012_sender_group_keys
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_service_dependency_unique"
down_revision = "0012_sender_group_keys"
branch_labels = None
depends_on = None

NAME = "uq_service_dependencies_service_id_depends_on_id"


def _present() -> bool:
    found = sa.inspect(op.get_bind()).get_unique_constraints("service_dependencies")
    return any(u["name"] == NAME for u in found)


def upgrade() -> None:
    if not _present():
        op.execute(f"ALTER TABLE service_dependencies ADD CONSTRAINT {NAME} UNIQUE (service_id, depends_on_id)")


def downgrade() -> None:
    pass  # an older version declares the constraint too; keeping it is harmless
