"""Integration rules (pure): validate a config, classify an alert, and decide automatic promotion.

A config is JSON stored on the integration:

    {"rules": [{"match": {"severity": "critical", "team": ["db", "storage"]},
                "set": {"category": "database", "impact": "extensive", "urgency": "critical",
                        "service": "payments-db"}}],
     "group_by": ["alertname"],          # group by these labels instead of the sender's group ("service": the
                                         # alert's service); default: one incident per sender group
     "reopen_window_s": 1800,            # a resolved incident reopens if an alert fires within this
     "auto_resolve": true,               # resolve the incident when all its alerts resolve
     "rate_limit": 2000,                 # accepted alerts per second (burst: one second's worth)
     "major": {"priorities": ["P1"], "min_services": 3, "tier1_down": true},
     "maintenance_until": "2026-05-01T22:00:00Z",  # planned work: alerts kept, no incidents until then
     "mapping": {...}}                   # generic webhooks only, see sources/generic.py

The first rule whose `match` fits sets the fields it names; severity defaults fill the rest. A rule with
`"suppress": true` (e.g. {"match": {"severity": "info"}, "suppress": true}) keeps the alert, with its
dedup, counts and resolve, but opens or joins no incident.
A match value is a string or a list of strings (any of them); keys are `severity`, `source`
or a label name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from warroom.alerts.model import SEVERITIES, AlertIn, parse_instant
from warroom.errors import Invalid
from warroom.incidents.priority import Impact, Matrix, Priority, Urgency, priority_for

SEVERITY_DEFAULTS: dict[str, tuple[Impact, Urgency]] = {
    "critical": (Impact.SIGNIFICANT, Urgency.CRITICAL),
    "error": (Impact.SIGNIFICANT, Urgency.HIGH),
    "warning": (Impact.MODERATE, Urgency.HIGH),
    "info": (Impact.MINOR, Urgency.LOW),
}
SETTABLE = ("category", "impact", "urgency", "service")


@dataclass(frozen=True, slots=True)
class Rule:
    match: dict[str, tuple[str, ...]]
    set: dict[str, str]
    suppress: bool = False  # keep the alert, open or join no incident

    def fits(self, alert: AlertIn) -> bool:
        for key, wanted in self.match.items():
            have: str | None
            if key == "severity":
                have = alert.severity
            elif key == "source":
                have = alert.source
            else:
                have = alert.labels.get(key)
            if have is None or str(have) not in wanted:
                return False
        return True


@dataclass(frozen=True, slots=True)
class MajorRules:
    priorities: tuple[str, ...] = ("P1",)
    min_services: int = 3  # 0 turns the rule off
    tier1_down: bool = True


@dataclass(frozen=True, slots=True)
class Config:
    rules: tuple[Rule, ...] = ()
    group_by: tuple[str, ...] = ()
    reopen_window_s: int = 1800
    auto_resolve: bool = True
    rate_limit: float = 5000.0
    major: MajorRules = field(default_factory=MajorRules)
    mapping: dict[str, Any] = field(default_factory=dict)
    maintenance_until: datetime | None = None  # until then every alert is kept but opens or joins no incident

    def in_maintenance(self, now: datetime) -> bool:
        return self.maintenance_until is not None and now < self.maintenance_until


@dataclass(frozen=True, slots=True)
class Classification:
    category: str
    impact: Impact
    urgency: Urgency
    service: str | None
    suppress: bool = False


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(x, str | int | float) and not isinstance(x, bool) for x in items):
        raise Invalid(where, "must be a string or a list of strings")
    return tuple(str(x) for x in items)


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict) or set(raw) - {"match", "set", "suppress"}:
        raise Invalid(where, "a rule is {\"match\": {...}, \"set\": {...}} or {\"match\": {...}, \"suppress\": true}")
    match = raw.get("match", {})
    sets = raw.get("set", {})
    suppress = raw.get("suppress", False)
    if not isinstance(suppress, bool):
        raise Invalid(f"{where}.suppress", "must be true or false")
    if not isinstance(match, dict) or not isinstance(sets, dict) or not (sets or suppress):
        raise Invalid(where, "match must be an object, and set a non-empty object (or suppress true)")
    for key, value in sets.items():
        if key not in SETTABLE:
            raise Invalid(f"{where}.set.{key}", f"can set only {', '.join(SETTABLE)}")
        if not isinstance(value, str):
            raise Invalid(f"{where}.set.{key}", "must be a string")
        if key == "impact" and value not in {i.value for i in Impact}:
            raise Invalid(f"{where}.set.impact", f"must be one of {', '.join(i.value for i in Impact)}")
        if key == "urgency" and value not in {u.value for u in Urgency}:
            raise Invalid(f"{where}.set.urgency", f"must be one of {', '.join(u.value for u in Urgency)}")
    if "severity" in match:
        bad = [s for s in _strings(match["severity"], f"{where}.match.severity") if s not in SEVERITIES]
        if bad:
            raise Invalid(f"{where}.match.severity", f"must be among {', '.join(SEVERITIES)}")
    return Rule({k: _strings(v, f"{where}.match.{k}") for k, v in match.items()}, dict(sets), suppress)


def _int(raw: Mapping[str, Any], key: str, where: str, default: int, lo: int, hi: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise Invalid(f"{where}{key}", f"must be a whole number from {lo} to {hi}")
    return value


KNOWN_KEYS = {"rules", "group_by", "reopen_window_s", "auto_resolve", "rate_limit", "major", "mapping",
              "maintenance_until"}


def _instant(raw: Any, where: str) -> datetime | None:
    """An ISO 8601 time with its offset (or Z), or None."""
    if raw is None:
        return None
    try:
        if not isinstance(raw, str):
            raise ValueError("must be an ISO 8601 date-time")
        return parse_instant(raw).astimezone(UTC)
    except ValueError as exc:
        raise Invalid(where, f"{exc}, e.g. 2026-05-01T22:00:00Z, or null") from None


def parse_config(raw: Mapping[str, Any] | None) -> Config:
    """Validate a stored or submitted config; raise Invalid naming the first bad field."""
    raw = raw or {}
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise Invalid(f"config.{sorted(unknown)[0]}", f"unknown setting; known: {', '.join(sorted(KNOWN_KEYS))}")
    rules = raw.get("rules", [])
    if not isinstance(rules, list):
        raise Invalid("config.rules", "must be a list")
    group_by = raw.get("group_by", [])
    if not isinstance(group_by, list) or not all(isinstance(x, str) for x in group_by):
        raise Invalid("config.group_by", "must be a list of label names")
    auto_resolve = raw.get("auto_resolve", True)
    if not isinstance(auto_resolve, bool):
        raise Invalid("config.auto_resolve", "must be true or false")
    rate = raw.get("rate_limit", 5000)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 1 <= rate <= 1_000_000:
        raise Invalid("config.rate_limit", "must be a number of alerts per second from 1 to 1000000")
    major_raw = raw.get("major", {})
    if not isinstance(major_raw, dict):
        raise Invalid("config.major", "must be an object")
    prios = major_raw.get("priorities", ["P1"])
    if not isinstance(prios, list) or any(p not in {x.value for x in Priority} for p in prios):
        raise Invalid("config.major.priorities", "must be a list of P1-P5")
    tier1 = major_raw.get("tier1_down", True)
    if not isinstance(tier1, bool):
        raise Invalid("config.major.tier1_down", "must be true or false")
    mapping = raw.get("mapping", {})
    if not isinstance(mapping, dict):
        raise Invalid("config.mapping", "must be an object")
    return Config(
        rules=tuple(_rule(r, f"config.rules.{i}") for i, r in enumerate(rules)),
        group_by=tuple(group_by),
        reopen_window_s=_int(raw, "reopen_window_s", "config.", 1800, 0, 30 * 86400),
        auto_resolve=auto_resolve,
        rate_limit=float(rate),
        major=MajorRules(tuple(prios), _int(major_raw, "min_services", "config.major.", 3, 0, 1000), tier1),
        mapping=mapping,
        maintenance_until=_instant(raw.get("maintenance_until"), "config.maintenance_until"),
    )


def classify(alert: AlertIn, config: Config) -> Classification:
    """Category, impact, urgency and service name for an alert: the first fitting rule, then defaults."""
    chosen: dict[str, str] = {}
    suppress = False
    for rule in config.rules:
        if rule.fits(alert):
            chosen, suppress = rule.set, rule.suppress
            break
    impact, urgency = SEVERITY_DEFAULTS.get(alert.severity, SEVERITY_DEFAULTS["error"])
    return Classification(
        category=chosen.get("category", ""),
        impact=Impact(chosen["impact"]) if "impact" in chosen else impact,
        urgency=Urgency(chosen["urgency"]) if "urgency" in chosen else urgency,
        service=chosen.get("service") or alert.service,
        suppress=suppress,
    )


def worse(a: Classification, b: Classification, matrix: Matrix | None = None) -> Classification:
    """The classification with the higher priority (a on ties)."""
    pa, pb = priority_for(a.impact, a.urgency, matrix), priority_for(b.impact, b.urgency, matrix)
    return b if pb.rank < pa.rank else a


def promotion_rule(*, priority: str, service_ids: Iterable[int], critical_service_ids: Iterable[int],
                   tiers: Mapping[int, int], rules: MajorRules,
                   names: Mapping[int, str] | None = None) -> tuple[str, str] | None:
    """The first major-incident rule an incident meets, as (rule id, reason), or None.

    `critical_service_ids` are services with a firing critical alert attached to the incident; `names` gives the
    reason a service's name (people read it on the timeline and in the promotion notice), not its id."""
    if priority in rules.priorities:
        return f"priority:{priority}", f"priority {priority} is a major incident by rule"
    services = set(service_ids)
    if rules.min_services and len(services) >= rules.min_services:
        return (f"services>={rules.min_services}",
                f"{len(services)} services affected (rule: {rules.min_services} or more)")
    if rules.tier1_down:
        down = sorted(s for s in set(critical_service_ids) if tiers.get(s) == 1)
        if down:
            return "tier1-down", f"tier-1 service {(names or {}).get(down[0], down[0])} has a critical alert"
    return None


@dataclass(frozen=True, slots=True)
class Integration:
    """An integration as the ingest path needs it (no secrets)."""

    id: int
    name: str
    kind: str
    service_id: int | None
    config: Config
    enabled: bool = True

    @property
    def actor(self) -> str:
        return f"alert:{self.name}"[:64]
