"""Contact methods and rules per user, the notification outbox and its delivery attempts: tables and queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection, RowMapping

from warroom.platform.db import JSONType, UTCDateTime, metadata

contact_methods = Table(
    "contact_methods",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # email | webhook | slack | teams
    Column("address", String(1000), nullable=False),  # e-mail address or URL
    Column("secret", String(200), nullable=False, default=""),  # HMAC key of a webhook endpoint
    Column("label", String(100), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

contact_rules = Table(
    "contact_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("method_id", Integer, ForeignKey("contact_methods.id", ondelete="CASCADE"), nullable=False),
    Column("delay_minutes", Integer, nullable=False, default=0),
    Column("priorities", JSONType, nullable=False),  # [] = every priority
    Column("created_at", UTCDateTime, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),  # idempotency key, sent with every attempt
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("method_id", Integer, ForeignKey("contact_methods.id", ondelete="SET NULL"), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("address", String(1000), nullable=False),
    Column("payload", JSONType, nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | dead | cancelled
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Index("ix_notifications_due", "state", "next_attempt_at"),
)

attempts = Table(
    "notification_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("notification_id", Integer, ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("attempt", Integer, nullable=False),
    Column("worker", String(100), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("ok", Boolean, nullable=True),  # None: the worker died during the attempt
    Column("error", Text, nullable=True),
    Index("ix_notification_attempts_finished_at", "finished_at"),  # recent failures, for the admin's banner
)


# -- contact methods and rules ------------------------------------------------------------------

def insert_method(conn: Connection, **values: Any) -> int:
    return conn.execute(contact_methods.insert().values(**values).returning(contact_methods.c.id)).scalar_one()


def methods_of(conn: Connection, user_id: int) -> list[RowMapping]:
    q = select(contact_methods).where(contact_methods.c.user_id == user_id).order_by(contact_methods.c.id)
    return list(conn.execute(q).mappings())


def get_method(conn: Connection, method_id: int) -> RowMapping | None:
    return conn.execute(select(contact_methods).where(contact_methods.c.id == method_id)).mappings().first()


def delete_method(conn: Connection, user_id: int, method_id: int) -> bool:
    q = delete(contact_methods).where(contact_methods.c.id == method_id, contact_methods.c.user_id == user_id)
    return conn.execute(q).rowcount == 1


def insert_rule(conn: Connection, **values: Any) -> int:
    return conn.execute(contact_rules.insert().values(**values).returning(contact_rules.c.id)).scalar_one()


# Run on every page: built once, as building a statement costs SQLAlchemy more than running it.
_RULES_OF = (select(contact_rules, contact_methods.c.kind, contact_methods.c.address)
             .join(contact_methods, contact_methods.c.id == contact_rules.c.method_id)
             .where(contact_rules.c.user_id.in_(bindparam("user_ids", expanding=True)))
             .order_by(contact_rules.c.user_id, contact_rules.c.id))


def rules_of(conn: Connection, user_ids: list[int]) -> list[RowMapping]:
    """Rules joined with their method, for the given users."""
    return list(conn.execute(_RULES_OF, {"user_ids": list(user_ids)}).mappings())


def delete_rule(conn: Connection, user_id: int, rule_id: int) -> bool:
    q = delete(contact_rules).where(contact_rules.c.id == rule_id, contact_rules.c.user_id == user_id)
    return conn.execute(q).rowcount == 1


# -- outbox -------------------------------------------------------------------------------------

_INSERT_NOTIFICATIONS = notifications.insert()

def insert_notifications(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT_NOTIFICATIONS, rows)


def get_notification(conn: Connection, nid: int) -> RowMapping | None:
    return conn.execute(select(notifications).where(notifications.c.id == nid)).mappings().first()


def list_notifications(conn: Connection, *, state: str | None = None, incident_id: int | None = None,
                       limit: int = 100) -> list[RowMapping]:
    q = select(notifications)
    if state:
        q = q.where(notifications.c.state == state)
    if incident_id is not None:
        q = q.where(notifications.c.incident_id == incident_id)
    return list(conn.execute(q.order_by(notifications.c.id.desc()).limit(limit)).mappings())


def attempts_of(conn: Connection, nid: int) -> list[RowMapping]:
    q = select(attempts).where(attempts.c.notification_id == nid).order_by(attempts.c.id)
    return list(conn.execute(q).mappings())


# The worker runs these for every page it sends: built once, as building a statement costs SQLAlchemy more
# than running it.
_DUE = (notifications.c.state == "pending", notifications.c.next_attempt_at <= bindparam("now"))
_CLAIM = (select(notifications).where(*_DUE).order_by(notifications.c.next_attempt_at, notifications.c.id)
          .limit(bindparam("limit")))
_CLAIM_SKIP_LOCKED = _CLAIM.with_for_update(skip_locked=True)
_ANY_DUE = select(notifications.c.id).where(*_DUE).limit(1)
_LEASE = (update(notifications).where(notifications.c.id.in_(bindparam("ids", expanding=True)))
          .values(attempts=notifications.c.attempts + 1,
                  next_attempt_at=bindparam("until", type_=notifications.c.next_attempt_at.type)))
_OPEN_ATTEMPTS = attempts.insert().returning(attempts.c.id, sort_by_parameter_order=True)
_SECRETS = (select(contact_methods.c.id, contact_methods.c.secret)
            .where(contact_methods.c.id.in_(bindparam("ids", expanding=True))))


def claim_due(conn: Connection, now: datetime, limit: int) -> list[RowMapping]:
    """Pending notifications due by `now`, locked (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
    q = _CLAIM_SKIP_LOCKED if conn.dialect.name == "postgresql" else _CLAIM
    return list(conn.execute(q, {"now": now, "limit": limit}).mappings())


def any_due(conn: Connection, now: datetime) -> bool:
    return conn.execute(_ANY_DUE, {"now": now}).first() is not None


def lease(conn: Connection, claimed: list[tuple[int, int]], until: datetime, now: datetime, worker: str) -> list[int]:
    """Push each claimed row's next attempt to `until`, count the attempt, open its record; returns attempt ids."""
    conn.execute(_LEASE, {"ids": [c[0] for c in claimed], "until": until})
    res = conn.execute(_OPEN_ATTEMPTS, [{"notification_id": nid, "attempt": n, "worker": worker, "started_at": now}
                                        for nid, n in claimed])
    return [r[0] for r in res]


def secrets_of(conn: Connection, method_ids: set[int]) -> dict[int, str]:
    if not method_ids:
        return {}
    return {r[0]: r[1] for r in conn.execute(_SECRETS, {"ids": list(method_ids)})}


_UPDATES: dict[tuple[Any, ...], Any] = {}


def _update(table: Table, names: tuple[str, ...], states: bool) -> Any:
    """UPDATE table SET names WHERE id = :b_id [AND state IN :b_states], built once per shape."""
    key = (table.name, names, states)
    q = _UPDATES.get(key)
    if q is None:
        q = update(table).where(table.c.id == bindparam("b_id"))
        if states:
            q = q.where(table.c.state.in_(bindparam("b_states", expanding=True)))
        q = _UPDATES[key] = q.values({n: bindparam(f"b_{n}", type_=table.c[n].type) for n in names})
    return q


def update_notification(conn: Connection, nid: int, *, only_state: str | tuple[str, ...] | None = None,
                        **values: Any) -> bool:
    states = (only_state,) if isinstance(only_state, str) else tuple(only_state or ())
    params = {"b_id": nid, **{f"b_{n}": v for n, v in values.items()}}
    if states:
        params["b_states"] = list(states)
    return conn.execute(_update(notifications, tuple(values), bool(states)), params).rowcount == 1


def cancel_pending(conn: Connection, incident_id: int, kinds: tuple[str, ...], reason: str) -> int:
    """Cancel every undelivered notification of these kinds of an incident (due or not, retrying or not); the
    reason is kept in `last_error`. A send already in flight still lands: delivery is at least once."""
    q = (update(notifications).where(notifications.c.incident_id == incident_id, notifications.c.state == "pending",
                                     notifications.c.payload["event"].as_string().in_(kinds))
         .values(state="cancelled", next_attempt_at=None, last_error=reason))
    return conn.execute(q).rowcount


def finish_attempt(conn: Connection, attempt_id: int, **values: Any) -> None:
    params = {"b_id": attempt_id, **{f"b_{n}": v for n, v in values.items()}}
    conn.execute(_update(attempts, tuple(values), False), params)


def count_by_state(conn: Connection) -> dict[str, int]:
    q = select(notifications.c.state, func.count()).group_by(notifications.c.state)
    return {r[0]: r[1] for r in conn.execute(q)}


def failures_since(conn: Connection, channel: str, since: datetime) -> tuple[int, str | None]:
    """Failed attempts on `channel` finished since `since`, and the last one's error."""
    q = (select(attempts.c.error).join(notifications, notifications.c.id == attempts.c.notification_id)
         .where(attempts.c.finished_at >= since, attempts.c.ok.is_(False), notifications.c.channel == channel)
         .order_by(attempts.c.finished_at.desc(), attempts.c.id.desc()))
    n = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    last = conn.execute(q.limit(1)).scalar_one_or_none() if n else None
    return n, last


def anyone_by_email(conn: Connection) -> bool:
    """Could a page go out by e-mail: an e-mail contact method, or an active person with an account e-mail?"""
    from warroom.auth.store import users

    if conn.execute(select(contact_methods.c.id).where(contact_methods.c.kind == "email").limit(1)).first():
        return True
    q = select(users.c.id).where(users.c.active.is_(True), users.c.email.is_not(None), users.c.email != "")
    return conn.execute(q.limit(1)).first() is not None
