"""What bench/ingest.py measures: a fresh database, warroom started as a user starts it (`warroom serve`), and the
reference app (bench/reference_app.py); each on a free port of 127.0.0.1, each killed if the benchmark dies."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_ADMIN = os.environ.get("WARROOM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin():  # noqa: ANN202 - a SQLAlchemy engine, imported lazily
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")


def new_database(db: str, tmp: Path, name: str = "bench") -> str:
    """The URL of a new empty database: a file under `tmp` (SQLite) or a uniquely named PostgreSQL database
    (`drop` removes it)."""
    if db == "sqlite":
        return f"sqlite:///{tmp / f'{name}-{uuid.uuid4().hex[:6]}.db'}"
    from sqlalchemy import text

    pg_name = f"warroom_{name}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{pg_name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{pg_name}"


def prepare(db: str, tmp: Path, name: str = "bench") -> tuple[str, dict[str, str], str]:
    """A fresh migrated database with an admin token and one integration per scenario."""
    from warroom.alerts import service
    from warroom.auth import service as auth
    from warroom.auth.permissions import Principal, UserRole
    from warroom.bootstrap import build_app
    from warroom.platform.schema import upgrade
    from warroom.platform.settings import Settings

    url = new_database(db, tmp, name)
    try:
        upgrade(url)
        app = build_app(Settings(database_url=url))
        user = auth.create_user(app, username="bench", role=UserRole.ADMIN, password="bench-password-1")
        token = auth.create_token(app, user["id"], "bench")[0]
        p = Principal(user["id"], "bench", UserRole.ADMIN)
        keys = {}
        for name, kind in (("A", "pagerduty"), ("B", "pagerduty"), ("AM", "alertmanager"), ("C", "pagerduty")):
            keys[name] = service.create_integration(app, p, name=f"bench-{name}", kind=kind,
                                                    config={"rate_limit": 1_000_000})[1]
        app.close()
    except BaseException:
        drop(url)
        raise
    return url, keys, token


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        from sqlalchemy import text

        admin = _admin()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends it SIGTERM when the benchmark process dies, however."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _start(name: str, cmd: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    server = Server(name, proc, port, log)
    deadline = time.monotonic() + 90  # imports alone take seconds on a loaded 2-core machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} before answering:\n{server.tail()}")
        try:
            c = HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer /healthz within 90 s:\n{server.tail()}")


def warroom_command() -> list[str]:
    beside = Path(sys.executable).with_name("warroom")
    found = str(beside) if beside.exists() else shutil.which("warroom")
    if not found:
        raise SystemExit("the `warroom` command is not installed (make install)")
    return [found]


def start_warroom(url: str, port: int, tmp: Path, *, workers: int = 1, embedded_worker: bool = True,
                  checkout: Path | None = None, settings: dict[str, str] | None = None) -> Server:
    """`warroom serve` with its defaults, as the README tells users to run it; only the port (and, when asked,
    --workers / --no-worker, and `settings` such as where the mail relay is) differ. WARROOM_* settings of the
    calling shell are not passed on.

    `checkout`: serve the code of another checkout of warroom (e.g. a `git worktree` of an older commit) with
    this one's virtualenv (its `src/` goes first on PYTHONPATH), to compare two commits in the same run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env["WARROOM_DATABASE_URL"] = url
    env.update(settings or {})
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout.resolve() / "src")
    cmd = [*warroom_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers != 1:
        cmd += ["--workers", str(workers)]
    if not embedded_worker:
        cmd.append("--no-worker")
    return _start("baseline" if checkout else "warroom", cmd, env, port, tmp / f"warroom-{port}.log")


def start_reference(port: int, tmp: Path) -> Server:
    """bench/reference_app.py: uvicorn, uvloop, httptools, one worker."""
    cmd = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "reference_app:app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--loop", "uvloop", "--http", "httptools", "--no-access-log",
           "--no-proxy-headers", "--log-level", "warning"]
    return _start("reference", cmd, dict(os.environ), port, tmp / f"reference-{port}.log")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a server process and its children (uvicorn workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        children = []
    for p in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total
