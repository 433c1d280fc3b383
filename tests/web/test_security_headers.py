"""Security headers, local API docs, and keys kept out of request logs (issue 11.9)."""

from __future__ import annotations

import logging
import re

import pytest

from tests.helpers import run_coroutine
from tests.web.pages_support import login_as
from warroom.web.headers import CSP


def _csp(r) -> dict[str, str]:
    return {d.split()[0]: d for d in (x.strip() for x in r.headers["content-security-policy"].split(";"))}


@pytest.mark.parametrize("path", ["/", "/login", "/account", "/api/v1/incidents", "/healthz", "/static/app.css",
                                  "/no/such/page", "/openapi.json"])
def test_every_response_carries_the_security_headers(api, users, path):
    login_as(api, "viewer")
    r = api.get(path, follow_redirects=False)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"
    csp = _csp(r)
    assert r.headers["content-security-policy"] == CSP
    assert csp["frame-ancestors"] == "frame-ancestors 'none'" and csp["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in csp["style-src"]


def test_intake_answers_carry_them_too(api, users):
    r = api.post("/api/v1/intake/alertmanager", json={}, headers={"Authorization": "Bearer nope"})
    assert r.status_code in (401, 403) and r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_pages_hold_no_inline_script_or_style(api, users):
    login_as(api, "admin")
    for path in ("/", "/account", "/people", "/oncall", "/alerts", "/integrations", "/incidents/new"):
        html = api.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html and not re.search(r"\son[a-z]+=", html), path


def test_api_docs_are_served_without_a_cdn(api):
    for path, asset in (("/docs", "/api-docs/swagger-ui-bundle.js"), ("/redoc", "/api-docs/redoc.standalone.js")):
        r = api.get(path)
        assert r.status_code == 200 and asset in r.text and "/openapi.json" in r.text
        assert "http://" not in r.text and "https://" not in r.text  # nothing from elsewhere
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)  # no inline script
        csp = _csp(r)
        assert csp["script-src"] == "script-src 'self'" and csp["frame-ancestors"] == "frame-ancestors 'none'"
        got = api.get(asset)
        assert got.status_code == 200 and len(got.content) > 100_000
    assert api.get("/api-docs/swagger-ui.css").status_code == 200
    assert api.get("/static/docs-swagger.js").status_code == 200


KEY = "0123456789abcdef0123456789abcdef"


def test_keys_in_urls_stay_out_of_the_request_log(api, users, caplog):
    caplog.set_level(logging.INFO, logger="warroom.http")
    cases = [("GET", f"/api/v1/integrations/{KEY}/alertmanager", 405),
             ("PUT", f"/api/v1/integrations/{KEY}/webhook", 405),
             ("POST", f"/api/v1/integrations/{KEY}/nothing-here", 404),
             ("GET", f"/api/v1/integrations/{KEY}", 401),
             ("POST", f"/api/v1/integrations/{KEY}/alertmanager", 401),  # the fast path: unknown key
             ("GET", f"/api/v1/feeds/users/1.ics?key={KEY}", 409)]  # 409: no WARROOM_SECRET_KEY here
    for method, url, status in cases:
        assert api.request(method, url).status_code == status, url
    logged = [(r.method, r.path, r.status) for r in caplog.records if r.msg == "request"]
    assert len(logged) == len(cases)
    assert all(KEY not in p for _, p, _ in logged), logged
    assert ("GET", "/api/v1/integrations/0123.../alertmanager", 405) in logged
    assert ("GET", "/api/v1/integrations/0123...", 401) in logged


def test_keys_in_mistyped_intake_urls_stay_out_of_the_request_log(api, users, caplog):
    """A monitoring system configured with a base URL ending in '/' sends to '//api/v1/integrations/<key>/...';
    a hand-typed URL may differ in case. Both are 404s, and the key is not logged either."""
    caplog.set_level(logging.INFO, logger="warroom.http")
    for url in (f"//api/v1/integrations/{KEY}/alertmanager", f"/API/v1/Integrations/{KEY}/alertmanager",
                f"/api/v2/integrations/{KEY}/alertmanager"):
        assert api.post(url, json={}).status_code == 404, url
    logged = [r.path for r in caplog.records if r.msg == "request"]
    assert len(logged) == 3 and all(KEY not in p for p in logged), logged


def test_a_servers_access_log_sees_the_key_redacted(app):
    """uvicorn's access log reads the scope's path and query string when the response starts."""
    from warroom.web.app import create_app

    asgi = create_app(app, background=False)
    seen = []
    for path, query in ((f"/api/v1/integrations/{KEY}/alertmanager", b""),
                        ("/api/v1/feeds/users/1.ics", f"days=3&key={KEY}".encode())):
        scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": query,
                 "headers": [], "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80),
                 "client": ("127.0.0.1", 5), "root_path": "", "app": asgi}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message, scope=scope):
            if message["type"] == "http.response.start":
                seen.append((scope["path"], scope["raw_path"], scope["query_string"], message["status"]))

        run_coroutine(asgi(scope, receive, send))
    assert seen == [("/api/v1/integrations/0123.../alertmanager", b"/api/v1/integrations/0123.../alertmanager", b"",
                     405), ("/api/v1/feeds/users/1.ics", b"/api/v1/feeds/users/1.ics", b"days=3&key=...", 409)]
