"""The people and tokens' read side (no password hashes ever leave it)."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping

from warroom.auth import store
from warroom.errors import NotFound
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


def user_id_by_name(src: Source, username: str) -> int:
    """The id of the user named `username` (any case); NotFound naming it when there is none."""
    with reading(src) as conn:
        row = store.get_user_by_name(conn, username.strip().lower())
    if row is None:
        raise NotFound(f"no user named {username!r}")
    return row["id"]


def tokens(src: Source, user_id: int | None = None) -> list[RowMapping]:
    """API tokens (never their hashes), oldest first; only `user_id`'s when given. Who may see which is the
    service's rule (auth.service.tokens_visible_to)."""
    with reading(src) as conn:
        return store.list_tokens(conn, user_id)
