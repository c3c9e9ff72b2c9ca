"""The import rules, read from the source with ``ast`` (top-level and function-level imports).

Packages import one way, from the command line down to core data::

    __main__ → cli → symnn (the facade) → gallery, training → output → perceptron → calculus
        → codegen → engine → spec → layers → rules, printing → core → numerics

A package may import only packages below it; packages on one level (gallery and training, rules
and printing) do not import each other. Two adjustments to the direction in ARCHITECTURE.md, both
from a need the code has: the facade ``symnn/__init__.py`` sits between ``cli`` and the rest
(the command line reads ``__version__`` from it, and it imports every public name, so it must be
above all the packages it re-exports), and ``numerics`` is the ground (saved generated code imports
it, so it imports no other symnn module). Modules import in no circle, not even through an import
inside a function, and every module imports on its own in a fresh interpreter.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symnn"
LEVELS = [
    ["numerics"],
    ["core"],
    ["rules", "printing"],
    ["layers"],
    ["spec"],
    ["engine"],
    ["codegen"],
    ["calculus"],
    ["perceptron"],
    ["output"],
    ["gallery", "training"],
    ["symnn"],
    ["cli"],
    ["__main__"],
]
RANK = {package: rank for rank, level in enumerate(LEVELS) for package in level}
# Imports that break the direction today and are on their way out, each with where it goes. The
# test fails once an entry is no longer needed, so the list cannot outlive its reason.
PENDING = {}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "symnn"


def imports(module: str) -> dict[str, int]:
    """The symnn modules ``module`` imports anywhere in its code, with the first line of each."""
    found: dict[str, int] = {}
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}:{node.lineno}: relative import"
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.append(full if full in MODULES else node.module)
        for name in names:
            if name.split(".")[0] == "symnn" and name != module:
                found.setdefault(name, node.lineno)
    return found


GRAPH = {module: imports(module) for module in MODULES}


def test_every_imported_symnn_module_exists():
    missing = [f"{m} imports {t}" for m, ts in GRAPH.items() for t in ts if t not in MODULES]
    assert not missing


def test_every_package_has_a_level():
    assert {package_of(m) for m in MODULES} <= set(RANK)


def test_packages_import_only_packages_below_them():
    wrong = []
    for module, targets in GRAPH.items():
        for target, line in targets.items():
            low, high = package_of(target), package_of(module)
            if low != high and RANK[low] >= RANK[high] and (module, target) not in PENDING:
                wrong.append(f"{module}:{line} imports {target} ({high} → {low})")
    assert not wrong, "imports against the direction:\n" + "\n".join(wrong)


def test_pending_exceptions_are_still_needed():
    stale = [pair for pair in sorted(PENDING) if pair[1] not in GRAPH.get(pair[0], {})]
    assert not stale, f"remove from PENDING: {stale}"


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycles_finds_a_circle():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_no_module_imports_in_a_circle():
    graph = {m: {t: line for t, line in ts.items() if t in MODULES} for m, ts in GRAPH.items()}
    assert cycles(graph) == []


# Each module is imported first, with every symnn module forgotten before it (SymPy and NumPy stay
# loaded, so one interpreter does them all), and must be reachable as symnn.<package>.<module>:
# nothing in a package's __init__ may shadow a module of the same name.
_IMPORT_EACH = """
import importlib, json, operator, sys
failures = []
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "symnn" or m.startswith("symnn.")]:
        del sys.modules[loaded]
    try:
        module = importlib.import_module(name)
        import symnn
        if name != "symnn" and operator.attrgetter(name[len("symnn."):])(symnn) is not module:
            failures.append(f"{name}: symnn.{name[len('symnn.'):]} is not the module")
    except Exception as error:
        failures.append(f"{name}: {type(error).__name__}: {error}")
print(json.dumps(failures))
"""


def test_every_module_imports_on_its_own():
    names = [m for m in MODULES if not m.endswith("__main__")]
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
