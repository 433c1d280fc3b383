"""Journey: someone on a phone, using only the keyboard, logs in and adds a note; every control on the pages
they pass has a label, focus is visible, and nothing overflows the narrow screen."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.pages_support import declare

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
  .map(el => el.outerHTML.slice(0, 80))"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_keyboard_only_on_a_phone(site, browser) -> None:
    s = declare(site.app, site.users, "Search latency above 2 s")
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        page.goto(f"{site.base}/incidents/{s.ref}")
        expect(page.get_by_label("Username")).to_be_focused()  # autofocus on the login form
        page.keyboard.type("rui")
        page.keyboard.press("Tab")
        page.keyboard.type("rui-password-1")
        page.keyboard.press("Enter")
        expect(page.locator(".inc-title h1")).to_have_text("Search latency above 2 s")  # back where they wanted
        for path in ("/", f"/incidents/{s.ref}", "/incidents/new", "/services", "/people"):
            page.goto(site.base + path)
            assert page.evaluate(UNLABELLED) == [], path
            assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways on a phone"
        page.goto(f"{site.base}/incidents/{s.ref}")
        page.keyboard.press("Tab")
        expect(page.locator("a.skip")).to_be_focused()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), "focus is visible"
        page.get_by_label("Add a note").focus()
        page.keyboard.type("Typed on a phone")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Add note")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#timeline")).to_contain_text("Typed on a phone")
    finally:
        ctx.close()
