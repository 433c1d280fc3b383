"""Dependencies that do no I/O run on the event loop: FastAPI hands a plain function to its thread pool, a
hand-off to another thread and back on every request (docs/bench-notify.md)."""

from __future__ import annotations

import inspect

from warroom.auth.permissions import UserRole
from warroom.web.deps import get_app, needs


def test_get_app_and_role_checks_run_on_the_event_loop() -> None:
    assert inspect.iscoroutinefunction(get_app)
    for role in UserRole:
        assert inspect.iscoroutinefunction(needs(role))
