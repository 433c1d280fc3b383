"""Who may change a schedule's overrides (issue 11.6), on SQLite and PostgreSQL: eligible people only,
responders for themselves or for a stretch they hold, admins for anything, every change on the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.auth import service as auth
from warroom.auth.permissions import Principal, UserRole
from warroom.errors import Forbidden, Invalid
from warroom.oncall import queries as oncall_queries
from warroom.oncall import service as oncall

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)  # the FakeClock's start; ana is on call for the first week


@pytest.fixture
def org(app):
    people = {}
    for name, role in (("boss", UserRole.ADMIN), ("ana", UserRole.RESPONDER), ("bo", UserRole.RESPONDER),
                       ("cy", UserRole.RESPONDER), ("vi", UserRole.VIEWER), ("gone", UserRole.RESPONDER)):
        row = auth.create_user(app, username=name, role=role)
        people[name] = Principal(row["id"], name, role)
    auth.update_user(app, people["gone"].user_id, active=False)
    sched = oncall.create_schedule(app, people["boss"], name="primary", time_zone="UTC", layers=[
        {"name": "week", "user_ids": [people["ana"].user_id, people["bo"].user_id], "start": "2026-01-05T09:00",
         "shift": "weekly"}])
    return people, sched["id"]


def _add(app, p, sid, who, start=T0 + timedelta(days=1), days=1):
    return oncall.add_override(app, p, sid, user_id=who.user_id, start_at=start, end_at=start + timedelta(days=days))


def test_only_active_responders_and_admins_can_be_put_on_call(app, org):
    people, sid = org
    for who, problem in (("vi", "viewer"), ("gone", "deactivated")):
        with pytest.raises(Invalid) as err:
            _add(app, people["boss"], sid, people[who])
        assert err.value.field == "user_id" and problem in err.value.problem
    with pytest.raises(Invalid) as err:
        oncall.add_override(app, people["boss"], sid, user_id=99999, start_at=T0, end_at=T0 + timedelta(hours=1))
    assert err.value.field == "user_id"
    assert oncall_queries.get_schedule(app, sid)["overrides"] == []


def test_a_responder_puts_themselves_on_call_or_swaps_a_stretch_they_hold(app, org):
    people, sid = org
    mine = _add(app, people["cy"], sid, people["cy"])  # cy takes a day of ana's week: for themselves, allowed
    # ana holds the rest of the week: she may hand Thursday to bo (a swap)
    swap = _add(app, people["ana"], sid, people["bo"], start=T0 + timedelta(days=3))
    on_thursday = oncall_queries.who_is_on_call(app, T0 + timedelta(days=3, hours=1), sid)
    assert on_thursday[0]["user_id"] == people["bo"].user_id
    # ... but not a day cy now holds (Tuesday), nor one in bo's week, nor put cy on call for bo
    for p, who, start in ((people["ana"], people["bo"], T0 + timedelta(days=1)),
                          (people["ana"], people["cy"], T0 + timedelta(days=8)),
                          (people["bo"], people["cy"], T0 + timedelta(days=4))):
        with pytest.raises(Forbidden):
            _add(app, p, sid, who, start=start)
    # a window that runs past the end of ana's week is not hers to give either
    with pytest.raises(Forbidden):
        _add(app, people["ana"], sid, people["bo"], start=T0 + timedelta(days=5), days=3)
    # an admin may do anything
    _add(app, people["boss"], sid, people["cy"], start=T0 + timedelta(days=9))
    assert [o["id"] for o in oncall_queries.get_schedule(app, sid)["overrides"]][:2] == [mine["id"], swap["id"]]


def test_removing_someone_elses_override_is_for_admins(app, org):
    people, sid = org
    o = _add(app, people["ana"], sid, people["ana"], start=T0 + timedelta(days=8))
    with pytest.raises(Forbidden):
        oncall.remove_override(app, people["bo"], sid, o["id"])
    oncall.remove_override(app, people["ana"], sid, o["id"])
    o2 = _add(app, people["ana"], sid, people["ana"], start=T0 + timedelta(days=8))
    oncall.remove_override(app, people["boss"], sid, o2["id"])
    assert oncall_queries.get_schedule(app, sid)["overrides"] == []


def test_length_and_absurd_dates_are_refused(app, org):
    people, sid = org
    boss = people["boss"]
    cases = [(T0, T0 + timedelta(days=31, seconds=1), "end_at"),  # longer than the 31-day default
             (T0 - timedelta(days=2), T0 - timedelta(days=1), "end_at"),  # entirely in the past
             (T0 + timedelta(days=400), T0 + timedelta(days=401), "start_at"),  # far ahead
             (datetime(9999, 12, 30, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC), "start_at")]
    for start, end, field in cases:
        with pytest.raises(Invalid) as err:
            oncall.add_override(app, boss, sid, user_id=boss.user_id, start_at=start, end_at=end)
        assert err.value.field == field, (start, end, err.value)
    oncall.add_override(app, boss, sid, user_id=boss.user_id, start_at=T0, end_at=T0 + timedelta(days=31))


def test_every_override_change_is_on_the_audit_log(app, org, clock):
    people, sid = org
    o = _add(app, people["cy"], sid, people["cy"])
    clock.advance(minutes=5)
    oncall.remove_override(app, people["boss"], sid, o["id"])
    history = oncall_queries.override_history(app, sid)
    assert [(h["action"], h["actor"]) for h in history] == [("override removed", "boss"), ("override added", "cy")]
    added = history[1]["data"]
    assert added == {"override_id": o["id"], "user_id": people["cy"].user_id, "start_at": o["start_at"].isoformat(),
                     "end_at": o["end_at"].isoformat(), "note": "", "created_by": "cy"}
    assert history[0]["at"] == T0 + timedelta(minutes=5)


def test_what_a_responder_took_for_themselves_is_not_theirs_to_hand_on(app, org):
    """Otherwise two requests put anyone on call anywhere: 'I take bo's Monday', then 'I hand Monday to cy'."""
    people, sid = org
    bos_monday = T0 + timedelta(days=7)  # bo's week
    _add(app, people["ana"], sid, people["ana"], start=bos_monday)  # for herself: allowed
    with pytest.raises(Forbidden):
        _add(app, people["ana"], sid, people["cy"], start=bos_monday)
    on_monday = oncall_queries.who_is_on_call(app, bos_monday + timedelta(hours=1), sid)
    assert on_monday[0]["user_id"] == people["ana"].user_id
    # a stretch someone else gave her is hers to hand on (a swap of a swap)
    given = T0 + timedelta(days=9)
    _add(app, people["bo"], sid, people["ana"], start=given)  # bo hands his Wednesday to ana
    _add(app, people["ana"], sid, people["cy"], start=given)
    assert oncall_queries.who_is_on_call(app, given + timedelta(hours=1), sid)[0]["user_id"] == people["cy"].user_id
