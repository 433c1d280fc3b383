"""The incidents' read side: what the API, the pages and the live stream show. Each function reads from the app
(its own read transaction) or from an open connection (a page reading several domains in one), and returns
domain values."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection, RowMapping

from warroom.incidents import store as st
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.filters import IncidentFilter
from warroom.platform.reads import Source, reading


@dataclass(frozen=True)
class Found:
    items: list[IncidentState]
    total: int                           # every match, however many were returned


def search(src: Source, f: IncidentFilter, *, limit: int = 50, offset: int = 0) -> Found:
    with reading(src) as conn:
        items, total = st.search(conn, statuses=list(f.statuses) or None, open_only=f.open_only,
                                 priorities=list(f.priorities) or None, major=f.major, service_id=f.service_id,
                                 team_id=f.team_id, text=f.q or None, limit=limit, offset=offset, order=f.order)
    return Found(items, total)


def by_ref(src: Source, ref: int) -> IncidentState | None:
    with reading(src) as conn:
        return st.load_by_ref(conn, ref)


def many(src: Source, ids: list[int]) -> list[IncidentState]:
    with reading(src) as conn:
        return st.load_many(conn, ids)


def refs(src: Source, incident_ids: set[int]) -> dict[int, int]:
    """id -> INC number, for linking rows of other domains to war rooms."""
    return {s.id: s.ref for s in many(src, sorted(incident_ids))}


def children(src: Source, incident_id: int) -> list[IncidentState]:
    with reading(src) as conn:
        return st.children_of(conn, incident_id)


def duplicates(src: Source, incident_id: int) -> list[IncidentState]:
    with reading(src) as conn:
        return st.duplicates_of(conn, incident_id)


def open_for_service(src: Source, service_id: int) -> list[IncidentState]:
    """The open incidents touching a service."""
    with reading(src) as conn:
        return st.open_for_service(conn, service_id)


def open_counts_by_service(src: Source) -> dict[int, int]:
    """Open incidents per service id (services with none are left out)."""
    with reading(src) as conn:
        return st.open_counts_by_service(conn)


def events(src: Source, incident_id: int, *, after_seq: int = 0, limit: int | None = None) -> list[Event]:
    """The timeline after `after_seq` (the whole of it by default), oldest first."""
    with reading(src) as conn:
        return st.events_of(conn, incident_id, after_seq=after_seq, limit=limit)


def last_event_id(src: Source) -> int:
    with reading(src) as conn:
        return st.last_event_id(conn)


def events_since(src: Source, after_id: int, limit: int = 500) -> list[RowMapping]:
    with reading(src) as conn:
        return st.events_since(conn, after_id, limit)


def held_roles_refusal(conn: Connection, user_id: int) -> str | None:
    """Why the user may not be deactivated or made a viewer, or None: only people who may write hold an incident
    role, so the roles are handed over (or the incident closed) first. Registered in bootstrap.DEMOTION_CHECKS."""
    held = st.roles_held(conn, user_id)
    if not held:
        return None
    where = ", ".join(f"{role.replace('_', ' ')} of INC-{ref}" for ref, role in held)
    return f"holds a role in an open incident ({where}); hand it to someone else first"
