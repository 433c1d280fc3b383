"""Schema management: every table is created by Alembic migrations, never by create_all."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from warroom.platform.db import metadata

# Modules that define tables on the shared metadata. A new domain adds its store here.
TABLE_MODULES = [
    "warroom.auth.store",
    "warroom.catalog.store",
    "warroom.incidents.store",
    "warroom.platform.kv",
    "warroom.platform.audit",
    "warroom.web.session_store",
    "warroom.alerts.store", "warroom.alerts.changes",
    "warroom.oncall.store", "warroom.escalation.store", "warroom.notifications.store",
]


def load_all_tables() -> MetaData:
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return metadata


def alembic_config(url: str) -> Config:
    here = Path(__file__).resolve().parent.parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)
