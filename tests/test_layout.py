"""The tree keeps the shape README "Where things live" describes (DESIGN.md §2).

* ``api/`` has no import cycle — module-level or inside functions;
* ``api/`` never imports the simulators (nor names them: ``grep -r simulators api/`` finds nothing);
* ``simulators/`` never imports ``api/``;
* every spec area is one package holding its routes next to its use cases.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("cas", "plus", "advisory", "cps", "vip", "furnish")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(top: str) -> dict[str, Path]:
    return {_module(p): p for p in (ROOT / top).rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``name`` imports anywhere in its text (functions included)."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # ``from pkg import sub`` imports the module pkg.sub when there is one
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            # a module always imports its parent packages first; that is not a dependency of interest
            if t and t != name and not name.startswith(t + "."):
                found.add(t)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_api_has_no_import_cycle():
    mods = _modules("api")
    graph = {m: _imports(m, p, set(mods)) for m, p in mods.items()}
    assert sum(len(v) for v in graph.values()) > 50  # the graph was really built
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_job_registry_imports_no_area():
    mods = _modules("api")
    for name in ("api.jobs.registry", "api.jobs.runner", "api.jobs"):
        deps = _imports(name, mods[name], set(mods))
        assert not {d for d in deps if d.split(".")[1] in AREAS}, (name, deps)


def test_api_never_imports_or_names_the_simulators():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "api").rglob("*") if p.is_file()
                 and p.suffix in (".py", ".yaml", ".html", ".txt", ".md") and "simulators" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_simulators_never_import_api():
    mods = _modules("simulators")
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] == "api" for n in names if n), name


@pytest.mark.parametrize("area", AREAS)
def test_each_area_is_one_package_with_routes_beside_its_use_cases(area):
    pkg = ROOT / "api" / area
    assert (pkg / "__init__.py").is_file()
    assert (pkg / "routes.py").is_file()
    assert "Blueprint(" in (pkg / "routes.py").read_text(encoding="utf-8")


def test_tests_mirror_the_areas():
    for area in AREAS:
        assert list((ROOT / "tests" / "api" / area).glob("test_*.py")), area
