"""Property: the shift timeline agrees with on_call_at at every instant, around DST changes, in any layout."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as s

from warroom.oncall.schedule import Layer, Override, Schedule, ShiftKind, on_call_at, shifts

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]  # Lord Howe moves by 30 minutes
WINDOWS = [datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC),
           datetime(2026, 3, 5, tzinfo=UTC)]

layers = s.builds(
    Layer,
    name=s.sampled_from(["a", "b", "c"]),
    user_ids=s.lists(s.integers(1, 4), min_size=1, max_size=3).map(tuple),
    start=s.datetimes(datetime(2026, 1, 1), datetime(2026, 10, 30)).map(lambda d: d.replace(second=0,
                                                                                            microsecond=0)),
    shift=s.sampled_from(list(ShiftKind)),
    hours=s.integers(1, 48),
    days=s.lists(s.integers(0, 6), max_size=3, unique=True).map(tuple),
    from_time=s.sampled_from([None, time(9), time(22), time(2, 30)]),
    to_time=s.sampled_from([time(17), time(6), time(3)]),
)


@settings(max_examples=60, deadline=None)
@given(zone=s.sampled_from(ZONES), window=s.sampled_from(WINDOWS), ls=s.lists(layers, min_size=1, max_size=3),
       override_at=s.one_of(s.none(), s.integers(0, 9 * 24)), probes=s.lists(s.integers(0, 10 * 24 * 60 - 1),
                                                                                min_size=5, max_size=20))
def test_shifts_match_on_call_at(zone, window, ls, override_at, probes):
    fixed = tuple(Layer(x.name, x.user_ids, x.start, x.shift, x.hours, None, x.days, x.from_time,
                        x.to_time if x.from_time else None) for x in ls)
    ovs = () if override_at is None else (Override(9, window + timedelta(hours=override_at),
                                                    window + timedelta(hours=override_at + 7)),)
    sched = Schedule("p", zone, fixed, ovs)
    end = window + timedelta(days=10)
    found = shifts(sched, window, end)
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start, "shifts overlap or are out of order"
    for x in found:
        assert x.start < x.end
    for minute in probes:
        t = window + timedelta(minutes=minute)
        user, layer = on_call_at(sched, t)
        covering = [x for x in found if x.start <= t < x.end]
        if user is None:
            assert covering == []
        else:
            assert [(c.user_id, c.layer) for c in covering] == [(user, layer)]
