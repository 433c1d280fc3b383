"""The ingest path's caches, kept in the process's `app.alerts` between batches: the priority matrix (read at
most every few seconds) and the groups this process placed, with their open incidents. The third one, the
service catalog, is `catalog_view.py`.

Neither is ever trusted blindly: a remembered group is used only once its incident is row-locked and seen
open (ingest.py checks), and groups are remembered only after the batch placing them has committed."""

from __future__ import annotations

import time
from collections.abc import Iterable

from warroom.incidents import service as incidents
from warroom.incidents.priority import Matrix
from warroom.platform.app import App
from warroom.platform.db import Tx

MATRIX_TTL_S = 5.0
MAX_GROUPS = 100_000  # remembered groups; beyond this the memory starts again (the database has them all)

GroupKey = tuple[int, str]  # (integration id, group key)


def matrix(app: App, tx: Tx) -> Matrix:
    """The priority matrix, read from the database at most every MATRIX_TTL_S by the ingest path; `tx` then
    uses it too (incidents.matrix_in)."""
    hit = app.alerts.matrix
    if hit is not None and hit[1] > time.monotonic():
        incidents.use_matrix(tx, hit[0])
        return hit[0]
    found = incidents.matrix_in(tx)
    app.alerts.matrix = (found, time.monotonic() + MATRIX_TTL_S)
    return found


def remembered(app: App, groups: Iterable[GroupKey]) -> dict[GroupKey, int] | None:
    """The incident each group last went to in this process, if every group is remembered; else None."""
    cache = app.alerts.groups
    out: dict[GroupKey, int] = {}
    for gk in groups:
        incident_id = cache.get(gk)
        if incident_id is None:
            return None
        out[gk] = incident_id
    return out


def forget_groups(app: App, groups: Iterable[GroupKey]) -> None:
    """Their remembered incident turned out not to be open (or not to exist): ask the database next time."""
    cache = app.alerts.groups
    for gk in groups:
        cache.pop(gk, None)


def remember_groups(app: App, placed: dict[GroupKey, int]) -> None:
    """After commit only: another writer must never be sent to an incident that is still uncommitted, or that a
    rolled-back batch never created."""
    cache = app.alerts.groups
    if len(cache) > MAX_GROUPS:
        cache.clear()
    cache.update(placed)
