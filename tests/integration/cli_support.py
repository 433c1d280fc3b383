"""Run the real `warroom` binary, and a real `warroom serve` (uvicorn) on a free loopback port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.helpers import stop_process

WARROOM = str(Path(sys.executable).with_name("warroom"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(db_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DATABASE_URL=f"sqlite:///{db_path}", WARROOM_EMBEDDED_WORKER="0", COLUMNS="200",
               WARROOM_CONFIG=str(db_path.parent / "no-such-cli.toml"), **extra)
    return env


def run(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WARROOM, *args], env=env, capture_output=True, text=True, timeout=timeout)


def invoke(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same commands in-process (Typer's runner): no Python start-up per call. `run` is the real binary."""
    from typer.testing import CliRunner

    from warroom.cli.main import app

    r = CliRunner().invoke(app, list(args), env=env)
    return subprocess.CompletedProcess(list(args), r.exit_code, r.stdout, r.stderr)


def setup_db(env: dict[str, str], *setup_args: str) -> str:
    """`warroom db upgrade` + `warroom setup`; returns the first admin's API token."""
    up = run(env, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    out = run(env, "setup", *setup_args)
    assert out.returncode == 0, out.stderr
    m = re.search(r"API token:\s+(wr_\S+)", out.stdout)
    assert m, out.stdout
    return m.group(1)


@contextmanager
def served(env: dict[str, str]) -> Iterator[str]:
    """A real server process; yields its URL and stops it afterwards."""
    port = free_port()
    log = open(Path(env["WARROOM_DATABASE_URL"].removeprefix("sqlite:///")).with_suffix(".serve.log"), "w")  # noqa: SIM115
    proc = subprocess.Popen([WARROOM, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to ~30 s on a loaded machine
            if proc.poll() is not None:
                raise RuntimeError(f"warroom serve exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("warroom serve did not become ready")
        yield url
    finally:
        stop_process(proc, timeout=10)
        log.close()
