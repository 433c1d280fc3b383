"""A rotated or disabled integration key stops working at once in every server process, not when the key cache's
TTL runs out: the change is announced (NOTIFY on PostgreSQL) and each process drops its cached keys."""

from __future__ import annotations

import time

import pytest

from tests.alerts_support import ADMIN, integration
from tests.conftest import make_db_url
from warroom.alerts import service
from warroom.bootstrap import build_app
from warroom.platform.live import PgListener
from warroom.platform.settings import Settings


def _refused_within(app, key: str, seconds: float) -> float:  # noqa: ANN001
    start = time.monotonic()
    while service.authenticate(app, key) is not None:
        assert time.monotonic() - start < seconds, f"key still accepted after {seconds}s"
        time.sleep(0.02)
    return time.monotonic() - start


def test_the_changing_process_forgets_its_cached_key_on_commit(app) -> None:
    integ, key = integration(app)  # authenticated once: cached for CACHE_TTL_S
    assert service.CACHE_TTL_S >= 5
    service.update_integration(app, ADMIN, integ.id, enabled=False)
    assert service.authenticate(app, key) is None
    service.update_integration(app, ADMIN, integ.id, enabled=True)
    assert service.authenticate(app, key) is not None
    _, new = service.rotate_key(app, ADMIN, integ.id)
    assert service.authenticate(app, key) is None and service.authenticate(app, new) is not None


@pytest.mark.postgres
def test_another_server_process_refuses_a_rotated_or_disabled_key_at_once(request, tmp_path) -> None:  # noqa: ANN001
    pg_url = make_db_url("postgres", request, tmp_path)
    one, other = build_app(Settings(database_url=pg_url)), build_app(Settings(database_url=pg_url))
    stops = []
    for app in (one, other):  # what `warroom serve` starts in each of its processes on PostgreSQL
        listener = PgListener(app.live, pg_url)
        assert listener.start()
        stops += [listener.stop, service.watch_keys(app)]
    try:
        integ, key = integration(one)
        assert service.authenticate(other, key) is not None  # now cached in the other process
        _, new = service.rotate_key(one, ADMIN, integ.id)
        took = _refused_within(other, key, 2.0)  # well inside the 5 s the cache would otherwise keep it
        assert service.authenticate(other, new) is not None
        service.update_integration(one, ADMIN, integ.id, enabled=False)
        took = max(took, _refused_within(other, new, 2.0))
        assert took < service.CACHE_TTL_S / 2
    finally:
        for stop in reversed(stops):
            stop()
        one.close()
        other.close()
