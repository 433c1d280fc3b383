"""Web sessions and failed-login records: tables and queries (server-side, so every process shares them)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, delete, func, select, text, update
from sqlalchemy.engine import Connection, RowMapping

from warroom.platform.db import UTCDateTime, metadata

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie value; the value itself is never stored
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_login_failures_username_ip_at", "username", "ip", "at"),
)


def insert_session(conn: Connection, **values: Any) -> None:
    conn.execute(web_sessions.insert().values(**values))


def session_with_user(conn: Connection, session_id: str) -> RowMapping | None:
    from warroom.auth.store import users

    q = (select(web_sessions, users.c.username, users.c.role, users.c.display_name, users.c.active)
         .join(users, users.c.id == web_sessions.c.user_id).where(web_sessions.c.id == session_id))
    return conn.execute(q).mappings().first()


def touch_session(conn: Connection, session_id: str, at: datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.id == session_id).values(last_seen_at=at))


def delete_session(conn: Connection, session_id: str) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.id == session_id))


def delete_expired_sessions(conn: Connection, now: datetime) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))


def lock_login_key(conn: Connection, username: str, ip: str) -> None:
    """Serialise the throttle check of one (username, address) until the transaction ends. PostgreSQL: a
    transaction-level advisory lock (held across server processes). SQLite: nothing to do, every write
    transaction already holds the database's write lock (BEGIN IMMEDIATE, platform/db.py)."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"warroom-login\0{username}\0{ip}".encode()).digest()
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int.from_bytes(digest[:8], "big", signed=True)})


def record_failure(conn: Connection, username: str, ip: str, at: datetime) -> int:
    return conn.execute(login_failures.insert().values(username=username, ip=ip, at=at)
                        .returning(login_failures.c.id)).scalar_one()


def delete_failure(conn: Connection, failure_id: int) -> None:
    conn.execute(delete(login_failures).where(login_failures.c.id == failure_id))


def failures_since(conn: Connection, username: str, ip: str, since: datetime) -> tuple[int, datetime | None]:
    """(how many failures for this username from this address since `since`, the oldest of them)."""
    q = select(func.count(), func.min(login_failures.c.at)).where(
        login_failures.c.username == username, login_failures.c.ip == ip, login_failures.c.at > since)
    count, oldest = conn.execute(q).one()
    return int(count), oldest


def clear_failures(conn: Connection, username: str, ip: str) -> None:
    conn.execute(delete(login_failures).where(login_failures.c.username == username, login_failures.c.ip == ip))


def prune_failures(conn: Connection, before: datetime) -> None:
    conn.execute(delete(login_failures).where(login_failures.c.at <= before))
