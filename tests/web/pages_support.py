"""Helpers for the page, SSE and browser tests: log a TestClient in, pull CSRF tokens out of pages, and serve
the app for real (uvicorn in a thread, on a free loopback port)."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from warroom.incidents import service as incidents
from warroom.incidents.events import IncidentState
from warroom.incidents.priority import Impact, Urgency
from warroom.platform.app import App

PASSWORDS = {"ada": "ada-password-1", "rui": "rui-password-1", "vic": "vic-password-1"}
NAME_OF = {"admin": "ada", "responder": "rui", "viewer": "vic"}


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "the page has no form with a CSRF token"
    return m.group(1)


def login(client: Any, username: str, password: str | None = None, *, next_url: str = "/") -> Any:
    """Log in through the form like a browser; returns the response to the POST."""
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                       "csrf": csrf_of(page.text), "next": next_url}, follow_redirects=False)


def login_as(client: Any, role: str) -> str:
    """Log in (afresh) as the test user holding `role`; returns that session's CSRF token."""
    client.cookies.clear()
    r = login(client, NAME_OF[role])
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/").text)


def declare(app: App, users: Any, title: str = "Checkout failing", **kw: Any) -> IncidentState:
    fields: dict[str, Any] = {"impact": Impact.SIGNIFICANT, "urgency": Urgency.HIGH, **kw}
    return incidents.declare(app, users.principal("responder"), title=title, **fields)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app: App, *, background: bool = True) -> Iterator[str]:
    """Serve create_app(app) with uvicorn on loopback in a thread; yields the base URL."""
    from warroom.web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(app, background=background), host="127.0.0.1", port=port, log_config=None,
                            access_log=False, lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert thread.is_alive(), "uvicorn stopped while starting"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def http_login(base: str, username: str) -> Iterator[httpx.Client]:
    """An httpx client with a live session on a served app."""
    with httpx.Client(base_url=base, timeout=10) as c:
        r = login(c, username)
        assert r.status_code == 303, r.text
        yield c


class SSEReader:
    """Reads SSE frames from a streaming response in a thread, so a test can wait for them with a deadline."""

    def __init__(self, client: httpx.Client, url: str, headers: dict[str, str] | None = None) -> None:
        self.frames: list[dict[str, str]] = []
        self.cond = threading.Condition()
        self._client = client
        self._url = url
        self._headers = headers or {}
        self._stop = threading.Event()
        self.status = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self._url, headers=self._headers,
                                     timeout=httpx.Timeout(10, read=30)) as r:
                self.status = r.status_code
                self._response = r
                cur: dict[str, str] = {}
                for line in r.iter_lines():
                    if self._stop.is_set():
                        return
                    if line == "":
                        if cur:
                            with self.cond:
                                self.frames.append(cur)
                                self.cond.notify_all()
                        cur = {}
                    elif not line.startswith(":"):
                        k, _, v = line.partition(":")
                        cur[k] = cur.get(k, "") + v.lstrip()
        except (httpx.HTTPError, RuntimeError):
            return

    def wait_for(self, pred: Any, timeout: float = 10.0) -> list[dict[str, str]]:
        """Wait until pred(frames) is true (bounded); returns the frames."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred(self.frames):
                left = deadline - time.monotonic()
                assert left > 0, f"timed out waiting; frames so far: {self.frames}"
                self.cond.wait(left)
            return list(self.frames)

    def close(self) -> None:
        """Hang up like a closed browser tab: shut the socket down so both ends notice at once."""
        self._stop.set()
        response = getattr(self, "_response", None)
        if response is not None:
            stream = response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
