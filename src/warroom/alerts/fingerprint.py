"""Dedup and group keys (pure). Keys are stable across processes and restarts."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping

MAX_KEY = 255


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\x00")
    return h.hexdigest()


def labels_fingerprint(labels: Mapping[str, str]) -> str:
    """A key for an alert that brings none: the hash of its sorted labels."""
    return digest(*(f"{k}={v}" for k, v in sorted(labels.items())))[:32]


def new_dedup_key() -> str:
    return uuid.uuid4().hex


def fit_key(key: str) -> str:
    """Keys longer than the column are replaced by their hash, so two long keys never collide by truncation."""
    return key if len(key) <= MAX_KEY else "sha256:" + digest(key)


def group_key(*, service: str | None, hint: str, group_by: Iterable[str], labels: Mapping[str, str]) -> str:
    """Alerts with the same group key feed the same incident.

    By default the sender's own group (`hint`: Alertmanager `groupKey`, PagerDuty `payload.group` or else its
    `dedup_key`, a generic webhook's mapped group): what the sender grouped as one outage is one incident, and
    every service its alerts name joins that incident. A sender that names no group falls back to the service.
    With `group_by` configured the key is exactly those labels (`service` is the alert's service): the way to
    split a sender's group."""
    names = list(group_by)
    if names:
        parts = [f"{n}={(service or '') if n == 'service' else labels.get(n, '')}" for n in names]
    elif hint:
        parts = [f"group={hint}"]
    else:
        parts = [f"svc={service or ''}", "group="]  # the key this case always had: its groups survive upgrades
    return fit_key("|".join(parts))
