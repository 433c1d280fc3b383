"""The web registries (web/registry.py) are what the app serves: every router is mounted, every nav entry leads to
a page a user of that role may open, and the panels, authenticators and extensions listed there are the ones used."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from tests.web.pages_support import login_as
from warroom.auth.permissions import UserRole
from warroom.web import registry
from warroom.web.app import create_app


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Which routes exist does not depend on the database."""
    return sqlite_url


def _nav(html: str) -> str:
    return html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]


def test_every_router_and_page_of_the_registry_is_mounted_in_order_and_nothing_else(app) -> None:
    api = create_app(app, background=False)
    mounted = [r.original_router for r in api.routes if hasattr(r, "original_router")]  # FastAPI's include_router
    assert mounted == [*registry.ROUTERS, *registry.PAGES]  # the key-authenticated intake is matched first
    assert "/static" in {r.path for r in api.routes if isinstance(r, Mount)}  # pages.install
    assert {"/docs", "/redoc"} <= {r.path for r in api.routes if isinstance(r, APIRoute)}  # api_docs.install
    assert api.front is not None  # intake_fast.install


@pytest.mark.parametrize("path", [p for p, _, _ in registry.NAV])
def test_every_nav_entry_is_a_page_its_role_may_open(api, users, path: str) -> None:
    role = next(r for p, _, r in registry.NAV if p == path)
    login_as(api, role.value)
    page = api.get(path)
    assert page.status_code == 200, page.text[:200]
    assert f'href="{path}"' in _nav(page.text)  # and the navigation shows it to that role


def test_nav_hides_entries_above_the_users_role(api, users) -> None:
    login_as(api, "viewer")
    nav = _nav(api.get("/").text)
    for path, _, role in registry.NAV:
        assert (f'href="{path}"' in nav) == (role == UserRole.VIEWER), path


def test_the_registries_are_literal_tuples() -> None:
    for name in ("ROUTERS", "PAGES", "NAV", "PANELS", "PERSON_PANELS", "AUTHENTICATORS", "BACKGROUND", "EXTENSIONS"):
        value = getattr(registry, name)
        assert isinstance(value, tuple) and value, name


def test_every_webhook_source_is_served_by_the_intake_the_fast_path_and_the_form(app) -> None:
    from warroom.alerts.sources import KINDS, PAGERDUTY, WEBHOOKS
    from warroom.web.intake_fast import IntakeFastPath
    from warroom.web.pages.integrations import KINDS as FORM_KINDS

    paths = {r.path for r in registry.ROUTERS[0].routes if isinstance(r, APIRoute)}
    front = IntakeFastPath(app)
    for w in WEBHOOKS:
        for path in (f"/api/v1/integrations/{{key}}/{w.suffix}", f"/api/v1/intake/{w.suffix}"):
            assert path in paths
            assert front.claims({"type": "http", "method": "POST", "path": path.replace("{key}", "k")})
    assert [k for k, _ in FORM_KINDS] == list(KINDS) == [PAGERDUTY, *(w.kind for w in WEBHOOKS)]


def test_the_api_kinds_are_the_registrys(api) -> None:
    from warroom.alerts.sources import KINDS

    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["Kind"]["enum"] == list(KINDS)


def test_a_source_added_to_the_registry_is_a_kind_with_its_how_to_on_the_key_page(api, users, monkeypatch) -> None:
    """Adding a webhook source is one module and one registry entry: the service accepts its kind and the key
    page shows the how-to fragment the entry names (here an existing fragment, under a new kind)."""
    from warroom.alerts import service
    from warroom.alerts.sources import BY_KIND, KINDS, WEBHOOKS, Webhook
    from warroom.web.pages import integrations

    fake = Webhook("nagios", "nagios", "Nagios", "Nagios webhook", lambda body, config: [],
                   "howto/generic.html")
    monkeypatch.setattr(service, "KINDS", (*KINDS, fake.kind))
    monkeypatch.setitem(BY_KIND, fake.kind, fake)
    monkeypatch.setattr(integrations, "KINDS", [*integrations.KINDS, (fake.kind, fake.title)])
    assert fake not in WEBHOOKS
    csrf = login_as(api, "admin")
    form = api.get("/integrations")
    assert form.status_code == 200 and 'value="nagios"' in form.text
    page = api.post("/integrations", data={"csrf": csrf, "name": "n", "kind": "nagios", "config": "{}"})
    assert page.status_code == 201, page.text[:300]
    assert "the integration's <code>mapping</code>" in page.text  # the fragment the entry names
    assert "/v2/enqueue" not in page.text
