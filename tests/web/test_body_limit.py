"""The request body limit in front of the app (issue 11.4): 413 before parsing and before authentication, counted
while the body streams in (no Content-Length, or a false one, does not get around it); the intake keeps its own."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.alerts_support import LiveServer
from tests.helpers import run_coroutine
from warroom.bootstrap import build_app
from warroom.platform.settings import Settings
from warroom.web.app import create_app

MB = 1024 * 1024
CHUNK = 64 * 1024


class Upload:
    """An ASGI `receive` that streams `total` bytes in 64 KiB chunks and counts how many were taken."""

    def __init__(self, total: int, chunk: bytes = b"x" * CHUNK) -> None:
        self.total, self.chunk, self.taken = total, chunk, 0

    async def __call__(self) -> dict:
        n = min(len(self.chunk), self.total - self.taken)
        self.taken += n
        return {"type": "http.request", "body": self.chunk[:n], "more_body": self.taken < self.total}


def call(asgi, method: str, path: str, headers: list[tuple[bytes, bytes]], upload: Upload) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    run_coroutine(asgi(scope, upload, send))
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.fixture
def asgi(app):
    return create_app(app, background=False)


def test_chunked_2mb_body_to_the_api_without_a_token_is_413_not_401_and_is_not_read_whole(asgi):
    upload = Upload(2 * MB)
    status, body = call(asgi, "POST", "/api/v1/incidents", [(b"content-type", b"application/json")], upload)
    assert status == 413 and b"too_large" in body
    assert upload.taken <= MB + CHUNK  # reading stopped at the limit


def test_declared_length_over_the_limit_is_refused_before_reading(asgi):
    upload = Upload(2 * MB)
    status, _ = call(asgi, "POST", "/api/v1/incidents",
                     [(b"content-type", b"application/json"), (b"content-length", str(2 * MB).encode())], upload)
    assert status == 413 and upload.taken == 0


def test_an_absurdly_long_declared_length_is_a_413_not_a_500(asgi):
    upload = Upload(10)
    status, _ = call(asgi, "POST", "/api/v1/incidents",
                     [(b"content-type", b"application/json"), (b"content-length", b"9" * 5000)], upload)
    assert status == 413 and upload.taken == 0


def test_a_false_content_length_does_not_get_around_it(asgi):
    upload = Upload(2 * MB)
    status, _ = call(asgi, "PATCH", "/api/v1/incidents/1",
                     [(b"content-type", b"application/json"), (b"content-length", b"10")], upload)
    assert status == 413 and upload.taken <= MB + CHUNK


def test_login_form_posts_urlencoded_and_multipart_are_limited_too(asgi):
    urlencoded = Upload(2 * MB, b"username=a&password=" + b"p" * (CHUNK - 20))
    status, body = call(asgi, "POST", "/login", [(b"content-type", b"application/x-www-form-urlencoded")], urlencoded)
    assert status == 413 and body.startswith(b"Request too large") and urlencoded.taken <= MB + CHUNK
    multipart = Upload(2 * MB, b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n"
                       + b"x" * CHUNK)
    status, _ = call(asgi, "POST", "/login", [(b"content-type", b"multipart/form-data; boundary=b")], multipart)
    assert status == 413 and multipart.taken <= MB + 2 * CHUNK


def test_bodies_within_the_limit_pass_and_the_limit_is_a_setting(db_url, clock, monkeypatch):
    monkeypatch.setenv("WARROOM_MAX_BODY_BYTES", "2048")
    assert Settings().max_body_bytes == 2048
    wr = build_app(Settings(database_url=db_url, max_body_bytes=2048), clock=clock)
    try:
        with TestClient(create_app(wr, background=False)) as api:
            assert api.post("/api/v1/incidents", content=b"{" + b" " * 2000 + b"}").status_code == 401
            r = api.post("/api/v1/incidents", content=b"{" + b" " * 2100 + b"}")
            assert r.status_code == 413 and r.json()["message"] == "request body exceeds 2048 bytes"
            # the alert intake keeps its own limits (2 MiB for webhooks), whatever the API's
            assert api.post("/api/v1/intake/alertmanager", content=b"{" + b" " * 4000 + b"}",
                            headers={"Authorization": "Bearer nope"}).status_code == 401
    finally:
        wr.close()


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // CHUNK):
        yield b"%x\r\n" % CHUNK + b"x" * CHUNK + b"\r\n"
    yield b"0\r\n\r\n"


def test_real_server_answers_413_while_a_chunked_upload_is_still_arriving(app):
    with LiveServer(app) as server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        sent = 0
        for piece in _chunks(4 * MB):
            if select.select([s], [], [], 0.02)[0]:
                break  # answered before the upload finished
            try:
                s.sendall(piece)
            except OSError:
                break
            sent += len(piece)
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert sent < 2 * MB
