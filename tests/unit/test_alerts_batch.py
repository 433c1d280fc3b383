"""The decisions of one alert batch (alerts/batch.py), without a database: dedup, repeats, re-firing, acknowledge,
resolve, grouping, and the timeline facts a touched incident gets."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from warroom.alerts import batch
from warroom.alerts.batch import Submission
from warroom.alerts.model import Action, AlertIn
from warroom.alerts.rules import Config, Integration, Rule
from warroom.incidents import decide
from warroom.incidents.events import IncidentState
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import DEFAULT_MATRIX, Impact, Urgency
from warroom.incidents.projection import start

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PD = Integration(1, "pd", "pagerduty", None, Config())


@dataclass
class View:
    by_name: dict[str, int] = field(default_factory=dict)
    tiers: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    def service_id(self, name: str | None) -> int | None:
        return self.by_name.get(name) if name else None


def fire(key: str, severity: str = "error", group: str = "g1", **kw: object) -> AlertIn:
    return AlertIn(key, Action.TRIGGER, f"{key} failing", severity, group_hint=group, **kw)  # type: ignore[arg-type]


def ack(key: str) -> AlertIn:
    return AlertIn(key, Action.ACKNOWLEDGE, "", "info")


def resolve(key: str) -> AlertIn:
    return AlertIn(key, Action.RESOLVE, "", "info")


def stored(key: str, status: str = "firing", incident_id: int | None = 7, count: int = 3) -> dict:
    return {"id": 100, "integration_id": PD.id, "dedup_key": key, "status": status, "severity": "error",
            "summary": key, "source": "", "service_id": None, "group_key": "g1", "labels": {}, "payload": {},
            "incident_id": incident_id, "count": count, "first_seen_at": NOW - timedelta(hours=1),
            "last_seen_at": NOW - timedelta(minutes=1), "acknowledged_at": None, "acknowledged_by": None,
            "resolved_at": None, "resolved_by": None}


def run(*alerts: AlertIn, known: dict | None = None, by: str | None = None,
        integ: Integration = PD) -> dict[batch.Key, batch.Rec]:
    return batch.apply_all([Submission(integ, list(alerts), by=by)], known or {}, View(), NOW)


def incident(**kw: object) -> IncidentState:
    declared = decide.declare(ref=7, title="x", description="", category="", service_ids=[],
                              identified_via="monitoring", impact=Impact.MODERATE, urgency=Urgency.HIGH,
                              priority=None, priority_reason=None, detected_at=None, by="alert:pd", at=NOW)
    return replace(start(7, declared.at_seq(1)), **kw)  # type: ignore[arg-type]


def test_a_new_key_becomes_one_new_row_and_its_repeats_count_in_it() -> None:
    recs = run(fire("a"), fire("a"), fire("a"))
    (r,) = recs.values()
    assert r.new and r.place and not r.bump and r.row["count"] == 3 and r.row["status"] == "firing"
    assert r.row["group_key"] and r.row["first_seen_at"] == NOW
    assert batch.new(recs) == [r] and batch.bumps(recs, NOW) == []


def test_repeats_of_a_known_firing_key_are_only_a_bump() -> None:
    recs = run(fire("a"), fire("a"), known={(1, "a"): stored("a")})
    (r,) = recs.values()
    assert not r.new and not r.dirty and not r.place and r.bump == 2 and r.row["count"] == 5
    assert batch.bumps(recs, NOW) == [(100, 2, NOW)]
    assert batch.rewrites(recs, ["status", "count"]) == [] and batch.touched(recs) == {}


def test_a_resolved_key_firing_again_is_rewritten_and_placed_keeping_its_first_seen() -> None:
    old = stored("a", status="resolved", count=4)
    recs = run(fire("a"), known={(1, "a"): old})
    r = recs[(1, "a")]
    assert r.dirty and r.place and not r.new and r.row["status"] == "firing" and r.row["count"] == 5
    assert r.row["first_seen_at"] == NOW - timedelta(hours=1) and r.row["incident_id"] == 7
    assert batch.rewrites(recs, ["status", "count"]) == [{"_id": 100, "status": "firing", "count": 5}]
    assert batch.bumps(recs, NOW) == []  # a rewritten row carries its count


def test_acknowledge_and_resolve_of_an_unknown_key_do_nothing() -> None:
    assert run(ack("nope"), resolve("nope")) == {}


def test_acknowledge_by_hand_names_the_person_and_touches_the_incident() -> None:
    recs = run(ack("a"), known={(1, "a"): stored("a")}, by="ana")
    r = recs[(1, "a")]
    assert r.acked_now and r.dirty and r.by_hand and r.actor == "ana" and r.row["acknowledged_by"] == "ana"
    assert batch.resolving(recs) == {7}
    assert list(batch.touched(recs)) == [7] and batch.touched(recs)[7].acknowledged == [r]


def test_resolving_a_new_alert_in_the_same_batch_keeps_it_new_and_resolved() -> None:
    recs = run(fire("a"), resolve("a"))
    (r,) = recs.values()
    assert r.new and not r.dirty and r.resolved_now
    assert r.row["status"] == "resolved" and r.row["resolved_by"] == PD.actor
    assert batch.resolving(recs) == set()  # no incident yet: it is placed with the batch


def test_fired_alerts_are_grouped_per_integration_and_group() -> None:
    recs = run(fire("a", group="g1"), fire("b", group="g1"), fire("c", group="g2"))
    groups = batch.groups_of(recs)
    assert [len(m) for m in groups.values()] == [2, 1]
    assert len({k[0] for k in groups}) == 1


def test_suppressed_and_maintenance_alerts_are_kept_but_not_placed() -> None:
    quiet = Integration(2, "q", "pagerduty", None, Config(rules=(Rule({"severity": ("info",)}, {},
                                                                       suppress=True),)))
    assert not run(fire("a", severity="info"), integ=quiet)[(2, "a")].place
    away = Integration(3, "m", "pagerduty", None, Config(maintenance_until=NOW + timedelta(hours=1)))
    r = run(fire("a"), integ=away)[(3, "a")]
    assert r.new and not r.place and batch.groups_of({(3, "a"): r}) == {}


def test_touched_incidents_come_in_id_order() -> None:
    known = {(1, "a"): stored("a", incident_id=9), (1, "b"): stored("b", incident_id=3)}
    known[(1, "b")]["id"] = 101
    recs = run(resolve("a"), resolve("b"), known=known)
    assert list(batch.touched(recs)) == [3, 9]


def test_facts_of_attached_alerts_list_them_and_raise_the_priority_for_a_worse_one() -> None:
    recs = run(fire("a", severity="critical"))
    (r,) = recs.values()
    r.row["id"], r.row["incident_id"] = 5, 7
    f = batch.facts(incident(), batch.touched(recs)[7], DEFAULT_MATRIX, None, NOW)
    kinds = [e.kind for e in f.events]
    assert kinds[0] == batch.ATTACHED and f.events[0].data["alert_ids"] == [5] and "priority.changed" in kinds
    assert not f.only_alert_facts and not f.auto_resolve and f.actor == PD.actor


def test_the_last_alert_resolving_resolves_the_incident_unless_it_is_major() -> None:
    recs = run(resolve("a"), known={(1, "a"): stored("a")})
    t = batch.touched(recs)[7]
    f = batch.facts(incident(status=Status.INVESTIGATING.value), t, DEFAULT_MATRIX, 0, NOW)
    assert [e.kind for e in f.events] == [batch.RESOLVED, batch.ALL_RESOLVED] and f.auto_resolve
    assert f.only_alert_facts and f.resolver == PD.actor
    major = batch.facts(incident(major=True), t, DEFAULT_MATRIX, 0, NOW)
    assert not major.auto_resolve and major.events[1].data == {"major": True}
    some_left = batch.facts(incident(), t, DEFAULT_MATRIX, 2, NOW)
    assert [e.kind for e in some_left.events] == [batch.RESOLVED] and not some_left.auto_resolve


def test_a_person_acknowledging_an_alert_acknowledges_its_open_incident_once() -> None:
    known = {(1, "a"): stored("a"), (1, "b"): stored("b")}
    known[(1, "b")]["id"] = 101
    recs = run(ack("a"), ack("b"), known=known, by="ana")
    events = batch.acknowledged(incident(), batch.touched(recs)[7].acknowledged, NOW)
    assert events[0].kind != batch.ACKNOWLEDGED and events[0].actor == "ana"
    assert events[-1].kind == batch.ACKNOWLEDGED and events[-1].data["alert_ids"] == [101]
    already = batch.acknowledged(incident(acknowledged_at=NOW), batch.touched(recs)[7].acknowledged, NOW)
    assert [e.kind for e in already] == [batch.ACKNOWLEDGED] and already[0].data["count"] == 2


def test_a_critical_alert_on_a_tier_one_service_promotes_the_incident() -> None:
    view = View(by_name={"pay": 4}, tiers={4: 1}, names={4: "pay"})
    recs = batch.apply_all([Submission(PD, [fire("a", severity="critical", service="pay")])], {}, view, NOW)
    (r,) = recs.values()
    r.row["incident_id"] = 7
    rule = batch.promotion(incident(), batch.touched(recs)[7], view)
    assert rule is not None and rule[0] == "tier1-down" and "pay" in rule[1]
    assert batch.promotion(incident(major=True), batch.touched(recs)[7], view) is None
