"""Teams, their members, services and service dependencies: tables and queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
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

from warroom.platform.db import UTCDateTime, metadata

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("role", String(20), nullable=False, default="member"),  # member | lead
)

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True),
    Column("tier", Integer, nullable=False, default=3),  # 1 = most critical .. 4
    Column("escalation_policy_id", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

service_dependencies = Table(
    "service_dependencies",
    metadata,
    Column("service_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("depends_on_id", Integer, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True),
    UniqueConstraint("service_id", "depends_on_id"),
)


def insert_team(conn: Connection, **values: Any) -> int:
    return conn.execute(teams.insert().values(**values).returning(teams.c.id)).scalar_one()


def get_team(conn: Connection, team_id: int) -> RowMapping | None:
    return conn.execute(select(teams).where(teams.c.id == team_id)).mappings().first()


def get_team_by_name(conn: Connection, name: str) -> RowMapping | None:
    return conn.execute(select(teams).where(teams.c.name == name)).mappings().first()


def list_teams(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(teams).order_by(teams.c.name)).mappings())


def update_team(conn: Connection, team_id: int, **values: Any) -> None:
    conn.execute(update(teams).where(teams.c.id == team_id).values(**values))


def team_members_of(conn: Connection, team_id: int) -> list[RowMapping]:
    from warroom.auth.store import users

    q = (select(users.c.id, users.c.username, users.c.display_name, users.c.email, team_members.c.role)
         .join(team_members, team_members.c.user_id == users.c.id)
         .where(team_members.c.team_id == team_id).order_by(users.c.username))
    return list(conn.execute(q).mappings())


def teams_of_user(conn: Connection, user_id: int) -> list[int]:
    return list(conn.execute(select(team_members.c.team_id).where(team_members.c.user_id == user_id)).scalars())


def set_member(conn: Connection, team_id: int, user_id: int, role: str) -> None:
    conn.execute(delete(team_members).where(team_members.c.team_id == team_id, team_members.c.user_id == user_id))
    conn.execute(team_members.insert().values(team_id=team_id, user_id=user_id, role=role))


def remove_member(conn: Connection, team_id: int, user_id: int) -> bool:
    res = conn.execute(delete(team_members).where(team_members.c.team_id == team_id,
                                                  team_members.c.user_id == user_id))
    return res.rowcount == 1


def insert_service(conn: Connection, **values: Any) -> int:
    return conn.execute(services.insert().values(**values).returning(services.c.id)).scalar_one()


def get_service(conn: Connection, service_id: int) -> RowMapping | None:
    return conn.execute(select(services).where(services.c.id == service_id)).mappings().first()


def get_service_by_name(conn: Connection, name: str) -> RowMapping | None:
    return conn.execute(select(services).where(services.c.name == name)).mappings().first()


def list_services(conn: Connection, team_id: int | None = None) -> list[RowMapping]:
    q = select(services).order_by(services.c.tier, services.c.name)
    if team_id is not None:
        q = q.where(services.c.team_id == team_id)
    return list(conn.execute(q).mappings())


def update_service(conn: Connection, service_id: int, **values: Any) -> None:
    conn.execute(update(services).where(services.c.id == service_id).values(**values))


_EXISTING = select(services.c.id).where(services.c.id.in_(bindparam("ids", expanding=True)))
_POLICIES = (select(services.c.escalation_policy_id)
             .where(services.c.id.in_(bindparam("ids", expanding=True)), services.c.escalation_policy_id.is_not(None))
             .distinct())


def existing_service_ids(conn: Connection, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(conn.execute(_EXISTING, {"ids": list(ids)}).scalars())


def policy_ids_of(conn: Connection, ids: list[int]) -> set[int]:
    """The escalation policies of these services (those that have one)."""
    if not ids:
        return set()
    return set(conn.execute(_POLICIES, {"ids": list(ids)}).scalars())


def dependencies_of(conn: Connection, service_id: int) -> list[int]:
    q = select(service_dependencies.c.depends_on_id).where(service_dependencies.c.service_id == service_id)
    return sorted(conn.execute(q).scalars())


def dependents_of(conn: Connection, service_id: int) -> list[int]:
    q = select(service_dependencies.c.service_id).where(service_dependencies.c.depends_on_id == service_id)
    return sorted(conn.execute(q).scalars())


def all_dependencies(conn: Connection) -> list[tuple[int, int]]:
    return [tuple(r) for r in conn.execute(select(service_dependencies.c.service_id,
                                                  service_dependencies.c.depends_on_id))]


def set_dependencies(conn: Connection, service_id: int, depends_on: list[int]) -> None:
    conn.execute(delete(service_dependencies).where(service_dependencies.c.service_id == service_id))
    if depends_on:
        conn.execute(service_dependencies.insert(),
                     [{"service_id": service_id, "depends_on_id": d} for d in sorted(set(depends_on))])
