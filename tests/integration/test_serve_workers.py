"""`warroom serve --workers N` (web/processes.py, docs/deploy.md): on PostgreSQL, N processes on one socket, each
serving on its own, alerts through all of them grouped into one incident, the background worker running once,
a killed child replaced, SIGTERM stopping them all; on SQLite, refused with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.alerts_support import free_port, http_up, incidents, integration, pd_event, wait_until
from tests.helpers import stop_process
from warroom.alerts import queries
from warroom.incidents import service as incidents_service


@pytest.fixture
def pg_app(request, tmp_path):  # noqa: ANN001, ANN201
    from tests.conftest import make_db_url
    from warroom.bootstrap import build_app
    from warroom.platform.settings import Settings

    url = make_db_url("postgres", request, tmp_path)
    app = build_app(Settings(database_url=url))
    yield app
    app.close()


def _servers(parent: int) -> list[int]:
    """The supervisor's server children."""
    found = []
    for task in Path(f"/proc/{parent}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                if b"--supervised-by" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(int(pid))
            except FileNotFoundError:
                continue
    return sorted(found)


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@contextmanager
def _serve(url: str, log: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    env = dict(os.environ, WARROOM_DATABASE_URL=url, WARROOM_LOG_JSON="1")
    env.pop("WARROOM_EMBEDDED_WORKER", None)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "warroom.cli.main", "serve", "--host", "127.0.0.1", "--port",
                                 str(port), "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_up(base) or proc.poll() is not None, timeout=60)
        assert proc.poll() is None, log.read_text()
        yield base, proc
    finally:
        stop_process(proc)


def _post(base: str, key: str, prefix: str, n: int) -> set[int]:
    """n new alerts of one outage, each on a new connection."""
    statuses = set()
    for i in range(n):
        with httpx.Client(base_url=base, timeout=30) as c:
            statuses.add(c.post("/v2/enqueue", json=pd_event(key, dedup=f"{prefix}-{i}", group="checkout"))
                         .status_code)
    return statuses


def _answering(base: str, key: str, prefix: str, pids: list[int], n: int = 24) -> set[int]:
    """Which of `pids` hold the server end of n new connections, each kept open after one alert is answered."""
    port = int(base.rsplit(":", 1)[1])
    with ExitStack() as stack:
        for i in range(n):
            c = stack.enter_context(httpx.Client(base_url=base, timeout=30))
            assert c.post("/v2/enqueue", json=pd_event(key, dedup=f"{prefix}-{i}", group="checkout")).status_code == 202
        inodes = set()
        for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            f = row.split()
            if int(f[1].split(":")[1], 16) == port and f[3] == "01":  # our port's end, ESTABLISHED
                inodes.add(f"socket:[{f[9]}]")
        owners = set()
        for pid in pids:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with suppress(OSError):
                    if os.readlink(fd) in inodes:
                        owners.add(pid)
        return owners


@pytest.mark.postgres
@pytest.mark.slow
def test_two_processes_serve_one_outage_and_stop_together(pg_app, tmp_path):
    _, key = integration(pg_app)
    log = tmp_path / "serve.log"
    with _serve(pg_app.settings.database_url, log, workers=2) as (base, proc):
        before = wait_until(lambda: len(_servers(proc.pid)) == 2 and _servers(proc.pid), timeout=60)
        assert _answering(base, key, "a", before) == set(before), "each process takes connections"

        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        after = wait_until(lambda: (s := _servers(proc.pid)) and len(s) == 2 and victim not in s and s, timeout=60)
        assert _post(base, key, "b", 10) == {202}, "nothing is sent to the dead process's socket"
        wait_until(lambda: len(_answering(base, key, f"c{time.monotonic()}", after)) == 2, timeout=60)

        [inc] = incidents(pg_app)
        rows, total = queries.list_alerts(pg_app, limit=500)
        assert {r["incident_id"] for r in rows} == {inc.id}
        attached = [e for e in incidents_service.timeline(pg_app, inc.id) if e.kind == "alerts.attached"]
        assert sum(e.data["count"] for e in attached) == total >= 58, "each alert attached once, by one process"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    assert all(_gone(pid) for pid in after)
    text = log.read_text()
    assert text.count("embedded worker started") == 1, "one background worker, in the supervisor, not per child"
    assert any("server process exited" in x and f'"pid":{victim}' in x for x in text.splitlines())


def test_several_processes_on_sqlite_are_refused(tmp_path):
    from warroom.cli.main import app

    done = CliRunner().invoke(app, ["serve", "--workers", "2"],
                              env={"WARROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"})
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [
        "warroom serve --workers N needs PostgreSQL: SQLite lets one process write at a time, so more processes "
        "only wait for its lock; run one (see docs/deploy.md)"]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_child_that_cannot_start_stops_the_supervisor(pg_app, tmp_path):
    """The port is held by another program (no SO_REUSEPORT): each child fails to listen; rather than restart
    them forever, the supervisor stops and exits 1."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, WARROOM_DATABASE_URL=pg_app.settings.database_url, WARROOM_LOG_JSON="1")
        done = subprocess.run([sys.executable, "-m", "warroom.cli.main", "serve", "--host", "127.0.0.1", "--port",
                               str(port), "--workers", "2"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "cannot listen on 127.0.0.1" in done.stderr
    assert "a server process could not start; stopping" in done.stderr
