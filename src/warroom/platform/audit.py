"""The audit log of configuration changes (integrations, and other admin settings that grow one): who changed
what, when, from what to what. Append-only: rows are inserted in the transaction of the change they describe,
never updated or deleted. An incident's own audit trail is its timeline (incidents.events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, insert, select
from sqlalchemy.engine import Connection, RowMapping

from warroom.platform.db import JSONType, UTCDateTime, metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("subject", String(40), nullable=False),  # what kind of thing: "integration", ...
    Column("subject_id", Integer, nullable=False),
    Column("action", String(40), nullable=False),  # "created", "edited", "key rotated", ...
    Column("data", JSONType, nullable=False),  # e.g. {"name": ["old", "new"]}; never a secret
    Index("ix_audit_log_subject", "subject", "subject_id", "id"),
)


def record(conn: Connection, *, at: datetime, actor: str, subject: str, subject_id: int, action: str,
           data: dict[str, Any] | None = None) -> None:
    conn.execute(insert(audit_log).values(at=at, actor=actor[:64], subject=subject, subject_id=subject_id,
                                          action=action, data=data or {}))


def history(conn: Connection, subject: str, subject_id: int, limit: int = 100) -> list[RowMapping]:
    """The latest entries about one thing, newest first."""
    q = (select(audit_log).where(audit_log.c.subject == subject, audit_log.c.subject_id == subject_id)
         .order_by(audit_log.c.id.desc()).limit(limit))
    return list(conn.execute(q).mappings())


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields of `after` whose value differs from `before`."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
