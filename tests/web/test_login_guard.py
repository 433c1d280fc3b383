"""Logins cannot starve the API (issue 11.5): password checks on their own bounded pool, the failed-login slot
taken atomically (40 parallel guesses -> exactly 5 checked), and the client's address behind trusted proxies."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from ipaddress import ip_network

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts_support import LiveServer
from tests.conftest import Users
from warroom.auth import passwords
from warroom.auth.passwords import Busy, PasswordChecks
from warroom.auth.service import password_checks
from warroom.bootstrap import build_app
from warroom.platform.settings import Settings
from warroom.web import sessions
from warroom.web.app import create_app
from warroom.web.proxies import client_address, parse_networks
from warroom.web.session_store import login_failures


def _post_login(client, username: str, password: str, **kw):  # noqa: ANN001, ANN202
    client.cookies.set(sessions.LOGIN_CSRF_COOKIE, "csrf-token-1")
    return client.post("/login", data={"username": username, "password": password, "csrf": "csrf-token-1"},
                       follow_redirects=False, **kw)


def _failures(app) -> list[tuple[str, str]]:  # noqa: ANN001
    with app.db.read() as conn:
        return [tuple(r) for r in conn.execute(select(login_failures.c.username, login_failures.c.ip))]


# -- the throttle slot is taken atomically ----------------------------------------------------------------

def test_40_parallel_bad_logins_get_exactly_5_password_checks(app, users):
    checks = password_checks(app)
    with LiveServer(app) as server:
        def guess(i: int) -> int:
            with httpx.Client(base_url=server.url, timeout=30) as c:
                return _post_login(c, "rui", f"guess-{i}").status_code

        with ThreadPoolExecutor(40) as pool:
            codes = list(pool.map(guess, range(40)))
    assert sorted(codes) == [401] * sessions.MAX_FAILURES + [429] * (40 - sessions.MAX_FAILURES)
    assert checks.verified == sessions.MAX_FAILURES
    assert len(_failures(app)) == sessions.MAX_FAILURES


def test_two_server_processes_share_the_5_attempts(app, users, clock):
    other = build_app(app.settings, clock=clock)  # a second process: its own connections, the same database
    try:
        def guess(i: int) -> str:
            try:
                sessions.login(app if i % 2 else other, "rui", f"guess-{i}", "192.0.2.5")
                return "checked"
            except sessions.Throttled:
                return "throttled"

        with ThreadPoolExecutor(20) as pool:
            outcomes = list(pool.map(guess, range(40)))
        assert outcomes.count("checked") == sessions.MAX_FAILURES
        assert password_checks(app).verified + password_checks(other).verified == sessions.MAX_FAILURES
    finally:
        other.close()


def test_a_success_clears_the_attempts_and_a_refused_check_is_given_back(app, users, monkeypatch):
    for i in range(3):
        assert sessions.login(app, "rui", f"wrong-{i}", "192.0.2.1") is None
    assert len(_failures(app)) == 3
    assert sessions.login(app, "rui", "rui-password-1", "192.0.2.1") is not None
    assert _failures(app) == []

    def busy(self, stored, password):  # noqa: ANN001, ANN202
        raise Busy()

    monkeypatch.setattr(PasswordChecks, "_submit", busy)
    with pytest.raises(Busy):
        sessions.login(app, "rui", "wrong", "192.0.2.1")
    assert _failures(app) == []  # not counted against the user


# -- the bounded pool ------------------------------------------------------------------------------------

@pytest.fixture
def slow_verify(monkeypatch):
    """argon2 verifies that wait for `release` (and count how many are running)."""
    release = threading.Event()
    running: list[int] = []

    class Slow:
        def verify(self, stored: str, password: str) -> bool:
            running.append(1)
            assert release.wait(10)
            return False

    monkeypatch.setattr(passwords, "hasher", Slow())
    yield release, running
    release.set()


def test_the_pool_runs_n_checks_queues_q_and_refuses_the_next_at_once(slow_verify):
    release, running = slow_verify
    checks = PasswordChecks(threads=2, queue=1)
    try:
        with ThreadPoolExecutor(3) as callers:
            admitted = [callers.submit(checks.verify, "h", "p") for _ in range(3)]
            deadline = time.monotonic() + 5
            while len(running) < 2:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            time.sleep(0.05)
            assert len(running) == 2  # two run, one waits
            started = time.monotonic()
            with pytest.raises(Busy):
                checks.verify("h", "p")  # the fourth: refused at once, not queued
            assert time.monotonic() - started < 0.5
            release.set()
            assert [f.result(timeout=5) for f in admitted] == [False, False, False]
        assert checks.verify("h", "p") is False  # room again
        assert checks.verified == 4
    finally:
        checks.close()


def test_login_past_the_pool_gets_429_with_retry_after_and_is_not_counted(app, users, slow_verify):
    release, running = slow_verify
    app.passwords = PasswordChecks(threads=1, queue=0)
    with TestClient(create_app(app, background=False)) as api, ThreadPoolExecutor(1) as other:
        first = other.submit(app.passwords.verify, "h", "p")  # holds the only slot
        while not running:
            time.sleep(0.01)
        r = _post_login(api, "rui", "rui-password-1")
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
        assert "Too many password checks at once" in r.text
        assert _failures(app) == []
        release.set()
        first.result(timeout=5)


def test_password_pool_is_a_setting(monkeypatch):
    monkeypatch.setenv("WARROOM_PASSWORD_THREADS", "3")
    monkeypatch.setenv("WARROOM_PASSWORD_QUEUE", "5")
    s = Settings()
    assert (s.password_threads, s.password_queue) == (3, 5)


# -- trusted proxies -----------------------------------------------------------------------------------------

NETS = parse_networks("10.0.0.0/8, 192.0.2.10, fd00::/8")


@pytest.mark.parametrize(("peer", "xff", "want"), [
    ("198.51.100.1", ["6.6.6.6"], "198.51.100.1"),  # an untrusted peer: its header is ignored
    ("10.0.0.5", ["6.6.6.6, 203.0.113.7"], "203.0.113.7"),  # rightmost untrusted; the left part may be forged
    ("10.0.0.5", ["203.0.113.7, 10.9.9.9", "192.0.2.10"], "203.0.113.7"),  # a chain of trusted proxies
    ("10.0.0.5", ["10.1.1.1, 10.2.2.2"], "10.1.1.1"),  # only proxies: the farthest
    ("10.0.0.5", ["203.0.113.7, not-an-ip"], "10.0.0.5"),  # garbage ends the walk at the last good hop
    ("10.0.0.5", [" 2001:db8::1 "], "2001:db8::1"),
    ("fd00::1", ["203.0.113.8"], "203.0.113.8"),
    ("10.0.0.5", [], "10.0.0.5"),
])
def test_client_address(peer, xff, want):
    assert client_address(peer, xff, NETS) == want


def test_no_trusted_proxies_means_the_peer_and_a_bad_entry_stops_startup():
    assert client_address("10.0.0.5", ["6.6.6.6"], ()) == "10.0.0.5"
    assert parse_networks(" 10.0.0.0/8 ;::1 ") == (ip_network("10.0.0.0/8"), ip_network("::1"))
    with pytest.raises(ValueError, match="WARROOM_TRUSTED_PROXIES: 'proxy.local'"):
        parse_networks("10.0.0.0/8, proxy.local")


def test_the_throttle_keys_on_the_client_behind_a_trusted_proxy_only(db_url, clock):
    wr = build_app(Settings(database_url=db_url, trusted_proxies="10.0.0.0/8"), clock=clock)
    Users(wr)
    try:
        asgi = create_app(wr, background=False)
        with TestClient(asgi, client=("10.1.2.3", 5555)) as via_proxy, \
                TestClient(asgi, client=("198.51.100.1", 5555)) as direct:
            xff = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}
            for _ in range(sessions.MAX_FAILURES):
                assert _post_login(via_proxy, "rui", "wrong-password", headers=xff).status_code == 401
            assert _post_login(via_proxy, "rui", "wrong-password", headers=xff).status_code == 429
            # another client behind the same proxy is not locked out by the first one's failures
            other = {"X-Forwarded-For": "203.0.113.99"}
            assert _post_login(via_proxy, "rui", "rui-password-1", headers=other).status_code == 303
            # a direct visitor cannot pick its address with the header
            assert _post_login(direct, "rui", "wrong-password", headers=xff).status_code == 401
        assert sorted(set(_failures(wr))) == [("rui", "198.51.100.1"), ("rui", "203.0.113.7")]
    finally:
        wr.close()


def test_a_password_change_past_the_pool_is_429_with_retry_after(app, users, api, slow_verify):
    release, running = slow_verify
    app.passwords = PasswordChecks(threads=1, queue=0)
    with ThreadPoolExecutor(1) as other:
        first = other.submit(app.passwords.verify, "h", "p")
        while not running:
            time.sleep(0.01)
        r = api.post("/api/v1/me/password", headers=users.headers("responder"),
                     json={"current_password": "rui-password-1", "new_password": "a-new-password-2"})
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
        release.set()
        first.result(timeout=5)


def test_guessing_the_current_password_shares_the_five_attempts_of_logins(app, users, api):
    """A stolen session or token must not be a way to guess its user's password at leisure: wrong current
    passwords on a password change count like failed logins (same username and address), then 429."""
    h = users.headers("responder")
    for i in range(5):
        r = api.post("/api/v1/me/password", headers=h,
                     json={"current_password": f"guess-{i}-xx", "new_password": "a-new-password-2"})
        assert r.status_code == 422 and "current_password" in r.text, r.text
    r = api.post("/api/v1/me/password", headers=h,
                 json={"current_password": "rui-password-1", "new_password": "a-new-password-2"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 60, r.text
    assert _post_login(api, "rui", "rui-password-1").status_code == 429  # the login shares them
    assert len(_failures(app)) == 5


def test_a_right_current_password_or_a_bad_new_one_is_not_a_failure(app, users, api):
    h = users.headers("responder")
    for _ in range(6):
        r = api.post("/api/v1/me/password", headers=h,
                     json={"current_password": "rui-password-1", "new_password": "short"})
        assert r.status_code == 422 and "new_password" in r.text, r.text
    assert _failures(app) == []
    r = api.post("/api/v1/me/password", headers=h,
                 json={"current_password": "rui-password-1", "new_password": "a-new-password-2"})
    assert r.status_code == 200 and _failures(app) == []
