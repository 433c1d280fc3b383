"""Integrations, alerts and alert groups: tables and queries. Helpers never commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import closing
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from warroom.incidents.store import escape_like
from warroom.platform.db import JSONType, UTCDateTime, driver, driver_errors, metadata, pipeline

alert_integrations = Table(
    "alert_integrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key_prefix", String(16), nullable=False),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="SET NULL"), nullable=True),
    Column("config", JSONType, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("integration_id", Integer, ForeignKey("alert_integrations.id", ondelete="CASCADE"), nullable=False),
    Column("dedup_key", String(300), nullable=False),
    Column("status", String(20), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("summary", String(1024), nullable=False),
    Column("source", String(255), nullable=False, default=""),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="SET NULL"), nullable=True),
    Column("group_key", String(300), nullable=False),
    Column("labels", JSONType, nullable=False),
    Column("payload", JSONType, nullable=False),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=True),
    Column("count", Integer, nullable=False, default=1),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("acknowledged_by", String(100), nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolved_by", String(100), nullable=True),
    UniqueConstraint("integration_id", "dedup_key", name="uq_alerts_integration_dedup"),
    Index("ix_alerts_incident", "incident_id", "status"),
    Index("ix_alerts_status_seen", "status", "last_seen_at"),
    Index("ix_alerts_last_seen", "last_seen_at"),
)

alert_groups = Table(
    "alert_groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("integration_id", Integer, ForeignKey("alert_integrations.id", ondelete="CASCADE"), nullable=False),
    Column("group_key", String(300), nullable=False),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("integration_id", "group_key", name="uq_alert_groups_integration_key"),
)

# Columns the ingest writer rewrites on an existing alert.
MUTABLE = ("status", "severity", "summary", "source", "service_id", "group_key", "labels", "payload", "incident_id",
           "count", "last_seen_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by")
# What the writer needs of a known alert (MUTABLE columns absent here are rewritten only when set).
HOT = ("id", "integration_id", "dedup_key", "status", "severity", "summary", "incident_id", "count")


# -- integrations -------------------------------------------------------------------------------

def insert_integration(conn: Connection, **values: Any) -> int:
    return conn.execute(alert_integrations.insert().values(**values).returning(alert_integrations.c.id)).scalar_one()


def get_integration(conn: Connection, integration_id: int, *, for_update: bool = False) -> RowMapping | None:
    q = select(alert_integrations).where(alert_integrations.c.id == integration_id)
    return conn.execute(q.with_for_update() if for_update else q).mappings().first()


def integration_by_hash(conn: Connection, key_hash: str) -> RowMapping | None:
    q = select(alert_integrations).where(alert_integrations.c.key_hash == key_hash)
    return conn.execute(q).mappings().first()


def list_integrations(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(alert_integrations).order_by(alert_integrations.c.name)).mappings())


def update_integration(conn: Connection, integration_id: int, **values: Any) -> None:
    conn.execute(update(alert_integrations).where(alert_integrations.c.id == integration_id).values(**values))


# -- the ingest hot path ------------------------------------------------------------------------

# The (integration id, dedup key) pairs joined as rows: one unique-index probe per pair. Two separate
# `= ANY(array)` conditions let the planner scan every alert of the integration (stale statistics on a
# fast-growing table), which cost more per batch than everything else together once it held ~10,000 alerts.
# Never prepared: a prepared statement's generic plan, made while the table was small, stays a hash join
# over a sequential scan as the table grows; an unnamed statement is planned for its actual arrays and the
# table's current size every time (~0.05 ms of planning).
_FIND_PG = (f"SELECT {', '.join('a.' + n for n in HOT)} FROM alerts AS a "
            "JOIN unnest(CAST(%s AS integer[]), CAST(%s AS text[])) AS k(iid, dedup_key) "
            "ON a.integration_id = k.iid AND a.dedup_key = k.dedup_key ORDER BY a.id FOR UPDATE OF a")


def find_alerts(conn: Connection, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Known alerts by (integration id, dedup key), with the columns the writer needs."""
    keys = list(keys)
    out: dict[tuple[int, str], dict[str, Any]] = {}
    if conn.dialect.name == "postgresql":  # one statement shape (arrays), rows locked in id order
        keys.sort()
        # In a pipeline, so that a transaction's first statement travels with its BEGIN: one round trip.
        with pipeline(conn), driver(conn).cursor() as cur:
            cur.execute(_FIND_PG, ([k[0] for k in keys], [k[1] for k in keys]), prepare=False)
            for r in cur:
                out[(r[1], r[2])] = dict(zip(HOT, r, strict=True))
        return out
    by_integration: dict[int, list[str]] = {}
    for iid, dedup in keys:
        by_integration.setdefault(iid, []).append(dedup)
    with closing(driver(conn).cursor()) as cur:  # SQLite: plain SQL, cached by its text
        for iid, dedups in by_integration.items():
            for i in range(0, len(dedups), 500):
                chunk = dedups[i:i + 500]
                cur.execute(f"SELECT {', '.join(HOT)} FROM alerts WHERE integration_id = ? "
                            f"AND dedup_key IN ({', '.join('?' * len(chunk))})", (iid, *chunk))
                for r in cur.fetchall():
                    out[(r[1], r[2])] = dict(zip(HOT, r, strict=True))
    return out


PIPELINED_ROWS = 5000  # PostgreSQL: up to this many new alerts go in as one INSERT (and take the storm path)


# Naive timestamps are UTC (as UTCDateTime has them); keys may be str subclasses (SQLAlchemy's column names).
_AS_JSON = orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def send_alerts(conn: Connection, rows: list[dict[str, Any]]) -> Callable[[], list[int]]:
    """Insert new alerts; returns a function giving their ids in order.

    On PostgreSQL a small batch is one statement whatever its size, `INSERT .. SELECT FROM
    json_to_recordset(<the rows as one JSON array>) RETURNING`: inside a `pipeline` block it travels with the
    statements sent after it, and its ids are read once they are needed. One statement, not one per row
    (executemany): psycopg's work per statement (parameters, result, description) was most of a small batch's
    CPU, and orjson writes the whole batch in C (one array parameter per column costs more: psycopg escapes
    array elements in Python). Larger batches, and SQLite, go through `insert_alerts`."""
    if conn.dialect.name != "postgresql" or not rows or len(rows) > PIPELINED_ROWS:
        inserted = insert_alerts(conn, rows)
        return lambda: inserted
    sql = _raw_statements(conn)["insert_json"][0]
    cur = driver(conn).cursor()
    with driver_errors(conn):
        cur.execute(sql, (orjson.dumps(rows, option=_AS_JSON).decode(),))

    def ids() -> list[int]:
        with driver_errors(conn):
            got = {(iid, key): i for i, iid, key in cur.fetchall()}
            cur.close()
        return [got[r["integration_id"], r["dedup_key"]] for r in rows]  # (integration, key) is unique

    return ids


def insert_alerts(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert new alerts, returning their ids in order.

    The ids are taken first and the rows go in as one plain executemany: a multi-row INSERT .. RETURNING
    of thousands of parameters costs far more to build (SQLAlchemy) and to parse (psycopg) per batch."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        ids = list(conn.execute(text("SELECT nextval(pg_get_serial_sequence('alerts', 'id')) "
                                     "FROM generate_series(1, :n)"), {"n": len(rows)}).scalars())
    else:  # SQLite: this transaction holds the database's only write lock, so max(id) + 1.. are ours
        top = conn.execute(select(func.max(alerts.c.id))).scalar() or 0
        ids = list(range(top + 1, top + 1 + len(rows)))
    sql, names, procs = _raw_statements(conn)["insert"]
    values = _bound([dict(r, id=i) for r, i in zip(rows, ids, strict=True)], names, procs)
    if conn.dialect.name == "postgresql":  # COPY: the cheapest bulk load for the server too
        with driver_errors(conn), driver(conn).cursor() as cur, \
                cur.copy(f"COPY alerts ({', '.join(names)}) FROM STDIN") as copy:
            for v in values:
                copy.write_row(v)
    else:
        conn.exec_driver_sql(sql, values)
    return ids


_SHARED = frozenset({"first_seen_at", "last_seen_at", "acknowledged_at", "resolved_at", "status", "severity"})


def _bound(rows: list[dict[str, Any]], names: list[str], procs: list[Any]) -> list[tuple[Any, ...]]:
    """Rows as driver parameters. Columns whose value most rows of a batch share (its timestamps, status)
    are converted once per distinct value, not once per row."""
    memo: list[dict[Any, Any] | None] = [{} if p and n in _SHARED else None for n, p in zip(names, procs, strict=True)]
    out = []
    for r in rows:
        vals = []
        for n, p, m in zip(names, procs, memo, strict=True):
            v = r[n]
            if p is None:
                vals.append(v)
            elif m is None:
                vals.append(p(v))
            else:
                got = m.get(v, m)
                if got is m:
                    got = m[v] = p(v)
                vals.append(got)
        out.append(tuple(vals))
    return out


def _pg_type(column: Column[Any]) -> str:
    t = column.type
    return "timestamptz" if isinstance(t, UTCDateTime) else "integer" if isinstance(t, Integer) \
        else "text" if isinstance(t, String) else "jsonb"


_RAW: dict[int, dict[str, tuple[str, list[str], list[Any]]]] = {}


def _raw_statements(conn: Connection) -> dict[str, tuple[str, list[str], list[Any]]]:
    """The hot statements as driver SQL with each column's bind processor: executemany through
    SQLAlchemy costs more per row (parameter construction) than the database spends on the row."""
    d = conn.dialect
    got = _RAW.get(id(d))
    if got is None:
        ph = "?" if d.paramstyle == "qmark" else "%s"

        def procs(names: list[str]) -> list[Any]:
            return [alerts.c[n].type.dialect_impl(d).bind_processor(d) for n in names]

        names = [c.name for c in alerts.c]
        bump = ["count", "last_seen_at", "id"]
        insert = f"INSERT INTO alerts ({', '.join(names)}) VALUES ({', '.join([ph] * len(names))})"
        auto = [n for n in names if n != "id"]  # the id from its sequence
        if d.name == "postgresql":
            record = ", ".join(f"{n} {_pg_type(alerts.c[n])}" for n in auto)
            from_json: tuple[str, list[str], list[Any]] = (
                f"INSERT INTO alerts ({', '.join(auto)}) SELECT {', '.join(auto)} "
                f"FROM json_to_recordset(CAST(%s AS json)) AS r({record}) RETURNING id, integration_id, dedup_key",
                auto, [])
        got = _RAW[id(d)] = {
            "insert": (insert, names, procs(names)),
            **({"insert_json": from_json} if d.name == "postgresql" else {}),
            "bump": (f"UPDATE alerts SET count = count + {ph}, last_seen_at = {ph} WHERE id = {ph}", bump,
                     procs(bump)),
        }
    return got


_BUMP_PG = ("UPDATE alerts SET count = alerts.count + r.n, last_seen_at = r.at FROM "
            "json_to_recordset(CAST(%s AS json)) AS r(id integer, n integer, at timestamptz) WHERE alerts.id = r.id")


def bump_alerts(conn: Connection, bumps: list[tuple[int, int, datetime]]) -> None:
    """Coalesced repeats: (id, n, seen) adds n to the count and moves last-seen. In id order (lock order).

    On PostgreSQL one statement for the batch, its rows as one JSON document (rows find_alerts locked), not
    one pipelined UPDATE per row."""
    if not bumps:
        return
    if conn.dialect.name == "postgresql":
        doc = orjson.dumps([{"id": i, "n": n, "at": at} for i, n, at in sorted(bumps)], option=_AS_JSON).decode()
        with driver_errors(conn), driver(conn).cursor() as cur:  # pipelined when in one
            cur.execute(_BUMP_PG, (doc,))
        return
    sql, _, (_, seen, _) = _raw_statements(conn)["bump"]
    conn.exec_driver_sql(sql, [(n, seen(at) if seen else at, i) for i, n, at in sorted(bumps)])


def rewrite_alerts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Rewrite the mutable columns given ({"_id", name: value}) of alerts whose status changed."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: r["_id"]):
        shapes.setdefault(tuple(sorted(r)), []).append(r)
    for names, batch in shapes.items():
        stmt = (update(alerts).where(alerts.c.id == bindparam("_id"))
                .values({n: bindparam(n) for n in names if n != "_id"}))
        conn.execute(stmt, batch)


def find_groups(conn: Connection, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    keys = list(keys)
    if not keys:
        return {}
    q = select(alert_groups).where(tuple_(alert_groups.c.integration_id, alert_groups.c.group_key).in_(keys)) \
        if conn.dialect.name == "postgresql" else \
        select(alert_groups).where(or_(*[and_(alert_groups.c.integration_id == i, alert_groups.c.group_key == g)
                                         for i, g in keys]))
    return {(r["integration_id"], r["group_key"]): dict(r) for r in conn.execute(q).mappings()}


def upsert_group(conn: Connection, existing: dict[str, Any] | None, integration_id: int, group_key: str,
                 incident_id: int, at: datetime) -> None:
    if existing is None:
        conn.execute(alert_groups.insert().values(integration_id=integration_id, group_key=group_key,
                                                  incident_id=incident_id, updated_at=at))
    else:
        conn.execute(update(alert_groups).where(alert_groups.c.id == existing["id"])
                     .values(incident_id=incident_id, updated_at=at))


def unresolved_counts(conn: Connection, incident_ids: Iterable[int]) -> dict[int, int]:
    ids = list(set(incident_ids))
    if not ids:
        return {}
    q = (select(alerts.c.incident_id, func.count()).where(alerts.c.incident_id.in_(ids),
                                                          alerts.c.status != "resolved")
         .group_by(alerts.c.incident_id))
    counts = {i: 0 for i in ids}
    counts.update({r[0]: r[1] for r in conn.execute(q)})
    return counts


def critical_services(conn: Connection, incident_id: int) -> set[int]:
    q = (select(alerts.c.service_id).distinct()
         .where(alerts.c.incident_id == incident_id, alerts.c.severity == "critical", alerts.c.status != "resolved",
                alerts.c.service_id.is_not(None)))
    return set(conn.execute(q).scalars())


# -- reads --------------------------------------------------------------------------------------

def get_alert(conn: Connection, alert_id: int, *, for_update: bool = False) -> RowMapping | None:
    q = select(alerts).where(alerts.c.id == alert_id)
    if for_update and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).mappings().first()


def search_alerts(conn: Connection, *, statuses: list[str] | None = None, integration_id: int | None = None,
                  incident_id: int | None = None, service_id: int | None = None, severities: list[str] | None = None,
                  text: str | None = None, limit: int = 50, offset: int = 0,
                  with_payload: bool = False) -> tuple[list[RowMapping], int]:
    """Filter alerts, newest activity first."""
    conds: list[ColumnElement[bool]] = []
    if statuses:
        conds.append(alerts.c.status.in_(statuses))
    if integration_id is not None:
        conds.append(alerts.c.integration_id == integration_id)
    if incident_id is not None:
        conds.append(alerts.c.incident_id == incident_id)
    if service_id is not None:
        conds.append(alerts.c.service_id == service_id)
    if severities:
        conds.append(alerts.c.severity.in_(severities))
    if text:
        pattern = "%" + escape_like(text) + "%"
        conds.append(or_(alerts.c.summary.ilike(pattern, escape="\\"), alerts.c.dedup_key.ilike(pattern, escape="\\"),
                         alerts.c.source.ilike(pattern, escape="\\")))
    cols = list(alerts.c) if with_payload else [c for c in alerts.c if c.name != "payload"]
    q = select(*cols).order_by(alerts.c.last_seen_at.desc(), alerts.c.id.desc())
    cq = select(func.count()).select_from(alerts)
    if conds:
        q, cq = q.where(and_(*conds)), cq.where(and_(*conds))
    rows = list(conn.execute(q.limit(limit).offset(offset)).mappings())
    return rows, conn.execute(cq).scalar_one()
