"""Teams, membership and the service catalog."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from warroom.auth.store import existing_user_ids
from warroom.catalog import store
from warroom.errors import Conflict, Invalid, NotFound, refuse_nulls
from warroom.platform.app import App

TIERS = (1, 2, 3, 4)


def create_team(app: App, name: str, description: str = "") -> RowMapping:
    name = name.strip()
    if not name:
        raise Invalid("name", "must not be empty")
    try:
        with app.db.transaction() as tx:
            tid = store.insert_team(tx.conn, name=name, description=description, created_at=app.clock.now())
            team = store.get_team(tx.conn, tid)
            assert team is not None  # written in this transaction
            return team
    except IntegrityError:
        raise Conflict(f"a team named {name!r} exists") from None


def add_member(app: App, team_id: int, user_id: int, role: str = "member") -> None:
    if role not in ("member", "lead"):
        raise Invalid("role", "must be member or lead")
    with app.db.transaction() as tx:
        if store.get_team(tx.conn, team_id) is None:
            raise NotFound(f"team {team_id} not found")
        if not existing_user_ids(tx.conn, {user_id}):
            raise Invalid("user_id", f"no such user: {user_id}")
        store.set_member(tx.conn, team_id, user_id, role)


def remove_member(app: App, team_id: int, user_id: int) -> None:
    with app.db.transaction() as tx:
        if not store.remove_member(tx.conn, team_id, user_id):
            raise NotFound(f"user {user_id} is not in team {team_id}")


def _check_refs(conn: Any, team_id: int | None, depends_on: list[int], self_id: int | None = None) -> None:
    if team_id is not None and store.get_team(conn, team_id) is None:
        raise Invalid("team_id", f"no such team: {team_id}")
    if self_id is not None and self_id in depends_on:
        raise Invalid("depends_on", "a service cannot depend on itself")
    missing = set(depends_on) - store.existing_service_ids(conn, set(depends_on))
    if missing:
        raise Invalid("depends_on", f"no such service: {', '.join(map(str, sorted(missing)))}")
    if self_id is not None and depends_on:
        edges = [e for e in store.all_dependencies(conn) if e[0] != self_id] + [(self_id, d) for d in depends_on]
        if _has_cycle(edges, self_id):
            raise Invalid("depends_on", "that would make a dependency cycle")


def _has_cycle(edges: list[tuple[int, int]], start: int) -> bool:
    graph: dict[int, list[int]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    stack, seen = list(graph.get(start, [])), set()
    while stack:
        n = stack.pop()
        if n == start:
            return True
        if n not in seen:
            seen.add(n)
            stack.extend(graph.get(n, []))
    return False


def create_service(app: App, *, name: str, description: str = "", team_id: int | None = None, tier: int = 3,
                   depends_on: list[int] | None = None, escalation_policy_id: int | None = None) -> RowMapping:
    name = name.strip()
    if not name:
        raise Invalid("name", "must not be empty")
    if tier not in TIERS:
        raise Invalid("tier", "must be 1 (most critical) to 4")
    depends_on = depends_on or []
    try:
        with app.db.transaction() as tx:
            _check_refs(tx.conn, team_id, depends_on)
            sid = store.insert_service(tx.conn, name=name, description=description, team_id=team_id, tier=tier,
                                       escalation_policy_id=escalation_policy_id, created_at=app.clock.now())
            store.set_dependencies(tx.conn, sid, depends_on)
            svc = store.get_service(tx.conn, sid)
            assert svc is not None  # written in this transaction
            return svc
    except IntegrityError:
        raise Conflict(f"a service named {name!r} exists") from None


CLEARABLE_SERVICE_FIELDS = ("team_id", "escalation_policy_id")


def update_service(app: App, service_id: int, *, depends_on: list[int] | None = None, **changes: Any) -> RowMapping:
    """Change the given fields. None clears an owner team or escalation policy; for any other field it is
    refused (leave the field out to keep it)."""
    refuse_nulls(changes, CLEARABLE_SERVICE_FIELDS)
    values = dict(changes)
    if "tier" in values and values["tier"] not in TIERS:
        raise Invalid("tier", "must be 1 (most critical) to 4")
    if "name" in values and not str(values["name"]).strip():
        raise Invalid("name", "must not be empty")
    try:
        with app.db.transaction() as tx:
            if store.get_service(tx.conn, service_id) is None:
                raise NotFound(f"service {service_id} not found")
            _check_refs(tx.conn, values.get("team_id"), depends_on or [], service_id)
            if values:
                store.update_service(tx.conn, service_id, **values)
            if depends_on is not None:
                store.set_dependencies(tx.conn, service_id, depends_on)
            svc = store.get_service(tx.conn, service_id)
            assert svc is not None  # written in this transaction
            return svc
    except IntegrityError:
        raise Conflict(f"a service named {values.get('name')!r} exists") from None


def service_view(app: App, service_id: int) -> dict[str, Any]:
    with app.db.read() as conn:
        row = store.get_service(conn, service_id)
        if row is None:
            raise NotFound(f"service {service_id} not found")
        return {**row, "depends_on": store.dependencies_of(conn, service_id),
                "dependents": store.dependents_of(conn, service_id)}

