"""On-call schedules (pure): rotations in layers, time zones with DST, overrides.

A layer rotates its users: shift k starts at `start + k * length` in the schedule's local wall time,
so a daily 09:00 handoff stays at 09:00 across daylight-saving changes (that shift is 23 or 25 hours
long). A local time that does not exist (spring forward) lands after the gap; an ambiguous one
(fall back) means its first occurrence. A layer may be restricted to weekdays and a daily time window;
outside it the layer has nobody and a lower layer shows through. Higher layers (later in the list) win.
Overrides win over every layer; among overlapping overrides the last one added wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warroom.errors import Invalid

MAX_SPAN = timedelta(days=400)  # longest window `shifts` will expand


class ScheduleError(Invalid):
    """Bad schedule data; `field` names what is wrong (a 422 at the API)."""


class ShiftKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    HOURS = "hours"


@dataclass(frozen=True)
class Layer:
    name: str
    user_ids: tuple[int, ...]
    start: datetime  # naive local wall time: the first handoff (its time of day is the handoff time)
    shift: ShiftKind = ShiftKind.WEEKLY
    hours: int = 24  # shift length when shift == HOURS
    end: datetime | None = None  # naive local; the layer has nobody from then on
    days: tuple[int, ...] = ()  # restriction: weekdays 0=Mon..6=Sun; empty = every day
    from_time: time | None = None  # restriction: daily window in local time [from, to); to <= from wraps midnight
    to_time: time | None = None

    @property
    def length(self) -> timedelta:
        return {ShiftKind.DAILY: timedelta(days=1), ShiftKind.WEEKLY: timedelta(weeks=1)}.get(
            self.shift, timedelta(hours=self.hours))


@dataclass(frozen=True)
class Override:
    user_id: int
    start: datetime  # aware
    end: datetime  # aware
    id: int = 0


@dataclass(frozen=True)
class Schedule:
    name: str
    time_zone: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = field(default_factory=tuple)

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)


@dataclass(frozen=True)
class Shift:
    user_id: int
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    layer: str  # layer name, or "override"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("time_zone", f"unknown time zone {name!r}") from None


def local_to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive local wall time as an aware UTC instant (gap: after it; fold: first occurrence)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _to_local(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz).replace(tzinfo=None)


# -- one layer ------------------------------------------------------------------------------------

def _boundary(layer: Layer, k: int, tz: ZoneInfo) -> datetime:
    return local_to_utc(layer.start + k * layer.length, tz)


def shift_index(layer: Layer, at: datetime, tz: ZoneInfo) -> int:
    """k such that shift k covers `at` (k < 0 before the layer starts)."""
    k = (_to_local(at, tz) - layer.start) // layer.length
    while _boundary(layer, k + 1, tz) <= at:
        k += 1
    while _boundary(layer, k, tz) > at:
        k -= 1
    return k


def _restricted_out(layer: Layer, at: datetime, tz: ZoneInfo) -> bool:
    local = _to_local(at, tz)
    if layer.from_time is None or layer.to_time is None:
        return bool(layer.days) and local.weekday() not in layer.days
    t = local.time()
    if layer.from_time < layer.to_time:
        inside, day = layer.from_time <= t < layer.to_time, local.weekday()
    else:  # window wraps midnight: the part after midnight belongs to the previous day's window
        inside = t >= layer.from_time or t < layer.to_time
        day = local.weekday() if t >= layer.from_time else (local.weekday() - 1) % 7
    return not inside or (bool(layer.days) and day not in layer.days)


def layer_user_at(layer: Layer, at: datetime, tz: ZoneInfo) -> int | None:
    if not layer.user_ids:
        return None
    if at < local_to_utc(layer.start, tz) or (layer.end is not None and at >= local_to_utc(layer.end, tz)):
        return None
    if _restricted_out(layer, at, tz):
        return None
    return layer.user_ids[shift_index(layer, at, tz) % len(layer.user_ids)]


# -- a schedule -----------------------------------------------------------------------------------

def on_call_at(schedule: Schedule, at: datetime) -> tuple[int | None, str | None]:
    """(user id, layer name or "override") on call at `at`; (None, None) when nobody is."""
    for o in reversed(schedule.overrides):
        if o.start <= at < o.end:
            return o.user_id, "override"
    tz = schedule.tz
    for layer in reversed(schedule.layers):
        user = layer_user_at(layer, at, tz)
        if user is not None:
            return user, layer.name
    return None, None


def _edges(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in (start, end) at which the answer of on_call_at may change."""
    tz = schedule.tz
    out: set[datetime] = set()
    for layer in schedule.layers:
        k = shift_index(layer, start, tz)
        while (b := _boundary(layer, k, tz)) < end:
            out.add(b)
            k += 1
        for bound in (layer.start, layer.end):
            if bound is not None:
                out.add(local_to_utc(bound, tz))
        if layer.days or layer.from_time is not None:
            day = _to_local(start, tz).date() - timedelta(days=1)
            while local_to_utc(datetime.combine(day, time()), tz) < end:
                for t in (time(), layer.from_time, layer.to_time):
                    if t is not None:
                        out.add(local_to_utc(datetime.combine(day, t), tz))
                day += timedelta(days=1)
    for o in schedule.overrides:
        out.update((o.start, o.end))
    return sorted(e for e in out if start < e < end)


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final on-call timeline over [start, end): who, from when, to when, from which layer."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    if end - start > MAX_SPAN:
        raise ScheduleError("end", f"window longer than {MAX_SPAN.days} days")
    out: list[Shift] = []
    points = [start, *_edges(schedule, start, end)]
    for i, p in enumerate(points):
        user, layer = on_call_at(schedule, p)
        stop = points[i + 1] if i + 1 < len(points) else end
        if user is None or layer is None:  # both or neither
            continue
        if out and out[-1].user_id == user and out[-1].layer == layer and out[-1].end == p:
            out[-1] = Shift(user, out[-1].start, stop, layer)
        else:
            out.append(Shift(user, p, stop, layer))
    return out


# -- parsing from JSON-shaped data --------------------------------------------------------------

def _local_dt(value: object, field_name: str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        raise ScheduleError(field_name, f"not a local date-time like 2026-01-05T09:00: {value!r}") from None


def _time(value: object, field_name: str) -> time | None:
    if value in (None, ""):
        return None
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ScheduleError(field_name, f"not a time like 09:00: {value!r}") from None


def layer_from_json(data: dict[str, Any], i: int = 0) -> Layer:
    """Validate one layer given as JSON-shaped data (the API and the store use this shape)."""
    f = f"layers[{i}]"
    if not isinstance(data, dict):
        raise ScheduleError(f, "must be an object with user_ids, start and shift")
    try:
        kind = ShiftKind(data.get("shift", "weekly"))
    except ValueError:
        raise ScheduleError(f"{f}.shift", "must be daily, weekly or hours") from None
    try:
        hours = int(data["hours"]) if data.get("hours") is not None else 24
    except (TypeError, ValueError):
        raise ScheduleError(f"{f}.hours", "must be a number") from None
    if kind is ShiftKind.HOURS and not 1 <= hours <= 24 * 28:
        raise ScheduleError(f"{f}.hours", "must be between 1 and 672")
    try:
        users = tuple(int(u) for u in data.get("user_ids") or ())
    except (TypeError, ValueError):
        raise ScheduleError(f"{f}.user_ids", "must be a list of user ids") from None
    try:
        days = tuple(int(d) for d in data.get("days") or ())
    except (TypeError, ValueError):
        raise ScheduleError(f"{f}.days", "must be a list of weekdays 0-6") from None
    if any(not 0 <= d <= 6 for d in days):
        raise ScheduleError(f"{f}.days", "weekdays are 0 (Monday) to 6 (Sunday)")
    from_t, to_t = _time(data.get("from_time"), f"{f}.from_time"), _time(data.get("to_time"), f"{f}.to_time")
    if (from_t is None) != (to_t is None):
        raise ScheduleError(f"{f}.to_time", "give both from_time and to_time, or neither")
    start = _local_dt(data.get("start"), f"{f}.start")
    end = _local_dt(data["end"], f"{f}.end") if data.get("end") else None
    if end is not None and end <= start:
        raise ScheduleError(f"{f}.end", "must be after start")
    return Layer(name=str(data.get("name") or f"layer {i + 1}"), user_ids=users, start=start, shift=kind,
                 hours=hours, end=end, days=days, from_time=from_t, to_time=to_t)


YEARS = (1970, 2100)  # a layer's start and end; past these, date arithmetic overflows (year 9999 + a shift)


def check_years(layer: Layer, i: int = 0) -> None:
    """Refuse absurd dates in new input. Stored layers are not re-checked, so reading never starts failing."""
    for name, value in (("start", layer.start), ("end", layer.end)):
        if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
            raise ScheduleError(f"layers[{i}].{name}", f"must be between the years {YEARS[0]} and {YEARS[1]}")


def layer_to_json(layer: Layer) -> dict[str, Any]:
    return {"name": layer.name, "user_ids": list(layer.user_ids), "start": layer.start.isoformat(timespec="minutes"),
            "shift": layer.shift.value, "hours": layer.hours,
            "end": layer.end.isoformat(timespec="minutes") if layer.end else None, "days": list(layer.days),
            "from_time": layer.from_time.isoformat("minutes") if layer.from_time else None,
            "to_time": layer.to_time.isoformat("minutes") if layer.to_time else None}
