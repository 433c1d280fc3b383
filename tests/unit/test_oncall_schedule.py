"""On-call schedules (pure): rotations, DST handoffs in Europe/Berlin, layers, restrictions, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from warroom.oncall.schedule import (
    Layer,
    Override,
    Schedule,
    ScheduleError,
    ShiftKind,
    layer_from_json,
    layer_to_json,
    on_call_at,
    shifts,
)

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def z(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily(users=(1, 2, 3), start=datetime(2026, 3, 27, 9, 0), **kw) -> Layer:
    return Layer("primary", tuple(users), start, ShiftKind.DAILY, **kw)


def test_daily_rotation_hands_off_at_local_nine_across_spring_forward():
    s = Schedule("ops", "Europe/Berlin", (daily(),))
    assert on_call_at(s, berlin(2026, 3, 27, 9, 0)) == (1, "primary")
    assert on_call_at(s, berlin(2026, 3, 28, 8, 59))[0] == 1
    assert on_call_at(s, berlin(2026, 3, 28, 9, 0))[0] == 2
    # 29 March 2026: clocks jump 02:00 -> 03:00; the handoff is still 09:00 local (07:00 UTC, not 08:00)
    assert on_call_at(s, z(2026, 3, 29, 6, 59))[0] == 2
    assert on_call_at(s, z(2026, 3, 29, 7, 0))[0] == 3
    found = shifts(s, z(2026, 3, 28, 8, 0), z(2026, 3, 30, 7, 0))
    assert [(x.user_id, x.end - x.start) for x in found] == [(2, timedelta(hours=23)), (3, timedelta(hours=24))]


def test_fall_back_gives_a_25_hour_shift():
    s = Schedule("ops", "Europe/Berlin", (daily(start=datetime(2026, 10, 23, 9, 0)),))
    found = shifts(s, z(2026, 10, 24, 7, 0), z(2026, 10, 26, 8, 0))  # 24 Oct 09:00 CEST .. 26 Oct 09:00 CET
    assert [(x.user_id, x.end - x.start) for x in found] == [(2, timedelta(hours=25)), (3, timedelta(hours=24))]
    assert found[0].end == z(2026, 10, 25, 8, 0)  # 09:00 CET


def test_handoff_inside_the_spring_gap_happens_after_it():
    s = Schedule("night", "Europe/Berlin", (daily(start=datetime(2026, 3, 27, 2, 30)),))
    # 02:30 does not exist on 29 March; the handoff happens at 03:30 CEST = 01:30 UTC
    assert on_call_at(s, z(2026, 3, 29, 1, 29))[0] == 2
    assert on_call_at(s, z(2026, 3, 29, 1, 30))[0] == 3
    # the next day it is 02:30 CEST again
    assert on_call_at(s, berlin(2026, 3, 30, 2, 29))[0] == 3
    assert on_call_at(s, berlin(2026, 3, 30, 2, 30))[0] == 1


def test_twelve_hour_shifts_stay_at_eight_and_twenty_local():
    layer = Layer("12h", (1, 2), datetime(2026, 10, 24, 8, 0), ShiftKind.HOURS, hours=12)
    s = Schedule("ops", "Europe/Berlin", (layer,))
    found = shifts(s, berlin(2026, 10, 24, 8, 0), berlin(2026, 10, 26, 8, 0))
    assert [x.start.astimezone(BERLIN).hour for x in found] == [8, 20, 8, 20]
    assert [x.user_id for x in found] == [1, 2, 1, 2]
    assert found[1].end - found[1].start == timedelta(hours=13)  # the night the clocks go back


def test_weekly_rotation_and_before_start():
    layer = Layer("w", (5, 6), datetime(2026, 1, 5, 10, 0), ShiftKind.WEEKLY)
    s = Schedule("w", "America/New_York", (layer,))
    ny = ZoneInfo("America/New_York")
    assert on_call_at(s, datetime(2026, 1, 5, 9, 59, tzinfo=ny)) == (None, None)
    assert on_call_at(s, datetime(2026, 1, 12, 9, 59, tzinfo=ny))[0] == 5
    # US clocks go forward on 8 March 2026; the Monday handoff stays at 10:00 local
    assert on_call_at(s, datetime(2026, 3, 9, 9, 59, tzinfo=ny))[0] == 5  # week 8
    assert on_call_at(s, datetime(2026, 3, 9, 10, 0, tzinfo=ny))[0] == 6  # week 9
    assert on_call_at(s, datetime(2026, 3, 16, 10, 0, tzinfo=ny))[0] == 5


def test_higher_layer_wins_where_it_has_someone():
    base = Layer("24x7", (1,), datetime(2026, 1, 1), ShiftKind.WEEKLY)
    office = Layer("office", (7, 8), datetime(2026, 1, 5, 9), ShiftKind.DAILY, days=(0, 1, 2, 3, 4),
                   from_time=time(9), to_time=time(17))
    s = Schedule("mix", "Europe/Berlin", (base, office))
    assert on_call_at(s, berlin(2026, 1, 5, 10)) == (7, "office")  # Monday
    assert on_call_at(s, berlin(2026, 1, 6, 16, 59)) == (8, "office")
    assert on_call_at(s, berlin(2026, 1, 6, 17, 0)) == (1, "24x7")
    assert on_call_at(s, berlin(2026, 1, 10, 12)) == (1, "24x7")  # Saturday
    day = shifts(s, berlin(2026, 1, 5, 0), berlin(2026, 1, 6, 0))
    assert [(x.user_id, x.start.astimezone(BERLIN).hour) for x in day] == [(1, 0), (7, 9), (1, 17)]


def test_night_window_wraps_midnight_and_belongs_to_its_start_day():
    night = Layer("nights", (9,), datetime(2026, 1, 1), ShiftKind.WEEKLY, days=(4,), from_time=time(22),
                  to_time=time(6))
    s = Schedule("n", "Europe/Berlin", (Layer("base", (1,), datetime(2026, 1, 1)), night))
    assert on_call_at(s, berlin(2026, 1, 9, 23))[0] == 9  # Friday night
    assert on_call_at(s, berlin(2026, 1, 10, 5, 59))[0] == 9  # ... into Saturday morning
    assert on_call_at(s, berlin(2026, 1, 10, 6))[0] == 1
    assert on_call_at(s, berlin(2026, 1, 8, 23))[0] == 1  # Thursday night


def test_overrides_win_and_the_last_added_wins():
    s = Schedule("o", "Europe/Berlin", (daily(),), (
        Override(4, berlin(2026, 3, 28, 0), berlin(2026, 3, 29, 0), 1),  # "I take Saturday for Ana"
        Override(5, berlin(2026, 3, 28, 12), berlin(2026, 3, 28, 13), 2),
    ))
    assert on_call_at(s, berlin(2026, 3, 28, 10)) == (4, "override")
    assert on_call_at(s, berlin(2026, 3, 28, 12, 30)) == (5, "override")
    assert on_call_at(s, berlin(2026, 3, 29, 0))[1] == "primary"
    found = shifts(s, berlin(2026, 3, 28, 0), berlin(2026, 3, 29, 0))
    assert [(x.user_id, x.layer) for x in found] == [(4, "override"), (5, "override"), (4, "override")]


def test_layer_end_and_empty_layers():
    s = Schedule("e", "UTC", (Layer("a", (1,), datetime(2026, 1, 1)), daily(users=(), start=datetime(2026, 1, 1)),
                               Layer("b", (2,), datetime(2026, 1, 1), end=datetime(2026, 1, 3))))
    assert on_call_at(s, z(2026, 1, 2))[0] == 2
    assert on_call_at(s, z(2026, 1, 3))[0] == 1


def test_json_round_trip_and_errors():
    data = {"name": "p", "user_ids": [1, 2], "start": "2026-01-05T09:00", "shift": "hours", "hours": 8,
            "days": [0, 1], "from_time": "08:00", "to_time": "18:00"}
    assert layer_to_json(layer_from_json(data)) == {**data, "end": None}
    for bad, field in [({"start": "nope"}, "layers[0].start"), ({"start": "2026-01-01", "shift": "monthly"},
                       "layers[0].shift"), ({"start": "2026-01-01", "shift": "hours", "hours": 0}, "layers[0].hours"),
                       ({"start": "2026-01-01", "days": [7]}, "layers[0].days"),
                       ({"start": "2026-01-01", "from_time": "09:00"}, "layers[0].to_time"),
                       ({"start": "2026-01-02", "end": "2026-01-01"}, "layers[0].end")]:
        with pytest.raises(ScheduleError) as e:
            layer_from_json(bad)
        assert e.value.field == field
    with pytest.raises(ScheduleError):
        Schedule("x", "Mars/Olympus").tz  # noqa: B018
    with pytest.raises(ScheduleError):
        shifts(Schedule("x", "UTC"), z(2026, 1, 1), z(2028, 1, 1))
