"""Real channels on loopback: SMTP (plain, STARTTLS, TLS) into aiosmtpd, signed JSON webhooks, Slack/Teams shapes,
retries with backoff, the dead-letter state and retrying it."""

from __future__ import annotations

import email
import socket
import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.helpers import self_signed_cert
from tests.notify_support import (
    ADMIN,
    Receiver,
    app_with,
    declare,
    person,
    policy,
    run_ticks,
    service_with,
    valid_signature,
)
from warroom.errors import Conflict
from warroom.incidents.priority import Impact, Urgency
from warroom.notifications import contacts, outbox
from warroom.notifications import queries as notify_queries
from warroom.notifications.channels.email import EmailChannel, SmtpConfig
from warroom.notifications.outbox import Retry

# module-scoped fixtures (and tests that build on each other) stay on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("test_notify_channels")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_cert(tmp_path_factory.mktemp("cert"))


def smtp_server(mode: str, cert: tuple[Path, Path]) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    kw = {}
    if mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
        kw = {"tls_context": ctx, "require_starttls": True} if mode == "starttls" else {"ssl_context": ctx}
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kw)
    if mode == "tls":  # the readiness probe of aiosmtpd speaks plain SMTP; start the TLS listener without it
        ctl.ready_timeout = 5
    ctl.start()
    return ctl, inbox


@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_page_arrives_by_email(app, clock, mode, cert):
    ctl, inbox = smtp_server(mode, cert)
    try:
        app.notifications.channels["email"] = EmailChannel(SmtpConfig("127.0.0.1", ctl.port, mode, cafile=str(cert[0])))
        ana = person(app, "ana")
        inc = declare(app, service_with(app, "web", policy(app, "p", [[{"kind": "user", "id": ana}]])))
        run_ticks(app)
        assert len(inbox.messages) == 1
        msg = inbox.messages[0]
        assert msg["To"] == "ana@example.test"
        assert msg["Subject"].startswith("[P1] INC-") and "checkout 500s" in msg["Subject"]
        assert msg["X-Warroom-Idempotency-Key"].startswith(f"inc{inc}-")
        assert notify_queries.list_(app, incident_id=inc)[0]["state"] == "delivered"
    finally:
        ctl.stop()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_webhook_body_and_hmac_signature(app, clock, receiver):
    ana = person(app, "ana")
    hook = contacts.add_method(app, ADMIN, ana, kind="webhook", address=receiver.url("/in"), secret="s3cret")
    contacts.add_rule(app, ADMIN, ana, method_id=hook["id"])
    inc = declare(app, service_with(app, "web", policy(app, "p", [[{"kind": "user", "id": ana}]])))
    run_ticks(app)
    (got,) = receiver.wait_for(1)
    assert got.path == "/in"
    assert valid_signature("s3cret", got)
    assert not valid_signature("other", got)
    doc = got.json()
    assert doc["event"] == "page" and doc["incident"]["id"] == inc and doc["level"] == 1
    assert doc["recipient"] == {"user_id": ana}
    assert doc["idempotency_key"] == got.headers["x-warroom-idempotency-key"]


def test_slack_and_teams_payload_shapes(app, clock, receiver):
    ana = person(app, "ana")
    for kind in ("slack", "teams"):
        m = contacts.add_method(app, ADMIN, ana, kind=kind, address=receiver.url(f"/{kind}"))
        contacts.add_rule(app, ADMIN, ana, method_id=m["id"])
    declare(app, service_with(app, "web", policy(app, "p", [[{"kind": "user", "id": ana}]])))
    run_ticks(app)
    got = {r.path: r.json() for r in receiver.wait_for(2)}
    slack, teams = got["/slack"], got["/teams"]
    assert slack["text"].startswith("[P1] INC-") and slack["blocks"][0]["type"] == "section"
    assert teams["@type"] == "MessageCard" and teams["@context"] == "https://schema.org/extensions"
    assert teams["title"] == slack["text"] and teams["themeColor"] == "D00000"
    assert teams["potentialAction"][0]["targets"][0]["uri"].endswith("/incidents/1")


def test_failures_back_off_then_dead_letter_then_retry(app, clock, receiver):
    app.notifications.retry = Retry(base_seconds=10, cap_seconds=600, max_attempts=3, lease_seconds=60)
    receiver.status = 503
    ana = person(app, "ana")
    hook = contacts.add_method(app, ADMIN, ana, kind="webhook", address=receiver.url(), secret="k")
    contacts.add_rule(app, ADMIN, ana, method_id=hook["id"])
    inc = declare(app, service_with(app, "web", policy(app, "p", [[{"kind": "user", "id": ana}]], timeout=60)))
    (nid,) = [n["id"] for n in notify_queries.list_(app, incident_id=inc)]
    run_ticks(app)
    first = notify_queries.get(app, nid)
    assert first["state"] == "pending" and first["attempts"] == 1 and "HTTP 503" in first["last_error"]
    assert (first["next_attempt_at"] - clock.now()).total_seconds() == 10
    clock.advance(seconds=9)
    run_ticks(app)
    assert notify_queries.get(app, nid)["attempts"] == 1  # still backing off
    clock.advance(seconds=1)
    run_ticks(app)
    assert (notify_queries.get(app, nid)["next_attempt_at"] - clock.now()).total_seconds() == 20  # doubled
    clock.advance(seconds=20)
    run_ticks(app)
    dead = notify_queries.get(app, nid)
    assert dead["state"] == "dead" and dead["next_attempt_at"] is None
    assert [(a["attempt"], a["ok"]) for a in dead["attempt_log"]] == [(1, False), (2, False), (3, False)]
    assert [n["id"] for n in notify_queries.list_(app, state="dead")] == [nid]
    clock.advance(hours=1)
    run_ticks(app)
    assert len(receiver.got) == 3  # parked: nothing more is sent
    with pytest.raises(Conflict):
        outbox.retry(app, _delivered_one(app))
    receiver.status = 200
    assert outbox.retry(app, nid)["state"] == "pending"
    run_ticks(app)
    done = notify_queries.get(app, nid)
    assert done["state"] == "delivered" and done["attempt_log"][-1]["ok"] is True
    keys = {r.headers["x-warroom-idempotency-key"] for r in receiver.got}
    assert len(keys) == 1  # every attempt carried the same idempotency key


def _delivered_one(app) -> int:
    """A delivered notification (retrying it is refused)."""
    from warroom.incidents import service as incidents

    ok = Receiver()
    try:
        bo = person(app, "bo")
        m = contacts.add_method(app, ADMIN, bo, kind="webhook", address=ok.url())
        contacts.add_rule(app, ADMIN, bo, method_id=m["id"])
        sid = service_with(app, "other", policy(app, "p2", [[{"kind": "user", "id": bo}]]))
        inc = incidents.declare(app, ADMIN, title="x", impact=Impact.MINOR, urgency=Urgency.LOW, service_ids=[sid]).id
        run_ticks(app)
        (row,) = notify_queries.list_(app, incident_id=inc)
        assert row["state"] == "delivered"
        return row["id"]
    finally:
        ok.close()


def test_apprise_url_channel_posts_to_loopback(db_url, clock, receiver):
    with app_with(db_url, clock, apprise_schemes="json") as app:  # json:// only when an admin allows it
        ana = person(app, "ana")
        port = receiver.server.server_port
        m = contacts.add_method(app, ADMIN, ana, kind="apprise", address=f"json://127.0.0.1:{port}/apprise")
        contacts.add_rule(app, ADMIN, ana, method_id=m["id"])
        declare(app, service_with(app, "web", policy(app, "p", [[{"kind": "user", "id": ana}]])))
        run_ticks(app)
        (got,) = receiver.wait_for(1)
        doc = got.json()
        assert got.path == "/apprise" and doc["title"].startswith("[P1] INC-") and "Acknowledge" in doc["message"]
        with pytest.raises(Exception, match="address"):
            contacts.add_method(app, ADMIN, ana, kind="apprise", address="not a url")
