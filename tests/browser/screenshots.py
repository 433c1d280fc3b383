"""Take the README screenshots with the demo organisation: `.venv/bin/python -m tests.browser.screenshots`.

Writes docs/screenshots/{queue,war-room,alerts,queue-phone,war-room-phone}.png using Debian's Chromium."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import launch
from tests.browser.pages import LoginPage, WarRoomPage
from tests.web.pages_support import serve
from warroom.bootstrap import build_app
from warroom.demo import load_demo
from warroom.platform.schema import upgrade
from warroom.platform.settings import Settings

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        upgrade(url)
        wr = build_app(Settings(database_url=url))
        passwords = load_demo(wr).passwords
        with serve(wr) as base, sync_playwright() as p:
            browser = launch(p)
            for suffix, viewport in (("", {"width": 1360, "height": 860}), ("-phone", {"width": 390, "height": 844})):
                full = suffix == ""
                ctx = browser.new_context(viewport=viewport, device_scale_factor=1)
                page = ctx.new_page()
                queue = LoginPage(page, base).log_in("claire", passwords["claire"])
                queue.wait_live()
                page.screenshot(path=str(OUT / f"queue{suffix}.png"), full_page=full)
                WarRoomPage(page, base).open(1).wait_live()
                page.screenshot(path=str(OUT / f"war-room{suffix}.png"), full_page=full)
                if full:
                    page.goto(base + "/alerts")
                    page.screenshot(path=str(OUT / "alerts.png"), full_page=True)
                ctx.close()
            browser.close()
        wr.close()
    print("\n".join(str(x) for x in sorted(OUT.glob("*.png"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
