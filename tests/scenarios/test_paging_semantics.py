"""Paging a real outage can trust (issue 10): no stale pages, alerts never run a major incident, alert actions
match the incident, and causes come before their effects on the timeline. FakeClock, real HTTP receivers."""

from __future__ import annotations

import pytest

from tests.helpers import assert_replay_matches
from tests.notify_support import ADMIN, Receiver, declare, kinds, paged, person, policy, run_ticks, service_with
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Status
from warroom.notifications import contacts, outbox
from warroom.notifications.outbox import Retry


@pytest.fixture
def receiver():
    r = Receiver(status=503)  # the first attempt fails: the page stays queued, retrying
    yield r
    r.close()


def _hooked(app, receiver, name: str = "ana") -> int:
    """A person reached by a webhook on loopback, paged by the policy of a new service; returns the service id."""
    app.extras["notify_retry"] = Retry(base_seconds=30, cap_seconds=600, max_attempts=5, lease_seconds=60)
    uid = person(app, name)
    hook = contacts.add_method(app, ADMIN, uid, kind="webhook", address=receiver.url(), secret="k")
    contacts.add_rule(app, ADMIN, uid, method_id=hook["id"])
    return service_with(app, f"svc-{name}", policy(app, f"p-{name}", [[{"kind": "user", "id": uid}]], timeout=60))


def _queued_page(app, clock, receiver) -> tuple[int, int]:
    """Declare; the page's first attempt fails, so it is queued for a retry. Returns (incident, notification)."""
    inc = declare(app, _hooked(app, receiver))
    (nid,) = [n["id"] for n in outbox.list_(app, incident_id=inc)]
    run_ticks(app)
    assert len(receiver.wait_for(1)) == 1
    row = outbox.get(app, nid)
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
    row = outbox.get(app, nid)  # cancelled in the answer's own transaction
    assert row["state"] == "cancelled" and row["next_attempt_at"] is None
    assert row["last_error"] == f"incident {'acknowledged' if answer == 'acknowledge' else 'resolved'}"
    clock.advance(minutes=30)
    run_ticks(app, 3)
    assert len(receiver.got) == 1  # only the failed first attempt: nothing after the answer
    assert outbox.get(app, nid)["state"] == "cancelled"
    assert_replay_matches(app, inc)


def test_merging_away_cancels_the_duplicates_pages(app, clock, receiver):
    dup, nid = _queued_page(app, clock, receiver)
    primary = incidents.declare(app, ADMIN, title="the real one", impact=incidents.Impact.MINOR,
                                urgency=incidents.Urgency.LOW).id
    incidents.merge(app, ADMIN, dup, primary)
    assert outbox.get(app, nid)["last_error"] == "incident merged"
    clock.advance(minutes=30)
    run_ticks(app, 2)
    assert len(receiver.got) == 1 and outbox.get(app, nid)["state"] == "cancelled"


def test_the_worker_rechecks_the_incident_before_sending(app, clock, receiver):
    """A page that is pending again after its incident was acknowledged (an operator retried it) is dropped
    when claimed: cancelled with the reason, never sent, never dead."""
    inc, nid = _queued_page(app, clock, receiver)
    clock.advance(seconds=5)
    incidents.acknowledge(app, ADMIN, inc)
    assert outbox.retry(app, nid)["state"] == "pending"
    run_ticks(app)
    row = outbox.get(app, nid)
    assert row["state"] == "cancelled" and row["last_error"] == "incident acknowledged"
    assert len(row["attempt_log"]) == 1  # no attempt was even started
    assert len(receiver.got) == 1
    incidents.move(app, ADMIN, inc, Status.RESOLVED)
    outbox.retry(app, nid)
    run_ticks(app)
    assert outbox.get(app, nid)["last_error"] == "incident resolved" and len(receiver.got) == 1


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
