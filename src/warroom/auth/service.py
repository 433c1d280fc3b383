"""Users, passwords and API tokens. Tokens are shown once and stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from warroom.auth import queries, store
from warroom.auth.passwords import PasswordChecks, hasher
from warroom.auth.permissions import Principal, UserRole
from warroom.errors import Conflict, Forbidden, Invalid, NotFound, refuse_nulls
from warroom.platform.app import App
from warroom.platform.clock import utc

TOKEN_PREFIX = "wr_"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Verified against when the user does not exist, so a wrong username costs the same time as a wrong password.
_DUMMY_HASH = hasher.hash("not-a-real-password")
_CHECKS_LOCK = threading.Lock()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return hasher.hash(password)


def password_checks(app: App) -> PasswordChecks:
    """The application's bounded pool for argon2 verifies (auth/passwords.py), made on first use."""
    checks = app.passwords
    if checks is None:
        with _CHECKS_LOCK:
            checks = app.passwords
            if checks is None:
                s = app.settings
                checks = app.passwords = PasswordChecks(s.password_threads, s.password_queue)
    return checks


MIN_PASSWORD = 8
MAX_PASSWORD = 200


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(field, f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise Invalid(field, f"must be at most {MAX_PASSWORD} characters")


def create_user(app: App, *, username: str, display_name: str = "", role: UserRole = UserRole.RESPONDER,
                email: str | None = None, password: str | None = None, time_zone: str = "UTC") -> RowMapping:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise Invalid("username", "use 1-64 lowercase letters, digits, '.', '_' or '-'")
    if password is not None:
        _check_password(password)
    _check_zone(time_zone)
    try:
        with app.db.transaction() as tx:
            uid = store.insert_user(tx.conn, username=username, display_name=display_name.strip() or username,
                                    email=email, role=UserRole(role).value, active=True, time_zone=time_zone,
                                    password_hash=hash_password(password) if password else None,
                                    created_at=app.clock.now())
            user = store.get_user(tx.conn, uid)
            assert user is not None  # written in this transaction
            return user
    except IntegrityError:
        raise Conflict(f"username {username!r} is taken") from None


def _check_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("time_zone", f"unknown time zone {name!r}") from None


def update_user(app: App, user_id: int, **changes: Any) -> RowMapping:
    """Change the given fields. None clears the e-mail address; for any other field it is refused.

    A new password (an admin's reset) ends the user's browser sessions and revokes their API tokens in the same
    transaction: whoever held the old credentials is out at once; the user logs in again and makes new tokens."""
    refuse_nulls(changes, ("email",))
    values = dict(changes)
    if "password" in values:
        _check_password(values["password"])
        values["password_hash"] = hash_password(values.pop("password"))
    if "role" in values:
        values["role"] = UserRole(values["role"]).value
    if "time_zone" in values:
        _check_zone(values["time_zone"])
    with app.db.transaction() as tx:
        if store.get_user(tx.conn, user_id) is None:
            raise NotFound(f"user {user_id} not found")
        admins_before = store.count_admins(tx.conn)
        if values.get("role") == UserRole.VIEWER.value or values.get("active") is False:
            _refuse_demotion(app, tx.conn, user_id)
        if values:  # an empty PATCH changes nothing and answers the user as it is
            store.update_user(tx.conn, user_id, **values)
        if admins_before > 0 and store.count_admins(tx.conn) == 0:
            raise Conflict("that would leave no active admin")
        if "password_hash" in values:
            store.end_sessions_of(tx.conn, user_id)
            store.revoke_tokens_of(tx.conn, user_id, app.clock.now())
        user = store.get_user(tx.conn, user_id)
        assert user is not None  # written in this transaction
        return user


def _refuse_demotion(app: App, conn: Connection, user_id: int) -> None:
    """Ask the checks the domains upstream registered (app.demotion_checks, e.g. the incidents': a role holder
    is not made a viewer or deactivated while the incident is open); the first reason refuses the change."""
    for check in app.demotion_checks:
        reason = check(conn, user_id)
        if reason:
            user = store.get_user(conn, user_id)
            raise Conflict(f"{user['username'] if user else user_id} {reason}")


def change_own_password(app: App, p: Principal, *, current_password: str, new_password: str,
                        keep_session: str | None = None, revoke_tokens: bool = False) -> int:
    """Self-service: the current password proves it is them; the new one must pass the same rules. Ends the
    user's other browser sessions (all but `keep_session`, the one asking) and, if asked, revokes their API
    tokens. Returns how many sessions ended."""
    with app.db.read() as conn:
        stored = store.password_hash_of(conn, p.user_id)
    if not password_checks(app).verify(stored or _DUMMY_HASH, current_password) or not stored:
        raise Invalid("current_password", "is not your current password")
    _check_password(new_password, "new_password")
    if new_password == current_password:
        raise Invalid("new_password", "must differ from the current password")
    new_hash = hash_password(new_password)
    with app.db.transaction() as tx:
        if store.password_hash_of(tx.conn, p.user_id) != stored:
            raise Conflict("your password was changed meanwhile; try again")
        store.update_user(tx.conn, p.user_id, password_hash=new_hash)
        ended = store.end_sessions_of(tx.conn, p.user_id, keep=keep_session)
        if revoke_tokens:
            store.revoke_tokens_of(tx.conn, p.user_id, app.clock.now())
    return ended


TOKEN_LIFETIME_MAX = timedelta(days=5 * 366)  # an expiry further ahead than this is a typo, not a plan


def create_token(app: App, user_id: int, name: str = "default",
                 expires_at: datetime | None = None) -> tuple[str, RowMapping]:
    """Returns (the token, its row). The token itself is never stored nor shown again. `expires_at` (aware)
    ends it; None: it lasts until revoked."""
    now = app.clock.now()
    if expires_at is not None:
        expires_at = utc(expires_at)
        if expires_at <= now:
            raise Invalid("expires_at", "must be in the future")
        if expires_at > now + TOKEN_LIFETIME_MAX:
            raise Invalid("expires_at", f"must be within {TOKEN_LIFETIME_MAX.days} days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with app.db.transaction() as tx:
        if store.get_user(tx.conn, user_id) is None:
            raise NotFound(f"user {user_id} not found")
        tid = store.insert_token(tx.conn, user_id=user_id, name=name.strip() or "default",
                                 token_hash=hash_token(token), prefix=token[:10], created_at=now,
                                 expires_at=expires_at)
        row = next(r for r in store.list_tokens(tx.conn, user_id) if r["id"] == tid)
    return token, row


def issue_token(app: App, p: Principal, user_id: int | None = None, name: str = "default",
                expires_at: datetime | None = None) -> tuple[str, RowMapping]:
    """A token for `user_id` (yourself when None), as `p` asks: anyone may make their own; only an admin may make
    one for someone else (Forbidden)."""
    uid = user_id or p.user_id
    if uid != p.user_id and not p.can(UserRole.ADMIN):
        raise Forbidden("only an admin may create a token for someone else")
    return create_token(app, uid, name, expires_at)


def tokens_visible_to(app: App, p: Principal) -> list[RowMapping]:
    """An admin sees every token; anyone else only their own."""
    return queries.tokens(app, None if p.can(UserRole.ADMIN) else p.user_id)


def revoke_token(app: App, p: Principal, token_id: int) -> None:
    """Revoke one of your own tokens (an admin: anyone's). Someone else's, an unknown or an already revoked one is
    NotFound alike, so the answer does not tell whether a token id exists."""
    with app.db.transaction() as tx:
        mine = {t["id"] for t in store.list_tokens(tx.conn, None if p.can(UserRole.ADMIN) else p.user_id)}
        if token_id not in mine or not store.revoke_token(tx.conn, token_id, app.clock.now()):
            raise NotFound(f"token {token_id} not found")


def principal_for_token(app: App, token: str) -> Principal | None:
    """The token's user, if the token is live (not revoked, not expired, its user active)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = app.clock.now()
    with app.db.read() as conn:
        row = store.principal_row_for_token(conn, hash_token(token), now)
    if row is None:
        return None
    last = row["last_used_at"]
    if last is None or (now - last).total_seconds() > 60:  # keep reads cheap: one write a minute at most
        with app.db.transaction() as tx:
            store.touch_token(tx.conn, row["token_id"], now)
    return Principal(row["id"], row["username"], UserRole(row["role"]), row["display_name"])


def _login_row(app: App, username: str) -> RowMapping | None:
    with app.db.read() as conn:
        return store.get_user_by_name(conn, username.strip().lower())


def _stored_hash(row: RowMapping | None) -> str:
    return row["password_hash"] if row and row["active"] and row["password_hash"] else _DUMMY_HASH


def _principal_if(row: RowMapping | None, matched: bool) -> Principal | None:
    if not matched or row is None or _stored_hash(row) is _DUMMY_HASH:
        return None
    return Principal(row["id"], row["username"], UserRole(row["role"]), row["display_name"])


def authenticate_password(app: App, username: str, password: str) -> Principal | None:
    """The user, if the password is theirs. The verify runs on `password_checks` (raises Busy when it is full)."""
    row = _login_row(app, username)
    return _principal_if(row, password_checks(app).verify(_stored_hash(row), password))


async def authenticate_password_async(app: App, username: str, password: str) -> Principal | None:
    """As `authenticate_password`, without holding a thread of the API's pool during the verify."""
    row = await to_thread.run_sync(_login_row, app, username)
    return _principal_if(row, await password_checks(app).verify_async(_stored_hash(row), password))


def ensure_first_admin(app: App) -> tuple[str, str, str] | None:
    """If there is no admin, create `admin` with a random password and a token: (username, password, token)."""
    with app.db.read() as conn:
        if store.count_admins(conn) > 0:
            return None
    password = secrets.token_urlsafe(12)
    row = create_user(app, username="admin", display_name="Administrator", role=UserRole.ADMIN, password=password)
    token, _ = create_token(app, row["id"], "first admin token")
    return "admin", password, token


def system_principal() -> Principal:
    return Principal(0, "warroom", UserRole.ADMIN, "warroom")
