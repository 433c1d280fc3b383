"""Ingestion on SQLite and PostgreSQL: dedup, grouping, storms, resolve and reopen, auto-promotion."""

from __future__ import annotations

import pytest

from tests.alerts_support import ADMIN, alerts, am_alert, am_post, integration, pd_event
from tests.alerts_support import incidents as all_incidents
from tests.helpers import assert_replay_matches
from warroom.alerts import queries, service
from warroom.alerts.model import Action, AlertIn
from warroom.alerts.sources import alertmanager, pagerduty
from warroom.catalog import service as catalog
from warroom.errors import Invalid
from warroom.incidents import service as incidents


def trigger(app, integ, key, dedup, **kw):
    service.ingest(app, integ, [pagerduty.parse(pd_event(key, dedup=dedup, **kw))])


def resolve(app, integ, key, dedup):
    service.ingest(app, integ, [pagerduty.parse(pd_event(key, "resolve", dedup=dedup))])


def test_a_repeat_updates_count_and_never_makes_a_second_alert_or_incident(app, clock):
    integ, key = integration(app)
    trigger(app, integ, key, "k1")
    clock.advance(seconds=30)
    trigger(app, integ, key, "k1")
    trigger(app, integ, key, "k1")
    [row] = alerts(app)
    assert row["count"] == 3 and row["status"] == "firing"
    assert row["last_seen_at"] > row["first_seen_at"]
    [inc] = all_incidents(app)
    assert row["incident_id"] == inc.id and inc.identified_via == "monitoring"
    assert_replay_matches(app, inc.id)


def test_repeats_inside_one_batch_are_coalesced(app):
    integ, key = integration(app)
    events = [pagerduty.parse(pd_event(key, dedup=f"k{i % 3}", group="db")) for i in range(30)]
    service.ingest(app, integ, events)
    rows = alerts(app)
    assert sorted(r["count"] for r in rows) == [10, 10, 10]
    assert len(all_incidents(app)) == 1


def test_a_storm_of_new_alerts_for_one_outage_gives_one_incident_with_all_attached(app):
    integ, key = integration(app)
    for start in range(0, 1000, 250):
        service.ingest(app, integ, [pagerduty.parse(pd_event(key, dedup=f"s{i}", summary=f"node {i} down",
                                                             group="checkout")) for i in range(start, start + 250)])
    [inc] = all_incidents(app)
    assert len(alerts(app, incident_id=inc.id)) == 1000
    attached = [e for e in incidents.timeline(app, inc.id) if e.kind == "alerts.attached"]
    assert sum(e.data["count"] for e in attached) == 1000
    assert_replay_matches(app, inc.id)


def test_different_groups_open_different_incidents(app):
    integ, key = integration(app)
    trigger(app, integ, key, "a", group="db")
    trigger(app, integ, key, "b", group="web")
    assert len(all_incidents(app)) == 2


def test_group_by_labels_splits_groups(app):
    integ, key = integration(app, "alertmanager", group_by=["cluster"])
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("Down", instance="a", cluster="eu"),
                                                           am_alert("Down", instance="b", cluster="us"),
                                                           am_alert("Down", instance="c", cluster="eu")])))
    assert len(all_incidents(app)) == 2


def test_when_all_alerts_resolve_the_incident_resolves_and_the_timeline_says_so(app):
    integ, key = integration(app)
    trigger(app, integ, key, "a", group="db")
    trigger(app, integ, key, "b", group="db")
    resolve(app, integ, key, "a")
    [inc] = all_incidents(app)
    assert inc.status == "identified"
    resolve(app, integ, key, "b")
    [inc] = all_incidents(app)
    assert inc.status == "resolved"
    kinds = [e.kind for e in incidents.timeline(app, inc.id)]
    assert kinds.index("alerts.all_resolved") < kinds.index("status.changed")
    assert_replay_matches(app, inc.id)


def test_auto_resolve_can_be_turned_off_per_integration(app):
    integ, key = integration(app, auto_resolve=False)
    trigger(app, integ, key, "a")
    resolve(app, integ, key, "a")
    [inc] = all_incidents(app)
    assert inc.status == "identified"
    assert "alerts.all_resolved" in [e.kind for e in incidents.timeline(app, inc.id)]


def test_an_alert_firing_again_soon_reopens_later_opens_a_new_incident(app, clock):
    integ, key = integration(app, reopen_window_s=600)
    trigger(app, integ, key, "a")
    resolve(app, integ, key, "a")
    clock.advance(seconds=300)
    trigger(app, integ, key, "a")
    [inc] = all_incidents(app)
    assert inc.status == "investigating"
    assert alerts(app)[0]["count"] == 2
    resolve(app, integ, key, "a")
    clock.advance(seconds=601)
    trigger(app, integ, key, "a")
    items = all_incidents(app)
    assert len(items) == 2
    assert alerts(app)[0]["incident_id"] == max(i.id for i in items)
    for i in items:
        assert_replay_matches(app, i.id)


def test_a_new_alert_in_a_group_whose_incident_was_resolved_reopens_or_opens_anew(app, clock):
    """The writer remembers group -> incident; once that incident is resolved, the memory is stale and the
    batch goes back through the database (on PostgreSQL: the pipelined path finds it closed and retries)."""
    integ, key = integration(app, reopen_window_s=600)
    trigger(app, integ, key, "a", group="db")
    resolve(app, integ, key, "a")  # the last alert resolved: the incident resolves
    [first] = all_incidents(app)
    assert first.status == "resolved"
    clock.advance(seconds=60)
    trigger(app, integ, key, "b", group="db")  # another alert of the same group, inside the window
    [again] = all_incidents(app)
    assert again.id == first.id and again.status == "investigating"
    resolve(app, integ, key, "b")
    clock.advance(seconds=601)
    trigger(app, integ, key, "c", group="db")  # after the window: a new incident
    items = all_incidents(app)
    assert len(items) == 2
    assert {a["dedup_key"]: a["incident_id"] for a in alerts(app)}["c"] == max(i.id for i in items)


def test_unknown_keys_for_acknowledge_and_resolve_change_nothing(app):
    integ, key = integration(app)
    resolve(app, integ, key, "never-seen")
    assert alerts(app) == [] and all_incidents(app) == []


def test_p1_rule_promotes_and_names_the_rule(app):
    integ, key = integration(app, rules=[{"match": {"severity": "critical"},
                                          "set": {"impact": "extensive", "urgency": "critical",
                                                  "category": "outage"}}])
    trigger(app, integ, key, "a", severity="critical")
    [inc] = all_incidents(app)
    assert inc.priority == "P1" and inc.major and inc.category == "outage"
    [promoted] = [e for e in incidents.timeline(app, inc.id) if e.kind == "major.promoted"]
    assert promoted.data["rule"] == "priority:P1"


def test_services_rule_and_tier1_rule(app):
    for i in (1, 2, 3, 9):
        catalog.create_service(app, name=f"svc{i}", tier=1 if i == 9 else 3)
    integ, key = integration(app, group_by=["cluster"], major={"min_services": 3, "tier1_down": True})
    for i in (1, 2, 3):
        trigger(app, integ, key, f"s{i}", severity="warning", cluster="eu", service=f"svc{i}")
    [inc] = all_incidents(app)
    assert inc.major
    rule = [e for e in incidents.timeline(app, inc.id) if e.kind == "major.promoted"][0].data["rule"]
    assert rule == "services>=3"
    trigger(app, integ, key, "t1", severity="critical", cluster="us", service="svc9")
    tier1 = [i for i in all_incidents(app) if i.id != inc.id][0]
    assert tier1.major
    assert [e for e in incidents.timeline(app, tier1.id) if e.kind == "major.promoted"][0].data["rule"] == "tier1-down"


def test_a_worse_alert_raises_the_priority_and_adds_services(app):
    a = catalog.create_service(app, name="api")["id"]
    b = catalog.create_service(app, name="db")["id"]
    integ, key = integration(app, group_by=["cluster"], major={"priorities": [], "min_services": 0,
                                                               "tier1_down": False})
    trigger(app, integ, key, "a", severity="warning", cluster="x", service="api")
    trigger(app, integ, key, "b", severity="critical", cluster="x", service="db")
    [inc] = all_incidents(app)
    assert set(inc.service_ids) == {a, b}
    assert inc.urgency == "critical" and not inc.major
    assert_replay_matches(app, inc.id)


def test_acknowledge_and_resolve_by_hand(app, users):
    integ, key = integration(app)
    trigger(app, integ, key, "a")
    [row] = alerts(app)
    acked = service.acknowledge_alert(app, users.principal("responder"), row["id"])
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "rui"
    done = service.resolve_alert(app, users.principal("responder"), row["id"])
    assert done["status"] == "resolved" and done["resolved_by"] == "rui"
    [inc] = all_incidents(app)
    assert inc.status == "resolved"


def test_generic_payload_ingests_through_the_same_path(app):
    integ, key = integration(app, "generic", mapping={"summary": "title", "dedup_key": "id", "status": "state"})
    from warroom.alerts.sources import generic

    service.ingest(app, integ, generic.parse({"id": "x1", "title": "queue stuck", "state": "alerting"},
                                             integ.config.mapping))
    service.ingest(app, integ, generic.parse({"id": "x1", "title": "queue stuck", "state": "ok"},
                                             integ.config.mapping))
    [row] = alerts(app)
    assert row["status"] == "resolved"


def test_a_mixed_batch_from_several_integrations(app):
    one, k1 = integration(app, name="one")
    two, k2 = integration(app, name="two")
    from warroom.alerts.batch import Submission
    from warroom.alerts.writer import commit

    subs = [Submission(one, [AlertIn("same", Action.TRIGGER, "x", "error")]),
            Submission(two, [AlertIn("same", Action.TRIGGER, "y", "error")]),
            Submission(one, [AlertIn("same", Action.RESOLVE, "", "info")])]
    assert commit(app, subs) == [None, None, None]
    rows = {r["integration_id"]: r for r in alerts(app)}
    assert rows[one.id]["status"] == "resolved" and rows[two.id]["status"] == "firing"


def test_a_rolled_back_batch_leaves_no_group_memory_behind(app, monkeypatch):
    """The group -> incident memory is filled only after commit: a batch that fails after opening an
    incident must not send later alerts of that group to an incident that was never committed."""
    from warroom.alerts import ingest

    integ, key = integration(app)
    real_insert = ingest.store.insert_alerts
    calls = {"n": 0}

    def failing_once(conn, rows):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("disk full (simulated, after the incident was opened in this transaction)")
        return real_insert(conn, rows)

    monkeypatch.setattr(ingest.store, "insert_alerts", failing_once)
    with pytest.raises(RuntimeError, match="simulated"):
        trigger(app, integ, key, "first", group="checkout")
    assert all_incidents(app) == [] and alerts(app) == []
    trigger(app, integ, key, "second", group="checkout")
    [inc] = all_incidents(app)
    [row] = alerts(app)
    assert row["incident_id"] == inc.id and row["dedup_key"] == "second"
    assert_replay_matches(app, inc.id)


def test_a_key_another_writer_inserted_first_is_a_retryable_integrity_error(app):
    """Bulk inserts go through the driver's own cursor (COPY, pipelines); its errors must still arrive as
    SQLAlchemy's IntegrityError, which the writer retries (another process inserted the same new key)."""
    from sqlalchemy.exc import IntegrityError

    from warroom.alerts import store

    integ, key = integration(app)
    service.ingest(app, integ, [pagerduty.parse(pd_event(key, dedup="taken"))])
    with app.db.read() as conn:
        row = dict(store.get_alert(conn, alerts(app)[0]["id"]))
    fresh = {c.name: row[c.name] for c in store.alerts.c if c.name != "id"}
    for n in (1, store.PIPELINED_ROWS + 1):  # the pipelined INSERT and the COPY path
        rows = [dict(fresh, dedup_key=f"x-{n}-{i}") for i in range(n - 1)] + [fresh]
        with pytest.raises(IntegrityError), app.db.transaction() as tx:
            store.send_alerts(tx.conn, rows)()


def test_both_bulk_inserts_store_the_same_values(app):
    """A small batch goes in as one JSON document (PostgreSQL), a large one by COPY or executemany: the rows
    stored are the same, quotes, backslashes, non-ASCII text, nested JSON and naive (UTC) timestamps included."""
    from datetime import UTC, datetime

    from warroom.alerts import store

    integ, _ = integration(app)
    at = datetime(2026, 1, 5, 9, 0, 0, 123456)
    odd = 'q"uote \\back\\slash {brace} ,comma été ☃'
    row = {"integration_id": integ.id, "dedup_key": odd, "status": "firing", "severity": "error", "summary": odd,
           "source": "", "service_id": None, "group_key": odd, "labels": {"k": odd, "n": [1, 2.5, None, True]},
           "payload": {"nested": {"deep": [odd, {}]}, "n": -3}, "incident_id": None, "count": 2,
           "first_seen_at": at, "last_seen_at": at.replace(tzinfo=UTC), "acknowledged_at": None,
           "acknowledged_by": None, "resolved_at": at, "resolved_by": odd}
    stored = []
    for n in (1, store.PIPELINED_ROWS + 1):
        rows = [dict(row, dedup_key=f"{odd}-{n}-{i}") for i in range(n)]
        with app.db.transaction() as tx:
            ids = store.send_alerts(tx.conn, rows)()
        with app.db.read() as conn:
            got = [dict(store.get_alert(conn, i)) for i in ids]
        assert [g["dedup_key"] for g in got] == [r["dedup_key"] for r in rows]
        stored.append({k: v for k, v in got[0].items() if k not in ("id", "dedup_key")})
    assert stored[0] == stored[1]
    assert stored[0]["labels"] == row["labels"] and stored[0]["payload"] == row["payload"]
    assert stored[0]["first_seen_at"] == at.replace(tzinfo=UTC) == stored[0]["resolved_at"]
    assert stored[0]["summary"] == odd and stored[0]["resolved_by"] == odd


def test_a_suppress_rule_keeps_the_alert_but_opens_or_joins_no_incident(app, clock):
    integ, key = integration(app, rules=[{"match": {"severity": "info"}, "suppress": True}])
    trigger(app, integ, key, "noise", severity="info", group="web")
    trigger(app, integ, key, "noise", severity="info", group="web")
    [row] = alerts(app)
    assert row["count"] == 2 and row["status"] == "firing" and row["incident_id"] is None
    assert all_incidents(app) == []
    trigger(app, integ, key, "real", severity="critical", group="web")
    [inc] = all_incidents(app)
    # the same group, now remembered with its incident (the pipelined path): info still stays out of it
    service.ingest(app, integ, [pagerduty.parse(pd_event(key, dedup=f"n{i}", severity="info", group="web"))
                                for i in range(5)] + [pagerduty.parse(pd_event(key, dedup="real2", group="web",
                                                                               severity="critical"))])
    attached = {r["dedup_key"] for r in alerts(app, incident_id=inc.id)}
    assert attached == {"real", "real2"} and len(alerts(app)) == 8
    resolve(app, integ, key, "noise")
    assert {r["dedup_key"]: r["status"] for r in alerts(app)}["noise"] == "resolved"
    kinds = [e.kind for e in incidents.timeline(app, inc.id)]
    assert "alerts.resolved" not in kinds, "a suppressed alert's resolve is not the incident's business"
    clock.advance(seconds=60)
    trigger(app, integ, key, "noise", severity="info", group="web")  # fires again: still suppressed
    assert [r["incident_id"] for r in alerts(app) if r["dedup_key"] == "noise"] == [None]
    assert len(all_incidents(app)) == 1
    assert_replay_matches(app, inc.id)


def test_maintenance_keeps_alerts_out_of_incidents_until_it_ends(app, clock):
    from datetime import timedelta

    integ, key = integration(app)
    service.set_maintenance(app, ADMIN, integ.id, clock.now() + timedelta(hours=1))
    integ = service.authenticate(app, key)  # the changed config (the cache was dropped on commit)
    assert integ.config.in_maintenance(clock.now())
    for i in range(3):
        trigger(app, integ, key, f"deploy-{i}", severity="critical", group="web")
    assert all_incidents(app) == [] and {r["incident_id"] for r in alerts(app)} == {None}
    resolve(app, integ, key, "deploy-0")
    clock.advance(hours=1, seconds=1)  # the window is over: a new alert opens an incident again
    trigger(app, integ, key, "after", severity="critical", group="web")
    [inc] = all_incidents(app)
    assert [r["dedup_key"] for r in alerts(app, incident_id=inc.id)] == ["after"]
    trigger(app, integ, key, "deploy-0", severity="critical", group="web")  # resolved in maintenance, fires again
    assert {r["dedup_key"] for r in alerts(app, incident_id=inc.id)} == {"after", "deploy-0"}
    service.set_maintenance(app, ADMIN, integ.id, clock.now() + timedelta(minutes=30))
    service.set_maintenance(app, ADMIN, integ.id, None)  # ended early
    assert "maintenance_until" not in queries.get_integration(app, integ.id)["config"]
    with pytest.raises(Invalid):
        service.set_maintenance(app, ADMIN, integ.id, clock.now() - timedelta(minutes=1))
