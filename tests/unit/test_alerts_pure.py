"""Pure alert modules: keys, grouping decisions, rules and the three source parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.alerts.fingerprint import fit_key, group_key, labels_fingerprint
from warroom.alerts.grouping import Placement, place
from warroom.alerts.model import Action, AlertIn, BadEvent, normalize_severity
from warroom.alerts.rules import Config, MajorRules, classify, parse_config, promotion_rule
from warroom.alerts.sources import alertmanager, generic, pagerduty
from warroom.errors import Invalid
from warroom.incidents.priority import Impact, Urgency

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def alert(**kw) -> AlertIn:
    base = {"dedup_key": "k", "action": Action.TRIGGER, "summary": "s", "severity": "error"}
    return AlertIn(**{**base, **kw})


# -- keys ---------------------------------------------------------------------------------------

def test_labels_fingerprint_ignores_order_and_sees_values():
    assert labels_fingerprint({"a": "1", "b": "2"}) == labels_fingerprint({"b": "2", "a": "1"})
    assert labels_fingerprint({"a": "1"}) != labels_fingerprint({"a": "2"})


def test_long_keys_become_hashes_without_truncation_collisions():
    a, b = "x" * 300 + "a", "x" * 300 + "b"
    assert fit_key("short") == "short"
    assert fit_key(a) != fit_key(b) and len(fit_key(a)) <= 255


def test_by_default_one_sender_group_is_one_group_whatever_services_its_alerts_name():
    """A database outage that takes down checkout: Alertmanager sends both alerts in one group."""
    am_group = '{}:{alertname="HighErrorRate"}'
    assert group_key(service="db", hint=am_group, group_by=[], labels={"service": "db"}) == \
        group_key(service="checkout", hint=am_group, group_by=[], labels={"service": "checkout"}) == \
        group_key(service=None, hint=am_group, group_by=[], labels={})
    assert group_key(service="db", hint=am_group, group_by=[], labels={}) != \
        group_key(service="db", hint='{}:{alertname="DiskFull"}', group_by=[], labels={})


def test_without_a_sender_group_the_service_is_the_group():
    assert group_key(service="api", hint="", group_by=[], labels={"pod": "p1"}) == \
        group_key(service="api", hint="", group_by=[], labels={"pod": "p2"})
    assert group_key(service="api", hint="", group_by=[], labels={}) != \
        group_key(service="db", hint="", group_by=[], labels={})
    assert group_key(service="api", hint="", group_by=[], labels={}) == "svc=api|group="  # as stored before


def test_group_by_labels_replace_the_sender_group_and_can_split_by_service():
    labels = {"cluster": "eu", "pod": "p1"}
    assert group_key(service="api", hint="g", group_by=["cluster"], labels=labels) == \
        group_key(service="db", hint="other", group_by=["cluster"], labels={"cluster": "eu", "pod": "p2"})
    assert group_key(service="api", hint="g", group_by=["cluster"], labels=labels) != \
        group_key(service="api", hint="g", group_by=["cluster"], labels={"cluster": "us"})
    assert group_key(service="api", hint="g", group_by=["service"], labels={}) != \
        group_key(service="db", hint="g", group_by=["service"], labels={})


# -- grouping -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "resolved_ago", "expected"), [
    (None, None, Placement.OPEN),
    ("identified", None, Placement.JOIN),
    ("investigating", None, Placement.JOIN),
    ("contained", None, Placement.JOIN),
    ("resolved", 60, Placement.REOPEN),
    ("resolved", 600, Placement.REOPEN),
    ("resolved", 601, Placement.OPEN),
    ("closed", 10, Placement.OPEN),
])
def test_place(status, resolved_ago, expected):
    resolved_at = T0 - timedelta(seconds=resolved_ago) if resolved_ago is not None else None
    assert place(status, resolved_at, T0, 600) is expected


# -- rules --------------------------------------------------------------------------------------

def test_default_config_and_severity_defaults():
    cfg = parse_config({})
    assert cfg == Config()
    c = classify(alert(severity="critical"), cfg)
    assert (c.impact, c.urgency) == (Impact.SIGNIFICANT, Urgency.CRITICAL)


def test_first_fitting_rule_sets_its_fields_and_defaults_fill_the_rest():
    cfg = parse_config({"rules": [
        {"match": {"team": ["db", "storage"], "severity": "critical"}, "set": {"category": "database",
                                                                          "service": "pg"}},
        {"match": {"team": "db"}, "set": {"impact": "extensive"}},
    ]})
    c = classify(alert(severity="critical", labels={"team": "storage"}), cfg)
    assert (c.category, c.service, c.urgency) == ("database", "pg", Urgency.CRITICAL)
    c = classify(alert(severity="warning", labels={"team": "db"}, service="from-label"), cfg)
    assert (c.impact, c.service, c.category) == (Impact.EXTENSIVE, "from-label", "")


@pytest.mark.parametrize(("raw", "field"), [
    ({"nope": 1}, "config.nope"),
    ({"rules": {}}, "config.rules"),
    ({"rules": [{"match": {}, "set": {}}]}, "config.rules.0"),
    ({"rules": [{"match": {}, "set": {"owner": "x"}}]}, "config.rules.0.set.owner"),
    ({"rules": [{"match": {"severity": "fatal"}, "set": {"category": "x"}}]}, "config.rules.0.match.severity"),
    ({"rules": [{"match": {"team": {}}, "set": {"category": "x"}}]}, "config.rules.0.match.team"),
    ({"group_by": "cluster"}, "config.group_by"),
    ({"reopen_window_s": -1}, "config.reopen_window_s"),
    ({"auto_resolve": "yes"}, "config.auto_resolve"),
    ({"rate_limit": 0}, "config.rate_limit"),
    ({"major": {"priorities": ["P9"]}}, "config.major.priorities"),
    ({"major": {"min_services": True}}, "config.major.min_services"),
])
def test_bad_configs_name_the_field(raw, field):
    with pytest.raises(Invalid) as err:
        parse_config(raw)
    assert err.value.field == field


def test_promotion_rules_in_order():
    rules = MajorRules(priorities=("P1",), min_services=3, tier1_down=True)
    assert promotion_rule(priority="P1", service_ids=[], critical_service_ids=[], tiers={}, rules=rules)[0] == \
        "priority:P1"
    assert promotion_rule(priority="P3", service_ids=[1, 2, 3], critical_service_ids=[], tiers={},
                          rules=rules)[0] == "services>=3"
    assert promotion_rule(priority="P3", service_ids=[1], critical_service_ids=[1], tiers={1: 1},
                          rules=rules)[0] == "tier1-down"
    assert promotion_rule(priority="P3", service_ids=[1], critical_service_ids=[1], tiers={1: 2}, rules=rules) is None
    off = MajorRules(priorities=(), min_services=0, tier1_down=False)
    assert promotion_rule(priority="P1", service_ids=[1, 2, 3], critical_service_ids=[1], tiers={1: 1},
                          rules=off) is None


@pytest.mark.parametrize(("raw", "expected"), [("CRITICAL", "critical"), ("page", "critical"), ("warn", "warning"),
                                               ("Informational", "info"), (None, "error"), ("???", "error")])
def test_severity_spellings(raw, expected):
    assert normalize_severity(raw) == expected


# -- sources ------------------------------------------------------------------------------------

def test_alertmanager_v4_payload():
    body = {"version": "4", "groupKey": "{}:{alertname=\"X\"}", "status": "firing", "commonLabels": {},
            "alerts": [{"status": "firing", "labels": {"alertname": "X", "severity": "page", "instance": "h1",
                                                      "service": "api"},
                        "annotations": {"summary": "X on h1"}, "startsAt": "2026-01-05T08:00:00Z",
                        "fingerprint": "abc"},
                       {"status": "resolved", "labels": {"alertname": "Y"}, "annotations": {},
                        "startsAt": "0001-01-01T00:00:00Z"}]}
    a, b = alertmanager.parse(body)
    assert (a.dedup_key, a.action, a.severity, a.summary, a.source, a.service, a.group_hint) == \
        ("abc", Action.TRIGGER, "critical", "X on h1", "h1", "api", "{}:{alertname=\"X\"}")
    assert a.occurred_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert b.action is Action.RESOLVE and b.summary == "Y" and b.dedup_key == labels_fingerprint({"alertname": "Y"})
    assert b.occurred_at is None


@pytest.mark.parametrize(("body", "problem"), [
    ([], "body"),
    ({"alerts": "x"}, "alerts"),
    ({"version": "3", "alerts": []}, "version"),
    ({"alerts": [{"status": "pending"}]}, "alerts.0.status"),
    ({"alerts": [{"status": "firing", "labels": []}]}, "alerts.0.labels"),
])
def test_alertmanager_bad_payloads(body, problem):
    with pytest.raises(BadEvent) as err:
        alertmanager.parse(body)
    assert any(e.startswith(problem) for e in err.value.errors)


def test_pagerduty_trigger_and_its_labels():
    a = pagerduty.parse({"routing_key": "k", "event_action": "trigger", "payload": {
        "summary": " CPU high ", "source": "h1", "severity": "warning", "component": "mysql", "group": "prod-db",
        "class": "cpu", "timestamp": "2026-01-05T08:00:00+01:00",
        "custom_details": {"service": "db", "free": 5, "nested": {"x": 1}}}, "links": [], "images": []})
    assert a.action is Action.TRIGGER and len(a.dedup_key) == 32 and a.summary == "CPU high"
    assert a.labels == {"source": "h1", "component": "mysql", "group": "prod-db", "class": "cpu", "service": "db",
                        "free": "5"}
    assert a.group_hint == "prod-db" and a.service == "db" and a.occurred_at == datetime(2026, 1, 5, 7, tzinfo=UTC)


def test_pagerduty_group_is_payload_group_or_else_the_dedup_key():
    """Alertmanager's and Grafana's PagerDuty senders put their alert group in `dedup_key`."""
    def event(**payload):
        return {"event_action": "trigger", "dedup_key": "am-group-hash",
                "payload": {"summary": "s", "source": "h", "severity": "error", **payload}}
    assert pagerduty.parse(event(group="prod-db")).group_hint == "prod-db"
    assert pagerduty.parse(event()).group_hint == "am-group-hash"
    assert pagerduty.parse(event(group="")).group_hint == "am-group-hash"
    fresh = pagerduty.parse({**event(), "dedup_key": None})
    assert fresh.group_hint == fresh.dedup_key and len(fresh.dedup_key) == 32


@pytest.mark.parametrize(("body", "problem"), [
    ({"event_action": "poke"}, "event_action"),
    ({"event_action": "resolve"}, "dedup_key"),
    ({"event_action": "trigger", "dedup_key": "x" * 256, "payload": {}}, "dedup_key"),
    ({"event_action": "trigger"}, "payload"),
    ({"event_action": "trigger", "payload": {"source": "s", "severity": "info"}}, "payload.summary"),
    ({"event_action": "trigger", "payload": {"summary": "s", "severity": "info"}}, "payload.source"),
    ({"event_action": "trigger", "payload": {"summary": "s", "source": "s", "severity": "high"}}, "payload.severity"),
    ({"event_action": "trigger", "payload": {"summary": "s" * 1025, "source": "s", "severity": "info"}},
     "payload.summary"),
    ({"event_action": "trigger", "payload": {"summary": "s", "source": "s", "severity": "info",
                                             "timestamp": "yesterday"}}, "payload.timestamp"),
    ({"event_action": "trigger", "links": {}, "payload": {"summary": "s", "source": "s", "severity": "info"}},
     "links"),
])
def test_pagerduty_invalid_events(body, problem):
    with pytest.raises(BadEvent) as err:
        pagerduty.parse(body)
    assert any(e.startswith(problem) for e in err.value.errors)


def test_pagerduty_acknowledge_and_resolve_need_only_the_key():
    assert pagerduty.parse({"event_action": "acknowledge", "dedup_key": "d"}).action is Action.ACKNOWLEDGE


MAPPING = {"items": "data.alerts", "summary": "title", "dedup_key": "id", "severity": "level", "status": "state",
           "service": "tags.service", "labels": "tags", "group": "tags.cluster"}


def test_generic_mapping_with_items_statuses_and_defaults():
    body = {"data": {"alerts": [
        {"id": 7, "title": "queue stuck", "level": "P1", "state": "alerting",
         "tags": {"service": "jobs", "cluster": "eu", "deep": {"x": 1}}},
        {"id": 8, "title": "disk", "state": "OK"},
        {"title": "no id", "state": "acknowledged"},
    ]}}
    a, b, c = generic.parse(body, MAPPING)
    assert (a.dedup_key, a.severity, a.service, a.group_hint, a.labels) == \
        ("7", "critical", "jobs", "eu", {"service": "jobs", "cluster": "eu"})
    assert b.action is Action.RESOLVE and c.action is Action.ACKNOWLEDGE and len(c.dedup_key) == 32


def test_generic_missing_summary_names_the_path():
    with pytest.raises(BadEvent) as err:
        generic.parse({"data": {"alerts": [{"id": 1}]}}, MAPPING)
    assert err.value.errors[0].startswith("data.alerts.0.title")
    with pytest.raises(BadEvent):
        generic.parse({"data": {}}, MAPPING)


@pytest.mark.parametrize(("mapping", "field"), [({}, "config.mapping.summary"),
                                                 ({"summary": 3}, "config.mapping.summary"),
                                                 ({"summary": "t", "colour": "c"}, "config.mapping.colour"),
                                                 ({"summary": "t", "resolved_values": "ok"},
                                                  "config.mapping.resolved_values")])
def test_bad_generic_mappings(mapping, field):
    with pytest.raises(Invalid) as err:
        generic.check_mapping(mapping)
    assert err.value.field == field


def test_rate_limiter_token_bucket():
    from warroom.alerts.rules import Integration
    from warroom.alerts.runtime import RateLimiter

    integ = Integration(1, "i", "pagerduty", None, Config(rate_limit=10))
    lim = RateLimiter()
    assert all(lim.take(integ, 1, now=100.0) == 0 for _ in range(10))
    wait = lim.take(integ, 1, now=100.0)
    assert 0 < wait <= 0.1 + 1e-9
    assert lim.take(integ, 1, now=100.2) == 0  # refilled two tokens
    assert lim.take(integ, 50, now=200.0) == 0  # a post larger than a burst passes when the bucket is full
    assert lim.take(integ, 1, now=200.0) > 0


def test_links_of_an_alert_keep_only_web_addresses() -> None:
    from warroom.alerts.links import MAX_LINKS, links_of

    pd = {"links": [{"href": "https://grafana.example/d/1", "text": "Dashboard"}, {"href": "javascript:alert(1)"},
                    {"href": "http://x.example/a"}, "not an object"],
          "images": [{"src": "https://img.example/p.png", "alt": "CPU"}, {"src": "data:image/png;base64,AAAA"}]}
    assert links_of(pd) == [("https://grafana.example/d/1", "Dashboard"), ("http://x.example/a", "link"),
                            ("https://img.example/p.png", "CPU")]
    am = {"generatorURL": "http://prom:9090/graph?g0.expr=up", "annotations": {
        "runbook_url": "https://wiki.example/runbooks/db", "summary": "https://not-a-url-field.example",
        "dashboard_url": "file:///etc/passwd"}}
    assert links_of(am) == [("http://prom:9090/graph?g0.expr=up", "source"),
                            ("https://wiki.example/runbooks/db", "runbook")]
    assert links_of(None) == [] and links_of({"links": "nope"}) == [] and links_of({"generatorURL": "https://"}) == []
    many = {"links": [{"href": f"https://e.example/{i}"} for i in range(50)]}
    assert len(links_of(many)) == MAX_LINKS


def test_suppress_rules_are_validated_and_classify_says_so() -> None:
    from warroom.alerts.model import Action, AlertIn
    from warroom.alerts.rules import classify, parse_config
    from warroom.errors import Invalid

    cfg = parse_config({"rules": [{"match": {"severity": "info"}, "suppress": True},
                                  {"match": {"team": "db"}, "set": {"category": "database"}}]})
    info = AlertIn("k", Action.TRIGGER, "s", "info", labels={"team": "db"})
    crit = AlertIn("k", Action.TRIGGER, "s", "critical", labels={"team": "db"})
    assert classify(info, cfg).suppress and not classify(crit, cfg).suppress
    assert classify(crit, cfg).category == "database"
    for bad, field in (({"match": {}, "suppress": "yes"}, "config.rules.0.suppress"),
                       ({"match": {}, "suppress": False}, "config.rules.0"),
                       ({"match": {}}, "config.rules.0"), ({"match": {}, "drop": True}, "config.rules.0")):
        with pytest.raises(Invalid) as exc:
            parse_config({"rules": [bad]})
        assert exc.value.field == field


def test_maintenance_until_is_an_aware_time() -> None:
    from datetime import UTC, datetime, timedelta

    from warroom.alerts.rules import parse_config
    from warroom.errors import Invalid

    cfg = parse_config({"maintenance_until": "2026-05-01T22:00:00+02:00"})
    assert cfg.maintenance_until == datetime(2026, 5, 1, 20, 0, tzinfo=UTC)
    assert cfg.in_maintenance(cfg.maintenance_until - timedelta(seconds=1))
    assert not cfg.in_maintenance(cfg.maintenance_until)
    assert not parse_config({}).in_maintenance(datetime.now(UTC))
    assert parse_config({"maintenance_until": None}).maintenance_until is None
    for bad in ("2026-05-01T22:00:00", "tomorrow", 1700000000, True):
        with pytest.raises(Invalid) as exc:
            parse_config({"maintenance_until": bad})
        assert exc.value.field == "config.maintenance_until"


def test_pagerduty_custom_details_become_at_most_64_labels() -> None:
    from warroom.alerts.model import MAX_LABELS
    from warroom.alerts.sources import pagerduty

    details = {f"d{i}": i for i in range(500)} | {"nested": {"x": 1}, "flag": True}
    event = {"routing_key": "k" * 32, "event_action": "trigger",
             "payload": {"summary": "s", "source": "h", "severity": "info", "component": "db",
                         "custom_details": details}}
    labels = pagerduty.parse(event).labels
    assert len(labels) == MAX_LABELS
    assert labels["source"] == "h" and labels["component"] == "db" and labels["d0"] == "0"
    assert "nested" not in labels
    small = pagerduty.parse({**event, "payload": {**event["payload"], "custom_details": {"flag": True, "n": {}}}})
    assert small.labels == {"source": "h", "component": "db", "flag": "True"}
    assert "routing_key" not in small.payload and event["routing_key"] == "k" * 32


def test_generic_labels_are_scalars_and_capped_too() -> None:
    from warroom.alerts.model import MAX_LABELS
    from warroom.alerts.sources import generic

    tags = {f"t{i}": i for i in range(300)} | {"nested": {"a": 1}, "list": [1], "none": None}
    mapping = {"summary": "title", "labels": "tags"}
    [alert] = generic.parse({"title": "x", "tags": tags}, mapping)
    assert len(alert.labels) == MAX_LABELS and alert.labels["t0"] == "0"
    [small] = generic.parse({"title": "x", "tags": {"a": 1, "n": None, "d": {}}}, mapping)
    assert small.labels == {"a": "1"}
