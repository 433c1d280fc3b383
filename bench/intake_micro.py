"""The request side of the intake, in process: CPU per PagerDuty event (or Alertmanager post) through the fast
path (`IntakeFastPath.handle`: headers, body, JSON, key check, parsing, rate limiter, answer and its one socket
write), with the writer replaced by one that answers at once. No server, no database, no event loop: the
coroutine is driven by hand, so the figure is the Python the request side runs and little else.

    .venv/bin/python bench/intake_micro.py [--n 20000] [--repeat 7] [--am]

Prints the best of `--repeat` runs (process CPU time per event, microseconds). Compare two commits by running
this file of the newer one against each checkout alternately (`PYTHONPATH=<checkout>/src`)."""

from __future__ import annotations

import argparse
import random
import time
from types import SimpleNamespace
from typing import Any

import orjson
import uvicorn.protocols.http.httptools_impl  # noqa: F401 - the module _write_whole looks for

from warroom.alerts import service
from warroom.alerts.rules import Integration, parse_config
from warroom.alerts.runtime import AlertsRuntime
from warroom.web.intake_fast import IntakeFastPath


class _Writer:
    def depth(self) -> int:
        return 0

    async def send(self, sub: Any) -> None:
        return None


class _Transport:
    def write(self, data: bytes) -> None:
        pass


class _Cycle:
    response_started = disconnected = access_log = False
    keep_alive = True
    waiting_for_100_continue = False

    def __init__(self) -> None:
        self.default_headers = [(b"server", b"uvicorn"), (b"date", b"Sun, 29 Nov 2026 05:00:00 GMT")]
        self.flow = SimpleNamespace(write_paused=False)
        self.transport = _Transport()
        self.message_event = SimpleNamespace(set=lambda: None)
        self.on_response = lambda: None

    async def send(self, message: dict[str, Any]) -> None:
        raise AssertionError("the one-write path should answer")


_Cycle.__module__ = "uvicorn.protocols.http.httptools_impl"


def _app(kind: str) -> Any:
    alerts = AlertsRuntime(writer=_Writer())  # type: ignore[arg-type]
    integ = Integration(id=1, name="bench", kind=kind, service_id=None, config=parse_config({"rate_limit": 1_000_000}))
    alerts.keys.found[service.hash_key("k" * 32)] = (integ, float("inf"))
    return SimpleNamespace(alerts=alerts)


def _pd_bodies(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        dedup = f"dup-{random.randint(1, 1000)}"
        out.append(orjson.dumps({"routing_key": "k" * 32, "event_action": "trigger", "dedup_key": dedup, "payload": {
            "summary": f"checkout latency high on {dedup}", "source": f"web-{i % 50}", "severity": "error",
            "group": "checkout", "custom_details": {"region": "eu-west-1", "pod": f"p{i % 97}"}}}))
    return out


def _am_bodies(n: int) -> list[bytes]:
    return [orjson.dumps({"version": "4", "groupKey": f"{{}}:{{alertname=\"x{i}\"}}", "status": "firing",
                          "receiver": "warroom", "groupLabels": {"alertname": f"x{i}"}, "commonLabels": {},
                          "commonAnnotations": {}, "externalURL": "http://am", "alerts": [
                              {"status": "firing", "labels": {"alertname": f"x{i}", "instance": f"i{j}", "job": "web"},
                               "annotations": {"summary": f"down {j}"}, "startsAt": "2026-11-29T05:00:00Z",
                               "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom",
                               "fingerprint": f"{i:08x}{j:08x}"} for j in range(100)]})
            for i in range(n)]


def _run(front: IntakeFastPath, path: str, bodies: list[bytes]) -> float:
    claims = front.claims
    start = time.process_time()
    for raw in bodies:
        scope = {"type": "http", "method": "POST", "path": path,
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(raw)).encode())]}
        message = {"type": "http.request", "body": raw, "more_body": False}

        async def receive(message: dict[str, Any] = message) -> dict[str, Any]:
            return message

        coro = front.handle(claims(scope), scope, receive, _Cycle().send)
        try:
            coro.send(None)
        except StopIteration:
            pass
        else:
            raise AssertionError("the request waited")
    return (time.process_time() - start) / len(bodies) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--am", action="store_true", help="Alertmanager posts of 100 alerts instead")
    args = ap.parse_args()
    random.seed(1)
    if args.am:
        front, path, bodies = IntakeFastPath(_app("alertmanager")), f"/api/v1/integrations/{'k' * 32}/alertmanager", \
            _am_bodies(max(1, args.n // 100))
    else:
        front, path, bodies = IntakeFastPath(_app("pagerduty")), "/v2/enqueue", _pd_bodies(args.n)
    runs = [_run(front, path, bodies) for _ in range(args.repeat)]
    print(f"{'AM post' if args.am else 'PD event'}: best {min(runs):.2f} us, median {sorted(runs)[len(runs) // 2]:.2f}"
          f" us of CPU per request over {len(bodies)} ({args.repeat} runs)")


if __name__ == "__main__":
    main()
