"""Change events (deploys, config pushes) from monitoring and CI tools: kept, listed, and shown to a war room
as "what changed on these services just before". Low volume: each is committed in its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, insert, select
from sqlalchemy.engine import RowMapping

from warroom.alerts.rules import Integration
from warroom.alerts.sources.change import ChangeIn
from warroom.platform.app import App
from warroom.platform.db import JSONType, UTCDateTime, metadata

change_events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("integration_id", Integer, ForeignKey("alert_integrations.id", ondelete="CASCADE"), nullable=False),
    Column("service_id", Integer, ForeignKey("services.id", ondelete="SET NULL"), nullable=True),
    Column("summary", String(1024), nullable=False),
    Column("source", String(255), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("details", JSONType, nullable=False),
    Column("links", JSONType, nullable=False),  # [[href, text], ...], http(s) only
    Index("ix_change_events_occurred", "occurred_at"),
    Index("ix_change_events_service_occurred", "service_id", "occurred_at"),
)


def record_change(app: App, integ: Integration, change: ChangeIn) -> int:
    """Store one change, against the integration's default service; returns its id."""
    now = app.clock.now()
    with app.db.transaction() as tx:
        return tx.conn.execute(insert(change_events).values(
            integration_id=integ.id, service_id=integ.service_id, summary=change.summary, source=change.source,
            occurred_at=change.occurred_at or now, received_at=now, details=change.details,
            links=[list(link) for link in change.links]).returning(change_events.c.id)).scalar_one()


def recent_changes(app: App, *, service_ids: list[int] | None = None, since: datetime | None = None,
                   limit: int = 50) -> list[RowMapping]:
    """Changes newest first, optionally only on `service_ids` and from `since` on."""
    q = select(change_events).order_by(change_events.c.occurred_at.desc(), change_events.c.id.desc()).limit(limit)
    conds: list[Any] = []
    if service_ids is not None:
        conds.append(change_events.c.service_id.in_(service_ids))
    if since is not None:
        conds.append(change_events.c.occurred_at >= since)
    if conds:
        q = q.where(*conds)
    with app.db.read() as conn:
        return list(conn.execute(q).mappings())
