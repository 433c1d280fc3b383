"""Browser fixtures: Debian's Chromium driven by Playwright, and the app served for real on SQLite.

Chromium is /usr/bin/chromium (installed by .ci/run), never a Playwright download. Without it the tests
skip and say why; with CI=true they fail instead."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI, Users
from tests.web.pages_support import serve
from warroom.bootstrap import build_app
from warroom.platform.app import App
from warroom.platform.settings import Settings

CHROMIUM = os.environ.get("WARROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch(playwright):  # noqa: ANN001, ANN201
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@dataclass
class Site:
    app: App
    users: Users
    base: str


@pytest.fixture
def site(sqlite_url: str) -> Iterator[Site]:
    """A served app with ada (admin), rui (responder) and vic (viewer), on the real clock."""
    wr = build_app(Settings(database_url=sqlite_url))
    users = Users(wr)
    with serve(wr) as base:
        yield Site(wr, users, base)
    wr.close()


@pytest.fixture
def context(browser):  # noqa: ANN001, ANN201
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))  # one Chromium, one pytest-xdist worker
