"""Personal calendar feeds: who may see a person's feed URL, and the key that opens it.

Calendar apps cannot send an Authorization header: each person's feed has its own URL with a key derived from
the server secret (WARROOM_SECRET_KEY). The key opens that one read-only feed and nothing else."""

from __future__ import annotations

import hashlib
import hmac

from warroom.auth.permissions import Principal, UserRole
from warroom.errors import Conflict, Forbidden, NotFound
from warroom.platform.app import App


def feed_key(app: App, user_id: int) -> str:
    secret = app.settings.secret_key
    if not secret:
        raise Conflict("calendar feed URLs need WARROOM_SECRET_KEY to be set on the server")
    return hmac.new(secret.encode(), f"warroom-ical-user:{user_id}".encode(), hashlib.sha256).hexdigest()[:40]


def feed_url(app: App, p: Principal, user_id: int) -> str:
    """The secret URL of `user_id`'s shift feed: for that person themselves, or an admin (Forbidden otherwise)."""
    if p.user_id != user_id and p.role is not UserRole.ADMIN:
        raise Forbidden("only an admin may see another person's feed URL")
    base = app.settings.base_url.rstrip("/")
    return f"{base}/api/v1/feeds/users/{user_id}.ics?key={feed_key(app, user_id)}"


def check_feed_key(app: App, user_id: int, key: str) -> None:
    """NotFound unless `key` opens `user_id`'s feed (compared in constant time; bytes, so a non-ASCII key is a
    plain mismatch)."""
    if not hmac.compare_digest(key.encode(), feed_key(app, user_id).encode()):
        raise NotFound("no such feed")
