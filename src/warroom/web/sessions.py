"""Browser sessions: login with throttling, the session cookie, CSRF tokens, and the cookie authenticator.

The cookie holds a random token; the database keeps only its SHA-256, the user, a CSRF token and the
expiry, so every server process sees the same sessions and a logout is immediate everywhere. Failed
logins are recorded per (username, client address) in the database, so throttling holds across processes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from anyio.to_thread import run_sync
from fastapi import Request, Response

from warroom.auth.permissions import Principal, UserRole
from warroom.auth.service import authenticate_password, authenticate_password_async
from warroom.errors import Forbidden, Invalid, WarroomError
from warroom.platform.app import App
from warroom.web import session_store as store

COOKIE = "wr_session"
LOGIN_CSRF_COOKIE = "wr_login_csrf"
CSRF_HEADER = "x-csrf-token"
IDLE = timedelta(hours=12)  # a session unused this long ends
LIFETIME = timedelta(days=7)  # and none lives longer than this
MAX_FAILURES = 5  # failed logins per username and address ...
FAILURE_WINDOW = timedelta(minutes=15)  # ... within this window, before further attempts are refused
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    principal: Principal
    csrf_token: str


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {max(1, retry_after // 60)} minute(s)")
        self.retry_after = retry_after


class TooManyGuesses(WarroomError):
    """Throttled, for an API route or a form that checks the signed-in user's own password: 429."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong passwords; try again in {max(1, retry_after // 60)} minute(s)")
        self.retry_after = retry_after


T = TypeVar("T")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_ip(request: Request) -> str:
    return (request.client.host if request.client else "") or "unknown"


def _take_attempt(app: App, name: str, ip: str) -> int:
    """Take one of the MAX_FAILURES attempts of (name, ip) in one atomic step: counted and recorded as a failure
    under a lock (PostgreSQL: an advisory lock, so across server processes; SQLite: the write lock every
    transaction takes), so N parallel guesses get at most MAX_FAILURES checks. Returns the record's id; a
    success clears the records, a refused check gives the attempt back. Raises Throttled."""
    now = app.clock.now()
    with app.db.transaction() as tx:
        store.lock_login_key(tx.conn, name, ip)
        count, oldest = store.failures_since(tx.conn, name, ip, now - FAILURE_WINDOW)
        if count >= MAX_FAILURES:
            raise Throttled(int(((oldest or now) + FAILURE_WINDOW - now).total_seconds()) + 1)
        return store.record_failure(tx.conn, name, ip, now)


def _give_back(app: App, attempt: int) -> None:
    with app.db.transaction() as tx:
        store.delete_failure(tx.conn, attempt)


def _finish(app: App, name: str, ip: str, principal: Principal | None) -> tuple[str, Session] | None:
    now = app.clock.now()
    with app.db.transaction() as tx:
        if principal is None:  # the attempt stays recorded as a failure
            store.prune_failures(tx.conn, now - FAILURE_WINDOW)
            return None
        store.clear_failures(tx.conn, name, ip)
        store.delete_expired_sessions(tx.conn, now)
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        store.insert_session(tx.conn, id=_hash(token), user_id=principal.user_id, csrf_token=csrf, created_at=now,
                             last_seen_at=now, expires_at=now + LIFETIME)
    return token, Session(_hash(token), principal, csrf)


def login(app: App, username: str, password: str, ip: str) -> tuple[str, Session] | None:
    """Check the password; returns (cookie value, session) or None. Raises Throttled after too many failures,
    Busy when too many password checks are under way (the attempt is then not counted)."""
    name = username.strip().lower()[:64]
    attempt = _take_attempt(app, name, ip)
    try:
        principal = authenticate_password(app, name, password)
    except BaseException:
        _give_back(app, attempt)
        raise
    return _finish(app, name, ip, principal)


def checking_own_password(app: App, p: Principal, ip: str, change: Callable[[], T]) -> T:
    """Run `change`, which checks the signed-in user's current password (a password change), under the same
    five attempts per username and address as logins: a stolen session or token must not be a way to guess
    the password at leisure. A wrong current password (Invalid naming `current_password`) stays counted as a
    failure; anything else gives the attempt back. Raises TooManyGuesses."""
    name = p.username.strip().lower()[:64]
    try:
        attempt = _take_attempt(app, name, ip)
    except Throttled as exc:
        raise TooManyGuesses(exc.retry_after) from None
    try:
        result = change()
    except Invalid as exc:
        if exc.field != "current_password":
            _give_back(app, attempt)
        raise
    except BaseException:
        _give_back(app, attempt)
        raise
    _give_back(app, attempt)
    return result


async def login_async(app: App, username: str, password: str, ip: str) -> tuple[str, Session] | None:
    """As `login`, for the login page: database steps on the API's threads, the verify on the password pool."""
    name = username.strip().lower()[:64]
    attempt = await run_sync(_take_attempt, app, name, ip)
    try:
        principal = await authenticate_password_async(app, name, password)
    except BaseException:
        await run_sync(_give_back, app, attempt)
        raise
    return await run_sync(_finish, app, name, ip, principal)


def logout(app: App, request: Request) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        with app.db.transaction() as tx:
            store.delete_session(tx.conn, _hash(token))


def current_session(request: Request, app: App) -> Session | None:
    """The live session named by the request's cookie (cached on the request), or None."""
    if hasattr(request.state, "web_session"):
        return request.state.web_session
    session = _lookup(app, request.cookies.get(COOKIE))
    request.state.web_session = session
    return session


def _lookup(app: App, token: str | None) -> Session | None:
    if not token or len(token) > 200:
        return None
    sid = _hash(token)
    now = app.clock.now()
    with app.db.read() as conn:
        row = store.session_with_user(conn, sid)
    if row is None or not row["active"] or row["expires_at"] <= now or row["last_seen_at"] + IDLE <= now:
        return None
    if (now - row["last_seen_at"]).total_seconds() > 60:  # sliding idle timeout, one write a minute at most
        with app.db.transaction() as tx:
            store.touch_session(tx.conn, sid, now)
    principal = Principal(row["user_id"], row["username"], UserRole(row["role"]), row["display_name"])
    return Session(sid, principal, row["csrf_token"])


def set_cookie(app: App, response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=int(LIFETIME.total_seconds()), httponly=True, samesite="lax",
                        secure=app.settings.secure_cookies, path="/")


def clear_cookie(app: App, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=app.settings.secure_cookies)


def tokens_match(expected: str | None, given: object) -> bool:
    """Constant-time, on bytes: a str of non-ASCII characters would make compare_digest raise (a 500). `given` is
    whatever the request carried (a form field may be a file): compared as its str()."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected).encode(), str(given).encode())


def cookie_authenticator(request: Request, app: App) -> Principal | None:
    """web.registry AUTHENTICATORS entry: the session cookie also authenticates /api/ calls; unsafe methods must then
    carry the session's CSRF token in the X-CSRF-Token header (a cross-site form cannot set headers)."""
    if COOKIE not in request.cookies:
        return None
    session = current_session(request, app)
    if session is None:
        return None
    if request.method in UNSAFE and not tokens_match(session.csrf_token, request.headers.get(CSRF_HEADER)):
        raise Forbidden("a cookie-authenticated change needs the X-CSRF-Token header")
    return session.principal
