"""Journey: a note full of script and event-handler injection shows as text and runs nothing, for the author and
for a second browser that receives it live."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import LIVE, LoginPage, WarRoomPage
from tests.web.pages_support import declare

EVIL = ('<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2"> '
        '[click me](javascript:window.__pwned=3) <b onmouseover="window.__pwned=4">hover</b>')


def test_a_note_with_script_stays_inert(site, browser, context) -> None:
    s = declare(site.app, site.users, "Injection attempt")
    other_ctx = browser.new_context()
    try:
        watcher = other_ctx.new_page()
        LoginPage(watcher, site.base).log_in("vic")
        watcher_room = WarRoomPage(watcher, site.base).open(s.ref).wait_live()

        page = context.new_page()
        LoginPage(page, site.base).log_in("rui")
        room = WarRoomPage(page, site.base).open(s.ref)
        room.add_note(EVIL)
        note = room.timeline.locator(".note").first
        expect(note).to_contain_text("<script>window.__pwned = 1</script>")
        expect(watcher_room.timeline.locator(".note")).to_contain_text("<img src=x", timeout=LIVE)

        for p in (page, watcher):
            p.locator(".note").first.hover()
            links = p.locator(".note a")
            if links.count():
                links.first.click()
            assert p.evaluate("window.__pwned") is None, "injected script ran"
            assert p.locator(".note script, .note img, .note [onmouseover]").count() == 0
        page.reload()
        expect(room.timeline.locator(".note").first).to_contain_text("hover")
        assert page.evaluate("window.__pwned") is None
    finally:
        other_ctx.close()
