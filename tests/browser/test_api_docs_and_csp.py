"""Journey: the API docs (Swagger UI, ReDoc) work from local files under the Content-Security-Policy, and the
pages a responder uses raise no CSP violation (issue 11.9)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import LoginPage
from tests.web.pages_support import declare


def _watch(page):  # noqa: ANN001, ANN202
    """Console messages about the Content-Security-Policy, and requests that left the server."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    return problems


def test_api_docs_render_offline_under_the_csp(site, context) -> None:
    page = context.new_page()
    problems = _watch(page)
    elsewhere: list[str] = []
    page.on("requestfinished", lambda r: None if r.url.startswith((site.base, "blob:", "data:"))
            else elsewhere.append(r.url))
    page.goto(f"{site.base}/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("warroom")
    page.goto(f"{site.base}/redoc")
    expect(page.locator("h1").first).to_contain_text("warroom")
    expect(page.get_by_text("/api/v1/incidents").first).to_be_attached()
    # ReDoc shows its vendor's logo from the vendor's CDN: the CSP blocks it, so nothing leaves for it either
    assert [p for p in problems if "cdn.redoc.ly" not in p] == [] and elsewhere == []


def test_the_pages_raise_no_csp_violation(site, context) -> None:
    s = declare(site.app, site.users, "CSP check")
    page = context.new_page()
    problems = _watch(page)
    LoginPage(page, site.base).log_in("rui")
    for path in ("/", f"/incidents/{s.ref}", "/account", "/oncall", "/alerts", "/incidents/new"):
        page.goto(f"{site.base}{path}")
        page.wait_for_load_state("networkidle")
    assert problems == []
