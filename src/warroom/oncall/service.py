"""On-call use cases: schedules, overrides, and who is on call (now, at a time, over a window).

Read functions return plain dicts so the API, the CLI and the web pages can render them as they like."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from warroom.auth.permissions import Principal, UserRole
from warroom.auth.store import existing_user_ids, get_user
from warroom.errors import Conflict, Forbidden, Invalid, NotFound
from warroom.oncall import queries
from warroom.oncall import schedule as sch
from warroom.oncall import store as st
from warroom.platform import audit
from warroom.platform.app import App
from warroom.platform.clock import utc


def _parse(conn: Connection, name: str, time_zone: str, layers: list[dict[str, Any]],
           now: datetime) -> list[sch.Layer]:
    """Validate a schedule completely before anything is written: what is stored must be readable by every
    page, the pager and the intake afterwards (a layer near year 9999 once made them all fail)."""
    if not name.strip():
        raise Invalid("name", "must not be empty")
    sch.zone(time_zone)
    parsed = [sch.layer_from_json(layer, i) for i, layer in enumerate(layers)]
    for i, layer in enumerate(parsed):
        sch.check_years(layer, i)
    wanted = {u for layer in parsed for u in layer.user_ids}
    missing = wanted - existing_user_ids(conn, wanted)
    if missing:
        raise Invalid("layers", f"no such user: {', '.join(map(str, sorted(missing)))}")
    model = sch.Schedule(name=name, time_zone=time_zone, layers=tuple(parsed))
    try:  # the reads the pages and the pager make, tried now
        sch.on_call_at(model, now)
        sch.shifts(model, now, now + timedelta(days=35))
    except Invalid:
        raise
    except (OverflowError, ValueError):  # datetime's range ends at year 9999
        raise Invalid("layers", "these dates cannot be computed; use plausible dates") from None
    return parsed


def create_schedule(app: App, p: Principal, *, name: str, time_zone: str, layers: list[dict[str, Any]],
                    description: str = "") -> dict[str, Any]:
    now = app.clock.now()
    try:
        with app.db.transaction() as tx:
            parsed = _parse(tx.conn, name, time_zone, layers, now)
            sid = st.insert_schedule(tx.conn, name=name.strip(), description=description, time_zone=time_zone,
                                     layers=[sch.layer_to_json(x) for x in parsed], created_at=now, updated_at=now)
    except IntegrityError:
        raise Conflict(f"a schedule named {name!r} exists already") from None
    return queries.get_schedule(app, sid)


def update_schedule(app: App, p: Principal, schedule_id: int, *, name: str, time_zone: str,
                    layers: list[dict[str, Any]], description: str = "") -> dict[str, Any]:
    try:
        with app.db.transaction() as tx:
            if st.get_schedule(tx.conn, schedule_id) is None:
                raise NotFound(f"schedule {schedule_id} not found")
            parsed = _parse(tx.conn, name, time_zone, layers, app.clock.now())
            st.update_schedule(tx.conn, schedule_id, name=name.strip(), description=description,
                               time_zone=time_zone, layers=[sch.layer_to_json(x) for x in parsed],
                               updated_at=app.clock.now())
    except IntegrityError:
        raise Conflict(f"a schedule named {name!r} exists already") from None
    return queries.get_schedule(app, schedule_id)


def delete_schedule(app: App, p: Principal, schedule_id: int) -> None:
    with app.db.transaction() as tx:
        if not st.delete_schedule(tx.conn, schedule_id):
            raise NotFound(f"schedule {schedule_id} not found")


# Who may change overrides (docs/security.md): an admin, anything; a responder, an override that puts
# themselves on call, or one that hands a stretch they hold in the schedule to another eligible person (a swap);
# and delete only the overrides they created. Schedules belong to no team, so there is no "team lead" here.
OVERRIDE_AHEAD = timedelta(days=366)  # an override starts at most this far in the future


def _eligible(conn: Connection, user_id: int) -> None:
    """Only an active person who can respond (responder or admin) may be put on call."""
    row = get_user(conn, user_id)
    if row is None:
        raise Invalid("user_id", f"no such user: {user_id}")
    if not row["active"]:
        raise Invalid("user_id", f"user {user_id} is deactivated")
    if UserRole(row["role"]) is UserRole.VIEWER:
        raise Invalid("user_id", f"user {user_id} is a viewer and cannot respond")


def _holds(conn: Connection, row: RowMapping, user_id: int, start: datetime, end: datetime,
           not_by: str | None = None) -> bool:
    """Whether `user_id` is on call in the schedule for the whole of [start, end) today, leaving out the
    overrides `not_by` created (what a responder took for themselves is not theirs to hand to someone else:
    two requests would otherwise put anyone on call anywhere)."""
    model = queries.model_of(conn, row, start)
    if not_by is not None:
        mine = {o["id"] for o in st.overrides_of(conn, row["id"], ending_after=start) if o["created_by"] == not_by}
        model = replace(model, overrides=tuple(o for o in model.overrides if o.id not in mine))
    found = sch.shifts(model, start, end)
    at = start
    for s in found:
        if s.start != at or s.user_id != user_id:
            return False
        at = s.end
    return at == end


def _may_place(conn: Connection, p: Principal, row: RowMapping, user_id: int, start: datetime,
               end: datetime) -> None:
    if p.can(UserRole.ADMIN) or user_id == p.user_id:
        return
    if p.can(UserRole.RESPONDER) and _holds(conn, row, p.user_id, start, end, not_by=p.actor):
        return  # a swap: they hand a stretch of their own shift to someone else
    raise Forbidden("a responder may only put themselves on call or hand over a stretch they are on call for; "
                    "anything else is for an admin")


def _audit(conn: Connection, at: datetime, p: Principal, schedule_id: int, action: str,
           o: dict[str, Any]) -> None:
    audit.record(conn, at=at, actor=p.actor, subject="schedule", subject_id=schedule_id, action=action,
                 data={"override_id": o["id"], "user_id": o["user_id"], "start_at": o["start_at"].isoformat(),
                       "end_at": o["end_at"].isoformat(), "note": o["note"], "created_by": o["created_by"]})


def add_override(app: App, p: Principal, schedule_id: int, *, user_id: int, start_at: datetime, end_at: datetime,
                 note: str = "") -> dict[str, Any]:
    """Someone takes the schedule from start_at to end_at ("I take Saturday for Ana")."""
    start_at, end_at = utc(start_at), utc(end_at)
    now = app.clock.now()
    longest = timedelta(days=app.settings.max_override_days)
    if end_at <= start_at:
        raise Invalid("end_at", "must be after start_at")
    if end_at - start_at > longest:
        raise Invalid("end_at", f"an override lasts at most {longest.days} days")
    if end_at <= now:
        raise Invalid("end_at", "is in the past")
    if start_at > now + OVERRIDE_AHEAD:
        raise Invalid("start_at", f"is more than {OVERRIDE_AHEAD.days} days ahead")
    with app.db.transaction() as tx:
        row = st.get_schedule(tx.conn, schedule_id)
        if row is None:
            raise NotFound(f"schedule {schedule_id} not found")
        _eligible(tx.conn, user_id)
        _may_place(tx.conn, p, row, user_id, start_at, end_at)
        out = {"schedule_id": schedule_id, "user_id": user_id, "start_at": start_at, "end_at": end_at,
               "note": note, "created_by": p.actor}
        out["id"] = st.insert_override(tx.conn, schedule_id=schedule_id, user_id=user_id, start_at=start_at,
                                       end_at=end_at, note=note, created_by=p.actor, created_at=now)
        _audit(tx.conn, now, p, schedule_id, "override added", out)
    return {"id": out.pop("id"), **out}


def remove_override(app: App, p: Principal, schedule_id: int, override_id: int) -> None:
    """An admin removes any override; anyone else only the ones they created."""
    with app.db.transaction() as tx:
        o = st.get_override(tx.conn, schedule_id, override_id)
        if o is None:
            raise NotFound(f"override {override_id} of schedule {schedule_id} not found")
        if not p.can(UserRole.ADMIN) and o["created_by"] != p.actor:
            raise Forbidden("only an admin may remove an override someone else created")
        st.delete_override(tx.conn, schedule_id, override_id)
        _audit(tx.conn, app.clock.now(), p, schedule_id, "override removed", dict(o))
