"""No import cycles between the project's modules, and every module imports on its own.

Data flows one way (source → text → record → RDF → store → queries → outputs): a cycle ties
two layers so that neither can be read, tested or changed alone. The graph is built from the
source (``import kg.x`` and ``from kg.x import ...`` at top level and inside functions, the
imports under ``if TYPE_CHECKING:`` aside, since they never run), so a cycle hidden in a
function-level import counts too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx

import kg

PACKAGE = Path(kg.__file__).parent

# Cycles known and being removed elsewhere, as sets of modules. Empty this when the work
# named beside each one has been merged.
KNOWN_CYCLES: list[frozenset[str]] = []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imported(source: str, name: str, known: set[str], is_package: bool = False) -> set[str]:
    """The project modules (of ``known``) that module ``name``, whose text is ``source``,
    imports."""
    tree = ast.parse(source)
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            for child in getattr(node, "orelse", []):
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:  # a submodule
                    found.add(f"{base}.{alias.name}")
                elif base in known:
                    found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(name)
    return found


def import_graph() -> nx.DiGraph:
    known = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for name, path in known.items():
        source = path.read_text(encoding="utf-8")
        targets = imported(source, name, set(known), is_package=path.name == "__init__.py")
        graph.add_edges_from((name, target) for target in targets)
    return graph


def cycles(graph: nx.DiGraph) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module: each holds a cycle."""
    return [frozenset(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]


def describe(graph: nx.DiGraph, group: frozenset[str]) -> str:
    cycle = nx.find_cycle(graph.subgraph(group))
    return " -> ".join([a for a, _ in cycle] + [cycle[0][0]])


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    assert graph.number_of_nodes() > 30  # the walk found the package
    unexpected = [c for c in cycles(graph) if c not in KNOWN_CYCLES]
    assert not unexpected, "import cycles:\n" + "\n".join(describe(graph, c) for c in unexpected)


def test_the_graph_sees_function_level_imports() -> None:
    """The builder counts imports inside functions and skips TYPE_CHECKING ones (a check of
    the check: a cycle through a lazy import is still a cycle)."""
    source = textwrap.dedent(
        """\
        from typing import TYPE_CHECKING
        from kg import vocab
        if TYPE_CHECKING:
            from kg.store import KnowledgeGraph
        def f():
            from kg.validate import shapes
            import kg.rdf
        """
    )
    known = {"kg", "kg.vocab", "kg.store", "kg.validate", "kg.validate.shapes", "kg.rdf"}
    assert imported(source, "kg.x", known) == {"kg.vocab", "kg.validate.shapes", "kg.rdf"}
    relative = "from . import vocab\nfrom .validate import shapes\n"
    assert imported(relative, "kg.x", known) == {"kg.vocab", "kg.validate.shapes"}


def test_cycles_are_found() -> None:
    graph = nx.DiGraph([("kg.a", "kg.b"), ("kg.b", "kg.c"), ("kg.c", "kg.a"), ("kg.c", "kg.d")])
    assert cycles(graph) == [frozenset({"kg.a", "kg.b", "kg.c"})]
    assert describe(graph, cycles(graph)[0]).count("->") == 3


def test_every_module_imports_alone() -> None:
    """Each module imported first, with no other project module loaded: an import that works
    only because another module happened to be imported before fails here."""
    names = sorted(n for n in modules() if n != "kg.validate.__main__")
    script = textwrap.dedent(
        """\
        import importlib, sys, traceback
        failed = []
        for name in sys.argv[1:]:
            for loaded in [m for m in sys.modules if m == "kg" or m.startswith("kg.")]:
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
            except Exception:
                failed.append(name + ": " + traceback.format_exc().strip().splitlines()[-1])
        print("\\n".join(failed))
        sys.exit(1 if failed else 0)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *names],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PACKAGE.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
