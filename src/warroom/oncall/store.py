"""On-call schedules and their overrides: tables and queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, delete, select, update
from sqlalchemy.engine import Connection, RowMapping

from warroom.platform.db import JSONType, UTCDateTime, metadata

schedules = Table(
    "oncall_schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("time_zone", String(64), nullable=False),
    Column("layers", JSONType, nullable=False),  # list of schedule.layer_to_json
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

overrides = Table(
    "oncall_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("schedule_id", Integer, ForeignKey("oncall_schedules.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


def insert_schedule(conn: Connection, **values: Any) -> int:
    return conn.execute(schedules.insert().values(**values).returning(schedules.c.id)).scalar_one()


def update_schedule(conn: Connection, schedule_id: int, **values: Any) -> None:
    conn.execute(update(schedules).where(schedules.c.id == schedule_id).values(**values))


def delete_schedule(conn: Connection, schedule_id: int) -> bool:
    return conn.execute(delete(schedules).where(schedules.c.id == schedule_id)).rowcount == 1


def get_schedule(conn: Connection, schedule_id: int) -> RowMapping | None:
    return conn.execute(select(schedules).where(schedules.c.id == schedule_id)).mappings().first()


def get_schedule_by_name(conn: Connection, name: str) -> RowMapping | None:
    return conn.execute(select(schedules).where(schedules.c.name == name)).mappings().first()


def list_schedules(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(schedules).order_by(schedules.c.name)).mappings())


def insert_override(conn: Connection, **values: Any) -> int:
    return conn.execute(overrides.insert().values(**values).returning(overrides.c.id)).scalar_one()


def get_override(conn: Connection, schedule_id: int, override_id: int) -> RowMapping | None:
    q = select(overrides).where(overrides.c.id == override_id, overrides.c.schedule_id == schedule_id)
    return conn.execute(q).mappings().first()


def delete_override(conn: Connection, schedule_id: int, override_id: int) -> bool:
    q = delete(overrides).where(overrides.c.id == override_id, overrides.c.schedule_id == schedule_id)
    return conn.execute(q).rowcount == 1


def overrides_of(conn: Connection, schedule_id: int, *, ending_after: datetime | None = None) -> list[RowMapping]:
    q = select(overrides).where(overrides.c.schedule_id == schedule_id)
    if ending_after is not None:
        q = q.where(overrides.c.end_at > ending_after)
    return list(conn.execute(q.order_by(overrides.c.id)).mappings())
