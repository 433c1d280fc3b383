"""The e-mail channel keeps its SMTP connection between pages (one per sending thread), replaces one the relay
closed meanwhile, and opens a new one after it sat idle. Real SMTP: aiosmtpd on loopback."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from warroom.notifications.channels import email as email_channel
from warroom.notifications.channels.email import EmailChannel, SmtpConfig


class Relay:
    """Records, for each message, the client's address and port: one port per connection."""

    def __init__(self) -> None:
        self.peers: list[tuple[str, int]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        self.peers.append(session.peer)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def row(n: int) -> dict:
    return {"key": f"inc{n}-esc1-c0-l0-u1-r1-email", "address": "ana@example.test",
            "payload": {"event": "page", "incident": {"id": n, "ref": f"INC-{n}", "title": "checkout 500s",
                                                      "priority": "P1", "status": "identified", "major": False,
                                                      "url": f"http://127.0.0.1/incidents/{n}"},
                        "level": 1, "cycle": 0, "policy": "web", "reason": "declared", "recipient": {"user_id": 1}}}


@pytest.fixture
def relay():
    r = Relay()
    ctl = Controller(r, hostname="127.0.0.1", port=free_port())
    ctl.start()
    yield r, ctl
    if ctl._thread is not None:  # noqa: SLF001 - a test may have stopped it already
        ctl.stop()


def test_pages_share_one_connection(relay):
    r, ctl = relay
    send = EmailChannel(SmtpConfig("127.0.0.1", ctl.port))
    for n in range(3):
        send(row(n), "")
    assert len(r.peers) == 3
    assert len(set(r.peers)) == 1


def test_a_connection_the_relay_closed_is_replaced(relay):
    r, ctl = relay
    send = EmailChannel(SmtpConfig("127.0.0.1", ctl.port))
    send(row(1), "")
    ctl.stop()  # the relay restarts: the kept connection is dead
    again = Controller(r, hostname="127.0.0.1", port=ctl.port)
    again.start()
    try:
        send(row(2), "")
    finally:
        again.stop()
    assert len(r.peers) == 2
    assert r.peers[0] != r.peers[1]


def test_an_idle_connection_is_not_reused(relay, monkeypatch):
    r, ctl = relay
    monkeypatch.setattr(email_channel, "IDLE_SECONDS", -1.0)
    send = EmailChannel(SmtpConfig("127.0.0.1", ctl.port))
    send(row(1), "")
    send(row(2), "")
    assert len(r.peers) == 2
    assert r.peers[0] != r.peers[1]
