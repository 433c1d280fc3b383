"""Adapters (web/, cli/) read through a domain's `queries.py` and write through its service: none imports a
store module, builds SQL (sqlalchemy's `select`, `text`, table expressions) or opens a write transaction. A page
that shows several domains may open one read (`app.db.read()`) and pass its connection to their queries. The
exceptions below are named with their reason; the list only shrinks."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "warroom"
ADAPTERS = ("web", "cli")
WRITES = {"transaction", "write"}
SQL_NAMES = {"select", "text", "insert", "update", "delete", "func", "and_", "or_", "literal_column"}

# module (relative to src/warroom) -> why it may still do so
KNOWN: dict[str, str] = {
    "web/session_store.py": "it is the web sessions' own store (tables web_sessions and login_failures)",
    "web/sessions.py": "the web sessions' service, over its own store web/session_store.py",
}


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            mod = node.module
            names = {a.name for a in node.names}
            if mod.startswith("warroom.") and (mod.endswith(".store") or mod.endswith("_store")):
                out.append(f"imports {mod}")
            elif mod.startswith("warroom.") and any(n == "store" or n.endswith("_store") for n in names):
                out.append(f"imports a store from {mod}")
            elif (mod == "sqlalchemy" or mod.startswith("sqlalchemy.sql")) and names & SQL_NAMES:
                out.append(f"builds SQL ({', '.join(sorted(names & SQL_NAMES))} from {mod})")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("warroom.") and a.name.endswith("store"):
                    out.append(f"imports {a.name}")
        elif (isinstance(node, ast.Attribute) and node.attr in WRITES and isinstance(node.value, ast.Attribute)
              and node.value.attr == "db"):
            out.append(f"opens a write transaction (.db.{node.attr})")
    return out


def test_adapters_import_no_store_and_build_no_sql() -> None:
    found = {}
    for layer in ADAPTERS:
        for path in sorted((SRC / layer).rglob("*.py")):
            rel = path.relative_to(SRC).as_posix()
            if rel not in KNOWN and (offences := _offences(path)):
                found[rel] = offences
    assert not found, "adapters must use a domain's queries.py (reads) or service (writes):\n" + "\n".join(
        f"  {m}: {'; '.join(o)}" for m, o in found.items())


def test_known_exceptions_still_exist_and_still_need_it() -> None:
    for rel in KNOWN:
        assert (SRC / rel).exists(), f"{rel} is gone: drop it from KNOWN"
        assert _offences(SRC / rel), f"{rel} no longer imports a store or builds SQL: drop it from KNOWN"
