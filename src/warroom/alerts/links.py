"""Links a sender attached to an alert (pure): PagerDuty `links` and `images`, Alertmanager's `generatorURL` and
`*_url` annotations (runbook_url, dashboard_url, ...). Only http and https addresses are kept, so nothing a
sender writes can become a `javascript:` link on a page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

MAX_LINKS = 20


def _web(url: Any) -> str | None:
    if not isinstance(url, str) or len(url) > 2000:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def links_of(payload: Any) -> list[tuple[str, str]]:
    """(href, text) pairs, in the order the sender gave them, at most MAX_LINKS."""
    if not isinstance(payload, dict):
        return []
    out: list[tuple[str, str]] = []

    def add(url: Any, text: Any, fallback: str) -> None:
        href = _web(url)
        if href and len(out) < MAX_LINKS:
            out.append((href, str(text).strip()[:200] if isinstance(text, str) and text.strip() else fallback))

    for item in payload.get("links") or []:  # PagerDuty Events v2
        if isinstance(item, dict):
            add(item.get("href"), item.get("text"), "link")
    for item in payload.get("images") or []:
        if isinstance(item, dict):
            add(item.get("href") or item.get("src"), item.get("alt"), "image")
    add(payload.get("generatorURL"), None, "source")  # Alertmanager
    annotations = payload.get("annotations")
    if isinstance(annotations, dict):
        for name, value in annotations.items():
            if isinstance(name, str) and name.lower().endswith("_url"):
                add(value, name[:-4].replace("_", " "), name)
    return out
