"""The foundation tables created by the migrations match the table definitions, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from warroom.bootstrap import load_all_tables

FOUNDATION = {"users", "api_tokens", "teams", "team_members", "services", "service_dependencies", "incidents",
              "incident_events", "incident_services", "org_settings"}


def _tables_named(diff: object) -> set[str]:
    text = repr(diff)
    return {t for t in FOUNDATION if f"'{t}'" in text or f"name='{t}'" in text}


def test_migrations_match_the_foundation_tables(app) -> None:
    with app.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), load_all_tables())
    assert [d for d in diffs if _tables_named(d)] == []
    with app.db.engine.connect() as conn:
        present = set(conn.dialect.get_table_names(conn))
    assert present >= FOUNDATION
