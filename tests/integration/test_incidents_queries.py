"""Filters, free text, pagination and the work-queue order (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import assert_replay_matches
from tests.integration.incidents_support import RUI, declare, small_catalog
from warroom.incidents import queries
from warroom.incidents import service as svc
from warroom.incidents.filters import IncidentFilter
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Urgency


def _search(app, *, text="", statuses=(), priorities=(), limit=50, offset=0, **kw):  # noqa: ANN001, ANN003, ANN202
    """Through the read side (incidents/queries.py), as the API, the pages and the CLI search."""
    f = IncidentFilter(q=text, statuses=tuple(statuses), priorities=tuple(priorities), **kw)
    found = queries.search(app, f, limit=limit, offset=offset)
    return [s.title for s in found.items], found.total


def _world(app, clock):  # noqa: ANN001, ANN202
    ids = small_catalog(app)
    now = clock.now()
    made = {
        "old p3": declare(app, "old p3", impact=Impact.SIGNIFICANT, urgency=Urgency.MEDIUM,
                          detected_at=now - timedelta(hours=5), service_ids=[ids["db"]]),
        "new p3": declare(app, "new p3", impact=Impact.SIGNIFICANT, urgency=Urgency.MEDIUM,
                          detected_at=now - timedelta(hours=1), service_ids=[ids["checkout"]]),
        "p1": declare(app, "p1 payments 100% down", impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL,
                      detected_at=now - timedelta(minutes=2), service_ids=[ids["payments"]]),
        "major p4": declare(app, "major p4", impact=Impact.MINOR, urgency=Urgency.CRITICAL,
                            detected_at=now - timedelta(minutes=1), description="DB_FAILOVER_underscore"),
        "resolved p1": declare(app, "resolved p1", impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL,
                               detected_at=now - timedelta(days=1), service_ids=[ids["db"]]),
    }
    svc.promote(app, RUI, made["major p4"].id, "exec visibility")
    svc.move(app, RUI, made["resolved p1"].id, Status.RESOLVED)
    svc.move(app, RUI, made["old p3"].id, Status.INVESTIGATING)
    return ids, made


def test_work_queue_order_open_majors_then_priority_then_age(app, clock) -> None:
    _, made = _world(app, clock)
    titles, total = _search(app)
    assert titles == ["major p4", "p1 payments 100% down", "old p3", "new p3", "resolved p1"]
    assert total == 5
    assert _search(app, order="recent")[0][0] == "major p4"
    for s in made.values():
        assert_replay_matches(app, s.id)


def test_filters(app, clock) -> None:
    ids, _ = _world(app, clock)
    assert _search(app, statuses=["investigating"]) == (["old p3"], 1)
    assert _search(app, open_only=False) == (["resolved p1"], 1)
    assert _search(app, open_only=True)[1] == 4
    assert _search(app, priorities=["P1"]) == (["p1 payments 100% down", "resolved p1"], 2)
    assert _search(app, major=True) == (["major p4"], 1)
    assert _search(app, major=False)[1] == 4
    assert _search(app, service_id=ids["db"]) == (["old p3", "resolved p1"], 2)
    assert _search(app, team_id=ids["apps"]) == (["p1 payments 100% down", "new p3"], 2)
    assert _search(app, team_id=ids["dbs"], open_only=True) == (["old p3"], 1)
    assert _search(app, text="PAYMENTS") == (["p1 payments 100% down"], 1)
    assert _search(app, text="100%") == (["p1 payments 100% down"], 1)  # % is literal, not a wildcard
    assert _search(app, text="_underscore") == (["major p4"], 1)
    assert _search(app, text="failover") == (["major p4"], 1)  # description too
    assert _search(app, text="%") == (["p1 payments 100% down"], 1)
    assert _search(app, text="nothing like this") == ([], 0)


def test_pagination_is_stable_and_total_counts_every_match(app, clock) -> None:
    for i in range(7):
        clock.advance(minutes=1)
        declare(app, f"inc {i}", impact=Impact.MODERATE, urgency=Urgency.MEDIUM)
    pages = [_search(app, limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert [p[1] for p in pages] == [7, 7, 7, 7]
    assert [t for p in pages for t in p[0]] == [f"inc {i}" for i in range(7)]
    assert pages[-1][0] == []


def test_the_queue_reading_open_by_default_history_newest_first(app, clock) -> None:
    _, made = _world(app, clock)
    svc.move(app, RUI, made["new p3"].id, Status.RESOLVED)
    with app.db.read() as conn:  # one connection for several reads, as a page does
        open_now = queries.search(conn, IncidentFilter().for_queue())
        history = queries.search(conn, IncidentFilter(statuses=("resolved", "closed")).for_queue())
    assert [s.title for s in open_now.items] == ["major p4", "p1 payments 100% down", "old p3"]
    assert [s.title for s in history.items] == ["new p3", "resolved p1"]  # the queue order would put P1 first
