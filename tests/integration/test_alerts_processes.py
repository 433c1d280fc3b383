"""Several server processes on one PostgreSQL database, as `warroom serve --workers N` or several hosts run:
a storm sent to all of them at once still makes exactly one incident with every alert attached, and the
same keys repeated through both processes make one alert each with every repeat counted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from tests.alerts_support import incidents, integration, pd_event, server_process
from warroom.alerts import queries as alert_queries
from warroom.catalog import service as catalog
from warroom.incidents import service as incidents_service

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def pg_app(request, tmp_path):  # noqa: ANN001, ANN201
    from tests.conftest import make_db_url
    from warroom.bootstrap import build_app
    from warroom.platform.settings import Settings

    url = make_db_url("postgres", request, tmp_path)
    app = build_app(Settings(database_url=url))
    yield app
    app.close()


def _send_all(urls: list[str], events: list[dict]) -> list[int]:
    """Each event to one of the servers (round robin), 24 at a time; the status of every answer."""
    clients = [httpx.Client(base_url=u, timeout=30) for u in urls]
    try:
        with ThreadPoolExecutor(24) as pool:
            return list(pool.map(lambda ie: clients[ie[0] % len(clients)].post("/v2/enqueue", json=ie[1])
                                 .status_code, enumerate(events)))
    finally:
        for c in clients:
            c.close()


def test_a_storm_through_two_processes_makes_one_incident(pg_app):
    """The storm's group spans two services (a database outage that takes checkout down): both join."""
    db, checkout = (catalog.create_service(pg_app, name=n)["id"] for n in ("db", "checkout"))
    integ, key = integration(pg_app)
    url = pg_app.settings.database_url
    with ExitStack() as stack:
        urls = [stack.enter_context(server_process(url))[0] for _ in range(2)]
        storm = [pd_event(key, dedup=f"node-{i}", summary=f"node {i} down", group="checkout",
                          service="db" if i % 2 else "checkout") for i in range(1500)]
        assert set(_send_all(urls, storm)) == {202}
        repeats = [pd_event(key, dedup=f"dup-{i % 20}", group="checkout") for i in range(600)]
        assert set(_send_all(urls, repeats)) == {202}
    [inc] = incidents(pg_app)
    assert sorted(inc.service_ids) == sorted([db, checkout])
    rows, total = alert_queries.list_alerts(pg_app, limit=5000)
    assert total == 1520
    assert len(rows) == 1520 and {r["incident_id"] for r in rows} == {inc.id}
    assert sorted(r["count"] for r in rows if r["dedup_key"].startswith("dup-")) == [30] * 20
    attached = [e for e in incidents_service.timeline(pg_app, inc.id) if e.kind == "alerts.attached"]
    assert sum(e.data["count"] for e in attached) == 1520, "each alert attached once, by one process"
    added = [e.data["changes"]["service_ids"]["new"] for e in incidents_service.timeline(pg_app, inc.id)
             if e.kind == "fields.changed" and "service_ids" in e.data["changes"]]
    assert added in ([], [sorted([db, checkout])]), "the second service joins once (or with the declaration)"
