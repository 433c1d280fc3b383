"""Incidents opened from alerts page their service's policy too, inside the ingestion transaction."""

from __future__ import annotations

from tests.alerts_support import integration
from tests.helpers import assert_replay_matches
from tests.notify_support import ADMIN, Recorder, paged, person, policy, run_ticks, service_with
from warroom.alerts import queries as alert_queries
from warroom.alerts import service as alerts
from warroom.alerts.model import Action, AlertIn
from warroom.incidents import service as incidents


def test_alert_opened_incident_pages_and_ack_stops(app, clock):
    rec = Recorder(app)
    ana, bo = person(app, "ana"), person(app, "bo")
    sid = service_with(app, "db", policy(app, "db", [[{"kind": "user", "id": ana}], [{"kind": "user", "id": bo}]]))
    integ, _ = integration(app, "pagerduty", service_id=sid)
    alerts.ingest(app, integ, [AlertIn("disk-1", Action.TRIGGER, "disk full on db1", "critical")])
    (inc,) = [r["incident_id"] for r in alert_queries.list_alerts(app)[0]]
    assert [p["user_ids"] for p in paged(app, inc)] == [[ana]]
    seq = {e.kind: e.seq for e in reversed(incidents.timeline(app, inc))}  # each kind's first seq
    assert seq["incident.declared"] < seq["alerts.attached"] < seq["escalation.paged"]  # cause before effect
    # a repeat of the same alert neither opens a new incident nor pages again
    alerts.ingest(app, integ, [AlertIn("disk-1", Action.TRIGGER, "disk full on db1", "critical")])
    assert len(paged(app, inc)) == 1
    run_ticks(app)
    assert [s["address"] for s in rec.sent] == ["ana@example.test"]
    clock.advance(minutes=5)
    run_ticks(app)
    assert [p["user_ids"] for p in paged(app, inc)] == [[ana], [bo]]
    incidents.acknowledge(app, ADMIN, inc)
    clock.advance(minutes=30)
    run_ticks(app)
    assert len(paged(app, inc)) == 2
    assert_replay_matches(app, inc)
