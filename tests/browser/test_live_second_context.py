"""Journey: a stakeholder keeps the queue and a war room open; a responder's changes arrive without a reload."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import LIVE, LoginPage, QueuePage, WarRoomPage
from tests.web.pages_support import declare


def test_second_browser_sees_changes_arrive_live(site, browser, context) -> None:
    s = declare(site.app, site.users, "Search latency above 2 s")
    watcher_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        watcher = watcher_ctx.new_page()
        LoginPage(watcher, site.base).log_in("vic")
        watching_queue = QueuePage(watcher, site.base).open().wait_live()
        watcher_room = WarRoomPage(watcher_ctx.new_page(), site.base).open(s.ref).wait_live()
        watcher.evaluate("window.__notReloaded = true")
        watcher_room.page.evaluate("window.__notReloaded = true")

        page = context.new_page()
        queue = LoginPage(page, site.base).log_in("rui")
        queue.declare().declare("Login page blank", impact="significant", urgency="critical")
        expect(watching_queue.row("Login page blank")).to_be_visible(timeout=LIVE)

        responder_room = WarRoomPage(page, site.base).open(s.ref)
        responder_room.promote("Customers are leaving")
        responder_room.add_note("Rolling back the *search* deploy")
        expect(watcher_room.timeline).to_contain_text("Rolling back the search deploy", timeout=LIVE)
        expect(watcher_room.timeline.locator(".note em")).to_have_text("search")
        expect(watcher_room.page.locator("#inc-major")).to_be_visible(timeout=LIVE)  # header refreshed too
        expect(watching_queue.row("Search latency above 2 s")).to_contain_text("MAJOR", timeout=LIVE)
        assert watcher.evaluate("window.__notReloaded") is True
        assert watcher_room.page.evaluate("window.__notReloaded") is True
    finally:
        watcher_ctx.close()
