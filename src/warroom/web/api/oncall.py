"""REST: on-call schedules, overrides, who is on call, shifts and iCalendar feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Response

from warroom.auth import queries as auth_queries
from warroom.auth.permissions import Principal
from warroom.errors import Invalid
from warroom.oncall import feeds, ical
from warroom.oncall import queries as oncall_queries
from warroom.oncall import service as oncall
from warroom.platform.app import App
from warroom.platform.clock import utc
from warroom.web.api.schemas import ERRORS, PathId, QueryId
from warroom.web.api.schemas.oncall import (
    AuditRow,
    Calendar,
    FeedUrl,
    OnCallOut,
    OverrideIn,
    OverrideOut,
    ScheduleDetail,
    ScheduleIn,
    ScheduleOut,
    ShiftOut,
)
from warroom.web.deps import Admin, Responder, Viewer, get_app, public

router = APIRouter(prefix="/api/v1", tags=["on-call"], responses=ERRORS)


def _fields(body: ScheduleIn) -> dict[str, Any]:
    return {"name": body.name, "time_zone": body.time_zone, "description": body.description,
            "layers": [x.model_dump(exclude_none=True) for x in body.layers]}


def _window(start: datetime | None, end: datetime | None, app: App, days: int = 14) -> tuple[datetime, datetime]:
    s = utc(start) if start else app.clock.now()
    e = utc(end) if end else s + timedelta(days=days)
    if e <= s:
        raise Invalid("end", "must be after start")
    return s, e


@router.get("/oncall", response_model=list[OnCallOut], summary="Who is on call now (or at a time), per schedule")
def on_call(app: App = Depends(get_app), p: Principal = Viewer, at: datetime | None = None,
            schedule_id: QueryId = None) -> Any:
    return oncall_queries.who_is_on_call(app, at, schedule_id)


@router.get("/schedules", response_model=list[ScheduleOut])
def list_schedules(app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return oncall_queries.list_schedules(app)


@router.post("/schedules", status_code=201, response_model=ScheduleDetail)
def create_schedule(body: ScheduleIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return oncall.create_schedule(app, p, **_fields(body))


@router.get("/schedules/{schedule_id}", response_model=ScheduleDetail)
def get_schedule(schedule_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return oncall_queries.get_schedule(app, schedule_id)


@router.put("/schedules/{schedule_id}", response_model=ScheduleDetail)
def update_schedule(schedule_id: PathId, body: ScheduleIn, app: App = Depends(get_app), p: Principal = Admin) -> Any:
    return oncall.update_schedule(app, p, schedule_id, **_fields(body))


@router.delete("/schedules/{schedule_id}", status_code=204)
def delete_schedule(schedule_id: PathId, app: App = Depends(get_app), p: Principal = Admin) -> Response:
    oncall.delete_schedule(app, p, schedule_id)
    return Response(status_code=204)


@router.post("/schedules/{schedule_id}/overrides", status_code=201, response_model=OverrideOut,
             summary="Someone takes the schedule for a while",
             description="The person must be an active responder or admin. A responder may put themselves on call, "
             "or hand a stretch they are on call for to someone else; anything else needs an admin.")
def add_override(schedule_id: PathId, body: OverrideIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return oncall.add_override(app, p, schedule_id, **body.model_dump())


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", status_code=204)
def remove_override(schedule_id: PathId, override_id: PathId, app: App = Depends(get_app),
                    p: Principal = Responder) -> Response:
    oncall.remove_override(app, p, schedule_id, override_id)
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/history", response_model=list[AuditRow],
            summary="Who added or removed which override, newest first")
def schedule_history(schedule_id: PathId, app: App = Depends(get_app), p: Principal = Viewer,
                     limit: int = Query(100, ge=1, le=1000)) -> Any:
    return oncall_queries.override_history(app, schedule_id, limit)


@router.get("/schedules/{schedule_id}/shifts", response_model=list[ShiftOut],
            summary="The final on-call timeline over a window")
def schedule_shifts(schedule_id: PathId, app: App = Depends(get_app), p: Principal = Viewer,
                    start: datetime | None = None, end: datetime | None = None) -> Any:
    return oncall_queries.schedule_shifts(app, schedule_id, *_window(start, end, app))


def _ics(app: App, name: str, shifts: list[dict[str, Any]]) -> Response:
    names = {u["id"]: u["display_name"] for u in auth_queries.users(app)}
    return Response(ical.render(name, shifts, names=names, stamp=app.clock.now()), media_type="text/calendar")


@router.get("/schedules/{schedule_id}/calendar.ics", response_class=Calendar,
            summary="iCalendar feed of a schedule's shifts")
def schedule_calendar(schedule_id: PathId, app: App = Depends(get_app), p: Principal = Viewer,
                      days: int = Query(60, ge=1, le=366)) -> Response:
    start, end = _window(None, None, app, days)
    shifts = oncall_queries.schedule_shifts(app, schedule_id, start - timedelta(days=7), end)
    return _ics(app, f"on call: {shifts[0]['schedule'] if shifts else schedule_id}", shifts)


@router.get("/users/{user_id}/calendar.ics", response_class=Calendar,
            summary="iCalendar feed of one person's shifts in every schedule")
def user_calendar(user_id: PathId, app: App = Depends(get_app), p: Principal = Viewer,
                  days: int = Query(60, ge=1, le=366)) -> Response:
    return _user_ics(app, user_id, days)


def _user_ics(app: App, user_id: int, days: int) -> Response:
    start, end = _window(None, None, app, days)
    shifts = oncall_queries.user_shifts(app, user_id, start - timedelta(days=7), end)
    return _ics(app, f"on-call shifts of user {user_id}", shifts)


@router.get("/users/{user_id}/calendar-feed", response_model=FeedUrl,
            summary="The secret URL of a person's shift feed, for calendar apps")
def user_feed_url(user_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return {"url": feeds.feed_url(app, p, user_id)}


@router.get("/feeds/users/{user_id}.ics", response_class=Calendar,
            summary="A person's shift feed, opened by its key (for calendar apps)",
            dependencies=[Depends(public("calendar apps cannot send headers; a per-user HMAC key opens the feed"))])
def user_feed(user_id: PathId, key: str = Query("", max_length=100), app: App = Depends(get_app),
              days: int = Query(60, ge=1, le=366)) -> Response:
    feeds.check_feed_key(app, user_id, key)  # calendar apps cannot send headers: the per-user key opens it
    return _user_ics(app, user_id, days)
