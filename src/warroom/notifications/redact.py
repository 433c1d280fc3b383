"""Contact addresses are secrets (pure): a Slack or Teams webhook URL posts to a channel, an Apprise URL holds
tokens and passwords. Whole only for their owner and admins; everyone else sees where they point.

E-mail addresses are kept whole: they are not credentials, and the People page shows account addresses to
everyone signed in (docs/outbound.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from warroom.auth.permissions import Principal, UserRole

HIDDEN = "…"


def redact(channel: str, address: str) -> str:
    """`https://hooks.slack.com/…` for a web URL; only `tgram://…` for Apprise, whose host part is often a
    token."""
    if channel == "email":
        return address
    try:
        parts = urlsplit(address)
        host = parts.hostname or ""
    except ValueError:
        return HIDDEN
    scheme = parts.scheme.lower()
    if not scheme:
        return HIDDEN
    if channel == "apprise" or not host:
        return f"{scheme}://{HIDDEN}"
    return f"{scheme}://{f'[{host}]' if ':' in host else host}/{HIDDEN}"


def may_see(p: Principal | None, owner_id: int | None) -> bool:
    """Whether `p` sees the whole address of a contact method or notification of user `owner_id`."""
    return p is not None and (p.role is UserRole.ADMIN or (owner_id is not None and p.user_id == owner_id))


def sees_paging_details(p: Principal | None) -> bool:
    """Whether `p` sees the methods and rules a page to someone follows (responders and admins); everyone signed
    in sees whether the person can be reached at all."""
    return p is not None and p.can(UserRole.RESPONDER)


def may_retry(p: Principal | None, owner_id: int | None) -> bool:
    """Whether `p` may send a dead or cancelled notification to user `owner_id` again: a responder or admin who
    may see it whole (its recipient, or an admin)."""
    return p is not None and p.can(UserRole.RESPONDER) and may_see(p, owner_id)


def shown(p: Principal | None, row: dict[str, Any], channel_key: str = "channel") -> dict[str, Any]:
    """`row` (with `address`, `user_id` and the channel under `channel_key`) as `p` may see it."""
    if may_see(p, row.get("user_id")) or "address" not in row:
        return row
    return {**row, "address": redact(row[channel_key], row["address"])}
