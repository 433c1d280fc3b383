"""Fixtures for the API tests in this folder."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def call(api, users):  # noqa: ANN001, ANN201
    """`call(method, path, role="responder", **kw)`: an API request with that role's token (a module may
    define its own `call` with another default role)."""

    def _call(method: str, path: str, role: str = "responder", **kw: Any) -> Any:
        return api.request(method, path, headers=users.headers(role), **kw)

    return _call
