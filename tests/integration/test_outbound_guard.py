"""Issue 11.1: contact methods cannot reach internal addresses (checked when created and, for real, on the
address each connection goes to), Apprise is limited to allowed schemes without method/header/template
parameters, and a failed delivery records a status, never the receiver's answer or the address."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Users
from tests.notify_support import ADMIN, Receiver, app_with, declare, person, policy, run_ticks, service_with
from warroom.errors import Invalid
from warroom.notifications import contacts
from warroom.notifications import queries as notify_queries
from warroom.notifications.outbox import Retry
from warroom.platform import logs
from warroom.platform.app import App
from warroom.web.app import create_app

INTERNAL = ["http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hook",
            "http://[::1]:8080/hook", "http://0x7f000001/", "http://127.1/", "http://[::ffff:127.0.0.1]/",
            "http://[fd00:ec2::254]/", "http://192.168.1.10/", "http://0.0.0.0:80/", "http://224.0.0.1/",
            "https://metadata.google.internal/computeMetadata/v1/", "http://localhost:8080/"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@contextmanager
def api_of(app: App) -> Iterator[tuple[TestClient, Users]]:
    users = Users(app)
    with TestClient(create_app(app, background=False)) as client:
        yield client, users


def page_one(app: App, user_id: int, address: str, kind: str = "webhook") -> int:
    """A method of `user_id` at `address` (written as the server itself, past the creation check), a rule
    for it, and an incident that pages them; returns the notification id."""
    from warroom.notifications import store as st

    with app.db.transaction() as tx:
        mid = st.insert_method(tx.conn, user_id=user_id, kind=kind, address=address, secret="", label="",
                               created_at=app.clock.now())
    contacts.add_rule(app, ADMIN, user_id, method_id=mid)
    inc = declare(app, service_with(app, f"svc{mid}", policy(app, f"p{mid}", [[{"kind": "user", "id": user_id}]])))
    (row,) = [n for n in notify_queries.list_(app, incident_id=inc) if n["method_id"] == mid]
    return row["id"]


@pytest.mark.parametrize("address", INTERNAL)
def test_a_responder_cannot_point_a_webhook_inside(db_url, clock, address):
    with app_with(db_url, clock, outbound_allow="") as app, api_of(app) as (api, users):
        rid = users.ids["responder"]
        for kind in ("webhook", "slack", "teams"):
            r = api.post(f"/api/v1/users/{rid}/contact-methods", headers=users.headers("responder"),
                         json={"kind": kind, "address": address})
            assert r.status_code == 422, r.text
            (err,) = r.json()["errors"]
            assert err["field"] == "address" and ("not allowed" in err["problem"] or "metadata" in err["problem"]
                                                  or "loopback" in err["problem"]), err
        assert contacts.contacts_of(app, rid)["methods"] == []  # nothing written


def test_the_allow_list_lets_an_admin_name_an_internal_destination(db_url, clock):
    with app_with(db_url, clock, outbound_allow="10.0.0.0/8, hooks.internal:8443") as app:
        ana = person(app, "ana")
        contacts.add_method(app, ADMIN, ana, kind="webhook", address="http://10.1.2.3/hook")
        contacts.add_method(app, ADMIN, ana, kind="webhook", address="https://hooks.internal:8443/x")
        with pytest.raises(Invalid, match="address"):
            contacts.add_method(app, ADMIN, ana, kind="webhook", address="http://192.168.0.1/hook")
        with pytest.raises(Invalid, match="scheme|http"):
            contacts.add_method(app, ADMIN, ana, kind="webhook", address="file:///etc/passwd")


def test_internal_destinations_are_refused_when_connecting(db_url, clock, receiver):
    """Rows that got past the creation check (written directly, or created before the settings changed) are
    refused by the connection itself; nothing reaches the receiver and the error says why."""
    with app_with(db_url, clock, outbound_allow="") as app:
        ana = person(app, "ana")
        ids = [page_one(app, ana, receiver.url("/literal")),
               page_one(app, ana, f"http://[::1]:{receiver.server.server_port}/v6"),
               page_one(app, ana, "http://169.254.169.254/latest/meta-data/")]
        run_ticks(app)
        for nid in ids:
            n = notify_queries.get(app, nid)
            assert n["state"] == "pending" and n["last_error"].startswith("DestinationRefused: "), n["last_error"]
        assert "loopback address 127.0.0.1" in notify_queries.get(app, ids[0])["last_error"]
        assert "cloud metadata" in notify_queries.get(app, ids[2])["last_error"]
        assert receiver.got == []


def test_a_name_that_resolves_to_loopback_is_refused_when_connecting(db_url, clock, receiver, monkeypatch):
    real = socket.getaddrinfo

    def fake_dns(host, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202 - a public-looking name, an internal answer
        return real("127.0.0.1" if host == "hooks.example.com" else host, *a, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    url = f"http://hooks.example.com:{receiver.server.server_port}/rebound"
    with app_with(db_url, clock, outbound_allow="") as app:
        ana = person(app, "ana")
        contacts.add_method(app, ADMIN, ana, kind="webhook", address=url)  # a name: fine when created
        nid = page_one(app, ana, url)
        run_ticks(app)
        err = notify_queries.get(app, nid)["last_error"]
        assert err.startswith("DestinationRefused: hooks.example.com resolves to a loopback address,"), err
        assert "127.0.0.1" not in err, "an internal name's address is not shown to everyone who reads notifications"
        assert receiver.got == []
    with app_with(db_url, clock, outbound_allow="127.0.0.1") as app:  # the same name, allowed: it arrives
        clock.advance(seconds=30)  # past the backoff
        run_ticks(app)
        assert notify_queries.get(app, nid)["state"] == "delivered" and receiver.wait_for(1)[0].path == "/rebound"


def test_a_redirect_to_a_forbidden_address_is_not_followed(db_url, clock):
    target, hop = Receiver(), Receiver(status=302)
    hop.location = target.url("/stolen")
    try:
        # only the redirecting server is allowed, not the one it points to
        with app_with(db_url, clock, outbound_allow=f"127.0.0.1:{hop.server.server_port}",
                      apprise_schemes="json") as app:
            ana = person(app, "ana")
            hook = page_one(app, ana, hop.url("/hook"))
            via_apprise = page_one(app, ana, f"json://127.0.0.1:{hop.server.server_port}/apprise", kind="apprise")
            run_ticks(app)
            assert notify_queries.get(app, hook)["last_error"] == "DeliveryFailed: HTTP 302"  # webhooks never follow
            # Apprise (requests) follows; the next hop is checked
            err = notify_queries.get(app, via_apprise)["last_error"]
            assert err.startswith("DestinationRefused: loopback address 127.0.0.1 is not allowed"), err
            paths = [g.path for g in hop.got]
            assert "/hook" in paths and "/apprise" in paths and target.got == [], paths
    finally:
        target.close()
        hop.close()


REFUSED_APPRISE = [
    "json://example.com/?method=GET&+Metadata-Flavor=Google",  # any method and headers, default schemes
    "irc://warroom@irc.example.com/#ops",  # raw TCP
    "mailto://user:pass@example.com",
    "rsyslog://example.com",
    "workflow://example.com:443/workflow/sig?template=file:///etc/passwd",  # a local file posted anywhere
    "slack://T1/B1/secret?template=file:///etc/passwd",  # an allowed scheme, a refused parameter
    "slack://T1/B1/secret?Template=http://169.254.169.254/",
    "slack://T1/B1/secret json://example.com/",  # two URLs in one
    "tgram://123456789:token/42?attach=file:///etc/passwd",
    "slack://[::1",  # not even a URL
    "ntfys://localhost/alerts",  # a loopback name in an allowed scheme
    "ntfys://metadata.google.internal/alerts",
]


@pytest.mark.parametrize("address", REFUSED_APPRISE)
def test_apprise_urls_are_limited(db_url, clock, address):
    with app_with(db_url, clock, outbound_allow="") as app, api_of(app) as (api, users):
        r = api.post(f"/api/v1/users/{users.ids['responder']}/contact-methods", headers=users.headers("responder"),
                     json={"kind": "apprise", "address": address})
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["address"], r.text


def test_apprise_parameters_are_refused_even_for_allowed_schemes(db_url, clock):
    with app_with(db_url, clock, outbound_allow="", apprise_schemes="json,workflow,slack") as app:
        ana = person(app, "ana")
        for address in ("json://example.com/?method=GET", "json://example.com/?+Metadata-Flavor=Google",
                        "json://example.com/?-User-Agent", "json://example.com/?:message=x",
                        "json://example.com/?%2BX-Header=1",
                        "workflow://example.com:443/workflow/sig?template=file:///etc/passwd"):
            with pytest.raises(Invalid, match="not allowed"):
                contacts.add_method(app, ADMIN, ana, kind="apprise", address=address)
        with pytest.raises(Invalid, match="loopback"):  # a literal internal host, in an allowed scheme
            contacts.add_method(app, ADMIN, ana, kind="apprise", address="json://127.0.0.1:9/x")
        ok = contacts.add_method(app, ADMIN, ana, kind="apprise", address="slack://T1/B1/secret?footer=no")
        assert ok["id"]
        # a row that got past creation (or from before a settings change) is refused when sent
        nid = page_one(app, ana, "json://example.com/?method=GET&+Metadata-Flavor=Google", kind="apprise")
        run_ticks(app)
        assert "DeliveryFailed: the parameter 'method' is not allowed" in notify_queries.get(app, nid)["last_error"]


def test_a_failed_delivery_keeps_the_status_not_the_answer_or_the_url(db_url, clock, caplog):
    answer = b"SECRET-ANSWER from the metadata service: token=abc123"
    r = Receiver(status=500, answer=answer)
    try:
        with app_with(db_url, clock) as app:  # tests allow 127.0.0.1 by default
            app.notifications.retry = Retry(base_seconds=1, max_attempts=1)
            ana = person(app, "ana")
            url = r.url("/hooks/T000/B000/XXXXSECRETXXXX")
            contacts.add_rule(app, ADMIN, ana, method_id=contacts.add_method(app, ADMIN, ana, kind="slack",
                                                                             address=url)["id"])
            inc = declare(app, service_with(app, "web", policy(app, "p", [[{"kind": "user", "id": ana}]])))
            logs.quiet_libraries()  # as `warroom serve` and `warroom worker` do (logs.setup)
            with caplog.at_level(logging.DEBUG, logger="warroom"), caplog.at_level(logging.INFO):
                run_ticks(app)
            (n,) = notify_queries.list_(app, incident_id=inc)
            full = notify_queries.get(app, n["id"])
            assert full["state"] == "dead" and full["last_error"] == "DeliveryFailed: HTTP 500"
            assert full["attempt_log"][0]["error"] == "DeliveryFailed: HTTP 500"
            assert any(rec.getMessage() == "notification dead" for rec in caplog.records)
            assert "SECRET" not in caplog.text and "/hooks/" not in caplog.text
            assert all("SECRET" not in str(rec.__dict__) for rec in caplog.records)
    finally:
        r.close()


def test_apprise_failures_log_neither_the_address_nor_the_answer(db_url, clock, caplog):
    """Apprise plugins log their own failures: ntfy names the topic (the secret of an ntfy.sh topic) and quotes
    the receiver's JSON `error`. The server log must show neither."""
    r = Receiver(status=500, answer=b'{"error": "SECRET-ANSWER from inside", "code": 50001}')
    try:
        with app_with(db_url, clock, apprise_schemes="ntfy") as app:  # tests allow 127.0.0.1 by default
            app.notifications.retry = Retry(base_seconds=1, max_attempts=1)
            ana = person(app, "ana")
            nid = page_one(app, ana, r.url("/SECRETTOPIC").replace("http://", "ntfy://"), kind="apprise")
            logs.quiet_libraries()  # as `warroom serve` and `warroom worker` do (logs.setup)
            with caplog.at_level(logging.INFO):
                run_ticks(app)
            assert notify_queries.get(app, nid)["last_error"].startswith("DeliveryFailed")
            assert r.got, "the receiver was reached"
            assert "SECRET" not in caplog.text, caplog.text
    finally:
        r.close()


def test_connection_errors_keep_the_class_and_reason_only(db_url, clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    with app_with(db_url, clock) as app:
        ana = person(app, "ana")
        nid = page_one(app, ana, f"http://127.0.0.1:{port}/secret-path")
        run_ticks(app)
        err = notify_queries.get(app, nid)["last_error"]
        assert err == "ConnectError: Connection refused", err


def test_upgrade_scrubs_answers_and_addresses_from_recorded_errors(app, clock):
    """Migration 0011: errors recorded before this change (`HTTP 503 from <URL>: <answer>`) are rewritten."""
    from alembic import command
    from sqlalchemy import text

    from warroom.platform.schema import alembic_config, upgrade

    ana = person(app, "ana")
    nid = page_one(app, ana, "https://hooks.slack.com/services/T0/B0/SECRET")
    old = "RuntimeError: HTTP 503 from https://hooks.slack.com/services/T0/B0/SECRET: <html>internal answer"
    with app.db.engine.begin() as c:  # what a version before 0011 stored
        c.execute(text("UPDATE notifications SET state = 'dead', last_error = :e WHERE id = :id"),
                  {"e": old, "id": nid})
        c.execute(text("INSERT INTO notification_attempts (notification_id, attempt, worker, started_at, "
                       "finished_at, ok, error) VALUES (:id, 1, 'w', :t, :t, false, :e), (:id, 2, 'w', :t, :t, "
                       "false, :e2)"),
                  {"id": nid, "t": clock.now(), "e": old,
                   "e2": "ConnectError: [Errno -2] Name or service not known for https://x/SECRET"})
    url = app.settings.database_url
    command.stamp(alembic_config(url), "0010_attempts_finished_index")  # pretend 0011 has not run yet
    try:
        upgrade(url, "0011_scrub_delivery_errors")
    finally:
        command.stamp(alembic_config(url), "heads")
    n = notify_queries.get(app, nid)
    assert n["last_error"] == "DeliveryFailed: HTTP 503"
    assert [a["error"] for a in n["attempt_log"]] == ["DeliveryFailed: HTTP 503", "ConnectError"]
