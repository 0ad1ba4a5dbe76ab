"""Running the compiled checks on the store: every graph, the context graphs, the union.

Each ``Check`` runs once in graph form (every graph at once, binding ``?g``) when it has one,
else on each graph with the context as the default graph; then on the context graphs alone
and on the union. In the union a local check only needs the nodes that more than one graph
states something about (``shared_nodes``), copied to a small store (``shared_store``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import RDF, RDFS

from kg.validate.patterns import ReferenceGraphs, Render, execute
from kg.validate.results import UNION, Found, FoundKey, found_key
from kg.validate.shapes import Check, CompiledShapes
from kg.validate.terms import ox_key


def _read(check: Check, rows: list[dict[str, Any]]) -> Iterator[tuple[int, Any, Any, Any]]:
    for row in rows:
        graph, focus = row.get("g"), row["this"]
        if check.kind == "count":
            yield 0, graph, focus, None
        elif check.kind == "fails":
            for index in range(len(check.components)):
                if row[f"f{index}"].value == "true":
                    yield index, graph, focus, row["value"]
        else:
            yield 0, graph, focus, row.get("value")


def _graph_rows(store: ox.Store, check: Check, cache: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``check.graphs``: through ``check.candidates`` when it has them (shapes
    that check the same predicate alike share them: ``cache``)."""
    if check.candidates is None or check.focus is None:
        return execute(store, check.graphs or "")
    if check.candidates not in cache:
        cache[check.candidates] = execute(store, check.candidates)
    rows = cache[check.candidates]
    if not rows:
        return rows
    nodes = {row["this"] for row in rows}
    if any(isinstance(n, ox.BlankNode) for n in nodes):  # VALUES cannot name them
        return execute(store, check.graphs or "")
    values = "VALUES ?this { " + " ".join(str(n) for n in nodes) + " }"
    graphs: dict[Any, set[Any]] = {}
    for pair in execute(store, check.focus.replace("{FOCUS}", values)):
        graphs.setdefault(pair["this"], set()).add(pair["g"])
    return [
        {**row, "g": g}
        for row in rows
        for g in graphs.get(row["this"], ())
        if row.get("g") in (None, g)
    ]


def validated_graphs(store: ox.Store, ctx: ReferenceGraphs) -> list[ox.NamedNode | ox.DefaultGraph]:
    named = sorted(
        (g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value
    )
    graphs: list[ox.NamedNode | ox.DefaultGraph] = [g for g in named if g.value not in ctx.graphs]
    if any(True for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        graphs.append(ox.DefaultGraph())
    return graphs


def _graph_name(graph: ox.NamedNode | ox.DefaultGraph) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else "(default graph)"


SHARED_MARKS = "urn:x-kg-validate:shared"


def shared_nodes(store: ox.Store, into: Iterable[str]) -> list[Any]:
    """Nodes that more than one graph states something about: as subject, or as object of
    a predicate in ``into`` (those the checks read backwards)."""
    inverse = ""
    if into:
        inverse = f"UNION {{ {Render.values('?p', into)} GRAPH ?g {{ ?s ?p ?x }} }}"
    query = f"""SELECT ?x WHERE {{ {{ GRAPH ?g {{ ?x ?p ?o }} }} {inverse} }}
        GROUP BY ?x HAVING (COUNT(DISTINCT ?g) > 1)"""
    return [row["x"] for row in execute(store, query)]


def shared_store(store: ox.Store, shared: list[Any], into: Iterable[str]) -> ox.Store:
    """What the local checks read about the ``shared`` nodes in the union of all graphs,
    with the nodes marked in the named graph ``SHARED_MARKS``: the triples about them (and
    into them, by a predicate of ``into``), the types of the nodes those lead to, and the
    subclass axioms. (Index lookups from Python: a CONSTRUCT joining a VALUES block of the
    nodes is several times slower.)"""
    type_node = ox.NamedNode(str(RDF.type))
    inverse = [ox.NamedNode(p) for p in into]
    quads: list[ox.Quad] = []
    reached: set[Any] = set()
    for node in shared:
        for q in store.quads_for_pattern(node, None, None, None):
            quads.append(q)
            if not isinstance(q.object, ox.Literal):
                reached.add(q.object)
        for p in inverse:
            for q in store.quads_for_pattern(None, p, node, None):
                quads.append(q)
                reached.add(q.subject)
    for node in reached:
        quads.extend(store.quads_for_pattern(node, type_node, None, None))
    quads.extend(store.quads_for_pattern(None, ox.NamedNode(str(RDFS.subClassOf)), None, None))
    small = ox.Store()
    small.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
    marks = ox.NamedNode(SHARED_MARKS)
    small.extend(ox.Quad(x, marks, marks, marks) for x in shared)
    return small


def run_checks(
    store: ox.Store, ctx: ReferenceGraphs, compiled: CompiledShapes
) -> dict[FoundKey, Found]:
    """Every check over each validated graph (with the context), over the context graphs on
    their own, and over the union of all graphs.

    In the union a local check only needs the nodes that more than one graph states
    something about: any other node has the same triples in the union as in the one graph
    (or the context) that states them, which was checked already, and its values can only
    have more types. So local checks run on a small store holding what they read about those
    nodes (``shared_store``); the others on the union itself.
    """
    found: dict[FoundKey, Found] = {}
    context = [ox.NamedNode(g) for g in ctx.graphs]
    validated = validated_graphs(store, ctx)
    candidates: dict[str, Any] = {}
    small: ox.Store | None = None
    small_restrict = f"FILTER EXISTS {{ GRAPH <{SHARED_MARKS}> {{ ?this ?_kgvp ?_kgvo }} }}"
    if any(check.local for check in compiled.checks):
        small = shared_store(store, shared_nodes(store, compiled.into), compiled.into)
    for check in compiled.checks:
        runs: list[tuple[str | None, list[dict[str, Any]]]] = []
        if check.graphs is not None:
            runs.append((None, _graph_rows(store, check, candidates)))
        for graph in validated:
            if check.graphs is not None and not isinstance(graph, ox.DefaultGraph):
                continue
            restrict = (
                f"FILTER EXISTS {{ GRAPH {graph} {{ ?this ?_kgvp ?_kgvo }} }}"
                if isinstance(graph, ox.NamedNode)
                else ""
            )
            query = check.plain.replace("{RESTRICT}", restrict)
            rows = execute(store, query, default_graph=[graph, *context])
            runs.append((_graph_name(graph), rows))
        plain = check.plain.replace("{RESTRICT}", "")
        if context:
            runs.append((" + ".join(ctx.graphs), execute(store, plain, default_graph=context)))
        if check.local and small is not None:
            query = check.plain.replace("{RESTRICT}", small_restrict)
            runs.append((UNION, execute(small, query)))
        else:
            runs.append((UNION, execute(store, plain, use_default_graph_as_union=True)))
        for name, rows in runs:
            for index, graph, focus, value in _read(check, rows):
                component, message = check.components[index], check.messages[index]
                key = found_key(
                    check.shape, check.path, component, message, ox_key(focus), ox_key(value)
                )
                item = found.get(key)
                if item is None:
                    item = found[key] = Found(
                        check.shape, check.path, component, message, check.severity, focus, value
                    )
                item.graphs.add(name if name is not None else graph.value)
    return found
