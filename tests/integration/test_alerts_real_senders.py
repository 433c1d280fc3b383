"""Real senders: the Debian `prometheus-alertmanager` binary and the `pdpyras` PagerDuty client, pointed at
a live warroom on loopback. Alertmanager must open the incident and later resolve it."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.alerts_support import LiveServer, alerts, free_port, incidents, integration, wait_until
from warroom.alerts.writer import stop_writer

AM_BIN = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"

AM_CONFIG = """
global:
  resolve_timeout: 5m
route:
  receiver: warroom
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: warroom
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


@pytest.fixture
def live(app):
    with LiveServer(app) as server:
        yield server
    stop_writer(app)


@pytest.mark.slow
@pytest.mark.skipif(not Path(AM_BIN).exists(), reason="prometheus-alertmanager is not installed (apt-get install "
                                                      "prometheus-alertmanager)")
def test_real_alertmanager_opens_then_resolves_the_incident(app, live, tmp_path):
    integ, key = integration(app, "alertmanager")
    (tmp_path / "am.yml").write_text(AM_CONFIG.format(url=f"{live.url}/api/v1/integrations/{key}/alertmanager"))
    port = free_port()
    proc = subprocess.Popen([AM_BIN, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                             "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        am = f"http://127.0.0.1:{port}"
        wait_until(lambda: _ready(am), timeout=20)
        started = datetime.now(UTC) - timedelta(seconds=60)
        firing = [{"labels": {"alertname": "CheckoutErrors", "instance": f"web{i}", "severity": "critical"},
                   "annotations": {"summary": f"5xx on web{i}"}, "startsAt": started.isoformat()} for i in range(3)]
        assert httpx.post(f"{am}/api/v2/alerts", json=firing, timeout=5).status_code == 200
        [inc] = wait_until(lambda: incidents(app), timeout=20)
        wait_until(lambda: len(alerts(app, incident_id=inc.id)) == 3, timeout=20)
        assert inc.status == "identified" and inc.identified_via == "monitoring"
        ended = [dict(a, endsAt=(datetime.now(UTC) - timedelta(seconds=1)).isoformat()) for a in firing]
        assert httpx.post(f"{am}/api/v2/alerts", json=ended, timeout=5).status_code == 200
        wait_until(lambda: incidents(app)[0].status == "resolved", timeout=30)
        assert {a["status"] for a in alerts(app)} == {"resolved"}
        assert len(incidents(app)) == 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ready(am: str) -> bool:
    try:
        return httpx.get(f"{am}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_pdpyras_client_triggers_acknowledges_and_resolves(app, live):
    import pdpyras

    integ, key = integration(app)
    session = pdpyras.EventsAPISession(key)
    session.url = live.url
    dedup = session.trigger("payments API 5xx", "api-gw-1", severity="critical",
                            custom_details={"region": "eu-west"})
    assert dedup
    [row] = alerts(app)
    assert row["dedup_key"] == dedup and row["severity"] == "critical" and row["labels"]["region"] == "eu-west"
    session.acknowledge(dedup)
    assert alerts(app)[0]["status"] == "acknowledged"
    session.resolve(dedup)
    assert alerts(app)[0]["status"] == "resolved"
    [inc] = incidents(app)
    assert inc.status == "resolved"
    with pytest.raises(pdpyras.PDClientError):
        bad = pdpyras.EventsAPISession("f" * 32)
        bad.url = live.url
        bad.trigger("x", "y")
