"""The catalog's read side: teams, services, and the display names pages show for ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from warroom.auth import queries as people
from warroom.catalog import store
from warroom.errors import NotFound
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


def _with_members(conn: Connection, row: RowMapping) -> dict[str, Any]:
    return {**row, "members": [dict(m) for m in store.team_members_of(conn, row["id"])]}


def teams_with_members(src: Source) -> list[dict[str, Any]]:
    """Every team, by name, each with its members."""
    with reading(src) as conn:
        return [_with_members(conn, t) for t in store.list_teams(conn)]


def team(src: Source, team_id: int) -> dict[str, Any]:
    """One team with its members; NotFound when there is none."""
    with reading(src) as conn:
        row = store.get_team(conn, team_id)
        if row is None:
            raise NotFound(f"team {team_id} not found")
        return _with_members(conn, row)


def services_with_dependencies(src: Source, team_id: int | None = None) -> list[dict[str, Any]]:
    """Services (only `team_id`'s when given), each with the sorted ids it depends on."""
    with reading(src) as conn:
        deps = dependency_map(conn)
        return [{**s, "depends_on": sorted(deps.get(s["id"], []))} for s in store.list_services(conn, team_id)]


def profile(src: Source, user_id: int) -> dict[str, Any]:
    """A user as they see themselves: their row and the ids of their teams ({} once they are gone)."""
    with reading(src) as conn:
        row = people.user(conn, user_id)
        return {**row, "team_ids": store.teams_of_user(conn, user_id)} if row else {}


def service(src: Source, service_id: int) -> RowMapping | None:
    with reading(src) as conn:
        return store.get_service(conn, service_id)


def dependency_map(src: Source) -> dict[int, list[int]]:
    """service id -> the ids it depends on."""
    with reading(src) as conn:
        deps: dict[int, list[int]] = {}
        for a, b in store.all_dependencies(conn):
            deps.setdefault(a, []).append(b)
        return deps


def dependencies_of(src: Source, service_id: int) -> list[int]:
    with reading(src) as conn:
        return store.dependencies_of(conn, service_id)


def dependents_of(src: Source, service_id: int) -> list[int]:
    with reading(src) as conn:
        return store.dependents_of(conn, service_id)


def members(src: Source, team_id: int) -> list[RowMapping]:
    """A team's members (user columns and their role in the team)."""
    with reading(src) as conn:
        return store.team_members_of(conn, team_id)


def teams_of_user(src: Source, user_id: int) -> list[int]:
    with reading(src) as conn:
        return store.teams_of_user(conn, user_id)


def teams_with_members_and_services(src: Source) -> list[dict[str, Any]]:
    """Every team, by name, with its members and its services."""
    with reading(src) as conn:
        return [{**t, "members": store.team_members_of(conn, t["id"]), "services": store.list_services(conn, t["id"])}
                for t in store.list_teams(conn)]
