"""The reference docs stay true to the code (issue 12.8): docs/settings.md has a row for every WARROOM_* variable
the code reads and none for a variable nothing reads; the README's layout section names every package and
top-level module under src/warroom."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "warroom"
VAR = re.compile(r"WARROOM_[A-Z0-9_]+")


def _vars_in(paths: list[Path]) -> set[str]:
    found = {v for p in paths for v in VAR.findall(p.read_text(encoding="utf-8"))}
    return {v for v in found if not v.endswith("_")}  # a prefix in prose: WARROOM_SMTP_*


def _code(*folders: str) -> list[Path]:
    return [p for f in folders for p in sorted((ROOT / f).rglob("*")) if p.suffix in {".py", ".html", ".ini"}]


def _settings_rows() -> set[str]:
    rows = [line for line in (ROOT / "docs" / "settings.md").read_text().splitlines() if line.startswith("| `")]
    return {m.group(1) for line in rows if (m := re.match(r"\| `(WARROOM_[A-Z0-9_]+)`", line))}


def test_settings_reference_has_a_row_for_every_variable_src_reads() -> None:
    missing = _vars_in(_code("src")) - _settings_rows()
    assert not missing, f"docs/settings.md has no row for {sorted(missing)}"


def test_settings_reference_lists_only_variables_something_reads() -> None:
    stale = _settings_rows() - _vars_in(_code("src", "tests", "bench"))
    assert not stale, f"docs/settings.md lists {sorted(stale)}, which nothing in src, tests or bench reads"


def _layout() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    return section.split("src/warroom/", 1)[1].split("\ntests/", 1)[0]


def test_readme_layout_names_every_package_and_top_level_module() -> None:
    layout = _layout()
    names = [p.name + "/" for p in SRC.iterdir() if (p / "__init__.py").exists() or p.name == "migrations"]
    names += [p.name for p in SRC.glob("*.py") if p.name != "__init__.py"]
    missing = [n for n in sorted(names) if not re.search(rf"(^|\s){re.escape(n)}", layout, re.M)]
    assert not missing, f"README.md's layout section does not name {missing}"
