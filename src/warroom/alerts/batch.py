"""What a batch of alert events decides (pure): which alerts are new, repeated, re-fired, acknowledged or
resolved; which groups need their incident found; and the timeline facts each touched incident gets.

No I/O: `ingest.py` reads the known alerts and incidents, calls these, and writes what they decided. A batch
holds the submissions of many requests (group commit); events for one key apply in the order they came."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from warroom.alerts.fingerprint import group_key
from warroom.alerts.model import Action, AlertIn, AlertStatus
from warroom.alerts.rules import Classification, Integration, classify, promotion_rule, worse
from warroom.incidents import decide
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.priority import Impact, Matrix, Urgency

ATTACHED = "alerts.attached"
RESOLVED = "alerts.resolved"
ALL_RESOLVED = "alerts.all_resolved"  # data: major (then the incident stays open: a person resolves it)
ACKNOWLEDGED = "alerts.acknowledged"  # by the sender, or by hand on an incident already acknowledged or not open
ALERT_KINDS = frozenset({ATTACHED, RESOLVED, ALL_RESOLVED, ACKNOWLEDGED})
LISTED = 20  # alerts described in full in one timeline event; all ids are always kept

Key = tuple[int, str]  # (integration id, dedup key) of an alert; (integration id, group key) of a group


class Catalog(Protocol):
    """The service catalog as the ingest path sees it (alerts.catalog_view.CatalogView)."""

    tiers: dict[int, int]
    names: dict[int, str]

    def service_id(self, name: str | None) -> int | None: ...


@dataclass
class Submission:
    """The alerts of one request from one integration."""

    integration: Integration
    alerts: list[AlertIn]
    by: str | None = None  # a person acting by hand; the integration otherwise

    @property
    def actor(self) -> str:
        return self.by or self.integration.actor


@dataclass
class Rec:
    """One alert of the batch: its row as it will be stored, and what the batch did to it."""

    row: dict[str, Any]
    integration: Integration
    actor: str
    by_hand: bool = False  # a person's action (in warroom), not the sender's
    new: bool = False
    dirty: bool = False  # status changed: rewrite the row
    bump: int = 0  # repeats to add to a row that is otherwise unchanged
    place: bool = False  # fired (first time or again): find its incident
    resolved_now: bool = False
    acked_now: bool = False
    cls: Classification | None = None
    first: AlertIn | None = None


@dataclass
class Touch:
    """What the batch did to one incident's alerts."""

    attached: list[Rec] = field(default_factory=list)
    acknowledged: list[Rec] = field(default_factory=list)
    resolved: list[Rec] = field(default_factory=list)


def keys_of(subs: Iterable[Submission]) -> set[Key]:
    return {(s.integration.id, a.dedup_key) for s in subs for a in s.alerts}


def fresh_row(a: AlertIn, integ: Integration, cls: Classification, view: Catalog, now: datetime) -> dict[str, Any]:
    return {"integration_id": integ.id, "dedup_key": a.dedup_key, "status": AlertStatus.FIRING.value,
            "severity": a.severity, "summary": a.summary, "source": a.source[:255],
            "service_id": view.service_id(cls.service) or integ.service_id,
            "group_key": group_key(service=cls.service, hint=a.group_hint, group_by=integ.config.group_by,
                                   labels=a.labels),
            "labels": a.labels, "payload": a.payload, "incident_id": None, "count": 1,
            "first_seen_at": now, "last_seen_at": now, "acknowledged_at": None, "acknowledged_by": None,
            "resolved_at": None, "resolved_by": None}


def held(cls: Classification, integ: Integration, now: datetime) -> bool:
    """A firing alert kept out of incidents: a suppress rule, or the integration is in maintenance."""
    return cls.suppress or integ.config.in_maintenance(now)


def apply(recs: dict[Key, Rec], known: Mapping[Key, dict[str, Any]], a: AlertIn, sub: Submission, view: Catalog,
          now: datetime) -> None:
    """Fold one event into `recs`; `known` holds the stored rows of the batch's keys."""
    integ, actor = sub.integration, sub.actor
    key = (integ.id, a.dedup_key)
    rec = recs.get(key)
    if rec is None and key in known:
        rec = recs[key] = Rec(known[key], integ, actor)
    if rec is not None and a.action is not Action.TRIGGER:
        rec.actor, rec.by_hand = actor, sub.by is not None  # who acknowledged or resolved it
    if a.action is Action.TRIGGER:
        if rec is None:
            cls = classify(a, integ.config)
            recs[key] = Rec(fresh_row(a, integ, cls, view, now), integ, actor, new=True,
                            place=not held(cls, integ, now), cls=cls, first=a)
        elif rec.row["status"] == AlertStatus.RESOLVED:
            cls = classify(a, integ.config)
            fresh = fresh_row(a, integ, cls, view, now)
            del fresh["first_seen_at"]  # kept as stored
            kept_out = held(cls, integ, now)
            fresh["incident_id"] = None if kept_out else rec.row["incident_id"]
            fresh["count"] = rec.row["count"] + 1
            rec.row.update(fresh)
            rec.dirty = rec.dirty or not rec.new
            rec.place, rec.cls, rec.first, rec.resolved_now = not kept_out, cls, a, False
        else:
            rec.row["count"] += 1
            rec.row["last_seen_at"] = now
            if not (rec.new or rec.dirty):
                rec.bump += 1
    elif rec is None:
        return  # acknowledging or resolving an alert never seen: nothing to do
    elif a.action is Action.ACKNOWLEDGE and rec.row["status"] == AlertStatus.FIRING:
        rec.row.update(status=AlertStatus.ACKNOWLEDGED.value, acknowledged_at=now, acknowledged_by=actor)
        rec.dirty = rec.dirty or not rec.new
        rec.acked_now = True
    elif a.action is Action.RESOLVE and rec.row["status"] != AlertStatus.RESOLVED:
        rec.row.update(status=AlertStatus.RESOLVED.value, resolved_at=now, resolved_by=actor, last_seen_at=now)
        if a.payload and not rec.new:
            rec.row["payload"] = a.payload
        rec.dirty = rec.dirty or not rec.new
        rec.resolved_now = True


def apply_all(subs: Iterable[Submission], known: Mapping[Key, dict[str, Any]], view: Catalog,
              now: datetime) -> dict[Key, Rec]:
    recs: dict[Key, Rec] = {}
    for sub in subs:
        for a in sub.alerts:
            apply(recs, known, a, sub, view, now)
    return recs


def groups_of(recs: Mapping[Key, Rec]) -> dict[Key, list[Rec]]:
    """The alerts that fired, by group: each group needs its incident found (or opened)."""
    groups: dict[Key, list[Rec]] = defaultdict(list)
    for r in recs.values():
        if r.place:
            groups[(r.integration.id, r.row["group_key"])].append(r)
    return groups


def resolving(recs: Mapping[Key, Rec]) -> set[int]:
    """Incidents whose known alerts were resolved or acknowledged now (their rows get locked too)."""
    return {r.row["incident_id"] for r in recs.values()
            if (r.resolved_now or r.acked_now) and not r.new and r.row["incident_id"] is not None}


def new(recs: Mapping[Key, Rec]) -> list[Rec]:
    return [r for r in recs.values() if r.new]


def bumps(recs: Mapping[Key, Rec], now: datetime) -> list[tuple[int, int, datetime]]:
    """(alert id, repeats, last seen) for known alerts that only repeated."""
    return [(r.row["id"], r.bump, now) for r in recs.values() if r.bump and not r.dirty and not r.new]


def rewrites(recs: Mapping[Key, Rec], columns: Iterable[str]) -> list[dict[str, Any]]:
    """The changed columns of known alerts whose status changed, keyed `_id`."""
    names = tuple(columns)
    return [{"_id": r.row["id"], **{n: r.row[n] for n in names if n in r.row}} for r in recs.values() if r.dirty]


def touched(recs: Mapping[Key, Rec]) -> dict[int, Touch]:
    """Incidents the batch touched, by id in ascending order (the order their rows are locked in)."""
    out: dict[int, Touch] = defaultdict(Touch)
    for r in recs.values():
        if r.place:
            out[r.row["incident_id"]].attached.append(r)
        if r.acked_now and r.row["incident_id"] is not None and not r.new:
            out[r.row["incident_id"]].acknowledged.append(r)
        if r.resolved_now and r.row["incident_id"] is not None:
            out[r.row["incident_id"]].resolved.append(r)
    return dict(sorted(out.items()))


def declaration(members: list[Rec], now: datetime) -> dict[str, Any]:
    """The fields of the incident opened for a new group (incidents.declare_in's keywords): the lead alert's
    summary and classification, detected when the earliest of them occurred."""
    lead = members[0]
    cls = lead.cls
    assert cls is not None and lead.first is not None
    occurred = [r.first.occurred_at for r in members if r.first and r.first.occurred_at]
    return {"by": lead.actor, "title": lead.row["summary"][:300] or "alert", "impact": cls.impact,
            "urgency": cls.urgency, "category": cls.category,
            "service_ids": sorted({r.row["service_id"] for r in members[:1] if r.row["service_id"]}),
            "identified_via": "monitoring", "detected_at": min([*occurred, now]),
            "description": f"Opened from alert {lead.row['dedup_key']} ({lead.integration.kind} integration "
                           f"{lead.integration.name!r})."}


def describe(r: Rec) -> dict[str, Any]:
    return {"id": r.row["id"], "dedup_key": r.row["dedup_key"], "summary": r.row["summary"],
            "severity": r.row["severity"], "integration_id": r.integration.id}


def _listing(kind: str, recs: list[Rec], actor: str, now: datetime) -> Event:
    return Event(kind, {"count": len(recs), "alert_ids": [r.row["id"] for r in recs],
                        "alerts": [describe(r) for r in recs[:LISTED]]}, actor, now)


@dataclass
class Facts:
    """The timeline events the batch appends to one incident, and what follows them."""

    events: list[Event]
    actor: str
    auto_resolve: bool  # then move the incident to resolved, by `resolver`
    resolver: str  # who resolved the batch's first resolved alert (`actor` when none was resolved)

    @property
    def only_alert_facts(self) -> bool:
        """Only alert events: nothing promotion looks at (priority, services, status) changes."""
        return all(e.kind in ALERT_KINDS for e in self.events)


def facts(s: IncidentState, t: Touch, matrix: Matrix, unresolved: int | None, now: datetime) -> Facts:
    """What the batch tells incident `s`; `unresolved`: its alerts left unresolved (known when any resolved)."""
    actor = (t.attached or t.acknowledged or t.resolved)[0].actor
    events: list[Event] = []
    if t.attached:
        events.append(_listing(ATTACHED, t.attached, actor, now))
        events += escalate_fields(s, t.attached, matrix, actor, now)
    if t.acknowledged:
        events += acknowledged(s, t.acknowledged, now)
    all_resolved = bool(t.resolved) and unresolved == 0
    is_open = Status(s.status) in OPEN_STATUSES
    resolver = t.resolved[0].actor if t.resolved else actor
    if t.resolved:
        events.append(_listing(RESOLVED, t.resolved, resolver, now))
        if all_resolved:
            # a major incident is never resolved by its alerts: the fact prompts its coordinator instead
            events.append(Event(ALL_RESOLVED, {"major": s.major and is_open}, resolver, now))
    auto_resolve = all_resolved and is_open and not s.major \
        and any(r.integration.config.auto_resolve for r in t.resolved)
    return Facts(events, actor, auto_resolve, resolver)


def acknowledged(s: IncidentState, acked: list[Rec], now: datetime) -> list[Event]:
    """A person acknowledging an alert acknowledges its open incident (which stops its escalation), naming the
    alert; otherwise (the sender acknowledged it, or the incident is acknowledged or not open) it is a fact."""
    by_hand = [r for r in acked if r.by_hand]
    out: list[Event] = []
    if by_hand and s.acknowledged_at is None and Status(s.status) in OPEN_STATUSES:
        out += decide.acknowledge(s, by=by_hand[0].actor, at=now, via_alert=describe(by_hand[0]))
        acked = [r for r in acked if r is not by_hand[0]]
    for actor in dict.fromkeys(r.actor for r in acked):
        out.append(_listing(ACKNOWLEDGED, [r for r in acked if r.actor == actor], actor, now))
    return out


def promotion(s: IncidentState, t: Touch, view: Catalog) -> tuple[str, str] | None:
    """The auto-promotion rule newly attached alerts make this incident meet, if any: (rule, reason)."""
    if not t.attached or s.major or Status(s.status) not in OPEN_STATUSES:
        return None
    crit = {r.row["service_id"] for r in t.attached
            if r.row["severity"] == "critical" and r.row["service_id"] and r.row["status"] != "resolved"}
    return promotion_rule(priority=s.priority, service_ids=s.service_ids, critical_service_ids=crit,
                          tiers=view.tiers, rules=t.attached[0].integration.config.major, names=view.names)


def escalate_fields(s: IncidentState, attached: list[Rec], matrix: Matrix, actor: str, now: datetime) -> list[Event]:
    """New affected services, and a higher priority when a worse alert joins (unless a person set it)."""
    changes: dict[str, Any] = {}
    services = set(s.service_ids) | {r.row["service_id"] for r in attached if r.row["service_id"]}
    if services != set(s.service_ids):
        changes["service_ids"] = sorted(services)
    if not s.priority_overridden:
        current = Classification(s.category, Impact(s.impact), Urgency(s.urgency), None)
        best = current
        for r in attached:
            if r.cls is not None:
                best = worse(best, r.cls, matrix)
        if best is not current:
            changes.update(impact=best.impact, urgency=best.urgency)
    return decide.edit(s, changes, by=actor, at=now, matrix=matrix) if changes else []
