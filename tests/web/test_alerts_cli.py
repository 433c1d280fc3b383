"""`warroom integration ...` and `warroom alert ...` against a live server on loopback."""

from __future__ import annotations

import json
import re

import httpx
from typer.testing import CliRunner

from tests.alerts_support import LiveServer, pd_event
from warroom.alerts.writer import stop_writer
from warroom.cli.main import app as cli


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_integration_and_alert_commands(app, users, monkeypatch, tmp_path):
    monkeypatch.setenv("WARROOM_TOKEN", users.tokens["admin"])
    with LiveServer(app) as live:
        monkeypatch.setenv("WARROOM_URL", live.url)
        (tmp_path / "cfg.json").write_text(json.dumps({"group_by": ["cluster"], "auto_resolve": True}))
        out = run("integration", "create", "prom-pd", "--kind", "pagerduty", "--config", f"@{tmp_path / 'cfg.json'}")
        key = re.search(r"key: ([0-9a-f]{32})", out).group(1)
        assert "prom-pd" in run("integration", "list")
        assert key not in run("integration", "list")
        assert "not JSON" in run("integration", "create", "x", "--kind", "generic", "--config", "{", code=1)
        r = httpx.post(f"{live.url}/v2/enqueue", json=pd_event(key, dedup="disk", summary="disk full on db1"))
        assert r.status_code == 202
        deploy = {"routing_key": key, "payload": {"summary": "Deploy db-proxy 5.1", "source": "ci"}}
        assert httpx.post(f"{live.url}/v2/change/enqueue", json=deploy).status_code == 202
        assert "Deploy db-proxy 5.1" in run("change", "list")
        assert json.loads(run("change", "list", "--json"))[0]["source"] == "ci"
        listing = run("alert", "list")
        assert "disk full on db1" in listing and "1 of 1" in listing
        alert_id = json.loads(run("alert", "list", "--json"))["items"][0]["id"]
        assert "dedup_key       disk" in run("alert", "show", str(alert_id))
        assert "acknowledged" in run("alert", "ack", str(alert_id))
        assert "resolved" in run("alert", "resolve", str(alert_id))
        assert "1 of 1" in run("alert", "list", "--status", "resolved")
        assert "already resolved" in run("alert", "resolve", str(alert_id), code=1)
        am = run("integration", "create", "prom-am", "--kind", "alertmanager")
        webhook = re.search(r"  webhook: (\S+)", am).group(1)  # printed ready to paste, key included
        assert webhook.startswith(live.url) and "<key>" not in webhook
        post = {"version": "4", "groupKey": "g", "status": "firing", "alerts": [
            {"status": "firing", "labels": {"alertname": "Up"}, "annotations": {}, "fingerprint": "f1"}]}
        assert httpx.post(webhook, json=post).status_code == 202
        assert "in maintenance until" in run("integration", "maintenance", "1", "--minutes", "60")
        assert "give one of" in run("integration", "maintenance", "1", "--minutes", "5", "--end", code=1)
        assert "maintenance ended" in run("integration", "maintenance", "1", "--end")
        log = run("integration", "history", "1")
        assert "maintenance ended" in log and "maintenance started" in log and "created" in log
        rotated = run("integration", "rotate-key", "1")
        assert key not in rotated
        assert "updated" in run("integration", "edit", "1", "--disable")
    stop_writer(app)
