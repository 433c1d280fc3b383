"""Helpers for the alert tests: integrations, payloads in each protocol's shape, and quick reads."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.helpers import stop_process
from warroom.alerts import queries as alert_queries
from warroom.alerts import service
from warroom.alerts.rules import Integration
from warroom.auth.permissions import Principal, UserRole
from warroom.incidents import store as incident_store
from warroom.platform.app import App

ADMIN = Principal(0, "system", UserRole.ADMIN)


def integration(app: App, kind: str = "pagerduty", name: str | None = None, service_id: int | None = None,
                **config: Any) -> tuple[Integration, str]:
    row, key = service.create_integration(app, ADMIN, name=name or f"{kind}-int", kind=kind, service_id=service_id,
                                          config=config)
    integ = service.authenticate(app, key)
    assert integ is not None and integ.id == row["id"]
    return integ, key


def pd_event(key: str, action: str = "trigger", dedup: str | None = None, summary: str = "disk full",
             severity: str = "error", source: str = "db1", group: str | None = None, **details: Any) -> dict:
    body: dict[str, Any] = {"routing_key": key, "event_action": action}
    if dedup:
        body["dedup_key"] = dedup
    if action == "trigger":
        body["payload"] = {"summary": summary, "source": source, "severity": severity}
        if group:
            body["payload"]["group"] = group
        if details:
            body["payload"]["custom_details"] = details
    return body


def am_alert(name: str, status: str = "firing", fingerprint: str | None = None, **labels: str) -> dict:
    return {"status": status, "labels": {"alertname": name, **labels},
            "annotations": {"summary": f"{name} on {labels.get('instance', 'x')}"},
            "startsAt": "2026-01-05T08:59:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
            "fingerprint": fingerprint or f"fp-{name}-{labels.get('instance', 'x')}"}


def am_post(alerts: list[dict], group_key: str = '{}:{alertname="HighLatency"}', status: str = "firing") -> dict:
    return {"version": "4", "groupKey": group_key, "truncatedAlerts": 0, "status": status, "receiver": "warroom",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": alerts}


def incidents(app: App) -> list:
    with app.db.read() as conn:
        items, _ = incident_store.search(conn, limit=500)
    return items


def alerts(app: App, **filters: Any) -> list:
    rows, _ = alert_queries.list_alerts(app, limit=1000, **filters)
    return rows


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """warroom served for real by uvicorn in a thread, on a free loopback port."""

    def __init__(self, app: App, tls: tuple[Any, Any] | None = None, **options: Any) -> None:
        """`tls`: (certificate file, key file) to serve https; `options`: more uvicorn.Config settings."""
        import threading

        import uvicorn

        from warroom.web.app import create_app

        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(app, background=False), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on", ssl_certfile=tls[0] if tls else None,
                                ssl_keyfile=tls[1] if tls else None, **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def wait_until(check: Any, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)


def http_up(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def server_process(db_url: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`uvicorn warroom.web.asgi:app` as its own process on a free loopback port (no embedded worker), as
    `warroom serve` runs it; yields (base URL, process) once it answers, and stops it afterwards."""
    port = free_port()
    env = dict(os.environ, WARROOM_DATABASE_URL=db_url, WARROOM_EMBEDDED_WORKER="0", WARROOM_LOG_JSON="0")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "warroom.web.asgi:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_up(url), timeout=30)
        yield url, proc
    finally:
        stop_process(proc)
