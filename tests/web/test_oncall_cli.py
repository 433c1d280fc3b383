"""The CLI (`warroom oncall|schedule|policy|notification|worker`) against a served app, and the embedded worker
of a served app delivering to a loopback receiver without anyone ticking it."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from tests.notify_support import Receiver
from tests.web.pages_support import serve
from warroom.cli.main import app as cli
from warroom.notifications import outbox
from warroom.notifications import queries as notify_queries


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def eventually(read, timeout: float = 15.0):  # noqa: ANN001, ANN201
    """Poll `read` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while not (got := read()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_end_to_end_with_the_embedded_worker(app, users, tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("WARROOM_TOKEN", users.tokens["admin"])
    with serve(app) as base:
        monkeypatch.setenv("WARROOM_URL", base)
        admin, rui = users.ids["admin"], users.ids["responder"]
        (tmp_path / "s.json").write_text(json.dumps({"name": "primary", "time_zone": "Europe/Berlin", "layers": [
            {"name": "days", "user_ids": [admin, rui], "start": "2026-01-05T09:00", "shift": "daily"}]}))
        assert "primary" in run("schedule", "create", str(tmp_path / "s.json"))
        (tmp_path / "p.json").write_text(json.dumps({"name": "web", "levels": [
            {"timeout_minutes": 5, "targets": [{"kind": "schedule", "id": 1}]}]}))
        assert "web" in run("policy", "create", str(tmp_path / "p.json"))
        assert "level 1: schedule:1  (then 5 min)" in run("policy", "show", "1")
        now = json.loads(run("oncall", "now", "--json"))
        assert now[0]["user_id"] == admin
        at = json.loads(run("oncall", "at", "2026-01-06T10:00:00+01:00", "--json"))
        assert at[0]["user_id"] == rui
        run("schedule", "override", "1", "--user", str(rui), "--start", "2026-01-05T08:00:00Z",
            "--end", "2026-01-05T20:00:00Z", "--note", "swap")
        assert json.loads(run("oncall", "now", "--schedule", "1", "--json"))[0]["layer"] == "override"
        assert "override" in run("schedule", "shifts", "1", "--start", "2026-01-05T00:00:00Z")
        assert "override 1: user" in run("schedule", "show", "1")
        run("schedule", "override", "1", "--user", str(rui), "--start", "2026-01-07T08:00:00Z",
            "--end", "2026-01-07T20:00:00Z")
        assert "override 2 removed" in run("schedule", "override-remove", "1", "2")
        history = run("schedule", "history", "1")
        assert "override removed" in history and "override added" in history and "2026-01-07T08:00" in history
        # rui is paged through a signed webhook; the server's embedded worker delivers it
        from httpx import post

        h = {"Authorization": f"Bearer {users.tokens['admin']}"}
        m = json.loads(run("contact", "add", str(rui), "--kind", "webhook", "--address", receiver.url(),
                           "--secret", "k", "--json"))
        run("contact", "rule", str(rui), "--method", str(m["id"]))
        listed = run("contact", "list", str(rui))
        assert "webhook" in listed and "True" in listed
        (tmp_path / "p2.json").write_text(json.dumps({"name": "web", "repeat": 2, "levels": [
            {"timeout_minutes": 5, "targets": [{"kind": "schedule", "id": 1}]}]}))
        assert "2" in run("policy", "update", "1", str(tmp_path / "p2.json"))
        svc = post(f"{base}/api/v1/services", headers=h, json={"name": "web", "escalation_policy_id": 1}).json()
        run("incident", "declare", "site down", "--impact", "extensive", "--urgency", "critical",
            "--service", str(svc["id"]))
        (got,) = receiver.wait_for(1, timeout=15)
        assert got.json()["incident"]["title"] == "site down"
        assert eventually(lambda: notify_queries.list_(app, state="delivered")), "the delivery was not recorded"
        listed = run("notification", "list", "--state", "delivered")
        assert "webhook" in listed and "delivered" in listed
        receiver.status = 500
        app.notifications.retry = outbox.Retry(max_attempts=1)
        run("incident", "declare", "again", "--impact", "extensive", "--urgency", "critical",
            "--service", str(svc["id"]))
        receiver.wait_for(2, timeout=15)
        dead = eventually(lambda: notify_queries.list_(app, state="dead"))  # recorded right after the receiver answered
        assert dead, "the failed delivery was not parked"
        assert "HTTP 500" in run("notification", "show", str(dead[0]["id"]))
        receiver.status = 200
        assert "pending" in run("notification", "retry", str(dead[0]["id"]))
        receiver.wait_for(3, timeout=15)
        assert "P1" in run("policy", "targets")
        (tmp_path / "p3.json").write_text(json.dumps({"name": "spare", "levels": [
            {"timeout_minutes": 5, "targets": [{"kind": "schedule", "id": 1}]}]}))
        spare = json.loads(run("policy", "create", str(tmp_path / "p3.json"), "--json"))["id"]
        assert run("policy", "delete", str(spare)).strip() == f"deleted escalation policy {spare}"


def test_worker_once_runs_each_job(sqlite_url, monkeypatch):
    monkeypatch.setenv("WARROOM_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "worker running" in result.output
