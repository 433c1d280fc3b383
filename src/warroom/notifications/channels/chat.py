"""Slack-compatible and Microsoft Teams-compatible incoming webhooks.

Slack: {"text", "blocks"}; Teams: a legacy MessageCard ({"@type": "MessageCard", ...}), which Teams
incoming webhooks and Power Automate "post to a channel" flows accept."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from warroom.notifications.channels.webhook import Poster
from warroom.notifications.render import body, headline, reason_text, summary

COLOURS = {"P1": "D00000", "P2": "F07000", "P3": "F0C000"}


def slack_escape(text: str) -> str:
    """People's text (titles, messages) as plain text in Slack mrkdwn: no <!channel>, no disguised links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def detail(p: dict[str, Any]) -> str:
    """The line under a Slack headline: what happened to you, and the asker's message or the reason."""
    if p.get("event") in ("assigned", "promoted") or p.get("requested_by"):
        extra = p.get("message") or (p.get("reason") if p.get("event") == "promoted" else "")
        return summary(p) + (f": {extra}" if extra else "")
    return reason_text(str(p["reason"])) if p.get("reason") else ""


def slack_payload(row: dict[str, Any]) -> dict[str, Any]:
    p = row["payload"]
    url = (p.get("incident") or {}).get("url", "")
    return {"text": headline(p), "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{slack_escape(headline(p))}*\n"
                                                             f"{slack_escape(detail(p))}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{url}|Open in warroom>"}]},
    ]}


def teams_payload(row: dict[str, Any]) -> dict[str, Any]:
    p = row["payload"]
    inc = p.get("incident") or {}
    return {"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": headline(p),
            "themeColor": COLOURS.get(inc.get("priority", ""), "808080"), "title": headline(p),
            "text": html.escape(body(p), quote=False).replace("\n", "<br>"),
            "potentialAction": [{"@type": "OpenUri", "name": "Open in warroom",
                                 "targets": [{"os": "default", "uri": inc.get("url", "")}]}]}


def slack(poster: Poster) -> Callable[[dict[str, Any], str], None]:
    return lambda row, secret: poster.post_json(row["address"], slack_payload(row), row["key"])


def teams(poster: Poster) -> Callable[[dict[str, Any], str], None]:
    return lambda row, secret: poster.post_json(row["address"], teams_payload(row), row["key"])
