"""alert groups under their new keys: one incident per sender group

Groups used to be keyed by the alert's service and the sender's group ("svc=<service>|group=<hint>"); they are
now keyed by the sender's group alone ("group=<hint>"; a PagerDuty event without `payload.group` is its own
group, "group=<dedup_key>"), see decision 0006. So that an outage open at the upgrade keeps one incident, this
adds the new key of every old group, pointing at the incident the old key pointed to: when several old groups
(one per service) become one, the open incident wins, else the one seen last. Old rows are kept (nothing
looks them up any more); integrations with `group_by` and keys that were stored hashed are left alone.
Downgrade removes nothing: an older version never looks the new keys up.

Revision ID: 0012_sender_group_keys
Revises: 0011_scrub_delivery_errors
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from alembic import op
from sqlalchemy import bindparam, text

revision = "0012_sender_group_keys"
down_revision = "0011_scrub_delivery_errors"
branch_labels = None
depends_on = None

OLD_KEY = re.compile(r"svc=(.*?)\|group=(.*)\Z", re.S)
OPEN = ("identified", "investigating", "contained")


def _fit(key: str) -> str:
    """alerts.fingerprint.fit_key as of this revision."""
    if len(key) <= 255:
        return key
    return "sha256:" + hashlib.sha256(key.encode() + b"\x00").hexdigest()


def _group_by(config: Any) -> bool:
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return True  # unreadable: leave it alone
    return bool(isinstance(config, dict) and config.get("group_by"))


def upgrade() -> None:
    conn = op.get_bind()
    kinds = {r.id: r.kind for r in conn.execute(text("SELECT id, kind, config FROM alert_integrations"))
             if not _group_by(r.config)}
    if not kinds:
        return
    groups = conn.execute(text("SELECT g.integration_id, g.group_key, g.incident_id, g.updated_at, i.status "
                               "FROM alert_groups g JOIN incidents i ON i.id = g.incident_id")).all()
    taken = {(g.integration_id, g.group_key) for g in groups}
    best: dict[tuple[int, str], tuple[tuple[bool, Any], int, Any]] = {}

    def offer(integration_id: int, key: str, incident_id: int, status: str, seen: Any) -> None:
        if (integration_id, key) in taken:
            return
        rank = (status in OPEN, seen)
        if (integration_id, key) not in best or rank > best[integration_id, key][0]:
            best[integration_id, key] = (rank, incident_id, seen)

    for g in groups:
        m = OLD_KEY.match(g.group_key)
        if g.integration_id in kinds and m and m.group(2):
            offer(g.integration_id, _fit("group=" + m.group(2)), g.incident_id, g.status, g.updated_at)
    pagerduty = sorted(i for i, kind in kinds.items() if kind == "pagerduty")
    if pagerduty:  # events without payload.group: each alert is now its own group (reopened if it fires again)
        q = text("SELECT a.integration_id, a.dedup_key, a.incident_id, a.last_seen_at, i.status FROM alerts a "
                 "JOIN incidents i ON i.id = a.incident_id WHERE a.group_key LIKE 'svc=%|group=' "
                 "AND i.status <> 'closed' AND a.integration_id IN :ids").bindparams(bindparam("ids", expanding=True))
        for a in conn.execute(q, {"ids": pagerduty}):
            offer(a.integration_id, _fit("group=" + a.dedup_key), a.incident_id, a.status, a.last_seen_at)
    if best:
        conn.execute(text("INSERT INTO alert_groups (integration_id, group_key, incident_id, updated_at) "
                          "VALUES (:integration_id, :group_key, :incident_id, :updated_at)"),
                     [{"integration_id": i, "group_key": k, "incident_id": inc, "updated_at": seen}
                      for (i, k), (_, inc, seen) in sorted(best.items())])


def downgrade() -> None:
    pass  # the added rows are harmless to an older version, which never looks these keys up
