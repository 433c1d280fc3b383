"""`make test`'s dependency audit: pip-audit against a lock file, tolerant of having no network.

Exit 1 when the advisory database names a vulnerability in a locked version; exit 0 with a warning when the
database cannot be reached (no network, a proxy that does not pass it, every lookup answered "not found"), so
CI without the internet does not fail for that; any other pip-audit failure (a broken lock file) is passed on.

    python tools/audit_deps.py requirements-dev.lock [--pip-audit PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

NETWORK = ("ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout", "NameResolutionError", "Max retries",
           "SSLError", "ProxyError", "Temporary failure in name resolution", "Network is unreachable",
           "Could not connect", "ServiceError", "HTTPError", "Too Many Requests")  # the service failing: no finding


def classify(returncode: int, report: dict | None, stderr: str) -> tuple[int, list[str]]:
    """(exit code, lines to print) for one pip-audit run."""
    if report is None:
        if any(marker in stderr for marker in NETWORK):
            last = stderr.strip().splitlines()[-1:] or [""]
            return 0, [f"pip-audit: WARNING: the advisory database could not be reached; not audited ({last[0][:200]})"]
        return (returncode or 1), ["pip-audit failed:", stderr.strip()[-2000:]]
    deps = report.get("dependencies", [])
    found = [(d, v) for d in deps for v in d.get("vulns") or []]
    if found:
        lines = [f"pip-audit: {len(found)} known vulnerabilit{'y' if len(found) == 1 else 'ies'}:"]
        lines += [f"  {d['name']} {d.get('version', '?')}: {v.get('id')} (fixed in "
                  f"{', '.join(v.get('fix_versions') or []) or 'no release yet'})" for d, v in found]
        return 1, lines
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    if deps and audited == 0:
        return 0, [f"pip-audit: WARNING: the advisory database answered for none of the {len(deps)} locked "
                   f"packages ({skipped[0]['skip_reason'][:120]}); not audited"]
    if returncode != 0:
        return returncode, ["pip-audit failed:", stderr.strip()[-2000:]]
    note = f", {len(skipped)} not found there" if skipped else ""
    return 0, [f"pip-audit: no known vulnerabilities in {audited} locked packages{note}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("--pip-audit", default=str(Path(sys.executable).with_name("pip-audit")))
    parser.add_argument("--timeout", default="15")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [args.pip_audit, "--requirement", str(args.lock), "--disable-pip", "--require-hashes", "--format",
               "json", "--output", str(out), "--progress-spinner", "off", "--timeout", args.timeout]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            print("pip-audit: WARNING: no answer from the advisory database in 10 minutes; not audited")
            return 0
        report = None
        if out.exists() and out.stat().st_size:
            try:
                report = json.loads(out.read_text())
            except ValueError:
                report = None
    code, lines = classify(done.returncode, report, done.stderr)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
