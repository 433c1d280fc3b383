"""The reactor contract (incidents.recording._react): a reactor declares its kinds and is called only with events
of those kinds; it returns its effects, which the incident service appends after their causes (and offers to
the reactors in turn, a bounded number of rounds); one live notice per change. The alert path's pipelined
commit relies on no reactor handling the alert kinds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alerts_support import integration
from tests.helpers import assert_replay_matches
from tests.integration.incidents_support import RUI, counts, declare, kinds
from tests.notify_support import person, policy, service_with
from warroom import bootstrap
from warroom.alerts import batch, queries
from warroom.alerts import service as alerts
from warroom.alerts.model import Action, AlertIn
from warroom.escalation import service as escalation
from warroom.incidents import events as ev
from warroom.incidents import service as svc
from warroom.incidents import store as ist
from warroom.incidents.events import Event
from warroom.incidents.priority import Impact, Urgency
from warroom.platform.app import App, Reactor


def _recording(name: str, kinds_: set[str], effects: dict[str, list[str]] | None = None
               ) -> tuple[Reactor, list[list[str]]]:
    """A reactor that records the kinds it was called with and answers each kind with `effects[kind]`."""
    calls: list[list[str]] = []

    def react(app: App, tx: Any, state: Any, events: list[Event]) -> list[Event]:
        calls.append([e.kind for e in events])
        return [Event(k, {"cause_seq": e.seq}, "warroom", app.clock.now())
                for e in events for k in (effects or {}).get(e.kind, [])]

    return Reactor(name, frozenset(kinds_), react), calls


def test_no_reactor_handles_the_kinds_the_alert_path_pipelines() -> None:
    """alerts/ingest.py writes alert-only changes without reading the database in between (PostgreSQL
    pipeline, the last one together with the COMMIT): a reactor for these kinds would take that away."""
    assert {"alerts.attached", "alerts.resolved", "alerts.all_resolved", "alerts.acknowledged"} == batch.ALERT_KINDS
    for reactor in bootstrap.REACTORS:
        assert reactor.kinds and not reactor.kinds & batch.ALERT_KINDS, reactor.name


def test_reactors_are_wired_once_in_bootstrap(app) -> None:
    assert app.reactors == bootstrap.REACTORS
    assert len({r.name for r in bootstrap.REACTORS}) == len(bootstrap.REACTORS)


def test_a_reactor_is_called_only_with_the_events_of_its_kinds(app) -> None:
    reactor, calls = _recording("notes", {ev.NOTE_ADDED, ev.ROLE_ASSIGNED})
    app.reactors = (*app.reactors, reactor)
    s = declare(app)
    svc.acknowledge(app, RUI, s.id)
    assert calls == []  # declared, acknowledged: not its kinds, not called at all
    svc.add_note(app, RUI, s.id, "hello")
    assert calls == [[ev.NOTE_ADDED]]


def test_effects_follow_their_causes_and_are_announced_with_them(app) -> None:
    first, _ = _recording("first", {ev.NOTE_ADDED}, {ev.NOTE_ADDED: ["test.first"]})
    second, calls = _recording("second", {"test.first"}, {"test.first": ["test.second"]})
    app.reactors = (*app.reactors, first, second)
    s = declare(app)
    heard: list[dict] = []
    unsubscribe = app.live.subscribe(heard.append)
    try:
        state, note = svc.add_note(app, RUI, s.id, "hello")
    finally:
        unsubscribe()
    assert calls == [["test.first"]]  # an effect reaches the reactors of its kind in the next round
    timeline = svc.timeline(app, s.id)
    assert [e.kind for e in timeline] == [ev.DECLARED, ev.NOTE_ADDED, "test.first", "test.second"]
    assert [e.data.get("cause_seq") for e in timeline[2:]] == [2, 3]  # each effect after its cause
    assert (note.seq, state.version) == (2, 4)
    assert [(m["seq"], m["kinds"]) for m in heard if m.get("incident_id") == s.id] == \
        [(4, [ev.NOTE_ADDED, "test.first", "test.second"])]  # one notice for the cause and its effects
    assert_replay_matches(app, s.id)


def test_reactors_answering_each_other_forever_are_refused_and_nothing_is_written(app) -> None:
    ping, _ = _recording("ping", {ev.NOTE_ADDED, "test.pong"}, {ev.NOTE_ADDED: ["test.ping"],
                                                                "test.pong": ["test.ping"]})
    pong, _ = _recording("pong", {"test.ping"}, {"test.ping": ["test.pong"]})
    app.reactors = (*app.reactors, ping, pong)
    s = declare(app)
    before = counts(app)
    with pytest.raises(svc.ReactorLoop):
        svc.add_note(app, RUI, s.id, "hello")
    assert counts(app) == before and kinds(app, s.id) == [ev.DECLARED]


def test_the_escalation_reactor_returns_its_pages_and_leaves_the_appending_to_the_incident_service(app) -> None:
    """Effects never re-enter the service that produced their cause."""
    ana = person(app, "ana")
    sid = service_with(app, "db", policy(app, "db", [[{"kind": "user", "id": ana}]]))
    with pytest.raises(_Undo), app.db.transaction() as tx:
        s = svc.declare_in(app, tx, by="rui", title="db down", impact=Impact.EXTENSIVE, urgency=Urgency.HIGH,
                           service_ids=[sid], react=False)
        (declared,) = ist.events_of(tx.conn, s.id)
        effects = escalation.reactor.react(app, tx, s, [declared])
        assert [e.kind for e in effects] == ["escalation.paged"] and effects[0].seq == 0  # not numbered
        assert ist.load(tx.conn, s.id).version == 1  # nothing appended by the reactor itself
        raise _Undo


class _Undo(Exception):
    """Rolls the transaction back."""


def test_alert_events_reach_a_reactor_registered_for_them(app) -> None:
    """Were a reactor registered for alert events, the alert path would stop pipelining and call it (the test
    above keeps bootstrap.REACTORS from doing so, for speed)."""
    read: list[int] = []

    def react(app_: App, tx: Any, state: Any, events: list[Event]) -> list[Event]:
        read.append(ist.load(tx.conn, state.id).version)  # a read, which a pipelined write could not serve
        return [Event("test.reacted", {"cause_seq": events[0].seq}, "warroom", app_.clock.now())]

    app.reactors = (*app.reactors, Reactor("alerts", frozenset({batch.ATTACHED}), react))
    integ, _ = integration(app, "pagerduty")
    alerts.ingest(app, integ, [AlertIn("disk-1", Action.TRIGGER, "disk full", "critical")])
    alerts.ingest(app, integ, [AlertIn("disk-2", Action.TRIGGER, "disk full", "critical")])  # joins, remembered
    (inc,) = {r["incident_id"] for r in queries.list_alerts(app)[0]}
    assert read == [2, 4]
    assert kinds(app, inc) == [ev.DECLARED, batch.ATTACHED, "test.reacted", batch.ATTACHED, "test.reacted"]
    assert_replay_matches(app, inc)
