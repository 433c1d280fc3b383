"""Alembic environment: the URL comes from the caller (warroom db upgrade) or WARROOM_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from warroom.bootstrap import load_all_tables
from warroom.platform.db import make_engine
from warroom.platform.settings import Settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url
target_metadata = load_all_tables()


def run() -> None:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata,
                          render_as_batch=conn.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
