"""Journey: a responder logs in, declares an incident from the form, and finds it in the queue."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import LoginPage


def test_responder_logs_in_and_declares_an_incident(site, context) -> None:
    page = context.new_page()
    queue = LoginPage(page, site.base).log_in("rui")
    war_room = queue.declare().declare("Checkout returns 500", impact="extensive", urgency="critical",
                                       description="Most customers **cannot pay**")
    expect(war_room.title).to_have_text("Checkout returns 500")
    expect(page.locator(".inc-head .prio")).to_have_text("P1")
    expect(page.locator(".description strong")).to_have_text("cannot pay")
    queue.open()
    expect(queue.row("Checkout returns 500")).to_contain_text("P1")
    expect(queue.row("Checkout returns 500")).to_contain_text("identified")


def test_wrong_password_keeps_the_visitor_out(site, context) -> None:
    page = context.new_page()
    page.goto(site.base + "/")
    expect(page).to_have_url(site.base + "/login?next=/")
    page.get_by_label("Username").fill("rui")
    page.get_by_label("Password").fill("not-it")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
