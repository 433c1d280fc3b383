"""Alert use cases: integrations (admin), key authentication and load shedding (intake), and reads,
acknowledge and resolve by hand. Ingestion itself goes through the group-commit writer."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from warroom.alerts import queries, store
from warroom.alerts.batch import Submission
from warroom.alerts.model import Action, AlertIn, AlertStatus
from warroom.alerts.rules import Integration, parse_config
from warroom.alerts.runtime import KeyCache, RateLimiter
from warroom.alerts.sources import KINDS, generic
from warroom.alerts.writer import commit, writer_of
from warroom.auth.permissions import Principal
from warroom.catalog.store import existing_service_ids
from warroom.errors import Conflict, Invalid, NotFound
from warroom.platform import audit
from warroom.platform.app import App
from warroom.platform.db import Tx

CACHE_TTL_S = 5.0
NEGATIVE_CACHE_MAX = 10_000


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _integration(row: RowMapping) -> Integration:
    return Integration(id=row["id"], name=row["name"], kind=row["kind"], service_id=row["service_id"],
                       config=parse_config(row["config"]), enabled=row["enabled"])


# -- admin --------------------------------------------------------------------------------------

def _check(app: App, conn: Any, *, name: str | None, kind: str | None, service_id: int | None,
           config: dict[str, Any] | None) -> None:
    if name is not None and not (1 <= len(name.strip()) <= 100):
        raise Invalid("name", "must be 1-100 characters")
    if kind is not None and kind not in KINDS:
        raise Invalid("kind", f"must be one of {', '.join(KINDS)}")
    if service_id is not None and not existing_service_ids(conn, {service_id}):
        raise Invalid("service_id", f"no such service: {service_id}")
    if config is not None:
        parse_config(config)


def create_integration(app: App, p: Principal, *, name: str, kind: str, service_id: int | None = None,
                       config: dict[str, Any] | None = None) -> tuple[RowMapping, str]:
    """Create an integration; the secret key is returned here once and stored only as a hash."""
    config = config or {}
    key = secrets.token_hex(16)  # 32 characters, the shape PagerDuty clients expect of a routing key
    now = app.clock.now()
    with app.db.read() as conn:
        _check(app, conn, name=name, kind=kind, service_id=service_id, config=config)
    if kind == generic.KIND:
        generic.check_mapping(config.get("mapping", {}))
    try:
        with app.db.transaction() as tx:
            iid = store.insert_integration(tx.conn, name=name.strip(), kind=kind, key_hash=hash_key(key),
                                           key_prefix=key[:6], service_id=service_id, config=config, enabled=True,
                                           created_at=now, created_by=p.actor, updated_at=now)
            _audit(tx, now, p, iid, "created", {"name": name.strip(), "kind": kind, "service_id": service_id,
                                                "config": config})
            row = store.get_integration(tx.conn, iid)
            assert row is not None  # written in this transaction
            return row, key
    except IntegrityError:
        raise Conflict(f"an integration named {name.strip()!r} exists") from None


def _audit(tx: Tx, at: datetime, p: Principal, integration_id: int, action: str, data: dict[str, Any]) -> None:
    audit.record(tx.conn, at=at, actor=p.actor, subject="integration", subject_id=integration_id, action=action,
                 data=data)


def update_integration(app: App, p: Principal, integration_id: int, *,
                       edit_config: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                       action: str | None = None, **changes: Any) -> RowMapping:
    """Change name, default service, config or enabled; unknown fields are refused by the adapter.
    `edit_config` derives the new config from the stored one, under the row's lock (no lost update).
    The audit log gets what changed, as `action` (default: edited, enabled or disabled)."""
    with app.db.transaction() as tx:
        row = store.get_integration(tx.conn, integration_id, for_update=True)
        if row is None:
            raise NotFound(f"integration {integration_id} not found")
        if edit_config is not None:
            changes["config"] = edit_config(dict(row["config"] or {}))
        _check(app, tx.conn, name=changes.get("name"), kind=None, service_id=changes.get("service_id"),
               config=changes.get("config"))
        if row["kind"] == generic.KIND and "config" in changes:
            generic.check_mapping(changes["config"].get("mapping", {}))
        now = app.clock.now()
        try:
            store.update_integration(tx.conn, integration_id, updated_at=now, **changes)
        except IntegrityError:
            raise Conflict(f"an integration named {changes.get('name')!r} exists") from None
        out = store.get_integration(tx.conn, integration_id)
        assert out is not None  # locked above
        diff = audit.changes(dict(row), {k: out[k] for k in changes})
        if diff or action:
            if action is None:
                action = ("enabled" if diff["enabled"][1] else "disabled") if set(diff) == {"enabled"} else "edited"
            _audit(tx, now, p, integration_id, action, diff)
        _changed(app, tx, integration_id)
    return out


def rotate_key(app: App, p: Principal, integration_id: int) -> tuple[RowMapping, str]:
    key = secrets.token_hex(16)
    with app.db.transaction() as tx:
        old = store.get_integration(tx.conn, integration_id, for_update=True)
        if old is None:
            raise NotFound(f"integration {integration_id} not found")
        now = app.clock.now()
        store.update_integration(tx.conn, integration_id, key_hash=hash_key(key), key_prefix=key[:6], updated_at=now)
        row = store.get_integration(tx.conn, integration_id)
        assert row is not None  # locked above
        _audit(tx, now, p, integration_id, "key rotated", {"key_prefix": [old["key_prefix"], key[:6]]})
        _changed(app, tx, integration_id)
    return row, key


# -- intake: keys and load shedding -------------------------------------------------------------

def forget_keys(app: App) -> None:
    app.alerts.keys = KeyCache()


CHANGED = "integrations.changed"


def _changed(app: App, tx: Tx, integration_id: int) -> None:
    """Every server process drops its cached keys once this commits (PostgreSQL: by NOTIFY), so a rotated or
    disabled key stops working at once everywhere, not after the cache's TTL."""
    tx.after_commit(lambda: forget_keys(app))
    app.live.announce(tx, {"type": CHANGED, "integration_id": integration_id})


def watch_keys(app: App) -> Callable[[], None]:
    """web.registry BACKGROUND entry: forget cached keys when another process changes an integration (or when the
    live listener reconnects and may have missed a notice); returns the stop function."""
    return app.live.subscribe(lambda m: forget_keys(app) if m.get("type") in (CHANGED, "resync") else None)


def authenticate(app: App, key: str | None) -> Integration | None:
    """The enabled integration whose key this is, or None. Looked up by hash, briefly cached;
    the answer and its cost do not depend on whether other keys exist."""
    if not key or len(key) > 200:
        return None
    digest = hash_key(key)
    cache = app.alerts.keys
    now = time.monotonic()
    hit = cache.found.get(digest)
    if hit is not None and hit[1] > now:
        return hit[0]
    if cache.missing.get(digest, 0) > now:
        return None
    with app.db.read() as conn:
        row = store.integration_by_hash(conn, digest)
    if row is None or not hmac.compare_digest(row["key_hash"], digest) or not row["enabled"]:
        with cache.lock:
            if len(cache.missing) >= NEGATIVE_CACHE_MAX:
                cache.missing.clear()
            cache.missing[digest] = now + CACHE_TTL_S
        return None
    integ = _integration(row)
    cache.found[digest] = (integ, now + CACHE_TTL_S)
    return integ


def limiter_of(app: App) -> RateLimiter:
    return app.alerts.limiter


async def send(app: App, integ: Integration, alerts: list[AlertIn]) -> None:
    """Queue alerts for the writer and return once they are committed."""
    await writer_of(app).send(Submission(integ, alerts))


def ingest(app: App, integ: Integration, alerts: list[AlertIn]) -> None:
    """Synchronous ingestion in one transaction of its own (CLI, tests, scripts)."""
    outcome = commit(app, [Submission(integ, alerts)])[0]
    if outcome is not None:
        raise outcome


# -- alerts: by-hand changes ---------------------------------------------------------------------

def set_maintenance(app: App, p: Principal, integration_id: int, until: datetime | None) -> RowMapping:
    """Start (or move the end of) maintenance until `until`, or end it now (None): while it lasts, every alert
    of this integration is kept but opens or joins no incident, so planned work pages nobody."""
    if until is not None and until.tzinfo is None:
        raise Invalid("until", "must carry its UTC offset")
    if until is not None and until <= app.clock.now():
        raise Invalid("until", "must be in the future")

    def edit(config: dict[str, Any]) -> dict[str, Any]:
        config.pop("maintenance_until", None)
        if until is not None:
            config["maintenance_until"] = f"{until.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
        return config

    return update_integration(app, p, integration_id, edit_config=edit,
                              action="maintenance started" if until is not None else "maintenance ended")


def _by_hand(app: App, p: Principal, alert_id: int, action: Action) -> RowMapping:
    with app.db.read() as conn:
        row = store.get_alert(conn, alert_id)
        if row is None:
            raise NotFound(f"alert {alert_id} not found")
        integ_row = store.get_integration(conn, row["integration_id"])
        assert integ_row is not None  # an alert goes with its integration (ON DELETE CASCADE)
    if action is Action.ACKNOWLEDGE and row["status"] != AlertStatus.FIRING:
        raise Conflict(f"alert {alert_id} is {row['status']}; only a firing alert can be acknowledged")
    if action is Action.RESOLVE and row["status"] == AlertStatus.RESOLVED:
        raise Conflict(f"alert {alert_id} is already resolved")
    event = AlertIn(dedup_key=row["dedup_key"], action=action, summary=row["summary"], severity=row["severity"])
    outcome = commit(app, [Submission(_integration(integ_row), [event], by=p.actor)])[0]
    if outcome is not None:
        raise outcome
    return queries.get_alert(app, alert_id)


def acknowledge_alert(app: App, p: Principal, alert_id: int) -> RowMapping:
    """Acknowledge by hand: this acknowledges the alert's incident too if it is open and nobody has yet
    (which stops its escalation), naming the alert; otherwise the timeline records the alert's acknowledgement."""
    return _by_hand(app, p, alert_id, Action.ACKNOWLEDGE)


def resolve_alert(app: App, p: Principal, alert_id: int) -> RowMapping:
    """Resolve by hand, on the incident's timeline (who, which alert). When it was the incident's last open
    alert the timeline says so, and the incident resolves as with the sender's resolution: an ordinary one if
    its integration auto-resolves, a major one never."""
    return _by_hand(app, p, alert_id, Action.RESOLVE)
