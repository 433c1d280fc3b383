"""Helpers for on-call / escalation / notification tests: a recording channel, loopback receivers, seeds."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from warroom.auth import service as auth
from warroom.auth.permissions import Principal, UserRole
from warroom.bootstrap import build_app
from warroom.catalog import service as catalog
from warroom.escalation import service as esc
from warroom.incidents import service as incidents
from warroom.incidents.priority import Impact, Urgency
from warroom.notifications.channels import CHANNELS
from warroom.platform.app import App
from warroom.platform.clock import Clock
from warroom.platform.outbound import DeliveryFailed
from warroom.platform.settings import Settings
from warroom.worker.loop import tick

ADMIN = Principal(0, "tester", UserRole.ADMIN)


class Recorder:
    """A fake channel set: records (channel, address, payload) instead of sending."""

    def __init__(self, app: App, fail: set[str] | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = fail or set()
        app.notifications.channels = {k: self._channel(k) for k in CHANNELS}

    @classmethod
    def of(cls, app: App) -> Recorder:
        """The recorder already in place of the app's channels, or a new one."""
        found = getattr(app.notifications.channels.get("email"), "recorder", None)
        return found if isinstance(found, cls) else cls(app)

    def _channel(self, kind: str):  # noqa: ANN202
        def send(row: dict[str, Any], secret: str) -> None:
            if kind in self.fail:
                raise DeliveryFailed(f"{kind} is down")  # as a real channel reports it (platform/outbound.py)
            self.sent.append({"channel": kind, "address": row["address"], "key": row["key"], **row["payload"]})
        send.recorder = self  # type: ignore[attr-defined]  # Recorder.of finds it
        return send

    def to(self, address: str) -> list[dict[str, Any]]:
        return [s for s in self.sent if s["address"] == address]


@contextmanager
def app_with(db_url: str, clock: Clock, **settings: Any) -> Iterator[App]:
    """An app with its own settings, e.g. `outbound_allow=""` (the tests' default allows 127.0.0.1, see
    tests/conftest.py) or `apprise_schemes="json"`."""
    app = build_app(Settings(database_url=db_url, **settings), clock=clock)
    try:
        yield app
    finally:
        app.close()


def person(app: App, name: str) -> int:
    return auth.create_user(app, username=name, display_name=name.title(), email=f"{name}@example.test")["id"]


def policy(app: App, name: str, levels: list[list[dict]], timeout: int = 5, repeat: int = 0) -> int:
    return esc.create_policy(app, ADMIN, name=name, repeat=repeat,
                             levels=[{"timeout_minutes": timeout, "targets": t} for t in levels])["id"]


def service_with(app: App, name: str, policy_id: int | None) -> int:
    return catalog.create_service(app, name=name, escalation_policy_id=policy_id)["id"]


def declare(app: App, service_id: int, title: str = "checkout 500s", impact: Impact = Impact.EXTENSIVE,
            urgency: Urgency = Urgency.CRITICAL) -> int:
    return incidents.declare(app, ADMIN, title=title, impact=impact, urgency=urgency, service_ids=[service_id]).id


def kinds(app: App, incident_id: int, prefix: str = "") -> list[str]:
    return [e.kind for e in incidents.timeline(app, incident_id) if e.kind.startswith(prefix)]


def paged(app: App, incident_id: int) -> list[dict[str, Any]]:
    return [e.data for e in incidents.timeline(app, incident_id) if e.kind == "escalation.paged"]


def run_ticks(app: App, n: int = 1) -> None:
    """Run the worker's jobs n times, each time letting the sends it started finish and be recorded."""
    from warroom.notifications.outbox import settle

    for _ in range(n):
        tick(app)
        settle(app)


# -- a loopback HTTP receiver -----------------------------------------------------------------------

@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST (and GET); answers `status` with `answer` as the body (and a `location` header when
    set), after `delay` seconds (one request at a time when `serial`)."""

    status: int = 200
    delay: float = 0.0
    serial: bool = False
    answer: bytes = b""
    location: str = ""
    got: list[Received] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        outer = self
        self.gate = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                if outer.delay and outer.serial:
                    with outer.gate:
                        time.sleep(outer.delay)
                elif outer.delay:
                    time.sleep(outer.delay)
                with outer.cond:
                    outer.got.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
                    outer.cond.notify_all()
                self.send_response(outer.status)
                if outer.location:
                    self.send_header("Location", outer.location)
                self.send_header("Content-Length", str(len(outer.answer)))
                self.end_headers()
                self.wfile.write(outer.answer)

            do_GET = do_POST  # noqa: N815 - a redirected POST may come back as a GET

            def log_message(self, *a: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.got) >= n, timeout=timeout)
            return list(self.got)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def valid_signature(secret: str, r: Received) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), r.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, r.headers.get("x-warroom-signature", ""))
