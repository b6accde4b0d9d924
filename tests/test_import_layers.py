"""The apps import in layers: `clinic` is the ground floor, and no module imports itself back.

Read from the source with `ast` (nothing is imported), counting imports inside functions too:
a late import hides a circle from Python but not from a reader.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("clinic", "intake", "scheduling", "visits", "interop")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _app_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }


def _imported(node: ast.AST, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    """Yield the app modules that one import statement brings in."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            package = module if is_package else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{node.module}" if node.module else package
        else:
            base = node.module or ""
        for alias in node.names:
            # `from scheduling import booking` imports the module scheduling.booking.
            candidate = f"{base}.{alias.name}"
            yield candidate if candidate in known else base


def import_graph() -> dict[str, set[str]]:
    """Return, for every app module outside migrations, the app modules it imports."""
    modules = _app_modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[module] = {
            target
            for node in ast.walk(tree)
            for target in _imported(node, module, is_package, known)
            if target in known and target != module
        }
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one path round each circle found by a depth-first search."""
    found: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_the_graph_sees_the_apps_modules_and_their_imports():
    graph = import_graph()
    assert "scheduling.planning" in graph["scheduling.booking"]
    assert "clinic.admin_kit" in graph["intake.admin"]
    assert "intake.admin.flags" in graph["intake.admin"]


def test_clinic_imports_nothing_from_intake_or_scheduling():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if module.split(".")[0] == "clinic"
        for target in targets
        if target.split(".")[0] in ("intake", "scheduling")
    )
    assert upward == []


def test_visits_sits_on_top_and_nothing_below_imports_it():
    graph = import_graph()
    assert "scheduling.workflow" in graph["visits.records"]
    assert "intake.flags" in graph["visits.records"]
    downward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.split(".")[0] in ("clinic", "intake", "scheduling")
        for target in targets
        if target.split(".")[0] == "visits"
    )
    assert downward == []


def test_nothing_imports_the_fhir_interface():
    """`interop` reads clinic, intake and scheduling; none of them may depend on it."""
    inward = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if module.split(".")[0] != "interop"
        for target in targets
        if target.split(".")[0] == "interop"
    )
    assert inward == []


def test_no_module_imports_itself_back_through_others():
    assert _circles(import_graph()) == []


def test_the_circle_search_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_app_module_outside_migrations_is_over_500_lines():
    # DESIGN.md's guideline (the house-reshaping issue): a module past ~500 lines is split.
    long = {
        name: lines
        for name, path in _app_modules().items()
        if (lines := len(path.read_text().splitlines())) > 500
    }
    assert long == {}
