"""Apply a batch of alert events in one transaction: dedup, group into incidents, resolve, promote.

The batch may hold the events of many requests (group commit). What the events mean is decided in `batch.py`
(pure); this module reads what those decisions need, writes what they decided, and picks the cheapest way to
do it. Per batch: one query for known alerts, one for groups, one insert of new alerts, one executemany for
repeats, and one timeline append per touched incident. Repeats of a known key only add to its count and move
last-seen. Two shortcuts use the groups this process remembers (`caches.py`): the storm path, which writes
everything without asking the database where it goes, and the remembered-groups path, which skips the group
query; both check the remembered incidents under their row locks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.alerts import batch, caches, store
from warroom.alerts.batch import Key, Rec, Submission, Touch
from warroom.alerts.catalog_view import CatalogView, catalog_in
from warroom.alerts.grouping import Placement, place
from warroom.errors import NotFound
from warroom.incidents import service as incidents
from warroom.incidents.events import IncidentState
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.platform.app import App
from warroom.platform.db import Tx, pipeline

__all__ = ["StaleGroups", "Submission", "process"]


class StaleGroups(Exception):
    """A group remembered by this process no longer leads to an open incident; retry the batch (the
    memory of those groups is gone, so the retry asks the database)."""


class _Incidents:
    """Incident states loaded (and row-locked) once per batch."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.states: dict[int, IncidentState] = {}

    def get(self, incident_id: int) -> IncidentState:
        if incident_id not in self.states:
            self.states[incident_id] = incidents.load_in(self.tx, incident_id)
        return self.states[incident_id]

    def put(self, s: IncidentState) -> IncidentState:
        self.states[s.id] = s
        return s


def process(app: App, tx: Tx, subs: list[Submission]) -> None:
    """Apply every submission in `tx`. Raises on database errors; the caller retries or splits the batch."""
    now = app.clock.now()
    view = catalog_in(app, tx.conn)
    recs = batch.apply_all(subs, store.find_alerts(tx.conn, batch.keys_of(subs)), view, now)
    groups = batch.groups_of(recs)
    if groups or any(r.resolved_now for r in recs.values()):
        caches.matrix(app, tx)
    inc = _Incidents(tx)
    resolving = batch.resolving(recs)  # and acknowledging
    if not _storm(app, tx, groups, resolving, recs, inc, now):
        _place_and_write(app, tx, groups, resolving, recs, inc, view, now)
    touched = batch.touched(recs)
    if touched:
        _timeline(app, tx, inc, touched, view, now)
    # a safety net: every incident declared or reopened above was touched, and its timeline append reacted
    for incident_id in sorted(i for i in inc.states if incidents.is_held(tx, i)):
        inc.put(incidents.react_held_in(app, tx, inc.get(incident_id)))


def _storm(app: App, tx: Tx, groups: dict[Key, list[Rec]], resolving: set[int], recs: dict[Key, Rec],
           inc: _Incidents, now: datetime) -> bool:
    """The storm case: every group is remembered with its incident, so the new alerts, the repeat counts and
    the incident row locks are written without asking the database where they go (on PostgreSQL in one
    round trip). Returns False (nothing done) when that does not apply; raises StaleGroups if a remembered
    incident turned out not to be open.

    Lock order: alert rows (find_alerts), then new alert keys, then incidents by id. The slower path locks
    incidents before inserting; the two can only collide on the same new key, which PostgreSQL reports as a
    deadlock and the writer retries."""
    placed = caches.remembered(app, groups)
    new = batch.new(recs)
    if placed is None or any(r.dirty for r in recs.values()) \
            or (tx.dialect == "postgresql" and len(new) > store.PIPELINED_ROWS):
        return False
    for gk, members in groups.items():
        for r in members:
            r.row["incident_id"] = placed[gk]
    wanted = set(placed.values()) | resolving
    with pipeline(tx.conn):
        new_ids = store.send_alerts(tx.conn, [r.row for r in new])
        store.bump_alerts(tx.conn, batch.bumps(recs, now))
        locked = incidents.lock_many_in(tx, sorted(wanted)) if wanted else {}
        ids = new_ids()
    if any(i not in locked or Status(locked[i].status) not in OPEN_STATUSES for i in placed.values()):
        caches.forget_groups(app, groups)
        raise StaleGroups(sorted(set(placed.values())))
    for s in locked.values():
        inc.put(s)
    for r, new_id in zip(new, ids, strict=True):
        r.row["id"] = new_id
    return True


def _place_and_write(app: App, tx: Tx, groups: dict[Key, list[Rec]], resolving: set[int], recs: dict[Key, Rec],
                     inc: _Incidents, view: CatalogView, now: datetime) -> None:
    """The general case: find each group's incident (remembered and still open, or asked of the database),
    join, reopen or open it, then write the alerts."""
    known = _remembered_open(app, groups, resolving, inc)
    if known is None:  # not every group is known here with an open incident: ask the database
        known = store.find_groups(tx.conn, groups.keys()) if groups else {}
        # Lock order, for concurrent writers: alert rows (find_alerts, by id), then incidents by id, then new rows.
        for incident_id in sorted({g["incident_id"] for g in known.values()} | resolving):
            inc.get(incident_id)
    if groups:
        _place(app, tx, groups, known, inc, now)
        placed = {gk: members[0].row["incident_id"] for gk, members in groups.items()}
        tx.after_commit(lambda: caches.remember_groups(app, placed))
    new = batch.new(recs)
    for r, new_id in zip(new, store.insert_alerts(tx.conn, [r.row for r in new]), strict=True):
        r.row["id"] = new_id
    store.rewrite_alerts(tx.conn, batch.rewrites(recs, store.MUTABLE))
    store.bump_alerts(tx.conn, batch.bumps(recs, now))


def _remembered_open(app: App, groups: dict[Key, list[Rec]], resolving: set[int],
                     inc: _Incidents) -> dict[Key, dict[str, Any]] | None:
    """Groups as this process last saw them, if every one is known and its incident (now locked) still open.

    A group's incident only changes when it is no longer open, so an open remembered incident is the
    answer the database would give; anything else returns None and the caller asks the database."""
    ids = caches.remembered(app, groups) if groups else None
    if ids is None:
        return None
    try:
        for incident_id in sorted(set(ids.values()) | resolving):
            inc.get(incident_id)
    except NotFound:  # never expected (the cache is filled after commit); stay correct if it happens anyway
        caches.forget_groups(app, groups)
        return None
    if any(Status(inc.get(i).status) not in OPEN_STATUSES for i in ids.values()):
        return None
    return {gk: {"id": None, "incident_id": i} for gk, i in ids.items()}


def _place(app: App, tx: Tx, groups: dict[Key, list[Rec]], known: dict[Key, dict[str, Any]], inc: _Incidents,
           now: datetime) -> None:
    for gk, members in groups.items():
        g = known.get(gk)
        s = inc.get(g["incident_id"]) if g else None
        where = place(s.status if s else None, s.resolved_at if s else None, now,
                      members[0].integration.config.reopen_window_s)
        if where is Placement.REOPEN:
            assert s is not None
            s = inc.put(incidents.move_in(app, tx, s, Status.INVESTIGATING, by=members[0].actor,
                                          note="an alert fired again", implicit_ack=False, react=False))
        elif where is Placement.OPEN:
            # reactions (pages) wait until the alerts are attached: cause before effect
            s = inc.put(incidents.declare_in(app, tx, **batch.declaration(members, now), react=False))
        assert s is not None
        if where is not Placement.JOIN or g is None:
            store.upsert_group(tx.conn, g, gk[0], gk[1], s.id, now)
        for r in members:
            r.row["incident_id"] = s.id


def _timeline(app: App, tx: Tx, inc: _Incidents, touched: dict[int, Touch], view: CatalogView,
              now: datetime) -> None:
    unresolved = store.unresolved_counts(tx.conn, [i for i, t in touched.items() if t.resolved])
    matrix = incidents.matrix_in(tx)
    last = next(reversed(touched))
    for incident_id, t in touched.items():
        s = inc.get(incident_id)
        f = batch.facts(s, t, matrix, unresolved.get(incident_id), now)
        # Alert events change nothing promotion looks at (priority, services, status), so it can be decided first.
        promote = batch.promotion(s, t, view) if f.only_alert_facts else None
        if f.only_alert_facts and not f.auto_resolve and not promote and not incidents.is_held(tx, incident_id) \
                and not incidents.reacts_to(app, {e.kind for e in f.events}):
            # Nothing after this reads the database (no reactor handles alert events: tests/integration/
            # test_incidents_reactors.py holds bootstrap.REACTORS to that): on PostgreSQL these writes go out
            # together, and for the batch's last incident together with the COMMIT.
            if incident_id == last:
                tx.pipeline_until_commit()
                inc.put(incidents.append_in(app, tx, s, f.events))
            else:
                with pipeline(tx.conn):
                    inc.put(incidents.append_in(app, tx, s, f.events))
            continue
        s = inc.put(incidents.append_in(app, tx, s, f.events))
        if f.auto_resolve:
            s = inc.put(incidents.move_in(app, tx, s, Status.RESOLVED, by=f.resolver,
                                          note="all alerts resolved", implicit_ack=False))
        if promote is None:
            promote = batch.promotion(s, t, view)
        if promote:
            inc.put(incidents.promote_in(app, tx, s, promote[1], by=f.actor, rule=promote[0]))
