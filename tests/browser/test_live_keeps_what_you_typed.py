"""Journey: two responders in one war room. While one is typing, the other's change arrives live; what the first
typed and chose is kept, and their action then goes through against the new version."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import LIVE, LoginPage, WarRoomPage
from tests.web.pages_support import declare
from warroom.incidents import service
from warroom.incidents.lifecycle import Status


def test_live_refresh_keeps_typing_and_updates_versions(site, browser, context) -> None:
    s = declare(site.app, site.users, "Card payments declined")
    page = context.new_page()
    LoginPage(page, site.base).log_in("rui")
    room = WarRoomPage(page, site.base).open(s.ref).wait_live()
    page.get_by_label("Promote to major: reason").fill("Half of all card payments fail")
    page.get_by_label("Move to").select_option("resolved")

    service.move(site.app, site.users.principal("admin"), s.id, Status.INVESTIGATING)  # someone else, elsewhere
    expect(room.status).to_have_text("investigating", timeout=LIVE)
    expect(page.get_by_label("Promote to major: reason")).to_have_value("Half of all card payments fail")
    expect(page.get_by_label("Move to")).to_have_value("resolved")

    page.get_by_role("button", name="Promote").click()
    expect(page.locator("#inc-major")).to_be_visible()
    expect(page.locator("#action-error")).to_have_count(0)
    assert service.get(site.app, s.id).major
