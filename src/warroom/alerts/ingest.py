"""Apply a batch of alert events in one transaction: dedup, group into incidents, resolve, promote.

The batch may hold the events of many requests (group commit). Per batch: one query for known
alerts, one for groups, one insert of new alerts, one executemany for repeats, and one timeline
append per touched incident. Repeats of a known key only add to its count and move last-seen."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warroom.alerts import store
from warroom.alerts.catalog_view import CatalogView, catalog_in
from warroom.alerts.fingerprint import group_key
from warroom.alerts.grouping import Placement, place
from warroom.alerts.model import Action, AlertIn, AlertStatus
from warroom.alerts.rules import Classification, Integration, classify, promotion_rule, worse
from warroom.errors import NotFound
from warroom.incidents import decide
from warroom.incidents import service as incidents
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.priority import Impact, Urgency
from warroom.platform.app import App
from warroom.platform.db import Tx, pipeline

ATTACHED = "alerts.attached"
RESOLVED = "alerts.resolved"
ALL_RESOLVED = "alerts.all_resolved"  # data: major (then the incident stays open: a person resolves it)
ACKNOWLEDGED = "alerts.acknowledged"  # by the sender, or by hand on an incident already acknowledged or not open
ALERT_KINDS = frozenset({ATTACHED, RESOLVED, ALL_RESOLVED, ACKNOWLEDGED})
LISTED = 20  # alerts described in full in one timeline event; all ids are always kept


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
class _Rec:
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
class _Touch:
    attached: list[_Rec] = field(default_factory=list)
    acknowledged: list[_Rec] = field(default_factory=list)
    resolved: list[_Rec] = field(default_factory=list)


def _fresh_row(a: AlertIn, integ: Integration, cls: Classification, view: CatalogView, now: datetime) -> dict:
    return {"integration_id": integ.id, "dedup_key": a.dedup_key, "status": AlertStatus.FIRING.value,
            "severity": a.severity, "summary": a.summary, "source": a.source[:255],
            "service_id": view.service_id(cls.service) or integ.service_id,
            "group_key": "", "labels": a.labels, "payload": a.payload, "incident_id": None, "count": 1,
            "first_seen_at": now, "last_seen_at": now, "acknowledged_at": None, "acknowledged_by": None,
            "resolved_at": None, "resolved_by": None}


def _held(cls: Classification, integ: Integration, now: datetime) -> bool:
    """A firing alert kept out of incidents: a suppress rule, or the integration is in maintenance."""
    return cls.suppress or integ.config.in_maintenance(now)


def _apply(recs: dict[tuple[int, str], _Rec], known: dict, a: AlertIn, sub: Submission, view: CatalogView,
           now: datetime) -> None:
    integ, actor = sub.integration, sub.actor
    key = (integ.id, a.dedup_key)
    rec = recs.get(key)
    if rec is None and key in known:
        rec = recs[key] = _Rec(known[key], integ, actor)
    if rec is not None and a.action is not Action.TRIGGER:
        rec.actor, rec.by_hand = actor, sub.by is not None  # who acknowledged or resolved it
    if a.action is Action.TRIGGER:
        if rec is None:
            cls = classify(a, integ.config)
            row = _fresh_row(a, integ, cls, view, now)
            row["group_key"] = group_key(service=cls.service, hint=a.group_hint, group_by=integ.config.group_by,
                                         labels=a.labels)
            recs[key] = _Rec(row, integ, actor, new=True, place=not _held(cls, integ, now), cls=cls, first=a)
        elif rec.row["status"] == AlertStatus.RESOLVED:
            cls = classify(a, integ.config)
            fresh = _fresh_row(a, integ, cls, view, now)
            fresh["group_key"] = group_key(service=cls.service, hint=a.group_hint, group_by=integ.config.group_by,
                                           labels=a.labels)
            del fresh["first_seen_at"]  # kept as stored
            held = _held(cls, integ, now)
            fresh["incident_id"] = None if held else rec.row["incident_id"]
            fresh["count"] = rec.row["count"] + 1
            rec.row.update(fresh)
            rec.dirty = rec.dirty or not rec.new
            rec.place, rec.cls, rec.first, rec.resolved_now = not held, cls, a, False
        elif rec.new or rec.dirty:
            rec.row["count"] += 1
            rec.row["last_seen_at"] = now
        else:
            rec.row["count"] += 1
            rec.row["last_seen_at"] = now
            rec.bump += 1
    elif rec is None:
        return  # acknowledging or resolving an alert never seen: nothing to do
    elif a.action is Action.ACKNOWLEDGE and rec.row["status"] == AlertStatus.FIRING:
        rec.row.update(status=AlertStatus.ACKNOWLEDGED.value, acknowledged_at=now, acknowledged_by=actor)
        rec.dirty = rec.dirty or not rec.new
        rec.acked_now = True
    elif a.action is Action.RESOLVE and rec.row["status"] != AlertStatus.RESOLVED:
        rec.row.update(status=AlertStatus.RESOLVED.value, resolved_at=now, resolved_by=actor,
                       last_seen_at=now)
        if a.payload and not rec.new:
            rec.row["payload"] = a.payload
        rec.dirty = rec.dirty or not rec.new
        rec.resolved_now = True


class _Incidents:
    """Incident states loaded (and row-locked) once per batch."""

    def __init__(self, app: App, tx: Tx) -> None:
        self.app, self.tx, self.states = app, tx, {}

    def get(self, incident_id: int) -> IncidentState:
        if incident_id not in self.states:
            self.states[incident_id] = incidents.load_in(self.tx, incident_id)
        return self.states[incident_id]

    def put(self, s: IncidentState) -> IncidentState:
        self.states[s.id] = s
        return s


def _place(app: App, tx: Tx, groups: dict[tuple[int, str], list[_Rec]], known: dict, inc: _Incidents,
           view: CatalogView, now: datetime) -> None:
    for gk, members in groups.items():
        integ = members[0].integration
        g = known.get(gk)
        s = inc.get(g["incident_id"]) if g else None
        where = place(s.status if s else None, s.resolved_at if s else None, now, integ.config.reopen_window_s)
        if where is Placement.REOPEN:
            assert s is not None
            s = inc.put(incidents.move_in(app, tx, s, Status.INVESTIGATING, by=members[0].actor,
                                          note="an alert fired again", implicit_ack=False, react=False))
        elif where is Placement.OPEN:
            s = inc.put(_declare(app, tx, members, view, now))
        if where is not Placement.JOIN or g is None:
            store.upsert_group(tx.conn, g, gk[0], gk[1], s.id, now)
        for r in members:
            r.row["incident_id"] = s.id


def _declare(app: App, tx: Tx, members: list[_Rec], view: CatalogView, now: datetime) -> IncidentState:
    lead = members[0]
    cls = lead.cls
    assert cls is not None and lead.first is not None
    occurred = [r.first.occurred_at for r in members if r.first and r.first.occurred_at]
    detected = min([*occurred, now])
    services = sorted({r.row["service_id"] for r in members[:1] if r.row["service_id"]})
    return incidents.declare_in(
        app, tx, by=lead.actor, title=lead.row["summary"][:300] or "alert", impact=cls.impact,
        urgency=cls.urgency, category=cls.category, service_ids=services, identified_via="monitoring",
        detected_at=detected,
        description=f"Opened from alert {lead.row['dedup_key']} ({lead.integration.kind} integration "
                    f"{lead.integration.name!r}).",
        react=False)  # reactions (pages) wait until the alerts are attached: cause before effect


def _describe(r: _Rec) -> dict[str, Any]:
    return {"id": r.row["id"], "dedup_key": r.row["dedup_key"], "summary": r.row["summary"],
            "severity": r.row["severity"], "integration_id": r.integration.id}


def _timeline(app: App, tx: Tx, inc: _Incidents, touched: dict[int, _Touch], view: CatalogView,
              now: datetime) -> None:
    open_counts = store.unresolved_counts(tx.conn, [i for i, t in touched.items() if t.resolved])
    matrix = incidents.matrix_in(tx)
    last = next(reversed(touched))
    for incident_id, t in touched.items():
        s = inc.get(incident_id)
        actor = (t.attached or t.acknowledged or t.resolved)[0].actor
        events: list[Event] = []
        if t.attached:
            events.append(Event(ATTACHED, {"count": len(t.attached), "alert_ids": [r.row["id"] for r in t.attached],
                                           "alerts": [_describe(r) for r in t.attached[:LISTED]]}, actor, now))
            events += _escalate_fields(s, t.attached, matrix, actor, now)
        if t.acknowledged:
            events += _acknowledged(s, t.acknowledged, now)
        all_resolved = bool(t.resolved) and open_counts.get(incident_id) == 0
        is_open = Status(s.status) in OPEN_STATUSES
        if t.resolved:
            resolver = t.resolved[0].actor
            events.append(Event(RESOLVED, {"count": len(t.resolved), "alert_ids": [r.row["id"] for r in t.resolved],
                                           "alerts": [_describe(r) for r in t.resolved[:LISTED]]}, resolver, now))
            if all_resolved:
                # a major incident is never resolved by its alerts: the fact prompts its coordinator instead
                events.append(Event(ALL_RESOLVED, {"major": s.major and is_open}, resolver, now))
        auto_resolve = all_resolved and is_open and not s.major \
            and any(r.integration.config.auto_resolve for r in t.resolved)
        # Alert events change nothing promotion looks at (priority, services, status), so it can be decided first.
        promote = _promotion(s, t, view) if not any(e.kind not in ALERT_KINDS for e in events) else None
        if all(e.kind in ALERT_KINDS for e in events) and not auto_resolve and not promote \
                and not incidents.is_held(tx, incident_id):
            # Nothing after this reads the database (no reactor acts on alert events): on PostgreSQL these
            # writes go out together, and for the batch's last incident together with the COMMIT.
            if incident_id == last:
                tx.pipeline_until_commit()
                inc.put(incidents.append_in(app, tx, s, events))
            else:
                with pipeline(tx.conn):
                    inc.put(incidents.append_in(app, tx, s, events))
            continue
        s = inc.put(incidents.append_in(app, tx, s, events))
        if auto_resolve:
            s = inc.put(incidents.move_in(app, tx, s, Status.RESOLVED, by=t.resolved[0].actor,
                                          note="all alerts resolved", implicit_ack=False))
        if promote is None:
            promote = _promotion(s, t, view)
        if promote:
            inc.put(incidents.promote_in(app, tx, s, promote[1], by=actor, rule=promote[0]))


def _acknowledged(s: IncidentState, acked: list[_Rec], now: datetime) -> list[Event]:
    """A person acknowledging an alert acknowledges its open incident (which stops its escalation), naming the
    alert; otherwise (the sender acknowledged it, or the incident is acknowledged or not open) it is a fact."""
    by_hand = [r for r in acked if r.by_hand]
    out: list[Event] = []
    if by_hand and s.acknowledged_at is None and Status(s.status) in OPEN_STATUSES:
        out += decide.acknowledge(s, by=by_hand[0].actor, at=now, via_alert=_describe(by_hand[0]))
        acked = [r for r in acked if r is not by_hand[0]]
    for actor in dict.fromkeys(r.actor for r in acked):
        mine = [r for r in acked if r.actor == actor]
        out.append(Event(ACKNOWLEDGED, {"count": len(mine), "alert_ids": [r.row["id"] for r in mine],
                                        "alerts": [_describe(r) for r in mine[:LISTED]]}, actor, now))
    return out


def _promotion(s: IncidentState, t: _Touch, view: CatalogView) -> tuple[str, str] | None:
    """The auto-promotion rule newly attached alerts make this incident meet, if any: (rule, reason)."""
    if not t.attached or s.major or Status(s.status) not in OPEN_STATUSES:
        return None
    crit = {r.row["service_id"] for r in t.attached
            if r.row["severity"] == "critical" and r.row["service_id"] and r.row["status"] != "resolved"}
    return promotion_rule(priority=s.priority, service_ids=s.service_ids, critical_service_ids=crit,
                          tiers=view.tiers, rules=t.attached[0].integration.config.major, names=view.names)


def _escalate_fields(s: IncidentState, attached: list[_Rec], matrix: Any, actor: str, now: datetime) -> list[Event]:
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


MATRIX_TTL_S = 5.0


def _matrix(app: App, tx: Tx) -> Any:
    """The priority matrix, read from the database at most every few seconds by the ingest path."""
    hit = app.alerts.matrix
    if hit is not None and hit[1] > time.monotonic():
        incidents.use_matrix(tx, hit[0])
        return hit[0]
    matrix = incidents.matrix_in(tx)
    app.alerts.matrix = (matrix, time.monotonic() + MATRIX_TTL_S)
    return matrix


def _cached_groups(app: App, groups: dict[tuple[int, str], list[_Rec]], resolving: set[int],
                   inc: _Incidents) -> dict | None:
    """Groups as this process last saw them, if every one is known and its incident (now locked) still open.

    A group's incident only changes when it is no longer open, so an open cached incident is the
    answer the database would give; anything else returns None and the caller asks the database."""
    cache = app.alerts.groups
    if not groups or any(gk not in cache for gk in groups):
        return None
    ids = {gk: cache[gk] for gk in groups}
    try:
        for incident_id in sorted(set(ids.values()) | resolving):
            inc.get(incident_id)
    except NotFound:  # never expected (the cache is filled after commit); stay correct if it happens anyway
        for gk in groups:
            cache.pop(gk, None)
        return None
    if any(Status(inc.get(i).status) not in OPEN_STATUSES for i in ids.values()):
        return None
    return {gk: {"id": None, "incident_id": i} for gk, i in ids.items()}


def _remember_groups(app: App, placed: dict[tuple[int, str], int]) -> None:
    cache = app.alerts.groups
    if len(cache) > 100_000:
        cache.clear()
    cache.update(placed)


class StaleGroups(Exception):
    """A group remembered by this process no longer leads to an open incident; retry the batch (the
    memory of those groups is gone, so the retry asks the database)."""


def _bumps(recs: dict[tuple[int, str], _Rec], now: datetime) -> list[tuple[int, int, datetime]]:
    return [(r.row["id"], r.bump, now) for r in recs.values() if r.bump and not r.dirty and not r.new]


def _pipelined(app: App, tx: Tx, groups: dict[tuple[int, str], list[_Rec]], resolving: set[int],
               recs: dict[tuple[int, str], _Rec], inc: _Incidents, now: datetime) -> bool:
    """The storm case: every group is remembered with its incident, so the new alerts, the repeat counts and
    the incident row locks are written without asking the database where they go (on PostgreSQL in one
    round trip). Returns False (nothing done) when that does not apply; raises StaleGroups if a remembered
    incident turned out not to be open.

    Lock order: alert rows (find_alerts), then new alert keys, then incidents by id. The slower path locks
    incidents before inserting; the two can only collide on the same new key, which PostgreSQL reports as a
    deadlock and the writer retries."""
    cache = app.alerts.groups
    new = [r for r in recs.values() if r.new]
    if any(gk not in cache for gk in groups) or any(r.dirty for r in recs.values()) \
            or (tx.dialect == "postgresql" and len(new) > store.PIPELINED_ROWS):
        return False
    placed = {gk: cache[gk] for gk in groups}
    for gk, members in groups.items():
        for r in members:
            r.row["incident_id"] = placed[gk]
    wanted = set(placed.values()) | resolving
    with pipeline(tx.conn):
        new_ids = store.send_alerts(tx.conn, [r.row for r in new])
        store.bump_alerts(tx.conn, _bumps(recs, now))
        locked = incidents.lock_many_in(tx, sorted(wanted)) if wanted else {}
        ids = new_ids()
    if any(i not in locked or Status(locked[i].status) not in OPEN_STATUSES for i in placed.values()):
        for gk in groups:
            cache.pop(gk, None)
        raise StaleGroups(sorted(set(placed.values())))
    for s in locked.values():
        inc.put(s)
    for r, new_id in zip(new, ids, strict=True):
        r.row["id"] = new_id
    return True


def process(app: App, tx: Tx, subs: list[Submission]) -> None:
    """Apply every submission in `tx`. Raises on database errors; the caller retries or splits the batch."""
    now = app.clock.now()
    conn = tx.conn
    view = catalog_in(app, conn)
    known = store.find_alerts(conn, {(s.integration.id, a.dedup_key) for s in subs for a in s.alerts})
    recs: dict[tuple[int, str], _Rec] = {}
    for sub in subs:
        for a in sub.alerts:
            _apply(recs, known, a, sub, view, now)
    inc = _Incidents(app, tx)
    groups: dict[tuple[int, str], list[_Rec]] = defaultdict(list)
    for r in recs.values():
        if r.place:
            groups[(r.integration.id, r.row["group_key"])].append(r)
    if groups or any(r.resolved_now for r in recs.values()):
        _matrix(app, tx)
    resolving = {r.row["incident_id"] for r in recs.values()  # and acknowledging
                 if (r.resolved_now or r.acked_now) and not r.new and r.row["incident_id"] is not None}
    if _pipelined(app, tx, groups, resolving, recs, inc, now):
        known_groups = None
    elif (known_groups := _cached_groups(app, groups, resolving, inc)) is None:
        # not every group is known here with an open incident: ask the database
        known_groups = store.find_groups(conn, groups.keys()) if groups else {}
        # Lock order, for concurrent writers: alert rows (find_alerts, by id), then incidents by id, then new rows.
        for incident_id in sorted({g["incident_id"] for g in known_groups.values()} | resolving):
            inc.get(incident_id)
    if groups and known_groups is not None:
        _place(app, tx, groups, known_groups, inc, view, now)
        placed = {gk: members[0].row["incident_id"] for gk, members in groups.items()}
        # Remember the groups only once they are committed: another writer must never be sent to an
        # incident that is still uncommitted, or that a rolled-back batch never created.
        tx.after_commit(lambda: _remember_groups(app, placed))
    if known_groups is not None:  # not written by _pipelined already
        new = [r for r in recs.values() if r.new]
        for r, new_id in zip(new, store.insert_alerts(conn, [r.row for r in new]), strict=True):
            r.row["id"] = new_id
        store.rewrite_alerts(conn, [{"_id": r.row["id"], **{n: r.row[n] for n in store.MUTABLE if n in r.row}}
                                    for r in recs.values() if r.dirty])
        store.bump_alerts(conn, _bumps(recs, now))
    touched: dict[int, _Touch] = defaultdict(_Touch)
    for r in recs.values():
        if r.place:
            touched[r.row["incident_id"]].attached.append(r)
        if r.acked_now and r.row["incident_id"] is not None and not r.new:
            touched[r.row["incident_id"]].acknowledged.append(r)
        if r.resolved_now and r.row["incident_id"] is not None:
            touched[r.row["incident_id"]].resolved.append(r)
    if touched:
        _timeline(app, tx, inc, dict(sorted(touched.items())), view, now)
    # a safety net: every incident declared or reopened above was touched, and its timeline append reacted
    for incident_id in sorted(i for i in inc.states if incidents.is_held(tx, i)):
        inc.put(incidents.react_held_in(app, tx, inc.get(incident_id)))
