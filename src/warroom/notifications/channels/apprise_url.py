"""Chat and paging services through Apprise (Telegram, Discord, Matrix, Pushover, ntfy, ...), addressed by an
Apprise URL such as `tgram://bottoken/chatid` or `ntfys://ntfy.sh/topic`.

Apprise can do much more than post a message: raw TCP (irc, rsyslog, mailto), any HTTP method and headers
(json/xml/form with `method=` and `+Header=`), and reading local files into the message (`template=`). So only
the schemes an admin allows (WARROOM_APPRISE_SCHEMES) are accepted, parameters that choose the method,
headers, payload fields, templates or attachments are refused, and every connection it opens goes through
the outbound policy (platform/outbound.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import apprise
from apprise.utils.parse import parse_url, parse_urls

from warroom.notifications.render import body, headline
from warroom.platform.outbound import DeliveryFailed, Policy, guard_urllib3

REFUSED_PARAMS = ("template", "method", "attach")  # and any starting with one of these
REFUSED_PREFIXES = ("+", "-", ":")  # headers to add or remove, payload fields


def problem(address: str, guard: Policy) -> str | None:
    """Why `address` is not an Apprise URL this server will use, or None."""
    if len(parse_urls(address)) != 1:
        return "must be one Apprise URL"
    try:
        parts = urlsplit(address)
    except ValueError:
        return "not a valid URL"
    scheme = parts.scheme.lower()
    if scheme not in guard.apprise_schemes:
        allowed = ", ".join(sorted(guard.apprise_schemes)) or "none"
        return f"the Apprise scheme {scheme or '(none)'}:// is not allowed here (allowed: {allowed})"
    parsed = parse_url(address, verify_host=False) or {}
    keys = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    keys += list(parsed.get("qsd") or {}) + [p + k for p in REFUSED_PREFIXES for k in parsed.get(f"qsd{p}") or {}]
    for key in keys:
        low = key.strip().lower()
        if low.startswith(REFUSED_PREFIXES) or low.startswith(REFUSED_PARAMS):
            return f"the parameter {key!r} is not allowed (method, headers, payload fields, templates and " \
                   "attachments are fixed)"
    if apprise.Apprise.instantiate(address) is None:
        return "not an Apprise URL Apprise can use"
    return None


class AppriseChannel:
    def __init__(self, guard: Policy) -> None:
        self.guard = guard

    def __call__(self, row: dict[str, Any], secret: str) -> None:
        why = problem(row["address"], self.guard)  # checked again: the settings may have changed since
        if why:
            raise DeliveryFailed(why)
        a = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False))
        if not a.add(row["address"]):
            raise DeliveryFailed("not an Apprise URL Apprise can use")
        with guard_urllib3(self.guard) as refused:
            ok = a.notify(body=body(row["payload"]), title=headline(row["payload"]))
        if refused:
            raise refused[0]
        if not ok:
            raise DeliveryFailed("Apprise could not deliver")
