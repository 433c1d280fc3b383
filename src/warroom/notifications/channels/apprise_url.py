"""Any service Apprise knows (Telegram, Discord, Matrix, Pushover, ntfy, ...), addressed by an Apprise URL
such as `ntfy://host/topic` or `json://host:port/path`."""

from __future__ import annotations

from typing import Any

import apprise

from warroom.notifications.render import body, headline


def send(row: dict[str, Any], secret: str) -> None:
    a = apprise.Apprise()
    if not a.add(row["address"]):
        raise ValueError("not an Apprise URL Apprise can use")
    if not a.notify(body=body(row["payload"]), title=headline(row["payload"])):
        raise RuntimeError("Apprise could not deliver (see the server log)")
