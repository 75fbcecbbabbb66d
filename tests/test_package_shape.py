"""One home per idea (issue 23): the Pareto and bootstrap primitives are defined once in the package, and its modules'
top-level relative imports form no cycle. Read off the source with ast, not by importing."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gtalign_lite"
MODULES = {p.stem: ast.parse(p.read_text()) for p in PACKAGE.glob("*.py")}


@pytest.mark.parametrize("name", ["hypervolume", "bootstrap_ci", "pareto_points", "dominates", "fmt_interval"])
def test_defined_once(name):
    homes = [f"{p.relative_to(PACKAGE)}" for p in PACKAGE.rglob("*.py")
             for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.FunctionDef) and n.name == name]
    assert len(homes) == 1, f"{name} defined in {homes}"


def test_no_import_cycle_between_modules():
    deps = {m: {(n.module or "").split(".")[0] for n in t.body if isinstance(n, ast.ImportFrom) and n.level == 1}
            | {a.name for n in t.body if isinstance(n, ast.ImportFrom) and n.level == 1 and not n.module
               for a in n.names} for m, t in MODULES.items()}
    deps = {m: d & set(MODULES) for m, d in deps.items()}

    def reaches(start, goal, seen):
        return any(d == goal or (d not in seen and reaches(d, goal, seen | {d})) for d in deps[start])

    cycles = [m for m in deps if reaches(m, m, {m})]
    assert not cycles, f"modules on an import cycle: {cycles}"
