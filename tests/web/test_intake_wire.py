"""The intake's answers on the wire, served by uvicorn as `warroom serve` runs it (httptools, no access log),
where web/intake_fast.py writes each answer at once, and through uvicorn's own ASGI `send` (an access log
makes it take that way): the same head and body but the date, and keep-alive and pipelined requests work."""

from __future__ import annotations

import re
import socket

import orjson
import pytest

from tests.alerts_support import LiveServer, alerts, integration, pd_event
from warroom.web import intake_fast


def _post(key: str, dedup: str, routing_key: str | None = None) -> bytes:
    body = orjson.dumps(pd_event(routing_key or key, dedup=dedup))
    return (b"POST /v2/enqueue HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n" % len(body)) + body


def _answers(sock: socket.socket, raw: bytes, n: int) -> list[tuple[list[bytes], bytes]]:
    """Send `raw`, read `n` answers: (head lines without the date, body)."""
    sock.sendall(raw)
    buf, out = b"", []
    while len(out) < n:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(out)} answers: {buf!r}"
        buf += chunk
        while b"\r\n\r\n" in buf:
            head, rest = buf.split(b"\r\n\r\n", 1)
            m = re.search(rb"\r\ncontent-length: (\d+)", head)
            assert m, head
            size = int(m.group(1))
            if len(rest) < size:
                break
            lines = [x for x in head.split(b"\r\n") if not x.startswith(b"date: ")]
            out.append((lines, rest[:size]))
            buf = rest[size:]
    assert buf == b""
    return out


@pytest.mark.parametrize("access_log", [False, True], ids=["one-write", "asgi-send"])
def test_answers_keep_alive_and_pipelined_requests(app, access_log, monkeypatch) -> None:
    _, key = integration(app)
    whole: list[bool] = []
    real = intake_fast._write_whole
    monkeypatch.setattr(intake_fast, "_write_whole", lambda *a: whole.append(real(*a)) or whole[-1])
    with LiveServer(app, http="httptools", access_log=access_log) as server, \
            socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        first = _answers(sock, _post(key, "w-1"), 1)
        both = _answers(sock, _post(key, "w-2") + _post(key, "w-3", routing_key="wrong"), 2)  # pipelined
        again = _answers(sock, _post(key, "w-4"), 1)  # the same connection, kept alive
    (lines, body), (_, body2), (bad_lines, bad), (_, body4) = first + both + again
    assert lines[0] == b"HTTP/1.1 202 Accepted"
    assert lines[1:] == [b"server: uvicorn", b"content-type: application/json",
                         b"content-length: %d" % len(body),
                         b"content-security-policy: default-src 'none'; frame-ancestors 'none'",
                         b"x-content-type-options: nosniff", b"referrer-policy: same-origin", b"x-frame-options: DENY"]
    assert orjson.loads(body)["dedup_key"] == "w-1" and orjson.loads(body2)["dedup_key"] == "w-2"
    assert bad_lines[0] == b"HTTP/1.1 400 Bad Request" and orjson.loads(bad)["message"] == "Invalid routing key"
    assert orjson.loads(body4)["dedup_key"] == "w-4"
    assert {a["dedup_key"] for a in alerts(app)} == {"w-1", "w-2", "w-4"}
    assert whole == [not access_log] * 4  # as served by `warroom serve`, each answer is one write
