"""The house shows its stages: no import circle between the package's modules, and data flows down.

Every import counts, at the top of a module or inside a function (a lazy import still ties two modules together).
"""

from __future__ import annotations

import ast
from pathlib import Path

import bordereau

PACKAGE = Path(bordereau.__file__).resolve().parent
STAGES = ("read", "check", "price", "reference", "export", "audit", "ledger", "render", "web")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (`from a import b` counts as importing a.b when b is a module)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
        edges = set()
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return circles


def test_no_import_circle():
    assert _circles(_imports(_modules())) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_each_stage_is_a_folder_saying_what_it_holds():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        assert init.is_file(), stage
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{stage}/__init__.py has no docstring"


def _stage(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def test_renderers_never_call_back_into_the_stage_that_made_their_input():
    """A renderer takes a result (a stage's `model`) and never runs a stage or the service."""
    for name, edges in _imports(_modules()).items():
        if _stage(name) == "render":
            called = sorted(e for e in edges if e.endswith(".run") or _stage(e) == "web")
            assert called == [], f"{name} imports {called}"


def test_reading_and_checking_know_nothing_of_what_comes_after():
    later = {"export", "audit", "render", "web"}  # the ledger is storage: check asks it what was billed
    for name, edges in _imports(_modules()).items():
        if _stage(name) in ("read", "check", "price", "reference"):
            assert not {_stage(e) for e in edges} & later, f"{name} imports {sorted(edges)}"
