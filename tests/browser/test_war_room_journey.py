"""Journey: in the war room a responder promotes the incident, assigns a coordinator, moves it on, adds a note."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import LoginPage
from tests.web.pages_support import declare


def test_responder_works_an_incident_in_the_war_room(site, context) -> None:
    s = declare(site.app, site.users, "Payments database unreachable")
    page = context.new_page()
    queue = LoginPage(page, site.base).log_in("rui")
    war_room = queue.open_incident("Payments database unreachable")
    expect(war_room.title).to_have_text("Payments database unreachable")

    war_room.promote("Revenue-impacting outage")
    expect(war_room.timeline).to_contain_text("Promoted to a major incident")

    war_room.assign("Major Incident Coordinator", "Ada")
    expect(war_room.coordinator()).to_have_text("Ada")

    war_room.move_to("investigating", note="Looking at the primary")
    expect(war_room.timeline).to_contain_text("Looking at the primary")

    war_room.add_note("Failing over to the **replica**")
    expect(war_room.timeline.locator(".note strong").first).to_have_text("replica")
    assert s.ref == 1
