"""Escalation's read side: policies (and the services using each), the default policy, an incident's
escalations and target timers. Each function reads from the app or from an open connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from warroom.catalog.store import services
from warroom.errors import NotFound
from warroom.escalation import store as st
from warroom.platform import kv
from warroom.platform.reads import Source, reading

DEFAULT_POLICY_KEY = "default_escalation_policy"  # {"policy_id": int | None}


def get_policy(src: Source, policy_id: int) -> dict[str, Any]:
    with reading(src) as conn:
        row = st.get_policy(conn, policy_id)
        if row is None:
            raise NotFound(f"escalation policy {policy_id} not found")
        used_by = list(conn.execute(select(services.c.id).where(services.c.escalation_policy_id == policy_id)
                                    .order_by(services.c.id)).scalars())
    return {**dict(row), "service_ids": used_by}


def list_policies(src: Source) -> list[dict[str, Any]]:
    with reading(src) as conn:
        return [dict(r) for r in st.list_policies(conn)]


def get_default_policy(src: Source) -> dict[str, Any]:
    with reading(src) as conn:
        return {"policy_id": (kv.get(conn, DEFAULT_POLICY_KEY) or {}).get("policy_id")}


def escalations_for(src: Source, incident_id: int) -> dict[str, Any]:
    """An incident's escalations (policy, level, next step) and its target timers."""
    with reading(src) as conn:
        return {"incident_id": incident_id,
                "escalations": [dict(r) for r in st.escalations_of(conn, incident_id)],
                "targets": [dict(r) for r in st.timers_of(conn, incident_id)]}
