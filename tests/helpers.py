"""Assertions and small fixtures' helpers shared by tests."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from warroom.incidents import store as st
from warroom.incidents.projection import fold
from warroom.platform.app import App


def assert_replay_matches(app: App, incident_id: int) -> None:
    """Replaying an incident's events must give exactly the stored snapshot."""
    with app.db.read() as conn:
        stored = st.load(conn, incident_id)
        events = st.events_of(conn, incident_id)
    assert stored is not None
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "timeline seqs must be gapless"
    assert fold(incident_id, events) == stored


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 (openssl, two days), for TLS on loopback: (cert.pem, key.pem)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    return directory / "cert.pem", directory / "key.pem"


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """`asyncio.run` in a thread of its own: the thread running the tests may already have a running loop
    (Playwright's sync API keeps one for the whole session in the worker that runs the browser tests)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
