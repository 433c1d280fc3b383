"""Organisation-wide settings an admin can change (e.g. the priority matrix), as JSON values by key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, Table, bindparam, select, update
from sqlalchemy.engine import Connection

from warroom.platform.db import JSONType, UTCDateTime, metadata

org_settings = Table(
    "org_settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSONType, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
)


# Read on every declaration: built once, as building a statement costs SQLAlchemy more than running it.
_GET = select(org_settings.c.value).where(org_settings.c.key == bindparam("key"))


def get(conn: Connection, key: str) -> Any | None:
    return conn.execute(_GET, {"key": key}).scalar_one_or_none()


def put(conn: Connection, key: str, value: Any, *, at: datetime, by: str) -> None:
    res = conn.execute(update(org_settings).where(org_settings.c.key == key)
                       .values(value=value, updated_at=at, updated_by=by))
    if res.rowcount == 0:
        conn.execute(org_settings.insert().values(key=key, value=value, updated_at=at, updated_by=by))
