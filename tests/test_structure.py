"""The core's shape: imports flow one way (scripts -> utils -> smmile), no module of the library
imports one that imports it back, analysis imports no presentation, and the family catalogue and
the scripts import no backend."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "inference_and_evaluation"
LIBRARY = SCRIPTS / "smmile"


def module_name(path: Path) -> str:
    parts = path.relative_to(SCRIPTS).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The library modules `path` imports, at module level or inside a function."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(n for n in names if n in known or n.split(".")[0] == "utils")
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in LIBRARY.rglob("*.py")}
    return {name: imports_of(path, set(paths)) - {name} for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_the_library_imports_one_that_imports_it_back(graph):
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_in_the_library_imports_a_script(graph):
    assert {m: sorted(i) for m, i in graph.items() if any(n.split(".")[0] == "utils" for n in i)} == {}


def test_analysis_imports_no_presentation(graph):
    offenders = {
        m: sorted(i for i in imports if i.startswith("smmile.present"))
        for m, imports in graph.items()
        if m.startswith("smmile.analysis")
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def test_the_catalogue_and_the_registry_import_no_backend(graph):
    backends = {m for m in graph if m.endswith("_backend")}
    for module in ("smmile.models.catalog", "smmile.models.registry", "smmile.models.base"):
        assert not graph[module] & backends, module
