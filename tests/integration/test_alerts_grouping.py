"""One sender group is one incident (SQLite and PostgreSQL): a database outage that takes down checkout, sent by
Alertmanager as one group, opens one incident that both services join (on the timeline, paging each service's
policy); `group_by` still splits; PagerDuty events group by `payload.group`, else by `dedup_key`."""

from __future__ import annotations

from tests.alerts_support import alerts, am_alert, am_post, integration, pd_event
from tests.alerts_support import incidents as all_incidents
from tests.helpers import assert_replay_matches
from tests.notify_support import Recorder, paged, person, policy, run_ticks, service_with
from warroom.alerts import service
from warroom.alerts.sources import alertmanager, pagerduty
from warroom.incidents import service as incidents

GROUP = '{}:{alertname="HighErrorRate"}'
QUIET = {"major": {"priorities": [], "min_services": 0, "tier1_down": False}}  # no promotion in these tests


def _world(app):
    """Two services, each with its own escalation policy paging its own person."""
    rec = Recorder(app)
    ana, bo = person(app, "ana"), person(app, "bo")
    db_policy = policy(app, "db", [[{"kind": "user", "id": ana}]])
    web_policy = policy(app, "checkout", [[{"kind": "user", "id": bo}]])
    return rec, service_with(app, "db", db_policy), service_with(app, "checkout", web_policy), db_policy, web_policy


def _service_changes(app, incident_id):
    return [e.data["changes"]["service_ids"] for e in incidents.timeline(app, incident_id)
            if e.kind == "fields.changed" and "service_ids" in e.data["changes"]]


def test_one_alertmanager_group_over_two_services_is_one_incident_with_both(app):
    rec, db, checkout, db_policy, web_policy = _world(app)
    integ, _ = integration(app, "alertmanager", **QUIET)
    post = am_post([am_alert("HighErrorRate", instance="pg-1", service="db", severity="critical"),
                    am_alert("HighErrorRate", instance="web-1", service="checkout", severity="critical")], GROUP)
    service.ingest(app, integ, alertmanager.parse(post))
    [inc] = all_incidents(app)
    assert sorted(inc.service_ids) == sorted([db, checkout])
    assert {a["incident_id"] for a in alerts(app)} == {inc.id}
    assert {a["service_id"] for a in alerts(app)} == {db, checkout}
    # each service is on the timeline (declared with the incident, or joined through the incidents service),
    # and each service's policy is paged once
    declared = [e.data["service_ids"] for e in incidents.timeline(app, inc.id) if e.kind == "incident.declared"]
    joined = [c["new"] for c in _service_changes(app, inc.id)]
    assert sorted(set(declared[0]) | {s for new in joined for s in new}) == sorted([db, checkout])
    assert len(joined) <= 1
    pages = paged(app, inc.id)
    assert sorted(p["policy_id"] for p in pages) == sorted([db_policy, web_policy])
    assert {p["reason"] for p in pages} <= {"declared", "service added"}
    run_ticks(app)
    assert sorted(s["address"] for s in rec.sent) == ["ana@example.test", "bo@example.test"]
    assert_replay_matches(app, inc.id)


def test_a_later_post_of_the_same_group_adds_its_service_to_the_open_incident(app, clock):
    """The second post goes the storm path (the group is remembered; pipelined on PostgreSQL)."""
    rec, db, checkout, db_policy, web_policy = _world(app)
    integ, _ = integration(app, "alertmanager", **QUIET)
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="pg-1",
                                                                    service="db")], GROUP)))
    clock.advance(seconds=30)
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="pg-2",
                                                                    service="db")], GROUP)))
    assert _service_changes(app, all_incidents(app)[0].id) == []  # a service already there is not added again
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="pg-1", service="db"),
                                                           am_alert("HighErrorRate", instance="web-1",
                                                                    service="checkout")], GROUP)))
    [inc] = all_incidents(app)
    assert sorted(inc.service_ids) == sorted([db, checkout]) and len(alerts(app, incident_id=inc.id)) == 3
    assert _service_changes(app, inc.id) == [{"old": [db], "new": sorted([db, checkout])}]
    assert [(p["policy_id"], p["reason"]) for p in paged(app, inc.id)] == [(db_policy, "declared"),
                                                                          (web_policy, "service added")]
    assert_replay_matches(app, inc.id)


def test_a_service_joining_after_an_acknowledgement_is_on_the_timeline_but_pages_nobody(app, users):
    rec, db, checkout, db_policy, web_policy = _world(app)
    integ, _ = integration(app, "alertmanager", **QUIET)
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="pg-1",
                                                                    service="db")], GROUP)))
    [inc] = all_incidents(app)
    incidents.acknowledge(app, users.principal("responder"), inc.id)
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="web-1",
                                                                    service="checkout")], GROUP)))
    [inc] = all_incidents(app)
    assert sorted(inc.service_ids) == sorted([db, checkout])
    assert _service_changes(app, inc.id) == [{"old": [db], "new": sorted([db, checkout])}]
    assert [p["policy_id"] for p in paged(app, inc.id)] == [db_policy]
    assert_replay_matches(app, inc.id)


def test_services_from_rules_labels_and_the_default_all_join_the_group_incident(app):
    _, db, checkout, _, _ = _world(app)
    edge = service_with(app, "edge", None)
    rules = [{"match": {"team": "dba"}, "set": {"service": "db"}}]
    integ, _ = integration(app, "alertmanager", service_id=edge, rules=rules, **QUIET)
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="lb-1"),
                                                           am_alert("HighErrorRate", instance="pg-1", team="dba"),
                                                           am_alert("HighErrorRate", instance="web-1",
                                                                    service="checkout")], GROUP)))
    [inc] = all_incidents(app)
    assert sorted(inc.service_ids) == sorted([edge, db, checkout])
    assert_replay_matches(app, inc.id)


def test_different_alertmanager_groups_stay_different_incidents(app):
    integ, _ = integration(app, "alertmanager", **QUIET)
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("HighErrorRate", service="db")], GROUP)))
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("DiskFull", service="db")],
                                                          '{}:{alertname="DiskFull"}')))
    assert len(all_incidents(app)) == 2


def test_group_by_service_splits_a_sender_group_as_before(app):
    _, db, checkout, _, _ = _world(app)
    integ, _ = integration(app, "alertmanager", group_by=["service"], **QUIET)
    service.ingest(app, integ, alertmanager.parse(am_post([am_alert("HighErrorRate", instance="pg-1", service="db"),
                                                           am_alert("HighErrorRate", instance="web-1",
                                                                    service="checkout")], GROUP)))
    assert sorted(list(i.service_ids) for i in all_incidents(app)) == sorted([[db], [checkout]])


def test_pagerduty_payload_group_over_two_services_is_one_incident(app):
    _, db, checkout, _, _ = _world(app)
    integ, key = integration(app, **QUIET)
    service.ingest(app, integ, [pagerduty.parse(pd_event(key, dedup="pg", group="prod", service="db")),
                                pagerduty.parse(pd_event(key, dedup="web", group="prod", service="checkout"))])
    [inc] = all_incidents(app)
    assert sorted(inc.service_ids) == sorted([db, checkout])
    assert_replay_matches(app, inc.id)


def test_pagerduty_events_without_a_group_are_grouped_by_their_dedup_key(app):
    """As in PagerDuty: each alert is its own incident unless the sender groups; Alertmanager's PagerDuty
    sender repeats one dedup_key per alert group, so one group stays one incident."""
    _, db, checkout, _, _ = _world(app)
    integ, key = integration(app, **QUIET)
    service.ingest(app, integ, [pagerduty.parse(pd_event(key, dedup="am-group-1", service="db"))])
    service.ingest(app, integ, [pagerduty.parse(pd_event(key, dedup="am-group-1", service="db"))])
    service.ingest(app, integ, [pagerduty.parse(pd_event(key, dedup="zabbix-77", service="db"))])
    assert len(all_incidents(app)) == 2
    per_service, _ = integration(app, name="per-service", group_by=["service"], **QUIET)
    service.ingest(app, per_service, [pagerduty.parse(pd_event(key, dedup=f"z{i}", service="db")) for i in range(3)])
    assert len(all_incidents(app)) == 3  # group_by service: the three make one more incident
