"""The alerts' read side: integrations and their history, alerts and why one was held back. Each function reads
from the app (its own read transaction) or from an open connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping

from warroom.alerts import store
from warroom.alerts.model import Action, AlertIn
from warroom.alerts.rules import Config, classify
from warroom.errors import NotFound
from warroom.platform import audit
from warroom.platform.reads import Source, reading


def history(src: Source, integration_id: int, limit: int = 100) -> list[RowMapping]:
    """Who changed this integration, its key, its state or its maintenance, and how; newest first."""
    get_integration(src, integration_id)
    with reading(src) as conn:
        return audit.history(conn, "integration", integration_id, limit)


def list_integrations(src: Source) -> list[RowMapping]:
    with reading(src) as conn:
        return store.list_integrations(conn)


def get_integration(src: Source, integration_id: int) -> RowMapping:
    with reading(src) as conn:
        row = store.get_integration(conn, integration_id)
    if row is None:
        raise NotFound(f"integration {integration_id} not found")
    return row


def list_alerts(src: Source, **filters: Any) -> tuple[list[RowMapping], int]:
    """Filter alerts (status, integration_id, incident_id, service_id, severities, text, limit, offset)."""
    with reading(src) as conn:
        return store.search_alerts(conn, **filters)


def alerts_of_incident(src: Source, incident_id: int, limit: int = 500,
                       offset: int = 0) -> tuple[list[RowMapping], int]:
    return list_alerts(src, incident_id=incident_id, limit=limit, offset=offset)


def unresolved_count(src: Source, incident_id: int) -> int:
    """How many of the incident's alerts have not resolved."""
    with reading(src) as conn:
        return store.unresolved_counts(conn, [incident_id])[incident_id]


def get_alert(src: Source, alert_id: int) -> RowMapping:
    with reading(src) as conn:
        row = store.get_alert(conn, alert_id)
    if row is None:
        raise NotFound(f"alert {alert_id} not found")
    return row


def held_because(alert: RowMapping, config: Config) -> tuple[str, str] | None:
    """Why an alert with no incident was kept out of incidents, as far as its integration's config says now:
    ("suppressed", why) for a suppress rule, ("maintenance", why) for one that fired before the end of the
    integration's maintenance; None when neither explains it."""
    probe = AlertIn(alert["dedup_key"], Action.TRIGGER, alert["summary"], alert["severity"], alert["source"],
                    labels=dict(alert["labels"] or {}))
    if classify(probe, config).suppress:
        return "suppressed", "a rule of this integration suppresses it"
    until = config.maintenance_until
    if until is not None and alert["first_seen_at"] < until:
        return "maintenance", f"it fired while the integration was in maintenance (until {until:%Y-%m-%d %H:%M} UTC)"
    return None
