"""The notification outbox: rows written in the caller's transaction, delivered later by the worker.

Delivery is at least once. A worker claims due rows by pushing `next_attempt_at` one lease ahead and
recording the attempt, commits, sends outside any transaction, then records the outcome. A worker that
dies mid-send leaves the row pending: it is due again once the lease runs out. Failures back off
exponentially; after `max_attempts` the row is parked as `dead` until someone retries it. Every send
carries the row's idempotency key so receivers can drop duplicates.

Pages (payload event `page` or `breach`) are wanted only while their incident needs someone: the domain that
writes them cancels every undelivered one when the incident is acknowledged or leaves the open states, and
registered checks (`add_check`) drop the ones that no longer apply when they are claimed, as `cancelled` with
the reason in `last_error` (never `dead`)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from warroom.auth.permissions import Principal
from warroom.errors import Conflict, Forbidden, NotFound
from warroom.notifications import queries
from warroom.notifications import store as st
from warroom.notifications.redact import may_see
from warroom.notifications.runtime import Flight, Retry
from warroom.platform.app import App
from warroom.platform.db import Tx

log = logging.getLogger("warroom.notify")

# A channel sends one notification row (with its method's secret) or raises.
Channel = Callable[[dict[str, Any], str], None]
# A check looks at claimed rows just before they are sent: {row id: why it no longer applies}.
Check = Callable[[Connection, list[RowMapping]], dict[int, str]]
PAGE_KINDS = ("page", "breach")

# Marks the given rows dead if they are still pending; returns those it marked.
MarkDead = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]

# Told, inside the transaction that records the outcomes, about notifications of incidents that ran out of
# attempts: (app, tx, rows, mark_dead). Each row carries `error_class` (never the error text, which may quote
# an address or a server's answer). The hook must lock the rows' incidents *first*, then call `mark_dead`,
# then append what it wants to their timelines: the incident-then-notification lock order is the one every
# incident transaction uses (acknowledge and resolve cancel pages), so the two never deadlock.
#
# Why a hook: notifications are downstream of incidents and escalation and must not import them. The
# escalation domain, which sends pages for incidents, passes its reporter to `install` (see
# escalation/failures.py); without one (a bare outbox in tests), rows simply go dead.
DeadHook = Callable[[App, Tx, list[dict[str, Any]], MarkDead], None]


def retry_policy(app: App) -> Retry:
    return app.notifications.retry


def channels(app: App) -> dict[str, Channel]:
    return app.notifications.channels


def checks(app: App) -> list[Check]:
    return app.notifications.checks


def add_check(app: App, check: Check) -> None:
    """Run `check` on every claimed batch, in the claim's transaction, before anything is sent."""
    if check not in checks(app):
        checks(app).append(check)


# -- writing ----------------------------------------------------------------------------------------

def enqueue(app: App, tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Add notifications in `tx`. Each row: key, channel, address, payload, and optionally incident_id,
    user_id, method_id, due_at (default now). The worker is woken once `tx` commits."""
    if not rows:
        return
    now = app.clock.now()
    st.insert_notifications(tx.conn, [
        {"key": r["key"], "incident_id": r.get("incident_id"), "user_id": r.get("user_id"),
         "method_id": r.get("method_id"), "channel": r["channel"], "address": r["address"],
         "payload": r["payload"], "state": "pending", "attempts": 0, "next_attempt_at": r.get("due_at") or now,
         "created_at": now} for r in rows])
    _wake_after(app, tx)


def _wake_after(app: App, tx: Tx) -> None:
    """Wake this process's worker loop once `tx` commits (a separate worker finds the rows on its next tick)."""
    tx.after_commit(app.notifications.wake.set)


def cancel_pages(app: App, tx: Tx, incident_id: int, reason: str) -> int:
    """Cancel every undelivered page of the incident, in `tx` (someone answered, or it is no longer open)."""
    return st.cancel_pending(tx.conn, incident_id, PAGE_KINDS, reason)


# -- delivering -------------------------------------------------------------------------------------

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
SEND_THREADS = 32
_pool = ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="warroom-send")


def _flight(app: App) -> Flight:
    return app.notifications.flight


def _claim(app: App, now: datetime, limit: int) -> list[tuple[dict[str, Any], int, str]]:
    """Lease due rows and open an attempt for each, in one short transaction."""
    with app.db.read() as conn:  # cheap check first: no write lock on an idle tick
        if not st.any_due(conn, now):
            return []
    lease = now + timedelta(seconds=retry_policy(app).lease_seconds)
    with app.db.transaction() as tx:
        rows = st.claim_due(tx.conn, now, limit)
        rows = _drop_stale(app, tx.conn, rows)
        if not rows:
            return []
        aids = st.lease(tx.conn, [(r["id"], r["attempts"] + 1) for r in rows], lease, now, WORKER_ID)
        secrets = st.secrets_of(tx.conn, {r["method_id"] for r in rows if r["method_id"] is not None})
    return [({**dict(r), "attempts": r["attempts"] + 1}, aid, secrets.get(r["method_id"], ""))
            for r, aid in zip(rows, aids, strict=True)]


def _drop_stale(app: App, conn: Connection, rows: list[RowMapping]) -> list[RowMapping]:
    """Cancel the claimed rows a check says no longer apply; return the others."""
    stale: dict[int, str] = {}
    for check in checks(app) if rows else ():
        stale.update(check(conn, rows))
    for nid, reason in stale.items():
        st.update_notification(conn, nid, only_state="pending", state="cancelled", next_attempt_at=None,
                               last_error=reason)
        log.info("notification cancelled before sending", extra={"notification_id": nid, "reason": reason})
    return [r for r in rows if r["id"] not in stale]


def _send(app: App, row: dict[str, Any], secret: str) -> str | None:
    send = channels(app).get(row["channel"])
    if send is None:
        return f"no channel {row['channel']!r} configured"
    try:
        send(row, secret)
        return None
    except Exception as exc:  # noqa: BLE001 - any failure of a channel is recorded and retried
        return error_text(exc)


# Exceptions whose message we write ourselves and that never hold an address or a receiver's answer.
_OWN_MESSAGES = ("DestinationRefused", "DeliveryFailed")


def error_text(exc: Exception) -> str:
    """What `last_error` and the attempt log keep: the error class and a status, never the receiver's answer
    or the address (a URL is a secret; libraries put both in their messages)."""
    name = type(exc).__name__
    if name in _OWN_MESSAGES:
        return f"{name}: {exc}"[:500]
    code = getattr(exc, "smtp_code", None)
    if isinstance(code, int):
        return f"{name}: SMTP {code}"
    cause: BaseException | None = exc
    for _ in range(4):  # httpx.ConnectError <- httpcore.ConnectError <- ConnectionRefusedError
        if cause is None:
            break
        if isinstance(cause, OSError) and cause.strerror:
            return f"{name}: {cause.strerror}"
        cause = cause.__cause__ or cause.__context__
    return name


def _record(app: App) -> int:
    """Write the outcome of every finished send in one transaction."""
    fl = _flight(app)
    with fl.lock:
        done, fl.done = fl.done, []
    if not done:
        return 0
    try:
        _write_outcomes(app, done)
    except Exception:
        with fl.lock:  # keep them for the next try; if this process dies, the lease brings the rows back
            fl.done[:0] = done
        raise
    return len(done)


def error_class(error: str) -> str:
    """The exception's class name from a recorded error ("ConnectionRefusedError: [Errno 111] ...")."""
    head = error.split(":", 1)[0].strip()
    return head if head.isidentifier() else "Error"


def _write_outcomes(app: App, done: list[tuple[dict[str, Any], int, str | None]]) -> None:
    now = app.clock.now()
    retry = retry_policy(app)
    dying = [{**row, "error": error, "error_class": error_class(error)} for row, _, error in done
             if error is not None and row["attempts"] >= retry.max_attempts]

    def mark_dead(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        marked = [r for r in rows if st.update_notification(tx.conn, r["id"], only_state="pending", state="dead",
                                                            next_attempt_at=None, last_error=r["error"])]
        for r in marked:
            log.warning("notification dead", extra={"notification_id": r["id"], "error": r["error"]})
        return marked

    hook = app.notifications.on_dead
    with app.db.transaction() as tx:
        of_incidents = [r for r in dying if r["incident_id"] is not None]
        if hook is not None and of_incidents:
            hook(app, tx, of_incidents, mark_dead)  # first: it locks the incidents before any row is touched
            mark_dead([r for r in dying if r["incident_id"] is None])
        else:
            mark_dead(dying)
        for row, attempt_id, error in done:
            st.finish_attempt(tx.conn, attempt_id, finished_at=now, ok=error is None, error=error)
            if error is None:  # a page cancelled while in flight was delivered all the same: say so
                st.update_notification(tx.conn, row["id"], only_state=("pending", "cancelled"), state="delivered",
                                       delivered_at=now, next_attempt_at=None, last_error=None)
            elif row["attempts"] >= retry.max_attempts:
                pass  # marked dead above
            else:
                st.update_notification(tx.conn, row["id"], only_state="pending", last_error=error,
                                       next_attempt_at=now + retry.backoff(row["attempts"]))


def deliver_due(app: App, now: datetime, limit: int = 50, wait: float = 0.05) -> int:
    """Start sending what is due by `now` (up to `limit`, and no more than free send threads), give the sends
    `wait` seconds, and record every finished outcome. Returns how many sends were started."""
    fl = _flight(app)
    _record(app)
    with fl.lock:
        room = SEND_THREADS - len(fl.running)
    claimed = _claim(app, now, min(limit, room)) if room > 0 else []
    started = []
    for row, aid, secret in claimed:
        fut = _pool.submit(_send, app, row, secret)
        with fl.lock:
            fl.running.add(fut)
        fut.add_done_callback(partial(_landed, fl, row=row, aid=aid))
        started.append(fut)
    if started and wait > 0:
        futures_wait(started, timeout=wait)
    _record(app)
    return len(claimed)


def _landed(fl: Flight, fut: Future[Any], row: dict[str, Any], aid: int) -> None:
    with fl.lock:
        fl.running.discard(fut)
        fl.done.append((row, aid, fut.result()))


def settle(app: App, timeout: float = 30.0) -> None:
    """Wait for this process's sends in flight and record their outcomes (tests, shutdown)."""
    fl = _flight(app)
    with fl.lock:
        running = list(fl.running)
    futures_wait(running, timeout=timeout)
    _record(app)


# -- operator actions and reads ---------------------------------------------------------------------

def retry(app: App, notification_id: int, by: Principal | None = None) -> dict[str, Any]:
    """Send a dead (or cancelled) notification again, with a fresh attempt budget; same idempotency key.
    Only an admin or the notification's recipient may (`by=None`: the server itself)."""
    with app.db.transaction() as tx:
        row = st.get_notification(tx.conn, notification_id)
        if row is None:
            raise NotFound(f"notification {notification_id} not found")
        if by is not None and not may_see(by, row["user_id"]):
            raise Forbidden("only an admin or the notification's recipient may send it again")
        if row["state"] not in ("dead", "cancelled"):
            raise Conflict(f"notification {notification_id} is {row['state']}; only dead or cancelled ones "
                           "can be retried")
        st.update_notification(tx.conn, notification_id, state="pending", attempts=0,
                               next_attempt_at=app.clock.now())
        _wake_after(app, tx)
    return queries.get(app, notification_id, by)


def install(app: App, *, on_dead: DeadHook | None = None) -> None:
    """Default channels, from the environment; tests and bootstrap may replace entries. `on_dead` reports
    notifications of incidents that went dead (see DeadHook)."""
    if on_dead is not None:
        app.notifications.on_dead = on_dead
    from warroom.notifications.channels import build_all
    from warroom.platform.outbound import policy_of

    if not app.notifications.channels:
        app.notifications.channels = build_all(policy_of(app.settings))
