"""On-call use cases: schedules, overrides, and who is on call (now, at a time, over a window).

Read functions return plain dicts so the API, the CLI and the web pages can render them as they like."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from warroom.auth.permissions import Principal
from warroom.auth.store import existing_user_ids
from warroom.bootstrap import App
from warroom.errors import Conflict, Invalid, NotFound
from warroom.oncall import schedule as sch
from warroom.oncall import store as st
from warroom.platform.clock import utc


def _parse(conn: Connection, name: str, time_zone: str, layers: list[dict[str, Any]]) -> list[sch.Layer]:
    if not name.strip():
        raise Invalid("name", "must not be empty")
    sch.zone(time_zone)
    parsed = [sch.layer_from_json(layer, i) for i, layer in enumerate(layers)]
    wanted = {u for layer in parsed for u in layer.user_ids}
    missing = wanted - existing_user_ids(conn, wanted)
    if missing:
        raise Invalid("layers", f"no such user: {', '.join(map(str, sorted(missing)))}")
    return parsed


def create_schedule(app: App, p: Principal, *, name: str, time_zone: str, layers: list[dict[str, Any]],
                    description: str = "") -> dict[str, Any]:
    now = app.clock.now()
    try:
        with app.db.transaction() as tx:
            parsed = _parse(tx.conn, name, time_zone, layers)
            sid = st.insert_schedule(tx.conn, name=name.strip(), description=description, time_zone=time_zone,
                                     layers=[sch.layer_to_json(x) for x in parsed], created_at=now, updated_at=now)
    except IntegrityError:
        raise Conflict(f"a schedule named {name!r} exists already") from None
    return get_schedule(app, sid)


def update_schedule(app: App, p: Principal, schedule_id: int, *, name: str, time_zone: str,
                    layers: list[dict[str, Any]], description: str = "") -> dict[str, Any]:
    try:
        with app.db.transaction() as tx:
            if st.get_schedule(tx.conn, schedule_id) is None:
                raise NotFound(f"schedule {schedule_id} not found")
            parsed = _parse(tx.conn, name, time_zone, layers)
            st.update_schedule(tx.conn, schedule_id, name=name.strip(), description=description,
                               time_zone=time_zone, layers=[sch.layer_to_json(x) for x in parsed],
                               updated_at=app.clock.now())
    except IntegrityError:
        raise Conflict(f"a schedule named {name!r} exists already") from None
    return get_schedule(app, schedule_id)


def delete_schedule(app: App, p: Principal, schedule_id: int) -> None:
    with app.db.transaction() as tx:
        if not st.delete_schedule(tx.conn, schedule_id):
            raise NotFound(f"schedule {schedule_id} not found")


def add_override(app: App, p: Principal, schedule_id: int, *, user_id: int, start_at: datetime, end_at: datetime,
                 note: str = "") -> dict[str, Any]:
    """Someone takes the schedule from start_at to end_at ("I take Saturday for Ana")."""
    start_at, end_at = utc(start_at), utc(end_at)
    if end_at <= start_at:
        raise Invalid("end_at", "must be after start_at")
    if end_at - start_at > timedelta(days=90):
        raise Invalid("end_at", "an override lasts at most 90 days")
    with app.db.transaction() as tx:
        if st.get_schedule(tx.conn, schedule_id) is None:
            raise NotFound(f"schedule {schedule_id} not found")
        if not existing_user_ids(tx.conn, {user_id}):
            raise Invalid("user_id", f"no such user: {user_id}")
        oid = st.insert_override(tx.conn, schedule_id=schedule_id, user_id=user_id, start_at=start_at,
                                 end_at=end_at, note=note, created_by=p.actor, created_at=app.clock.now())
    return {"id": oid, "schedule_id": schedule_id, "user_id": user_id, "start_at": start_at, "end_at": end_at,
            "note": note, "created_by": p.actor}


def remove_override(app: App, p: Principal, schedule_id: int, override_id: int) -> None:
    with app.db.transaction() as tx:
        if not st.delete_override(tx.conn, schedule_id, override_id):
            raise NotFound(f"override {override_id} of schedule {schedule_id} not found")


# -- reads ----------------------------------------------------------------------------------------

def _model(conn: Connection, row: RowMapping, since: datetime | None = None) -> sch.Schedule:
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
    return sch.on_call_at(_model(conn, row, at), at)[0]


def get_schedule(app: App, schedule_id: int) -> dict[str, Any]:
    with app.db.read() as conn:
        row = _row_or_404(conn, schedule_id)
        ovs = st.overrides_of(conn, schedule_id, ending_after=app.clock.now())
        now = app.clock.now()
        user, layer = sch.on_call_at(_model(conn, row), now)
    return {**dict(row), "overrides": [dict(o) for o in ovs], "on_call_now": {"user_id": user, "layer": layer}}


def list_schedules(app: App) -> list[dict[str, Any]]:
    with app.db.read() as conn:
        return [dict(r) for r in st.list_schedules(conn)]


def who_is_on_call(app: App, at: datetime | None = None, schedule_id: int | None = None) -> list[dict[str, Any]]:
    """Per schedule (or one): who is on call at `at` (default now), from which layer, until when."""
    at = utc(at) if at else app.clock.now()
    out = []
    with app.db.read() as conn:
        rows = [_row_or_404(conn, schedule_id)] if schedule_id is not None else st.list_schedules(conn)
        for row in rows:
            model = _model(conn, row, at)
            user, layer = sch.on_call_at(model, at)
            upcoming = sch.shifts(model, at, at + timedelta(days=35))
            until = upcoming[0].end if upcoming and upcoming[0].start == at else None
            out.append({"schedule_id": row["id"], "schedule": row["name"], "time_zone": row["time_zone"],
                        "at": at, "user_id": user, "layer": layer, "until": until})
    return out


def schedule_shifts(app: App, schedule_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    with app.db.read() as conn:
        row = _row_or_404(conn, schedule_id)
        model = _model(conn, row)
    found = sch.shifts(model, utc(start), utc(end))
    return [{"schedule_id": schedule_id, "schedule": row["name"], "user_id": s.user_id, "start": s.start,
             "end": s.end, "layer": s.layer} for s in found]


def user_shifts(app: App, user_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every shift of one person across all schedules, ordered by start."""
    with app.db.read() as conn:
        if not existing_user_ids(conn, {user_id}):
            raise NotFound(f"user {user_id} not found")
        models = [(r["id"], r["name"], _model(conn, r)) for r in st.list_schedules(conn)]
    out = []
    for sid, name, model in models:
        found = sch.shifts(model, utc(start), utc(end))
        out += [{"schedule_id": sid, "schedule": name, "user_id": s.user_id, "start": s.start, "end": s.end,
                 "layer": s.layer} for s in found if s.user_id == user_id]
    return sorted(out, key=lambda s: s["start"])
