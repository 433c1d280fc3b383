"""scrub recorded delivery errors: no receiver answers, no addresses

A failed delivery used to record the exception's message: for a webhook, `HTTP 503 from <the URL>: <the first
200 characters of the answer>`, readable by everyone who may read notifications (the URL is a secret, the answer
could be anything the destination returned). New errors keep the class and a status only
(notifications/outbox.py error_text); this rewrites those already stored the same way. Cancellation reasons
(`cancelled` notifications) are our own words and stay. Not reversible: the old text is gone.

Revision ID: 0011_scrub_delivery_errors
Revises: 0010_attempts_finished_index
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0011_scrub_delivery_errors"
down_revision = "0010_attempts_finished_index"
branch_labels = None
depends_on = None

HTTP = re.compile(r"^RuntimeError: HTTP (\d{3}) from ")
ERROR = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*): ")
KEEP = ("DeliveryFailed: HTTP ", "DestinationRefused: ")


def scrubbed(text: str) -> str:
    if text.startswith(KEEP):
        return text
    m = HTTP.match(text)
    if m:
        return f"DeliveryFailed: HTTP {m.group(1)}"
    m = ERROR.match(text)
    return m.group(1) if m else text


def _scrub(table: str, column: str, where: str = "") -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL{where}")).all()
    changed = [{"id": rid, "v": scrubbed(text)} for rid, text in rows if scrubbed(text) != text]
    if changed:
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"), changed)


def upgrade() -> None:
    _scrub("notification_attempts", "error")
    _scrub("notifications", "last_error", " AND state <> 'cancelled'")


def downgrade() -> None:
    pass  # the removed text is gone for good
