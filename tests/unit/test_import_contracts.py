"""tools/import_contracts.py (issue 12.7): the `stdlib_only` contract that keeps the pure modules pure refuses a
third-party import and an import of a module outside its list, and accepts the standard library and the list."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import grimp
import pytest
from tools.import_contracts import StdlibOnlyContract


def graph_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> grimp.ImportGraph:
    pkg = tmp_path / "purepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    return grimp.build_graph("purepkg", include_external_packages=True, exclude_type_checking_imports=True,
                             cache_dir=None)


def contract(**options: object) -> StdlibOnlyContract:
    return StdlibOnlyContract(name="pure", session_options={}, contract_options=options)


FILES = {
    "a": "import json\nfrom datetime import datetime\nfrom purepkg import b\n",
    "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from purepkg import io\n",
    "io": "import sqlalchemy\nfrom purepkg import a\n",
    "uses_io": "from purepkg.io import a\n",
}


def test_the_standard_library_and_each_other_are_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = graph_of(tmp_path, monkeypatch, FILES)
    check = contract(modules=["purepkg.a", "purepkg.b"]).check(graph, verbose=False)
    assert check.kept, check.metadata


def test_a_third_party_import_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = graph_of(tmp_path, monkeypatch, FILES)
    check = contract(modules=["purepkg.a", "purepkg.b", "purepkg.io"]).check(graph, verbose=False)
    assert not check.kept
    assert check.metadata["broken"] == [{"importer": "purepkg.io", "imported": "sqlalchemy", "lines": [1]}]


def test_a_module_outside_the_list_is_refused_unless_also_allowed(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    graph = graph_of(tmp_path, monkeypatch, FILES)
    check = contract(modules=["purepkg.uses_io"]).check(graph, verbose=False)
    assert [b["imported"] for b in check.metadata["broken"]] == ["purepkg.io"]
    assert contract(modules=["purepkg.uses_io"], also_allowed=["purepkg.io"]).check(graph, verbose=False).kept


def test_a_misspelt_module_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = graph_of(tmp_path, monkeypatch, FILES)
    with pytest.raises(ValueError, match="purepkg.nope"):
        contract(modules=["purepkg.nope"]).check(graph, verbose=False)


def test_the_pure_modules_are_the_strictly_typed_ones() -> None:
    """pyproject.toml lists the pure modules twice: the `pure` import contract and mypy's strict override."""
    config = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    pure = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "pure")["modules"]
    strict = next(o for o in config["tool"]["mypy"]["overrides"] if o.get("warn_return_any"))["module"]
    assert sorted(pure) == sorted(strict)
