"""Journey: an admin connects a monitoring tool from the web app: creates an integration, copies the key shown
once, the tool sends an alert with it, the alert shows on the integration's page and has its own; planned work
in maintenance opens no incident; rotating the key (after a confirmation) retires the old one."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.pages import IntegrationsPage, LoginPage
from warroom.catalog import service as catalog


def _send(base: str, key: str, dedup: str) -> int:
    return httpx.post(base + "/v2/enqueue", json={
        "routing_key": key, "event_action": "trigger", "dedup_key": dedup,
        "payload": {"summary": f"replication lag on <{dedup}>", "source": "db1", "severity": "critical"}}).status_code


def test_admin_connects_a_sender_and_rotates_its_key(site, context) -> None:
    svc = catalog.create_service(site.app, name="payments-db", tier=1)
    page = context.new_page()
    LoginPage(page, site.base).log_in("ada")
    integrations = IntegrationsPage(page, site.base).open()

    integrations.submit("Grafana", "pagerduty", rules="{not json")  # a typo: the form says where, keeps the rest
    expect(integrations.form_error()).to_contain_text("config: not valid JSON")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Grafana")
    key = integrations.create("Grafana", "pagerduty", service="payments-db", rules='{"group_by": ["cluster"]}')
    assert len(key) == 32
    expect(page.locator("#how-to")).to_contain_text(f"routing_key: {key}")

    assert _send(site.base, key, "db1-lag") == 202
    integrations.settings()
    expect(integrations.latest_alerts()).to_contain_text("replication lag on <db1-lag>")
    expect(page.get_by_label("Default service")).to_have_value(str(svc["id"]))

    integrations.start_maintenance("2 hours")
    assert _send(site.base, key, "db1-planned") == 202
    page.reload()
    alert = integrations.open_alert("replication lag on <db1-planned>")
    expect(alert.locator("#held")).to_contain_text("in maintenance")
    expect(alert.locator("#alert-payload")).not_to_contain_text(key)
    alert.go_back()
    integrations.end_maintenance()

    new = integrations.rotate_key()
    assert new != key
    assert _send(site.base, key, "db1-lag-2") == 400
    assert _send(site.base, new, "db1-lag-2") == 202
