"""tools/audit_deps.py (issue 11.10): pip-audit against the lock fails on a known advisory, and only warns when
the advisory database cannot be reached. Runs the real script with a stand-in pip-audit for each case."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "audit_deps.py"


def fake_pip_audit(tmp_path: Path, *, report: dict | None, code: int, stderr: str = "") -> Path:
    """An executable that behaves like pip-audit: writes `report` to --output, prints `stderr`, exits `code`."""
    script = tmp_path / "pip-audit"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, sys
        args = sys.argv[1:]
        assert "--require-hashes" in args and "--disable-pip" in args and "--requirement" in args
        report = {report!r}
        if report is not None:
            open(args[args.index("--output") + 1], "w").write(json.dumps(report))
        sys.stderr.write({stderr!r})
        sys.exit({code})
        """))
    script.chmod(0o755)
    return script


def run(tmp_path: Path, **fake) -> subprocess.CompletedProcess:  # noqa: ANN003
    lock = tmp_path / "requirements.lock"
    lock.write_text("jinja2==3.1.2 --hash=sha256:00\n")
    return subprocess.run([sys.executable, str(TOOL), str(lock), "--pip-audit", str(fake_pip_audit(tmp_path, **fake))],
                          capture_output=True, text=True, timeout=60)


VULN = {"dependencies": [
    {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h75v-3vvj-5mfj", "fix_versions": ["3.1.4"]}]},
    {"name": "orjson", "version": "3.10.0", "vulns": []}]}


def test_a_known_advisory_fails_the_audit(tmp_path) -> None:
    r = run(tmp_path, report=VULN, code=1)
    assert r.returncode == 1
    assert "jinja2 3.1.2: GHSA-h75v-3vvj-5mfj (fixed in 3.1.4)" in r.stdout


def test_a_clean_audit_passes(tmp_path) -> None:
    clean = {"dependencies": [{"name": "jinja2", "version": "3.1.6", "vulns": []},
                              {"name": "local-thing", "skip_reason": "Dependency not found on PyPI"}]}
    r = run(tmp_path, report=clean, code=0)
    assert r.returncode == 0 and "no known vulnerabilities in 1 locked packages, 1 not found there" in r.stdout


@pytest.mark.parametrize("stderr", [
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded "
    "(Caused by NameResolutionError(...))\n",
    "pip_audit._service.interface.ConnectionError: Could not connect to PyPI's vulnerability feed\n",
    "pip_audit._service.interface.ServiceError: 503 Server Error: Service Unavailable\n",
])
def test_an_unreachable_advisory_database_only_warns(tmp_path, stderr) -> None:
    r = run(tmp_path, report=None, code=1, stderr=stderr)
    assert r.returncode == 0 and "WARNING: the advisory database could not be reached" in r.stdout


def test_every_lookup_not_found_means_not_audited_and_only_warns(tmp_path) -> None:
    none = {"dependencies": [{"name": n, "skip_reason": f"Dependency not found on PyPI: {n}"} for n in ("a", "b")]}
    r = run(tmp_path, report=none, code=0)
    assert r.returncode == 0 and "answered for none of the 2 locked packages" in r.stdout


def test_other_failures_are_passed_on(tmp_path) -> None:
    r = run(tmp_path, report=None, code=1, stderr="ERROR: requirement jinja2 has no hash\n")
    assert r.returncode == 1 and "no hash" in r.stdout


def test_the_locks_pin_every_dependency_with_hashes() -> None:
    for name in ("requirements.lock", "requirements-dev.lock"):
        pins = [line for line in (ROOT / name).read_text().splitlines() if line and line[0].isalnum()]
        assert pins and all("==" in p and p.endswith("\\") for p in pins), name  # `name==version \` + hashes
    runtime = (ROOT / "requirements.lock").read_text()
    assert "pytest==" not in runtime and "ruff==" not in runtime, "make run installs no test tools"
    dev = (ROOT / "requirements-dev.lock").read_text()
    assert "pytest==" in dev and "pip-audit==" in dev
    shared = {p.split(" ")[0] for p in runtime.splitlines() if "==" in p}
    assert shared <= {p.split(" ")[0] for p in dev.splitlines() if "==" in p}, "the dev lock keeps the runtime pins"


def test_the_locks_cover_every_dependency_in_pyproject() -> None:
    """A dependency added to pyproject.toml without `make lock` would be missing from `make run`/CI installs."""
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(reqs: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}

    def pinned(lock: str) -> set[str]:
        return {line.split("==")[0].lower() for line in (ROOT / lock).read_text().splitlines() if "==" in line
                and line[0].isalnum()}

    missing = names(project["dependencies"]) - pinned("requirements.lock")
    assert not missing, f"run `make lock`: requirements.lock misses {sorted(missing)}"
    missing = names(project["dependencies"] + project["optional-dependencies"]["dev"]) - pinned("requirements-dev.lock")
    assert not missing, f"run `make lock`: requirements-dev.lock misses {sorted(missing)}"
