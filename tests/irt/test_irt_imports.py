"""The modules of ``hierlab.irt`` import each other without a cycle (at any depth).

The fit's result (``hierlab.irt.fitted``) sits below the fitting (``fit``) and the scoring
(``scoring``), so every function that takes a fit can check it without importing upwards.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hierlab.irt

PACKAGE = Path(hierlab.irt.__file__).parent


def _imports(path: Path) -> set[str]:
    """The ``hierlab.irt`` modules that a file imports, including inside functions."""
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "hierlab.irt":
                found |= {a.name for a in node.names if a.name in names}
            elif node.module.startswith("hierlab.irt."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hierlab.irt."):
                    found.add(alias.name.split(".")[2])
    return found - {path.stem}


def test_no_import_cycles_inside_the_irt_package() -> None:
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert "scoring" in graph["fit"]  # the graph is read correctly
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target] if target in path else path
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_fit_result_does_not_import_fitting_or_scoring() -> None:
    assert not _imports(PACKAGE / "fitted.py") & {"fit", "scoring"}
