"""The wiring is explicit: in-tree code is imported plainly (a broken import fails loudly), every module that
defines tables is in bootstrap.TABLES, and runtime state is typed (no string-keyed bags on App or Tx)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from warroom import bootstrap
from warroom.platform.app import App
from warroom.platform.db import Tx

SRC = Path(bootstrap.__file__).resolve().parent


def _modules() -> list[tuple[str, ast.Module]]:
    return [(".".join(p.relative_to(SRC.parent).with_suffix("").parts), ast.parse(p.read_text(), str(p)))
            for p in sorted(SRC.rglob("*.py"))]


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = {n.id for n in ast.walk(handler.type) if isinstance(n, ast.Name)} if handler.type else {"*"}
    return bool(names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException", "*"})


def _imports_warroom(node: ast.AST) -> bool:
    return any((isinstance(n, ast.ImportFrom) and (n.module or "").startswith("warroom"))
               or (isinstance(n, ast.Import) and any(a.name.startswith("warroom") for a in n.names))
               for n in ast.walk(node))


def test_no_in_tree_import_is_guarded_or_by_string() -> None:
    found = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(_imports_warroom(s) for s in node.body) \
                    and any(_catches_import_error(h) for h in node.handlers):
                found.append(f"{name}:{node.lineno} try: import warroom... except ImportError")
            if isinstance(node, ast.Call) and any(isinstance(a, ast.Constant) and str(a.value).startswith("warroom.")
                                                  for a in node.args) \
                    and ast.unparse(node.func) in ("__import__", "importlib.import_module", "import_module"):
                found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
    assert found == []


def test_every_module_defining_tables_is_in_bootstrap_tables() -> None:
    defining = {name for name, tree in _modules() for n in ast.walk(tree)
                if isinstance(n, ast.Call) and ast.unparse(n.func) == "Table" and len(n.args) > 1
                and ast.unparse(n.args[1]) == "metadata"}
    assert defining and defining == {m.__name__ for m in bootstrap.TABLES}


def test_runtime_state_is_typed_not_string_keyed() -> None:
    fields = {f.name for f in dataclasses.fields(App)}
    assert {"alerts", "notifications"} <= fields and "extras" not in fields
    assert not hasattr(Tx, "data") and "self.data" not in Path(SRC / "platform" / "db.py").read_text()
