"""The people and tokens' read side (no password hashes ever leave it)."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping

from warroom.auth import store
from warroom.platform.reads import Source, reading


def users(src: Source) -> list[RowMapping]:
    """Every user, by username."""
    with reading(src) as conn:
        return store.list_users(conn)


def users_by_ids(src: Source, ids: set[int]) -> list[RowMapping]:
    with reading(src) as conn:
        return store.users_by_ids(conn, sorted(i for i in ids if i))


def user(src: Source, user_id: int) -> RowMapping | None:
    with reading(src) as conn:
        return store.get_user(conn, user_id)
