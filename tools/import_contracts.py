"""Contract types for import-linter (`make typecheck` runs `lint-imports`; the contracts are in pyproject.toml).

import-linter can forbid named modules, but "imports nothing outside the standard library and each other" is an
allow-list: a new third-party package or a new warroom module must be refused without anyone adding it to a list.
"""

from __future__ import annotations

import sys
from typing import Any

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules


class StdlibOnlyContract(Contract):
    """The `modules` import only the standard library and each other (`also_allowed` widens the second set).

    Needs `include_external_packages = true` at the top of the configuration, so that imports of other
    distributions are in the graph (as their top-level names).
    """

    type_name = "stdlib_only"

    modules = fields.ListField(subfield=fields.ModuleExpressionField())
    also_allowed = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        own = {m.name for m in module_expressions_to_modules(graph, self.modules)}
        extra = {m.name for m in module_expressions_to_modules(graph, self.also_allowed or [])}
        missing = sorted(name for name in own if name not in graph.modules)
        if missing:
            raise ValueError(f"stdlib_only: no such module: {', '.join(missing)}")
        allowed = own | extra
        broken: list[dict[str, Any]] = []
        for importer in sorted(own):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported in allowed or imported.split(".")[0] in sys.stdlib_module_names:
                    continue
                lines = sorted(d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported))
                broken.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(f"{item['importer']} imports {item['imported']} ({lines})", bold=False)
        output.new_line()
