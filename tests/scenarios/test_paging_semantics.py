"""Paging a real outage can trust (issue 10): no stale pages, alerts never run a major incident, alert actions
match the incident, and causes come before their effects on the timeline. FakeClock, real HTTP receivers."""

from __future__ import annotations

import pytest

from tests.helpers import assert_replay_matches
from tests.notify_support import ADMIN, Receiver, declare, kinds, paged, person, policy, run_ticks, service_with
from warroom.alerts import queries as alert_queries
from warroom.escalation import queries as esc_queries
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Status
from warroom.notifications import contacts, outbox
from warroom.notifications import queries as notify_queries
from warroom.notifications.outbox import Retry


@pytest.fixture
def receiver():
    r = Receiver(status=503)  # the first attempt fails: the page stays queued, retrying
    yield r
    r.close()


def _hooked(app, receiver, name: str = "ana") -> int:
    """A person reached by a webhook on loopback, paged by the policy of a new service; returns the service id."""
    app.notifications.retry = Retry(base_seconds=30, cap_seconds=600, max_attempts=5, lease_seconds=60)
    uid = person(app, name)
    hook = contacts.add_method(app, ADMIN, uid, kind="webhook", address=receiver.url(), secret="k")
    contacts.add_rule(app, ADMIN, uid, method_id=hook["id"])
    return service_with(app, f"svc-{name}", policy(app, f"p-{name}", [[{"kind": "user", "id": uid}]], timeout=60))


def _queued_page(app, clock, receiver) -> tuple[int, int]:
    """Declare; the page's first attempt fails, so it is queued for a retry. Returns (incident, notification)."""
    inc = declare(app, _hooked(app, receiver))
    (nid,) = [n["id"] for n in notify_queries.list_(app, incident_id=inc)]
    run_ticks(app)
    assert len(receiver.wait_for(1)) == 1
    row = notify_queries.get(app, nid)
    assert row["state"] == "pending" and row["attempts"] == 1
    receiver.status = 200  # the receiver is back: a stale page would now get through
    return inc, nid


@pytest.mark.parametrize("answer", ["acknowledge", "resolve"])
def test_answering_cancels_the_queued_page_and_nothing_stale_is_delivered(app, clock, receiver, answer):
    inc, nid = _queued_page(app, clock, receiver)
    if answer == "acknowledge":
        incidents.acknowledge(app, ADMIN, inc)
    else:
        incidents.move(app, ADMIN, inc, Status.RESOLVED)
    row = notify_queries.get(app, nid)  # cancelled in the answer's own transaction
    assert row["state"] == "cancelled" and row["next_attempt_at"] is None
    assert row["last_error"] == f"incident {'acknowledged' if answer == 'acknowledge' else 'resolved'}"
    clock.advance(minutes=30)
    run_ticks(app, 3)
    assert len(receiver.got) == 1  # only the failed first attempt: nothing after the answer
    assert notify_queries.get(app, nid)["state"] == "cancelled"
    assert_replay_matches(app, inc)


def test_merging_away_cancels_the_duplicates_pages(app, clock, receiver):
    dup, nid = _queued_page(app, clock, receiver)
    primary = incidents.declare(app, ADMIN, title="the real one", impact=incidents.Impact.MINOR,
                                urgency=incidents.Urgency.LOW).id
    incidents.merge(app, ADMIN, dup, primary)
    assert notify_queries.get(app, nid)["last_error"] == "incident merged"
    clock.advance(minutes=30)
    run_ticks(app, 2)
    assert len(receiver.got) == 1 and notify_queries.get(app, nid)["state"] == "cancelled"


def test_the_worker_rechecks_the_incident_before_sending(app, clock, receiver):
    """A page that is pending again after its incident was acknowledged (an operator retried it) is dropped
    when claimed: cancelled with the reason, never sent, never dead."""
    inc, nid = _queued_page(app, clock, receiver)
    clock.advance(seconds=5)
    incidents.acknowledge(app, ADMIN, inc)
    assert outbox.retry(app, nid)["state"] == "pending"
    run_ticks(app)
    row = notify_queries.get(app, nid)
    assert row["state"] == "cancelled" and row["last_error"] == "incident acknowledged"
    assert len(row["attempt_log"]) == 1  # no attempt was even started
    assert len(receiver.got) == 1
    incidents.move(app, ADMIN, inc, Status.RESOLVED)
    outbox.retry(app, nid)
    run_ticks(app)
    assert notify_queries.get(app, nid)["last_error"] == "incident resolved" and len(receiver.got) == 1


def test_a_page_written_after_the_acknowledgement_still_goes_out(app, clock, receiver):
    """The re-check drops pages older than the acknowledgement only (e.g. a breach page sent later applies)."""
    from warroom.escalation import service as esc

    receiver.status = 200
    sid = _hooked(app, receiver)
    boss = person(app, "boss")
    hook = contacts.add_method(app, ADMIN, boss, kind="webhook", address=receiver.url("/boss"))
    contacts.add_rule(app, ADMIN, boss, method_id=hook["id"])
    managers = policy(app, "managers", [[{"kind": "user", "id": boss}]])
    esc.set_targets(app, ADMIN, {"ack_minutes": {"P1": 5}, "resolve_minutes": {"P1": 60},
                                 "breach_policy_id": managers})
    inc = declare(app, sid)
    run_ticks(app)
    clock.advance(minutes=1)
    incidents.acknowledge(app, ADMIN, inc)
    clock.advance(minutes=60)
    run_ticks(app)
    assert paged(app, inc)[-1]["reason"] == "breach:resolve"
    assert [r.path for r in receiver.wait_for(2)] == ["/hook", "/boss"]
    assert "escalation.stopped" in kinds(app, inc)


# -- 2. alerts never run a major incident; only people acknowledge; a reopened incident pages again ------------

def _alerting(app, name: str, *, tier: int = 3, major: bool = False):
    """A service (with a policy paging `name` through a recording channel) and a PagerDuty integration on it."""
    from tests.alerts_support import integration
    from tests.notify_support import Recorder
    from warroom.catalog import service as catalog

    rec = Recorder.of(app)
    uid = person(app, name)
    pid = policy(app, f"p-{name}", [[{"kind": "user", "id": uid}]], timeout=10)
    sid = catalog.create_service(app, name=f"svc-{name}", tier=tier, escalation_policy_id=pid)["id"]
    rules = {"priorities": [], "min_services": 0, "tier1_down": major}
    integ, _ = integration(app, name=f"mon-{name}", service_id=sid, major=rules, reopen_window_s=3600)
    return rec, integ


def _fire(app, integ, key: str, action: str = "trigger", severity: str = "critical") -> int:
    from warroom.alerts import service as alerts
    from warroom.alerts.model import Action, AlertIn

    alerts.ingest(app, integ, [AlertIn(key, Action(action), f"{key} is down", severity)])
    (row,) = [r for r in alert_queries.list_alerts(app, integration_id=integ.id)[0] if r["dedup_key"] == key]
    return row["incident_id"]


def _targets(app, inc: int) -> dict[str, str]:

    return {t["kind"]: t["state"] for t in esc_queries.escalations_for(app, inc)["targets"]}


def test_a_flapping_critical_alert_on_a_tier1_service_keeps_its_major_incident_open(app, clock):
    rec, integ = _alerting(app, "ana", tier=1, major=True)
    inc = _fire(app, integ, "db-down")
    state = incidents.get(app, inc)
    assert state.major and state.status == "identified"
    [promoted] = [e for e in incidents.timeline(app, inc) if e.kind == "major.promoted"]
    assert promoted.data["reason"] == "tier-1 service svc-ana has a critical alert"  # a name people know, not an id
    for _ in range(3):  # flapping: resolves, fires again, ...
        clock.advance(minutes=2)
        assert _fire(app, integ, "db-down", "resolve") == inc
        state = incidents.get(app, inc)
        assert state.status == "identified" and state.resolved_at is None, "alerts never resolve a major incident"
        clock.advance(minutes=1)
        assert _fire(app, integ, "db-down") == inc  # joins the open incident: no new one
    tl = incidents.timeline(app, inc)
    facts = [e for e in tl if e.kind == "alerts.all_resolved"]
    assert len(facts) == 3 and all(e.data["major"] for e in facts)
    assert "incident.acknowledged" not in [e.kind for e in tl], "no system actor acknowledges"
    assert state.acknowledged_at is None
    run_ticks(app)
    assert [s["event"] for s in rec.sent if s["event"] == "page"] == ["page"]
    clock.advance(minutes=10)
    run_ticks(app)
    # the alerts stopped nothing: nobody answered, so the escalation ran its course and the target was missed
    assert "escalation.exhausted" in kinds(app, inc) and "escalation.stopped" not in kinds(app, inc)
    assert _targets(app, inc)["ack"] == "breached"
    incidents.move(app, ADMIN, inc, Status.RESOLVED)  # a person resolves it
    assert incidents.get(app, inc).acknowledged_at is None and _targets(app, inc)["ack"] == "breached"
    assert_replay_matches(app, inc)


def test_an_ordinary_incident_resolved_by_its_alert_pages_again_when_it_reopens(app, clock):
    rec, integ = _alerting(app, "bo")
    inc = _fire(app, integ, "disk", severity="error")
    assert not incidents.get(app, inc).major
    run_ticks(app)
    assert len(rec.sent) == 1
    clock.advance(minutes=3)
    _fire(app, integ, "disk", "resolve")
    state = incidents.get(app, inc)
    assert state.status == "resolved" and state.acknowledged_at is None  # auto-resolved, never acknowledged
    tl = incidents.timeline(app, inc)
    assert "incident.acknowledged" not in [e.kind for e in tl]
    assert [e.actor for e in tl if e.kind == "status.changed"] == ["alert:mon-bo"]
    assert _targets(app, inc)["ack"] == "not_acknowledged"
    clock.advance(minutes=5)
    assert _fire(app, integ, "disk", severity="error") == inc  # fires again inside the reopen window
    state = incidents.get(app, inc)
    assert state.status == "investigating" and state.acknowledged_at is None
    pages = paged(app, inc)
    assert [(p["level"], p["reason"]) for p in pages] == [(1, "declared"), (1, "reopened")]
    seq = {e.kind: e.seq for e in incidents.timeline(app, inc)}  # each kind's last seq
    assert seq["status.changed"] < seq["alerts.attached"] < seq["escalation.paged"]  # cause, then effect
    assert _targets(app, inc)["ack"] == "pending"  # a new acknowledgement target, counted from the reopening
    run_ticks(app)
    assert len(rec.sent) == 2 and rec.sent[-1]["reason"] == "reopened"
    incidents.acknowledge(app, ADMIN, inc)  # a person answers: escalation stops, the target is met
    assert _targets(app, inc)["ack"] == "met"
    clock.advance(minutes=30)
    run_ticks(app)
    assert len(paged(app, inc)) == 2
    assert_replay_matches(app, inc)


def test_a_person_reopening_a_resolved_incident_pages_again(app, clock):
    from tests.notify_support import Recorder

    rec = Recorder(app)
    cy = person(app, "cy")
    inc = declare(app, service_with(app, "web", policy(app, "web", [[{"kind": "user", "id": cy}]])))
    incidents.acknowledge(app, ADMIN, inc)
    incidents.move(app, ADMIN, inc, Status.RESOLVED)
    assert _targets(app, inc)["ack"] == "met"
    clock.advance(minutes=20)
    incidents.move(app, ADMIN, inc, Status.INVESTIGATING, note="errors are back")
    assert [p["reason"] for p in paged(app, inc)] == ["declared", "reopened"]
    assert incidents.get(app, inc).acknowledged_at is None
    run_ticks(app)
    assert [s["reason"] for s in rec.sent] == ["reopened"]  # the first page was cancelled by the acknowledgement
    assert_replay_matches(app, inc)


def test_merged_without_an_acknowledgement_shows_the_target_not_acknowledged(app, clock):
    dup = declare(app, service_with(app, "api", None))
    primary = declare(app, service_with(app, "api2", None), title="primary")
    incidents.acknowledge(app, ADMIN, primary)
    incidents.merge(app, ADMIN, dup, primary)
    assert _targets(app, dup)["ack"] == "not_acknowledged"
    assert _targets(app, primary)["ack"] == "met"
    clock.advance(hours=2)
    run_ticks(app)
    assert "sla.breached" not in kinds(app, dup)


def test_a_target_the_new_priority_does_not_have_is_dropped_not_met(app, clock):
    inc = declare(app, service_with(app, "ops", None))  # P1: both targets
    incidents.edit(app, ADMIN, inc, {"impact": incidents.Impact.MINOR, "urgency": incidents.Urgency.LOW})
    assert incidents.get(app, inc).priority == "P5"  # no targets at P5
    assert _targets(app, inc) == {"ack": "dropped", "resolve": "dropped"}


# -- 3. alert actions match the incident ---------------------------------------------------------------

def test_acknowledging_an_alert_acknowledges_its_incident_and_stops_escalation(app, clock, users):
    from warroom.alerts import service as alerts

    rec, integ = _alerting(app, "di")
    inc = _fire(app, integ, "api-5xx", severity="error")
    (aid,) = [r["id"] for r in alert_queries.list_alerts(app, incident_id=inc)[0]]
    alerts.acknowledge_alert(app, users.principal("responder"), aid)
    tl = incidents.timeline(app, inc)
    (ack,) = [e for e in tl if e.kind == "incident.acknowledged"]
    assert ack.actor == "rui" and ack.data["via_alert"] == aid and ack.data["alert"]["summary"] == "api-5xx is down"
    assert tl[-1].kind == "escalation.stopped" and tl[-1].data["reason"] == "acknowledged"
    assert {n["state"] for n in notify_queries.list_(app, incident_id=inc)} == {"cancelled"}
    assert _targets(app, inc)["ack"] == "met"
    clock.advance(minutes=60)
    run_ticks(app, 2)
    assert rec.sent == [] and len(paged(app, inc)) == 1
    assert_replay_matches(app, inc)


def test_the_senders_acknowledgement_is_a_fact_and_a_second_one_by_hand_too(app, clock, users):
    from warroom.alerts import service as alerts

    rec, integ = _alerting(app, "ed")
    inc = _fire(app, integ, "a", severity="error")
    _fire(app, integ, "b", severity="error")
    _fire(app, integ, "a", "acknowledge")  # the monitoring tool says so: not a person in warroom
    assert incidents.get(app, inc).acknowledged_at is None
    assert [e.actor for e in incidents.timeline(app, inc) if e.kind == "alerts.acknowledged"] == ["alert:mon-ed"]
    clock.advance(minutes=10)
    run_ticks(app)
    assert "escalation.exhausted" in kinds(app, inc)  # escalation went on: nobody in warroom answered
    incidents.acknowledge(app, ADMIN, inc)
    b = [r["id"] for r in alert_queries.list_alerts(app, incident_id=inc)[0] if r["dedup_key"] == "b"][0]
    alerts.acknowledge_alert(app, users.principal("responder"), b)
    last = incidents.timeline(app, inc)[-1]
    assert last.kind == "alerts.acknowledged" and last.actor == "rui" and last.data["alert_ids"] == [b]
    assert_replay_matches(app, inc)


def test_resolving_alerts_by_hand_is_on_the_timeline_and_never_resolves_a_major_incident(app, clock, users):
    from warroom.alerts import service as alerts

    _, integ = _alerting(app, "fay", tier=1, major=True)
    inc = _fire(app, integ, "core-down")
    assert incidents.get(app, inc).major
    (aid,) = [r["id"] for r in alert_queries.list_alerts(app, incident_id=inc)[0]]
    alerts.resolve_alert(app, users.principal("responder"), aid)
    tl = incidents.timeline(app, inc)
    resolved = [e for e in tl if e.kind == "alerts.resolved"]
    assert [(e.actor, e.data["alert_ids"]) for e in resolved] == [("rui", [aid])]
    assert tl[-1].kind == "alerts.all_resolved" and tl[-1].data["major"] is True
    assert incidents.get(app, inc).status == "identified"
    assert_replay_matches(app, inc)


def test_alert_actions_through_the_api_and_the_war_room_prompt(app, clock, api, users):
    from tests.web.pages_support import login_as

    _, integ = _alerting(app, "gil", tier=1, major=True)
    inc = _fire(app, integ, "lb-down")
    ref = incidents.get(app, inc).ref
    (aid,) = [r["id"] for r in alert_queries.list_alerts(app, incident_id=inc)[0]]
    r = users.headers("responder")
    assert api.post(f"/api/v1/alerts/{aid}/acknowledge", headers=r).status_code == 200
    acked = api.get(f"/api/v1/incidents/{inc}", headers=r).json()
    assert acked["acknowledged_at"] is not None
    assert api.post(f"/api/v1/alerts/{aid}/resolve", headers=r).status_code == 200
    assert api.get(f"/api/v1/incidents/{inc}", headers=r).json()["status"] == "identified"
    login_as(api, "viewer")
    html = api.get(f"/incidents/{ref}").text
    assert "Every attached alert has resolved." in html and "This major incident stays open" in html
    assert "all-alerts-resolved" in html
    assert f'by acknowledging the alert <a href="/alerts/{aid}">lb-down is down</a>' in html
    # an ordinary incident resolved without an acknowledgement: the API and the war room say "not acknowledged"
    other = declare(app, service_with(app, "quiet", None), title="false alarm")
    incidents.move(app, ADMIN, other, Status.RESOLVED)
    targets = api.get(f"/api/v1/incidents/{other}/escalations", headers=r).json()["targets"]
    assert {t["kind"]: t["state"] for t in targets}["ack"] == "not_acknowledged"
    page = api.get(f"/incidents/{incidents.get(app, other).ref}").text
    assert '<b class="target-not_acknowledged">not acknowledged</b>' in page
    # the alert's page: a responder's Acknowledge button acknowledges the incident too
    _, dns = _alerting(app, "hal")
    third = _fire(app, dns, "dns-down", severity="error")
    assert incidents.get(app, third).acknowledged_at is None
    (tid,) = [r["id"] for r in alert_queries.list_alerts(app, incident_id=third)[0]]
    csrf = login_as(api, "responder")
    res = api.post(f"/alerts/{tid}/acknowledge", data={"csrf": csrf, "back": "alert"}, follow_redirects=False)
    assert res.status_code == 303
    (ack,) = [e for e in incidents.timeline(app, third) if e.kind == "incident.acknowledged"]
    assert ack.actor == "rui" and ack.data["via_alert"] == tid
