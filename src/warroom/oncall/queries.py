"""On-call's read side: schedules, who is on call (now, at a time, over a window), shifts and the overrides'
history. Plain dicts, so the API, the CLI and the pages render them as they like. Functions that need the time
take the app; the others read from the app or an open connection."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from warroom.auth.store import existing_user_ids
from warroom.errors import NotFound
from warroom.oncall import schedule as sch
from warroom.oncall import store as st
from warroom.platform import audit
from warroom.platform.app import App
from warroom.platform.clock import utc
from warroom.platform.reads import Source, reading


def schedules(src: Source) -> list[RowMapping]:
    """Every schedule, by name, as stored."""
    with reading(src) as conn:
        return st.list_schedules(conn)


def override_history(src: Source, schedule_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """The schedule's audit entries (override changes), newest first."""
    with reading(src) as conn:
        _row_or_404(conn, schedule_id)
        return [dict(r) for r in audit.history(conn, "schedule", schedule_id, limit)]


def model_of(conn: Connection, row: RowMapping, since: datetime | None = None) -> sch.Schedule:
    """The stored schedule as the pure model (overrides ending after `since` only, when given)."""
    ovs = st.overrides_of(conn, row["id"], ending_after=since)
    return sch.Schedule(
        name=row["name"], time_zone=row["time_zone"],
        layers=tuple(sch.layer_from_json(x, i) for i, x in enumerate(row["layers"])),
        overrides=tuple(sch.Override(o["user_id"], o["start_at"], o["end_at"], o["id"]) for o in ovs))


def _row_or_404(conn: Connection, schedule_id: int) -> RowMapping:
    row = st.get_schedule(conn, schedule_id)
    if row is None:
        raise NotFound(f"schedule {schedule_id} not found")
    return row


def on_call_user_in(conn: Connection, schedule_id: int, at: datetime) -> int | None:
    """Who is on call in the schedule at `at` (None: nobody, or no such schedule). For other domains."""
    row = st.get_schedule(conn, schedule_id)
    if row is None:
        return None
    return sch.on_call_at(model_of(conn, row, at), at)[0]


def get_schedule(app: App, schedule_id: int) -> dict[str, Any]:
    with app.db.read() as conn:
        row = _row_or_404(conn, schedule_id)
        ovs = st.overrides_of(conn, schedule_id, ending_after=app.clock.now())
        now = app.clock.now()
        user, layer = sch.on_call_at(model_of(conn, row), now)
    return {**dict(row), "overrides": [dict(o) for o in ovs], "on_call_now": {"user_id": user, "layer": layer}}


def list_schedules(src: Source) -> list[dict[str, Any]]:
    """Every schedule, by name."""
    with reading(src) as conn:
        return [dict(r) for r in st.list_schedules(conn)]


def who_is_on_call(app: App, at: datetime | None = None, schedule_id: int | None = None) -> list[dict[str, Any]]:
    """Per schedule (or one): who is on call at `at` (default now), from which layer, until when."""
    at = utc(at) if at else app.clock.now()
    out = []
    with app.db.read() as conn:
        rows = [_row_or_404(conn, schedule_id)] if schedule_id is not None else st.list_schedules(conn)
        for row in rows:
            model = model_of(conn, row, at)
            user, layer = sch.on_call_at(model, at)
            upcoming = sch.shifts(model, at, at + timedelta(days=35))
            until = upcoming[0].end if upcoming and upcoming[0].start == at else None
            out.append({"schedule_id": row["id"], "schedule": row["name"], "time_zone": row["time_zone"],
                        "at": at, "user_id": user, "layer": layer, "until": until})
    return out


def schedule_shifts(src: Source, schedule_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    with reading(src) as conn:
        row = _row_or_404(conn, schedule_id)
        model = model_of(conn, row)
    found = sch.shifts(model, utc(start), utc(end))
    return [{"schedule_id": schedule_id, "schedule": row["name"], "user_id": s.user_id, "start": s.start,
             "end": s.end, "layer": s.layer} for s in found]


def user_shifts(src: Source, user_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every shift of one person across all schedules, ordered by start."""
    with reading(src) as conn:
        if not existing_user_ids(conn, {user_id}):
            raise NotFound(f"user {user_id} not found")
        models = [(r["id"], r["name"], model_of(conn, r)) for r in st.list_schedules(conn)]
    out = []
    for sid, name, model in models:
        found = sch.shifts(model, utc(start), utc(end))
        out += [{"schedule_id": sid, "schedule": name, "user_id": s.user_id, "start": s.start, "end": s.end,
                 "layer": s.layer} for s in found if s.user_id == user_id]
    return sorted(out, key=lambda s: s["start"])
