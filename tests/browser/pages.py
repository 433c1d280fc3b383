"""Page objects for the browser journeys: what a user does, in their words; selectors stay in here."""

from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORDS = {"ada": "ada-password-1", "rui": "rui-password-1", "vic": "vic-password-1"}
LIVE = 10_000  # ms: a functional bound (a missing live update fails), not a speed claim; speed is in bench/


class LoginPage:
    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    def log_in(self, username: str, password: str | None = None) -> QueuePage:
        self.page.goto(self.base + "/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password or PASSWORDS[username])
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.get_by_role("heading", name="Incident queue")).to_be_visible()
        return QueuePage(self.page, self.base)


class QueuePage:
    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    def open(self) -> QueuePage:
        self.page.goto(self.base + "/")
        return self

    def wait_live(self) -> QueuePage:
        expect(self.page.locator("body[data-live=open]")).to_have_count(1)
        return self

    def row(self, title: str):  # noqa: ANN201
        return self.page.locator("#queue-rows tr", has_text=title)

    def declare(self) -> DeclarePage:
        self.page.get_by_role("link", name="Declare incident").click()
        return DeclarePage(self.page, self.base)

    def open_incident(self, title: str) -> WarRoomPage:
        self.row(title).get_by_role("link").click()
        return WarRoomPage(self.page, self.base)


class DeclarePage:
    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    def declare(self, title: str, *, impact: str, urgency: str, description: str = "") -> WarRoomPage:
        self.page.get_by_label("Title").fill(title)
        if description:
            self.page.get_by_label("Description").fill(description)
        self.page.get_by_label("Impact").select_option(impact)
        self.page.get_by_label("Urgency").select_option(urgency)
        self.page.get_by_role("button", name="Declare incident").click()
        return WarRoomPage(self.page, self.base)


class WarRoomPage:
    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    def open(self, ref: int) -> WarRoomPage:
        self.page.goto(f"{self.base}/incidents/{ref}")
        return self

    def wait_live(self) -> WarRoomPage:
        expect(self.page.locator("body[data-live=open]")).to_have_count(1)
        return self

    @property
    def title(self):  # noqa: ANN201
        return self.page.locator(".inc-title h1")

    @property
    def status(self):  # noqa: ANN201
        return self.page.locator("#inc-status")

    @property
    def timeline(self):  # noqa: ANN201
        return self.page.locator("#timeline")

    def coordinator(self):  # noqa: ANN201
        return self.page.locator("#role-coordinator")

    def promote(self, reason: str) -> None:
        self.page.get_by_label("Promote to major: reason").fill(reason)
        self.page.get_by_role("button", name="Promote").click()
        expect(self.page.locator("#inc-major")).to_be_visible()

    def assign(self, role_title: str, person: str) -> None:
        self.page.locator("#assign-role").select_option(label=role_title)
        self.page.locator("#assign-user").select_option(label=person)
        self.page.get_by_role("button", name="Assign").click()

    def move_to(self, status: str, note: str = "") -> None:
        self.page.get_by_label("Move to").select_option(status)
        if note:
            self.page.get_by_label("Status note").fill(note)
        self.page.get_by_role("button", name="Move", exact=True).click()
        expect(self.status).to_have_text(status)

    def add_note(self, text: str) -> None:
        self.page.get_by_label("Add a note").fill(text)
        self.page.get_by_role("button", name="Add note").click()


class IntegrationsPage:
    """Admin: the integrations list with its create form, one integration's page, and the key shown once."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    def open(self) -> IntegrationsPage:
        self.page.get_by_role("link", name="Integrations").click()
        expect(self.page.get_by_role("heading", name="Alert integrations")).to_be_visible()
        return self

    def create(self, name: str, kind: str, service: str | None = None, rules: str = "") -> str:
        """Fill the form, submit, and return the key the next page shows once."""
        self.submit(name, kind, service, rules)
        expect(self.page.get_by_role("heading", name=f"Integration created: {name}")).to_be_visible()
        return self.page.get_by_label("Secret key").input_value()

    def submit(self, name: str, kind: str, service: str | None = None, rules: str = "") -> None:
        self.page.get_by_label("Name", exact=True).fill(name)
        self.page.get_by_label("Kind").select_option(kind)
        if service:
            self.page.get_by_label("Default service").select_option(label=service)
        self.page.get_by_label("Rules").fill(rules)
        self.page.get_by_role("button", name="Create and show the key").click()

    def form_error(self):  # noqa: ANN201
        return self.page.locator("#form-error")

    def settings(self) -> IntegrationsPage:
        self.page.get_by_role("link", name="Done: back to the integration").click()
        return self

    def rotate_key(self) -> str:
        self.page.once("dialog", lambda d: d.accept())
        self.page.get_by_role("button", name="Rotate key").click()
        expect(self.page.get_by_role("heading", name="New key", exact=False)).to_be_visible()
        return self.page.get_by_label("Secret key").input_value()

    def latest_alerts(self):  # noqa: ANN201
        return self.page.locator("#latest-alerts")

    def start_maintenance(self, duration: str) -> None:
        self.page.get_by_label("For").select_option(label=duration)
        self.page.get_by_role("button", name="Start maintenance").click()
        expect(self.page.locator("#maintenance-state")).to_contain_text("maintenance until")

    def end_maintenance(self) -> None:
        self.page.get_by_role("button", name="End maintenance now").click()
        expect(self.page.get_by_role("button", name="Start maintenance")).to_be_visible()

    def open_alert(self, summary: str):  # noqa: ANN201
        self.latest_alerts().get_by_role("link", name=summary).click()
        expect(self.page.get_by_role("heading", name=summary)).to_be_visible()
        return self.page
