"""The registry of notification channels: `CHANNELS`, one entry per contact-method kind. Everything else derives
from it: the kinds a contact method may have and their address checks (contacts.py), the channels the outbox sends
through (outbox.install), and the API's `MethodIn.kind` (web/api/schemas/notifications.py).

Adding a channel: write `channels/<name>.py` and add one `ChannelKind` here (CONTRIBUTING.md, "A notification
channel")."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from warroom.errors import Invalid
from warroom.notifications.channels import chat
from warroom.notifications.channels.apprise_url import AppriseChannel
from warroom.notifications.channels.apprise_url import problem as apprise_problem
from warroom.notifications.channels.email import EmailChannel, SmtpConfig
from warroom.notifications.channels.webhook import Poster
from warroom.platform.outbound import Policy

Send = Callable[[dict[str, Any], str], None]  # outbox.Channel: send(row, secret), raising when it could not
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class Wiring:
    """What a channel is built from: the outbound guard, and one HTTP poster shared by the HTTP channels."""

    guard: Policy
    poster: Poster


@dataclass(frozen=True)
class ChannelKind:
    kind: str  # the contact method's kind, and the outbox row's channel
    check: Callable[[str, Policy], None]  # refuses an address (raises Invalid) that is obviously not allowed now
    build: Callable[[Wiring], Send]


def _host_allowed(parts: SplitResult, guard: Policy) -> None:
    why = guard.check_host(parts.hostname or "", parts.port or (80 if parts.scheme == "http" else 443))
    if why:
        raise Invalid("address", f"{why} (an admin can allow it with WARROOM_OUTBOUND_ALLOW)")


def check_email(address: str, guard: Policy) -> None:
    if not EMAIL.match(address):
        raise Invalid("address", "not an e-mail address")


def check_http(address: str, guard: Policy) -> None:
    try:
        parts = urlsplit(address)
        host, _ = parts.hostname or "", parts.port
    except ValueError:
        raise Invalid("address", "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise Invalid("address", "must be an http(s) URL")
    _host_allowed(parts, guard)


def check_apprise(address: str, guard: Policy) -> None:
    if "://" not in address:
        raise Invalid("address", "must be an Apprise URL such as ntfys://ntfy.sh/topic")
    why = apprise_problem(address, guard)
    if why:
        raise Invalid("address", why)
    try:
        parts = urlsplit(address)
        _ = parts.port
    except ValueError:  # an Apprise URL's host:port is often a token (tgram://123:abc/...)
        return
    # An Apprise host may be a token: only a literal internal address or a loopback or metadata name is refused
    # here; every other name is checked when connecting.
    _host_allowed(parts, guard)


CHANNELS: dict[str, ChannelKind] = {c.kind: c for c in (
    ChannelKind("email", check_email, lambda w: EmailChannel(SmtpConfig.from_env())),
    ChannelKind("webhook", check_http, lambda w: w.poster.send),
    ChannelKind("slack", check_http, lambda w: chat.slack(w.poster)),
    ChannelKind("teams", check_http, lambda w: chat.teams(w.poster)),
    ChannelKind("apprise", check_apprise, lambda w: AppriseChannel(w.guard)),
)}


def build_all(guard: Policy) -> dict[str, Send]:
    """Every registered channel, by kind, connecting through `guard` (platform/outbound.py)."""
    wiring = Wiring(guard, Poster(guard))
    return {kind: c.build(wiring) for kind, c in CHANNELS.items()}
