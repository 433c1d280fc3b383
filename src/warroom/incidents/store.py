"""Incident snapshots, the append-only event log, and the queries over them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from warroom.incidents.events import Event, Expert, IncidentState
from warroom.incidents.lifecycle import OPEN_STATUSES
from warroom.platform.db import (
    JSONType,
    UTCDateTime,
    driver_executemany_insert,
    driver_select,
    driver_update,
    metadata,
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", Integer, nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("category", String(100), nullable=False, default=""),
    Column("identified_via", String(20), nullable=False),
    Column("impact", String(20), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("priority", String(2), nullable=False),
    Column("priority_rank", Integer, nullable=False),
    Column("priority_overridden", Boolean, nullable=False, default=False),
    Column("priority_reason", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("major", Boolean, nullable=False, default=False),
    Column("major_reason", Text, nullable=True),
    Column("coordinator_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("comms_lead_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("scribe_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("experts", JSONType, nullable=False),
    Column("service_ids", JSONType, nullable=False),
    Column("parent_id", Integer, ForeignKey("incidents.id"), nullable=True, index=True),
    Column("duplicate_of_id", Integer, ForeignKey("incidents.id"), nullable=True, index=True),
    Column("declared_by", String(64), nullable=False),
    Column("detected_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("investigating_at", UTCDateTime, nullable=True),
    Column("contained_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_incidents_queue", "is_open", "major", "priority_rank", "detected_at"),
    Index("ix_incidents_status", "status", "detected_at"),
    Index("ix_incidents_detected_at", "detected_at"),
)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Integer, primary_key=True),  # global order, for feeds and live catch-up
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(50), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("data", JSONType, nullable=False),
    UniqueConstraint("incident_id", "seq", name="uq_incident_events_incident_seq"),
)

incident_services = Table(
    "incident_services",
    metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True),
)

_STATE_FIELDS = [c for c in IncidentState.__dataclass_fields__ if c not in ("id", "experts", "service_ids",
                                                                              "extra")]
PRIORITY_RANK = {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 5}


def _row_values(s: IncidentState) -> dict[str, Any]:
    v = {name: getattr(s, name) for name in _STATE_FIELDS}
    v["experts"] = [asdict(x) for x in s.experts]
    v["service_ids"] = list(s.service_ids)
    v["priority_rank"] = PRIORITY_RANK[s.priority]
    v["is_open"] = s.status in OPEN_STATUSES
    return v


def state_from_row(r: RowMapping | dict[str, Any]) -> IncidentState:
    kw = {name: r[name] for name in _STATE_FIELDS}
    return IncidentState(id=r["id"], experts=tuple(Expert(**x) for x in r["experts"]),
                         service_ids=tuple(r["service_ids"]), **kw)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")




_NEXTVAL = text("SELECT nextval('incident_ref_seq')")
_MAX_REF = select(func.max(incidents.c.ref))


def next_ref(conn: Connection) -> int:
    """The next INC number: a sequence on PostgreSQL (no lock held while the declaration runs); on SQLite
    writers are serialised (BEGIN IMMEDIATE), so the highest number plus one is safe."""
    if conn.dialect.name == "postgresql":
        return conn.execute(_NEXTVAL).scalar_one()
    return (conn.execute(_MAX_REF).scalar() or 0) + 1


_INSERT_SNAPSHOT = incidents.insert().returning(incidents.c.id)
_INSERT_SERVICES = incident_services.insert()


def insert_snapshot(conn: Connection, s: IncidentState) -> int:
    values = _row_values(s)
    new_id = conn.execute(_INSERT_SNAPSHOT, values).scalar_one()  # one cached statement, values as parameters
    _sync_services(conn, new_id, s.service_ids, ())
    return new_id


def save_snapshot(conn: Connection, before: IncidentState, after: IncidentState) -> None:
    """Write the new snapshot; the version check makes a concurrent writer lose loudly, never silently."""
    # On the driver's cursor: pipelined inside a PostgreSQL `pipeline` block, where the row count is not
    # known yet (-1); the events appended with this snapshot catch a concurrent writer then, as
    # (incident_id, seq) is unique.
    count = driver_update(conn, incidents, _row_values(after), {"id": after.id, "version": before.version})
    if count not in (1, -1):
        raise StaleVersion(after.id, before.version)
    if after.service_ids != before.service_ids:
        _sync_services(conn, after.id, after.service_ids, before.service_ids)


def _sync_services(conn: Connection, incident_id: int, new: tuple[int, ...], old: tuple[int, ...]) -> None:
    gone, added = set(old) - set(new), set(new) - set(old)
    if gone:
        conn.execute(delete(incident_services).where(incident_services.c.incident_id == incident_id,
                                                     incident_services.c.service_id.in_(gone)))
    if added:
        conn.execute(_INSERT_SERVICES, [{"incident_id": incident_id, "service_id": s} for s in sorted(added)])


class StaleVersion(Exception):
    def __init__(self, incident_id: int, version: int) -> None:
        super().__init__(f"incident {incident_id} changed since version {version}")
        self.incident_id = incident_id
        self.version = version


def append_events(conn: Connection, incident_id: int, events: list[Event], recorded_at: datetime) -> None:
    """Append to the timeline (through the driver's cursor: pipelined inside a `pipeline` block)."""
    driver_executemany_insert(conn, incident_events, [
        {"incident_id": incident_id, "seq": e.seq, "kind": e.kind, "occurred_at": e.occurred_at,
         "recorded_at": recorded_at, "actor": e.actor, "data": e.data}
        for e in events
    ])


def load(conn: Connection, incident_id: int, *, for_update: bool = False) -> IncidentState | None:
    """One incident; `for_update` locks its row (PostgreSQL FOR NO KEY UPDATE: rows that reference the
    incident, such as new alerts and timeline events, can still be inserted by others meanwhile)."""
    q = select(incidents).where(incidents.c.id == incident_id)
    if for_update and conn.dialect.name == "postgresql":
        q = q.with_for_update(key_share=True)
    r = conn.execute(q).mappings().first()
    return state_from_row(r) if r else None


def lock_many(conn: Connection, ids: list[int]) -> dict[int, IncidentState]:
    """Incidents by id, their rows locked in id order (PostgreSQL FOR NO KEY UPDATE; on SQLite the writer
    already holds the database's write lock). Through the driver's cursor: inside a `pipeline` block the
    lock travels with the statements sent before it."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    if conn.dialect.name == "postgresql":
        rows = driver_select(conn, incidents, "SELECT * FROM incidents WHERE id = ANY(%s) ORDER BY id "
                                              "FOR NO KEY UPDATE", (ids,))
    else:
        rows = driver_select(conn, incidents, f"SELECT * FROM incidents WHERE id IN ({', '.join('?' * len(ids))}) "
                                              "ORDER BY id", ids)
    return {r["id"]: state_from_row(r) for r in rows}


def load_by_ref(conn: Connection, ref: int) -> IncidentState | None:
    r = conn.execute(select(incidents).where(incidents.c.ref == ref)).mappings().first()
    return state_from_row(r) if r else None


def load_many(conn: Connection, ids: list[int]) -> list[IncidentState]:
    if not ids:
        return []
    return [state_from_row(r) for r in conn.execute(select(incidents).where(incidents.c.id.in_(ids))).mappings()]


def events_of(conn: Connection, incident_id: int, *, after_seq: int = 0, limit: int | None = None,
              kinds: list[str] | None = None) -> list[Event]:
    q = (select(incident_events).where(incident_events.c.incident_id == incident_id,
                                       incident_events.c.seq > after_seq)
         .order_by(incident_events.c.seq))
    if kinds:
        q = q.where(incident_events.c.kind.in_(kinds))
    if limit:
        q = q.limit(limit)
    return [Event(r.kind, r.data, r.actor, r.occurred_at, r.seq, r.recorded_at) for r in conn.execute(q)]


def events_since(conn: Connection, after_id: int, limit: int = 500) -> list[RowMapping]:
    """The global feed: events of every incident after a global event id."""
    q = select(incident_events).where(incident_events.c.id > after_id).order_by(incident_events.c.id).limit(limit)
    return list(conn.execute(q).mappings())


def last_event_id(conn: Connection) -> int:
    return conn.execute(select(func.max(incident_events.c.id))).scalar() or 0


def children_of(conn: Connection, incident_id: int) -> list[IncidentState]:
    q = select(incidents).where(incidents.c.parent_id == incident_id).order_by(incidents.c.ref)
    return [state_from_row(r) for r in conn.execute(q).mappings()]


def duplicates_of(conn: Connection, incident_id: int) -> list[IncidentState]:
    q = select(incidents).where(incidents.c.duplicate_of_id == incident_id).order_by(incidents.c.ref)
    return [state_from_row(r) for r in conn.execute(q).mappings()]


def open_for_service(conn: Connection, service_id: int) -> list[IncidentState]:
    q = (select(incidents).join(incident_services, incident_services.c.incident_id == incidents.c.id)
         .where(incident_services.c.service_id == service_id, incidents.c.is_open.is_(True))
         .order_by(incidents.c.major.desc(), incidents.c.priority_rank, incidents.c.detected_at))
    return [state_from_row(r) for r in conn.execute(q).mappings()]


def open_counts_by_service(conn: Connection) -> dict[int, int]:
    """Open incidents per service id (services with none are left out)."""
    q = (select(incident_services.c.service_id, func.count())
         .join(incidents, incidents.c.id == incident_services.c.incident_id)
         .where(incidents.c.is_open.is_(True)).group_by(incident_services.c.service_id))
    return {sid: n for sid, n in conn.execute(q)}


def roles_held(conn: Connection, user_id: int) -> list[tuple[int, str]]:
    """(ref, role) for every role the user holds in an open incident, by ref."""
    c = incidents.c
    q = (select(c.ref, c.coordinator_id, c.comms_lead_id, c.scribe_id, c.experts)
         .where(c.is_open.is_(True)).order_by(c.ref))
    out: list[tuple[int, str]] = []
    for r in conn.execute(q).mappings():
        out += [(r["ref"], role) for role in ("coordinator", "comms_lead", "scribe") if r[f"{role}_id"] == user_id]
        if any(x.get("user_id") == user_id for x in r["experts"] or []):
            out.append((r["ref"], "expert"))
    return out


def search(
    conn: Connection,
    *,
    statuses: list[str] | None = None,
    open_only: bool | None = None,
    priorities: list[str] | None = None,
    major: bool | None = None,
    service_id: int | None = None,
    team_id: int | None = None,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
    order: str = "queue",
) -> tuple[list[IncidentState], int]:
    """Filter incidents; the default order is the work queue: open majors first, then priority, then age."""
    from warroom.catalog.store import services

    conds: list[ColumnElement[bool]] = []
    if statuses:
        conds.append(incidents.c.status.in_(statuses))
    if open_only is not None:
        conds.append(incidents.c.is_open.is_(open_only))
    if priorities:
        conds.append(incidents.c.priority.in_(priorities))
    if major is not None:
        conds.append(incidents.c.major.is_(major))
    if service_id is not None:
        conds.append(incidents.c.id.in_(select(incident_services.c.incident_id)
                                        .where(incident_services.c.service_id == service_id)))
    if team_id is not None:
        conds.append(incidents.c.id.in_(
            select(incident_services.c.incident_id)
            .join(services, services.c.id == incident_services.c.service_id)
            .where(services.c.team_id == team_id)))
    if text:
        pattern = "%" + escape_like(text) + "%"
        conds.append(or_(incidents.c.title.ilike(pattern, escape="\\"),
                         incidents.c.description.ilike(pattern, escape="\\")))
    where = and_(*conds) if conds else None
    q = select(incidents)
    cq = select(func.count()).select_from(incidents)
    if where is not None:
        q, cq = q.where(where), cq.where(where)
    if order == "queue":
        q = q.order_by(incidents.c.is_open.desc(), incidents.c.major.desc(), incidents.c.priority_rank,
                       incidents.c.detected_at, incidents.c.id)
    else:  # "recent"
        q = q.order_by(incidents.c.detected_at.desc(), incidents.c.id.desc())
    rows = conn.execute(q.limit(limit).offset(offset)).mappings()
    items = [state_from_row(r) for r in rows]
    total = conn.execute(cq).scalar_one()
    return items, total
