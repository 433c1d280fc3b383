"""Where the server's microseconds go: py-spy samples the running warroom server during a scenario.

bench/ingest.py --profile DIR calls `record` on its warroom server during one extra, unmeasured run of each
scenario, writes DIR/ingest-<db>-<scenario>.txt (collapsed stacks: one line per stack and its sample count, which
flamegraph.pl and speedscope read) and prints the top functions by own time. To print them again:

    .venv/bin/python bench/profile_ingest.py var/profile/ingest-sqlite-B.txt [--top 40]

py-spy samples from outside the process (no instrumentation in the server, so the profile shows the server as it
runs); it needs ptrace rights (root, or CAP_SYS_PTRACE) and `.venv/bin/pip install py-spy`.

Only the thread holding the interpreter lock is sampled (`--gil`): one server process is bound by that lock, so
the shares are of the interpreter's time, whichever thread (event loop, alert writers, embedded worker) spends it.
Time in C with the lock released (the database's fsync, waiting for PostgreSQL) is not in it; C code that keeps
the lock (uvloop, httptools, orjson, the drivers) counts for the Python function that called it: uvloop's own
work shows as `Runner.run (asyncio/runners.py)`. For C frames, run py-spy by hand with `--native` (which pauses
the process at every sample)."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*?)(?::\d+)?\)$")
_TRIM = re.compile(r"^.*?/(?:site-packages|src|lib/python3\.\d+)/")


def py_spy() -> str:
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


def record(pid: int, seconds: int, out: Path, *, subprocesses: bool = False) -> subprocess.Popen:
    """Start sampling `pid` for `seconds` into `out` (collapsed stacks); the caller drives the load, then waits."""
    cmd = [py_spy(), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200", "--format", "raw",
           "--nonblocking", "--gil", "--output", str(out)]
    if subprocesses:
        cmd.append("--subprocesses")
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def _name(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    return f"{m['func']} ({_TRIM.sub('', m['file'])})"


def top(collapsed: Path, n: int = 25) -> str:
    """The `n` functions with most own samples (the leaf of the stack), with their inclusive share."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        k = int(count)
        samples += k
        frames = [_name(f) for f in stack.split(";")]
        own[frames[-1]] += k
        for f in set(frames):
            total[f] += k
    if not samples:
        return f"{collapsed}: no samples"
    lines = [f"{collapsed}: {samples} samples; top {n} functions by own time", "  own %  incl %  function"]
    for name, k in own.most_common(n):
        lines.append(f"  {100 * k / samples:5.1f}  {100 * total[name] / samples:6.1f}  {name}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path, help="collapsed-stack files written by bench/ingest.py --profile")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    for f in args.files:
        print(top(f, args.top))


if __name__ == "__main__":
    main()
