"""On-call: schedules and their layers, overrides, who is on call, shifts, and the iCalendar feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel, Field

from warroom.web.api.schemas import Id, Strict

Name = Field(min_length=1, max_length=100)


class LayerIn(Strict):
    name: str = Field("", max_length=100)
    user_ids: list[Id] = Field(default_factory=list, max_length=100)
    start: str = Field(max_length=40, description="Local date-time of the first handoff, e.g. 2026-01-05T09:00")
    shift: str = Field("weekly", description="daily, weekly or hours")
    hours: int | None = Field(None, ge=1, le=672, description="Shift length when shift is 'hours'")
    end: str | None = Field(None, max_length=40)
    days: list[int] = Field(default_factory=list, max_length=7, description="Weekdays 0=Mon..6=Sun; [] = all")
    from_time: str | None = Field(None, max_length=8, description="Daily window start, local (e.g. 09:00)")
    to_time: str | None = Field(None, max_length=8)


class ScheduleIn(Strict):
    name: str = Name
    time_zone: str = Field("UTC", max_length=64)
    description: str = Field("", max_length=2000)
    layers: list[LayerIn] = Field(default_factory=list, max_length=20, description="Later layers win")


class OverrideIn(Strict):
    user_id: Id
    start_at: datetime
    end_at: datetime
    note: str = Field("", max_length=500)


class LayerOut(BaseModel):
    name: str
    user_ids: list[int]
    start: str = Field(description="Local date-time of the first handoff, e.g. 2026-01-05T09:00")
    shift: str = Field(description="daily, weekly or hours")
    hours: int | None
    end: str | None
    days: list[int] = Field(description="Weekdays 0=Mon..6=Sun; [] = all")
    from_time: str | None
    to_time: str | None


class ScheduleOut(BaseModel):
    id: int
    name: str
    description: str
    time_zone: str
    layers: list[LayerOut] = Field(description="Later layers win")
    created_at: datetime
    updated_at: datetime


class OverrideOut(BaseModel):
    id: int
    schedule_id: int
    user_id: int
    start_at: datetime
    end_at: datetime
    note: str
    created_by: str


class OverrideRow(OverrideOut):
    created_at: datetime


class OnCallNow(BaseModel):
    user_id: int | None = Field(description="null: nobody is on call")
    layer: str | None = Field(description="The layer's name, or 'override'")


class ScheduleDetail(ScheduleOut):
    overrides: list[OverrideRow] = Field(description="The overrides not yet over")
    on_call_now: OnCallNow


class OnCallOut(BaseModel):
    schedule_id: int
    schedule: str
    time_zone: str
    at: datetime
    user_id: int | None = Field(description="null: nobody is on call")
    layer: str | None = Field(description="The layer's name, or 'override'")
    until: datetime | None = Field(description="When this shift ends, if within the next 35 days")


class ShiftOut(BaseModel):
    schedule_id: int
    schedule: str
    user_id: int
    start: datetime
    end: datetime
    layer: str = Field(description="The layer's name, or 'override'")


class AuditRow(BaseModel):
    """An entry of the audit log: who did what to which thing."""

    id: int
    at: datetime
    actor: str
    subject: str
    subject_id: int
    action: str
    data: dict[str, Any]


class FeedUrl(BaseModel):
    url: str = Field(description="Opens this person's shift feed without a token; keep it secret")


class Calendar(Response):
    """An iCalendar (RFC 5545) document."""

    media_type = "text/calendar"
