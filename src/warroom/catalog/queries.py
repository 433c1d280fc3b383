"""The catalog's read side: teams, services, and the display names pages show for ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import RowMapping

from warroom.auth import queries as people
from warroom.catalog import store
from warroom.platform.reads import Source, reading


@dataclass
class Names:
    """Display names for ids shown on pages, loaded once per request."""

    users: dict[int, Any] = field(default_factory=dict)
    teams: dict[int, Any] = field(default_factory=dict)
    services: dict[int, Any] = field(default_factory=dict)

    def user(self, uid: int | None) -> str:
        row = self.users.get(uid) if uid is not None else None
        return (row["display_name"] or row["username"]) if row else ("—" if uid is None else f"user {uid}")

    def team(self, tid: int | None) -> str:
        row = self.teams.get(tid) if tid is not None else None
        return row["name"] if row else ("—" if tid is None else f"team {tid}")

    def service(self, sid: int) -> str:
        row = self.services.get(sid)
        return row["name"] if row else f"service {sid}"


def names(src: Source, user_ids: set[int] | None = None) -> Names:
    """Names of teams, services and people; only the people in `user_ids` when given (lists stay cheap
    however many users there are)."""
    with reading(src) as conn:
        who = people.users(conn) if user_ids is None else people.users_by_ids(conn, user_ids)
        return Names(users={u["id"]: u for u in who}, teams={t["id"]: t for t in store.list_teams(conn)},
                     services={s["id"]: s for s in store.list_services(conn)})


def teams(src: Source) -> list[RowMapping]:
    with reading(src) as conn:
        return store.list_teams(conn)


def services(src: Source, team_id: int | None = None) -> list[RowMapping]:
    with reading(src) as conn:
        return store.list_services(conn, team_id)


def options(rows: list[RowMapping]) -> list[tuple[int, str]]:
    """(id, name) pairs for a form's select."""
    return [(r["id"], r["name"]) for r in rows]
