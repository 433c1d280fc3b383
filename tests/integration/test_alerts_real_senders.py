"""Real senders: the Debian `prometheus-alertmanager` binary (as a webhook sender and as a PagerDuty sender with
`pagerduty_configs`), the `pagerduty` PagerDuty client and its predecessor `pdpyras`, pointed at a live warroom
on loopback. Alertmanager must open the incident and later resolve it."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.alerts_support import LiveServer, alerts, free_port, incidents, integration, wait_until
from tests.conftest import IN_CI
from tests.helpers import self_signed_cert
from warroom.alerts import changes
from warroom.alerts import queries as alert_queries
from warroom.alerts.writer import stop_writer
from warroom.catalog import service as catalog
from warroom.incidents import service as incidents_service

AM_BIN = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"

AM_ROUTE = """
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
"""
AM_CONFIG = AM_ROUTE + """    webhook_configs:
      - url: {url}
        send_resolved: true
"""
AM_PAGERDUTY = AM_ROUTE + """    pagerduty_configs:
      - routing_key: {key}
        url: {url}
        send_resolved: true
"""


@pytest.fixture
def live(app):
    with LiveServer(app) as server:
        yield server
    stop_writer(app)


# Skips only outside CI: with CI=true a missing binary fails the test (.ci/run installs it).
NEEDS_AM = pytest.mark.skipif(not Path(AM_BIN).exists() and not IN_CI,
                              reason="prometheus-alertmanager is not installed (apt-get install it)")


@contextmanager
def alertmanager(tmp_path: Path, config: str) -> Iterator[str]:
    """The real Alertmanager on a free loopback port with `config`; yields its URL."""
    (tmp_path / "am.yml").write_text(config)
    port = free_port()
    proc = subprocess.Popen([AM_BIN, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                             "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        am = f"http://127.0.0.1:{port}"
        wait_until(lambda: _ready(am), timeout=20)
        yield am
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _fire_then_end(app, am: str, n: int, attached: int) -> None:  # noqa: ANN001
    """Push n firing alerts of one group into Alertmanager; once warroom has one incident with `attached` alerts,
    end them, and wait until warroom has resolved it."""
    started = datetime.now(UTC) - timedelta(seconds=60)
    firing = [{"labels": {"alertname": "CheckoutErrors", "instance": f"web{i}", "severity": "critical"},
               "annotations": {"summary": f"5xx on web{i}"}, "startsAt": started.isoformat()} for i in range(n)]
    assert httpx.post(f"{am}/api/v2/alerts", json=firing, timeout=5).status_code == 200
    [inc] = wait_until(lambda: incidents(app), timeout=20)
    wait_until(lambda: len(alerts(app, incident_id=inc.id)) == attached, timeout=20)
    assert inc.status == "identified" and inc.identified_via == "monitoring"
    ended = [dict(a, endsAt=(datetime.now(UTC) - timedelta(seconds=1)).isoformat()) for a in firing]
    assert httpx.post(f"{am}/api/v2/alerts", json=ended, timeout=5).status_code == 200
    wait_until(lambda: incidents(app)[0].status == "resolved", timeout=30)
    assert {a["status"] for a in alerts(app)} == {"resolved"}
    assert len(incidents(app)) == 1


@pytest.mark.slow
@NEEDS_AM
def test_real_alertmanager_opens_then_resolves_the_incident(app, live, tmp_path):
    integ, key = integration(app, "alertmanager")
    with alertmanager(tmp_path, AM_CONFIG.format(url=f"{live.url}/api/v1/integrations/{key}/alertmanager")) as am:
        _fire_then_end(app, am, 3, attached=3)  # one warroom alert per Alertmanager alert (fingerprint)


@pytest.mark.slow
@NEEDS_AM
def test_real_alertmanager_as_a_pagerduty_sender(app, live, tmp_path):
    """`pagerduty_configs` with `url`: Alertmanager speaks Events API v2 to warroom as it would to PagerDuty,
    one event per alert group (dedup key: the group), trigger and then resolve."""
    integ, key = integration(app, "pagerduty")
    with alertmanager(tmp_path, AM_PAGERDUTY.format(key=key, url=f"{live.url}/v2/enqueue")) as am:
        _fire_then_end(app, am, 3, attached=1)  # one PagerDuty event per Alertmanager group
    [row] = alerts(app)
    assert row["severity"] == "error" and "CheckoutErrors" in row["summary"]  # Alertmanager's default severity
    assert "routing_key" not in alert_queries.get_alert(app, row["id"])["payload"]


@pytest.mark.slow
@NEEDS_AM
@pytest.mark.parametrize("staged", [False, True], ids=["together", "checkout-later"])
def test_real_alertmanager_group_over_two_services_is_one_incident_with_both(app, live, tmp_path, staged):
    """The route groups by `alertname`: a database outage that takes checkout down (same alertname, labels
    service=db and service=checkout) is one Alertmanager group, so one incident that both services join,
    whether both alerts come in one post or checkout's in a later one."""
    db, checkout = (catalog.create_service(app, name=n)["id"] for n in ("db", "checkout"))
    integ, key = integration(app, "alertmanager", major={"priorities": [], "min_services": 0, "tier1_down": False})
    with alertmanager(tmp_path, AM_CONFIG.format(url=f"{live.url}/api/v1/integrations/{key}/alertmanager")) as am:
        started = (datetime.now(UTC) - timedelta(seconds=60)).isoformat()
        firing = [{"labels": {"alertname": "HighErrorRate", "service": svc, "instance": inst, "severity": "critical"},
                   "annotations": {"summary": f"5xx on {svc}"}, "startsAt": started}
                  for svc, inst in (("db", "pg-1"), ("checkout", "web-1"))]
        if staged:
            assert httpx.post(f"{am}/api/v2/alerts", json=firing[:1], timeout=5).status_code == 200
            [inc] = wait_until(lambda: incidents(app), timeout=20)
            assert list(inc.service_ids) == [db]
        assert httpx.post(f"{am}/api/v2/alerts", json=firing, timeout=5).status_code == 200  # checkout joins
        wait_until(lambda: len(alerts(app)) == 2, timeout=20)
        time.sleep(1.5)  # one more group_interval: any further post would have arrived
    [inc] = incidents(app)
    assert sorted(inc.service_ids) == sorted([db, checkout])
    assert {(a["service_id"], a["incident_id"]) for a in alerts(app)} == {(db, inc.id), (checkout, inc.id)}
    added = [e.data["changes"]["service_ids"] for e in incidents_service.timeline(app, inc.id)
             if e.kind == "fields.changed" and "service_ids" in e.data["changes"]]
    assert len(added) <= 1 and all(a["new"] == sorted([db, checkout]) for a in added)  # each joins once


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
    changes_session = pdpyras.ChangeEventsAPISession(key)
    changes_session.url = live.url
    assert changes_session.submit("Deploy api-gw 3.2", source="jenkins", custom_details={"build": 77})
    [kept] = changes.recent_changes(app)
    assert kept["summary"] == "Deploy api-gw 3.2" and len(incidents(app)) == 1
    with pytest.raises(pdpyras.PDClientError):
        bad = pdpyras.EventsAPISession("f" * 32)
        bad.url = live.url
        bad.trigger("x", "y")


def test_pagerduty_client_triggers_acknowledges_and_resolves(app, tmp_path):
    """The maintained `pagerduty` client (pdpyras's successor). It accepts only an https events URL, so warroom is
    served with TLS here (a self-signed certificate the client is told to trust), as it would be behind any real
    deployment's TLS."""
    import ssl

    import pagerduty

    cert, key_file = self_signed_cert(tmp_path)
    trust = ssl.create_default_context(cafile=str(cert))
    integ, key = integration(app)
    with LiveServer(app, tls=(cert, key_file)) as live:
        client = pagerduty.EventsApiV2Client(key, base_url=live.url, verify=trust)
        dedup = client.trigger("checkout latency", "lb-2", severity="warning", custom_details={"p99_ms": 2300},
                               links=[{"href": "https://grafana.example/d/lb", "text": "LB dashboard"}])
        [row] = alerts(app)
        assert row["dedup_key"] == dedup and row["severity"] == "warning" and row["labels"]["p99_ms"] == "2300"
        links = alert_queries.get_alert(app, row["id"])["payload"]["links"]
        assert links == [{"href": "https://grafana.example/d/lb", "text": "LB dashboard"}]
        client.acknowledge(dedup)
        assert alerts(app)[0]["status"] == "acknowledged"
        client.resolve(dedup)
        assert alerts(app)[0]["status"] == "resolved" and incidents(app)[0].status == "resolved"
        client.send_change_event(payload={"summary": "Deploy lb config 118", "source": "argo-cd"},
                                 links=[{"href": "https://argo.example/app/lb", "text": "Argo"}])
        assert [c["summary"] for c in changes.recent_changes(app)] == ["Deploy lb config 118"]
        bad = pagerduty.EventsApiV2Client("f" * 32, base_url=live.url, verify=trust)
        with pytest.raises(pagerduty.Error):
            bad.trigger("x", "y")
    stop_writer(app)
