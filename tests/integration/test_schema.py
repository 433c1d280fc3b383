"""The migrations create exactly the tables of bootstrap.TABLES, with the columns, indexes and unique constraints
their stores define."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from warroom.bootstrap import load_all_tables


def test_the_migrated_schema_is_the_metadata_of_every_table_module(app) -> None:
    meta = load_all_tables()
    with app.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), meta)
        present = set(conn.dialect.get_table_names(conn)) - {"alembic_version"}
    # Everything alembic compares: tables, columns and their types, indexes, unique constraints, foreign keys.
    assert diffs == []
    assert present == set(meta.tables)
