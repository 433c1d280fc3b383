"""Users and API tokens: tables and queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    bindparam,
    column,
    delete,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.engine import Connection, RowMapping

from warroom.platform.db import UTCDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("time_zone", String(64), nullable=False, default="UTC"),
    Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),  # NULL: never
)

# The browser sessions (web/session_store.py owns the table): a password change must end them in its own
# transaction, and the credentials' store may not import the web adapter, so it names just the two columns.
_web_sessions = table("web_sessions", column("id"), column("user_id"))

USER_COLS = (users.c.id, users.c.username, users.c.display_name, users.c.email, users.c.role, users.c.active,
             users.c.time_zone, users.c.created_at)


def insert_user(conn: Connection, **values: Any) -> int:
    return conn.execute(users.insert().values(**values).returning(users.c.id)).scalar_one()


def get_user(conn: Connection, user_id: int) -> RowMapping | None:
    return conn.execute(select(*USER_COLS).where(users.c.id == user_id)).mappings().first()


def get_user_by_name(conn: Connection, username: str) -> RowMapping | None:
    return conn.execute(select(users).where(users.c.username == username)).mappings().first()


def list_users(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(*USER_COLS).order_by(users.c.username)).mappings())


def users_by_ids(conn: Connection, ids: list[int]) -> list[RowMapping]:
    return list(conn.execute(select(*USER_COLS).where(users.c.id.in_(ids))).mappings()) if ids else []


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


def count_admins(conn: Connection) -> int:
    return len(conn.execute(select(users.c.id).where(users.c.role == "admin", users.c.active.is_(True))).all())


def existing_user_ids(conn: Connection, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(conn.execute(select(users.c.id).where(users.c.id.in_(ids))).scalars())


def insert_token(conn: Connection, **values: Any) -> int:
    return conn.execute(api_tokens.insert().values(**values).returning(api_tokens.c.id)).scalar_one()


# Run on every API request: built once, as building a statement costs SQLAlchemy more than running it.
_PRINCIPAL_FOR_TOKEN = (
    select(api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at, *USER_COLS)
    .join(users, users.c.id == api_tokens.c.user_id)
    .where(api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None),
           users.c.active.is_(True), or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > bindparam("now")))
)


def principal_row_for_token(conn: Connection, token_hash: str, now: datetime) -> RowMapping | None:
    return conn.execute(_PRINCIPAL_FOR_TOKEN, {"token_hash": token_hash, "now": now}).mappings().first()


def touch_token(conn: Connection, token_id: int, at: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))


def list_tokens(conn: Connection, user_id: int | None = None) -> list[RowMapping]:
    q = select(api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.name, api_tokens.c.prefix,
               api_tokens.c.created_at, api_tokens.c.last_used_at, api_tokens.c.expires_at, api_tokens.c.revoked_at)
    if user_id is not None:
        q = q.where(api_tokens.c.user_id == user_id)
    return list(conn.execute(q.order_by(api_tokens.c.id)).mappings())


def revoke_token(conn: Connection, token_id: int, at: datetime) -> bool:
    res = conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                       .values(revoked_at=at))
    return res.rowcount == 1


def revoke_tokens_of(conn: Connection, user_id: int, at: datetime) -> int:
    """Revoke every live token of a user; how many."""
    res = conn.execute(update(api_tokens).where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
                       .values(revoked_at=at))
    return res.rowcount


def end_sessions_of(conn: Connection, user_id: int, keep: str | None = None) -> int:
    """Delete a user's browser sessions (but `keep`, a session id); how many."""
    q = delete(_web_sessions).where(_web_sessions.c.user_id == user_id)
    if keep is not None:
        q = q.where(_web_sessions.c.id != keep)
    return conn.execute(q).rowcount


def password_hash_of(conn: Connection, user_id: int) -> str | None:
    return conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar_one_or_none()
