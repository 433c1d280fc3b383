"""Escalation policies, running escalations and response/resolution timers: tables and queries.

`escalations.next_at` and `sla_timers.due_at` are the timers the worker fires; they live here so they
survive restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.engine import Connection, RowMapping

from warroom.incidents.events import IncidentState
from warroom.platform.db import JSONType, UTCDateTime, metadata

policies = Table(
    "escalation_policies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("levels", JSONType, nullable=False),
    Column("repeat", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("policy_id", Integer, ForeignKey("escalation_policies.id", ondelete="CASCADE"), nullable=False),
    Column("reason", String(32), nullable=False),  # declared | breach:ack | breach:resolve
    Column("level", Integer, nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # active | stopped | exhausted
    Column("next_at", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_escalations_due", "state", "next_at"),
)

sla_timers = Table(
    "sla_timers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # ack | resolve
    Column("priority", String(4), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),  # pending | met | breached | not_acknowledged | dropped
    Column("settled_at", UTCDateTime, nullable=True),
    UniqueConstraint("incident_id", "kind"),
    Index("ix_sla_timers_due", "state", "due_at"),
)


NOT_ACKNOWLEDGED = "not_acknowledged"  # an ack target of an incident resolved or merged without an acknowledgement

# Run in every declaration's transaction: built once, as building a statement costs SQLAlchemy more than running it.
_POLICY = select(policies).where(policies.c.id == bindparam("id"))
_INSERT_ESCALATION = escalations.insert().returning(escalations.c.id)
_ESCALATIONS_OF = (select(escalations).where(escalations.c.incident_id == bindparam("incident_id"))
                   .order_by(escalations.c.id))
_ACTIVE_OF = _ESCALATIONS_OF.where(escalations.c.state == "active")
_INSERT_TIMERS = sla_timers.insert()


def insert_policy(conn: Connection, **values: Any) -> int:
    return conn.execute(policies.insert().values(**values).returning(policies.c.id)).scalar_one()


def update_policy(conn: Connection, policy_id: int, **values: Any) -> bool:
    return conn.execute(update(policies).where(policies.c.id == policy_id).values(**values)).rowcount == 1


def delete_policy(conn: Connection, policy_id: int) -> bool:
    """Delete a policy; its escalations that ended go with it (their steps stay on the incidents' timelines)."""
    conn.execute(delete(escalations).where(escalations.c.policy_id == policy_id))
    return conn.execute(delete(policies).where(policies.c.id == policy_id)).rowcount == 1


def active_escalations_of_policy(conn: Connection, policy_id: int) -> list[int]:
    """Ids of the incidents this policy is paging for right now."""
    q = (select(escalations.c.incident_id).where(escalations.c.policy_id == policy_id, escalations.c.state == "active")
         .distinct().order_by(escalations.c.incident_id))
    return list(conn.execute(q).scalars())


def get_policy(conn: Connection, policy_id: int) -> RowMapping | None:
    return conn.execute(_POLICY, {"id": policy_id}).mappings().first()


def list_policies(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(policies).order_by(policies.c.name)).mappings())


def insert_escalation(conn: Connection, **values: Any) -> int:
    return conn.execute(_INSERT_ESCALATION, values).scalar_one()


def update_escalation(conn: Connection, esc_id: int, **values: Any) -> None:
    conn.execute(update(escalations).where(escalations.c.id == esc_id).values(**values))


def escalations_of(conn: Connection, incident_id: int, *, active_only: bool = False) -> list[RowMapping]:
    return list(conn.execute(_ACTIVE_OF if active_only else _ESCALATIONS_OF, {"incident_id": incident_id}).mappings())


_DUE_IDS: dict[tuple[str, str], Any] = {}


def due_ids(conn: Connection, table: Table, when_col: str, now: datetime, limit: int) -> list[tuple[int, int]]:
    """(row id, incident id) of pending/active timers due by `now`, oldest first (no locks taken). Every worker
    tick asks, so the statement is built once per table."""
    q = _DUE_IDS.get((table.name, when_col))
    if q is None:
        col = table.c[when_col]
        state = "active" if table is escalations else "pending"
        q = _DUE_IDS[table.name, when_col] = (
            select(table.c.id, table.c.incident_id).where(table.c.state == state, col <= bindparam("now"))
            .order_by(col).limit(bindparam("limit")))
    return [(r[0], r[1]) for r in conn.execute(q, {"now": now, "limit": limit})]


def claim(conn: Connection, table: Table, row_id: int, when_col: str, now: datetime) -> RowMapping | None:
    """The row if it is still due, locked (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write lock)."""
    state = "active" if table is escalations else "pending"
    q = select(table).where(table.c.id == row_id, table.c.state == state, table.c[when_col] <= now)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return conn.execute(q).mappings().first()


def lock_incident_nowait(conn: Connection, incident_id: int) -> IncidentState | None:
    """The incident, locked, or None if another transaction holds it (PostgreSQL: SKIP LOCKED; on SQLite the
    writer lock is already ours)."""
    from warroom.incidents.store import incidents, state_from_row

    q = select(incidents).where(incidents.c.id == incident_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    r = conn.execute(q).mappings().first()
    return state_from_row(r) if r else None


def incident_standing(conn: Connection, ids: set[int]) -> dict[int, tuple[str, datetime | None]]:
    """(status, acknowledged_at) of these incidents, for the pages about to be sent."""
    from warroom.incidents.store import incidents

    q = select(incidents.c.id, incidents.c.status, incidents.c.acknowledged_at).where(incidents.c.id.in_(ids))
    return {r[0]: (r[1], r[2]) for r in conn.execute(q)}


def insert_timers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT_TIMERS, rows)


def timers_of(conn: Connection, incident_id: int) -> list[RowMapping]:
    q = select(sla_timers).where(sla_timers.c.incident_id == incident_id).order_by(sla_timers.c.id)
    return list(conn.execute(q).mappings())


def settle_timers(conn: Connection, incident_id: int, kinds: tuple[str, ...], at: datetime) -> None:
    """Targets reached in time are met; a late one stays pending so the breach job records the breach."""
    conn.execute(update(sla_timers).where(sla_timers.c.incident_id == incident_id, sla_timers.c.kind.in_(kinds),
                                          sla_timers.c.state == "pending", sla_timers.c.due_at >= at)
                 .values(state="met", settled_at=at))


def unacknowledged_timers(conn: Connection, incident_id: int, at: datetime) -> None:
    """The incident left the open states without anyone's acknowledgement: its response target was not met.
    (A target already overdue stays pending: the breach job records the breach.)"""
    conn.execute(update(sla_timers).where(sla_timers.c.incident_id == incident_id, sla_timers.c.kind == "ack",
                                          sla_timers.c.state == "pending", sla_timers.c.due_at >= at)
                 .values(state=NOT_ACKNOWLEDGED, settled_at=at))


def restart_timer(conn: Connection, incident_id: int, kind: str, priority: str, due_at: datetime) -> None:
    """Run a target again (a reopened incident must be acknowledged again): one row per incident and kind."""
    values = {"priority": priority, "due_at": due_at, "state": "pending", "settled_at": None}
    q = update(sla_timers).where(sla_timers.c.incident_id == incident_id, sla_timers.c.kind == kind)
    if conn.execute(q.values(**values)).rowcount == 0:
        conn.execute(sla_timers.insert().values(incident_id=incident_id, kind=kind, **values))


def update_timer(conn: Connection, timer_id: int, **values: Any) -> None:
    conn.execute(update(sla_timers).where(sla_timers.c.id == timer_id).values(**values))
