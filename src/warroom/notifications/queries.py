"""Notifications' read side: the outbox's notifications and their delivery attempts, addresses redacted for
whoever may not see them whole (notifications/redact.py). Each function reads from the app or an open
connection."""

from __future__ import annotations

from typing import Any

from warroom.auth.permissions import Principal
from warroom.errors import NotFound
from warroom.notifications import store as st
from warroom.notifications.redact import shown
from warroom.platform.reads import Source, reading


def get(src: Source, notification_id: int, viewer: Principal | None = None) -> dict[str, Any]:
    """One notification with every delivery attempt. The address is whole for its recipient and admins (and
    for `viewer=None`, the server itself), redacted for everyone else."""
    with reading(src) as conn:
        row = st.get_notification(conn, notification_id)
        if row is None:
            raise NotFound(f"notification {notification_id} not found")
        out = {**dict(row), "attempt_log": [dict(a) for a in st.attempts_of(conn, notification_id)]}
    return out if viewer is None else shown(viewer, out)


def list_(src: Source, *, state: str | None = None, incident_id: int | None = None, limit: int = 100,
          viewer: Principal | None = None) -> list[dict[str, Any]]:
    """Newest first; addresses as in `get`."""
    with reading(src) as conn:
        rows = [dict(r) for r in st.list_notifications(conn, state=state, incident_id=incident_id, limit=limit)]
    return rows if viewer is None else [shown(viewer, r) for r in rows]


def counts(src: Source) -> dict[str, int]:
    with reading(src) as conn:
        return st.count_by_state(conn)
