"""Concurrent writers on real threads: a stale version never loses an update silently."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.helpers import assert_replay_matches
from tests.integration.incidents_support import RUI, declare
from warroom.errors import Conflict
from warroom.incidents import service as svc
from warroom.incidents.lifecycle import Status
from warroom.incidents.roles import Role


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls on threads released together; each result is a value or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait(timeout=10)
        try:
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_two_writers_with_the_same_version_exactly_one_wins(app) -> None:
    from warroom.auth import service as auth

    ana = auth.create_user(app, username="ana")["id"]
    bo = auth.create_user(app, username="bo")["id"]
    for _ in range(3):  # a few rounds: the race must never let both through
        s = declare(app)
        v = s.version
        results = _race([lambda s=s, v=v: svc.assign(app, RUI, s.id, Role.COORDINATOR, ana, version=v),
                         lambda s=s, v=v: svc.assign(app, RUI, s.id, Role.COORDINATOR, bo, version=v)])
        wins = [r for r in results if not isinstance(r, Exception)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert isinstance(losses[0], Conflict) and "reload" in str(losses[0])
        final = svc.get(app, s.id)
        assert final.version == v + 1 and final.coordinator_id == wins[0].coordinator_id
        assert_replay_matches(app, s.id)


def test_writers_without_a_version_are_serialised_not_lost(app) -> None:
    s = declare(app)
    results = _race([lambda i=i: svc.add_note(app, RUI, s.id, f"note {i}") for i in range(4)]
                    + [lambda: svc.move(app, RUI, s.id, Status.INVESTIGATING)])
    assert not [r for r in results if isinstance(r, Exception)], results
    events = svc.timeline(app, s.id)
    assert sorted(e.data["text"] for e in events if e.kind == "note.added") == [f"note {i}" for i in range(4)]
    assert svc.get(app, s.id).version == len(events) == 1 + 4 + 2  # declared, notes, implicit ack + move
    assert_replay_matches(app, s.id)


def test_concurrent_declarations_get_distinct_numbers(app) -> None:
    results = _race([lambda i=i: declare(app, f"storm {i}") for i in range(4)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.ref for r in results) == [1, 2, 3, 4]
    for r in results:
        assert_replay_matches(app, r.id)
