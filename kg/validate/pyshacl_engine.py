"""pySHACL over the light part of the graph: a cross-check, and the shapes SPARQL cannot run.

pySHACL runs the shapes file itself over the union, for the shapes with few focus nodes
(visits, reports, recommendations, judgements, authorities, the vocabularies...), and for
any shape the SPARQL translation does not cover. It reads only the triples those shapes read
(copying the store into rdflib would take longer than everything else), in a worker process
opening the store too (``python -m kg.validate``), when there are two cores to use.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg import vocab
from kg.validate.patterns import (
    SUBCLASS,
    TARGETS,
    TYPE,
    ReferenceGraphs,
    Render,
    Uncompilable,
    execute,
    has_implicit_target,
    path_iris,
    path_sparql,
    shape_id,
    shape_node,
)
from kg.validate.results import UNION, Found, FoundKey, found_key
from kg.validate.shapes import CompiledShapes, compile_shapes, prefixes
from kg.validate.terms import from_key, rdflib_key

# A shape with more focus nodes than this (in the union) is left to the SPARQL engine alone.
PYSHACL_MAX_FOCUS = 2000


def _count_targets(store: ox.Store, target: str) -> int:
    rows = execute(
        store,
        f"SELECT (COUNT(DISTINCT ?this) AS ?n) WHERE {{ {target} }}",
        use_default_graph_as_union=True,
    )
    return int(rows[0]["n"].value) if rows else 0


def _sparql_iris(sg: rdflib.Graph, constraint: rdflib.term.Node) -> set[str]:
    """The IRIs the SELECT of a SPARQL constraint names (in full or with its prefixes)."""
    text = str(sg.value(constraint, SH.select) or "")
    declared = dict(re.findall(r"PREFIX (\w*): <([^>]*)>", prefixes(sg, constraint)))
    iris = set(re.findall(r"<([^<>\s]+)>", text))
    for prefix, local in re.findall(r"\b(\w+):(\w+)\b", text):
        if prefix in declared:
            iris.add(declared[prefix] + local)
    return iris


_NOT_READ = {str(RDF.type), str(RDF.first), str(RDF.rest), str(RDF.nil)}


@dataclass
class PyshaclPlan:
    """What pySHACL runs: node ``shapes`` of the shapes file minus the property shapes in
    ``dropped`` (node shape, path), over ``data`` (N-Triples)."""

    shapes: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    data: bytes = b""

    @property
    def triples(self) -> int:
        return self.data.count(b"\n")


def pyshacl_plan(
    store: ox.Store,
    sg: rdflib.Graph,
    ctx: ReferenceGraphs,
    compiled: CompiledShapes,
    max_focus: int = PYSHACL_MAX_FOCUS,
) -> PyshaclPlan:
    """The part of the validation pySHACL runs, and the triples it reads.

    pySHACL runs every shape the SPARQL translation does not cover, and the shapes with at
    most ``max_focus`` focus nodes without their property shapes with more values
    than that (such as a report's thousands of findings): those are for the SPARQL engine
    alone. Its data is what those shapes read in the union of all graphs: the triples of
    their focus nodes along the first step of their paths (and back along inverse ones),
    every triple with a predicate a longer path or a SPARQL constraint names, the types of
    the nodes these lead to, and the subclass axioms.
    """
    plan = PyshaclPlan()
    render = Render(ctx, False)
    out, into, anywhere = set(), set(), set()
    for shape, target in compiled.targets.items():
        node = shape_node(shape)
        if shape not in compiled.uncompilable:
            if _count_targets(store, target) > max_focus:
                continue
        plan.shapes.append(shape)
        out |= {str(p) for p in sg.objects(node, SH.targetSubjectsOf)}
        into |= {str(p) for p in sg.objects(node, SH.targetObjectsOf)}
        for prop in [node, *sg.objects(node, SH.property)]:
            path = sg.value(prop, SH.path)
            if path is not None and shape not in compiled.uncompilable:
                link = render.path(sg, path, "?this", "?_v")
                query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {target} {link} }}"
                rows = execute(store, query, use_default_graph_as_union=True)
                if int(rows[0]["n"].value) > max_focus:
                    plan.dropped.append((shape, path_sparql(sg, path)))
                    continue
            if path is None:
                pass
            elif isinstance(path, URIRef):
                out.add(str(path))
            elif isinstance(sg.value(path, SH.inversePath), URIRef):
                into.add(str(sg.value(path, SH.inversePath)))
            else:
                anywhere |= set(path_iris(sg, path))
            for constraint in sg.objects(prop, SH.sparql):
                anywhere |= _sparql_iris(sg, constraint)
    plan.shapes += [s for s in compiled.uncompilable if s not in plan.shapes]
    if not plan.shapes:
        return plan
    # Types come with every node reached (below); the rest is list vocabulary.
    out, into, anywhere = (x - _NOT_READ for x in (out, into, anywhere))
    # The focus nodes as ?f: by class in one VALUES (a UNION of one pattern per shape makes
    # pyoxigraph scan every triple of the predicates for every branch), other targets apart.
    classes: set[str] = set()
    others = []
    for shape in plan.shapes:
        node = shape_node(shape)
        named = [*sg.objects(node, SH.targetClass)] + [node] * has_implicit_target(sg, node)
        classes |= {c for cls in named for c in ctx.subclasses(str(cls))}
        if any((node, t, None) in sg for t in TARGETS if t != SH.targetClass):
            other = Render(ctx, False).target(sg, node, "?f")
            if other is not None:
                others.append(other)
    focus = f"{Render.values('?_fc', sorted(classes))} ?f {TYPE} ?_fc ."
    if others:
        focus = " UNION ".join("{ " + p + " }" for p in [focus, *others])

    def among(var: str, iris: set[str]) -> str:
        return f"FILTER({var} IN (" + ", ".join(f"<{i}>" for i in sorted(iris)) + "))"

    types = f"?n {TYPE} ?o . BIND(?n AS ?s) BIND({TYPE} AS ?p)"
    query = f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
        {{ {focus} ?f ?p ?o . {among("?p", out | {str(RDF.type)})} BIND(?f AS ?s) }}
        UNION {{ {focus} ?s ?p ?f . {among("?p", into)} BIND(?f AS ?o) }}
        UNION {{ {Render.values("?p", anywhere)} ?s ?p ?o }}
        UNION {{ {focus} ?f ?q ?n . {among("?q", out)} {types} }}
        UNION {{ {focus} ?n ?q ?f . {among("?q", into)} {types} }}
        UNION {{ {Render.values("?q", anywhere)} {{ ?n ?q ?x }} UNION {{ ?x ?q ?n }} {types} }}
        UNION {{ ?s {SUBCLASS} ?o BIND({SUBCLASS} AS ?p) }}
    }}"""
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QueryTriples)
    plan.data = result.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
    return plan


class _KeepBlankNodeIds(dict):
    """rdflib's N-Triples parser mints fresh blank nodes; keep the store's ids instead, so
    both engines name a blank focus node alike."""

    def get(self, key: str, default: Any = None) -> str:  # type: ignore[override]
        return key


@contextmanager
def _prepared_sparql() -> Iterator[None]:
    """Make rdflib parse each SPARQL query once: pySHACL runs a SPARQL constraint by passing
    its text to rdflib once per focus node, and rdflib parses it every time (about 70 ms
    each: most of pySHACL's time on the seeds graph)."""
    from rdflib.plugins.sparql import processor

    original = processor.SPARQLProcessor.query
    prepared: dict[tuple, Any] = {}

    def query(self, query, initBindings=None, initNs=None, base=None, DEBUG=False):
        if isinstance(query, str):
            key = (query, base, tuple(sorted((initNs or {}).items())))
            if key not in prepared:
                prepared[key] = processor.translateQuery(processor.parseQuery(query), base, initNs)
            query = prepared[key]
        return original(self, query, initBindings, initNs, base, DEBUG)

    processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


def run_pyshacl(
    shapes_text: str, shapes: list[str], dropped: list[tuple[str, str]], data: bytes
) -> list[dict[str, Any]]:
    """pySHACL over ``data`` (N-Triples) with the node shapes ``shapes`` of the shapes file
    (the other shapes lose their targets) minus the ``dropped`` property shapes; plain dicts
    out, so it can run in a worker."""
    import pyshacl

    sg = rdflib.Graph().parse(data=shapes_text, format="turtle")
    for shape, dropped_path in dropped:
        node = shape_node(shape)
        for prop in list(sg.objects(node, SH.property)):
            prop_path = sg.value(prop, SH.path)
            if prop_path is not None and path_sparql(sg, prop_path) == dropped_path:
                sg.remove((node, SH.property, prop))
    keep = {shape_node(s) for s in shapes}
    for node in {s for t in TARGETS for s in sg.subjects(t, None)} - keep:
        for target in TARGETS:
            sg.remove((node, target, None))
    for node in set(sg.subjects(RDF.type, SH.NodeShape)) - keep:
        sg.remove((node, RDF.type, RDFS.Class))
        sg.remove((node, RDF.type, URIRef(vocab.OWL + "Class")))
    graph = rdflib.Graph()
    if data:
        graph.parse(data=data, format="nt", bnode_context=_KeepBlankNodeIds())
    with _prepared_sparql():
        conforms, results, _ = pyshacl.validate(
            graph, shacl_graph=sg, inference="none", advanced=True, inplace=True
        )
    if conforms:
        return []
    parents = {prop: node for node, prop in sg.subject_objects(SH.property)}
    out = []
    path: str | None
    for result in results.subjects(RDF.type, SH.ValidationResult):
        source = results.value(result, SH.sourceShape)
        path_node = sg.value(source, SH.path)
        try:
            path = path_sparql(sg, path_node) if path_node is not None else None
        except Uncompilable:
            path = str(results.value(result, SH.resultPath))
        component = str(results.value(result, SH.sourceConstraintComponent) or "")
        severity = results.value(result, SH.resultSeverity)
        out.append(
            {
                "shape": shape_id(parents.get(source, source)),
                "path": path,
                "component": component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent"),
                "message": str(results.value(result, SH.resultMessage) or ""),
                "severity": str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                "focus": rdflib_key(results.value(result, SH.focusNode)),
                "value": rdflib_key(results.value(result, SH.value)),
            }
        )
    return out


def merge_pyshacl(found: dict[FoundKey, Found], results: list[dict[str, Any]]) -> None:
    for r in results:
        key = found_key(r["shape"], r["path"], r["component"], r["message"], r["focus"], r["value"])
        if key in found:
            continue
        focus, value = from_key(r["focus"]), from_key(r["value"])
        item = Found(
            r["shape"], r["path"], r["component"], r["message"], r["severity"], focus, value
        )
        item.graphs.add(UNION)  # pySHACL ran on the union
        found[key] = item


def pyshacl_part(
    store: ox.Store, shapes_text: str, max_focus: int
) -> tuple[list[dict[str, Any]], list[str], int]:
    """Plan and run pySHACL's part of the validation: (results, node shapes run, triples)."""
    sg = rdflib.Graph().parse(data=shapes_text, format="turtle")
    ctx = ReferenceGraphs.of(store)
    plan = pyshacl_plan(store, sg, ctx, compile_shapes(sg, ctx), max_focus)
    results = run_pyshacl(shapes_text, plan.shapes, plan.dropped, plan.data) if plan.shapes else []
    return results, plan.shapes, plan.triples


class Worker:
    """pySHACL's part in a child interpreter (``python -m kg.validate``), fed by a thread, so
    it runs while this process runs the SPARQL checks. It opens the store (read-only) itself.
    (Not multiprocessing: spawning would re-import the caller's main module, and forking a
    process holding RocksDB threads is unsafe.)"""

    def __init__(self, path: Path, shapes_text: str, max_focus: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kg.validate"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.output: tuple[bytes, bytes] = (b"", b"")
        payload = pickle.dumps((str(path), shapes_text, max_focus))
        self.thread = threading.Thread(target=self._talk, args=(payload,), daemon=True)
        self.thread.start()

    def _talk(self, payload: bytes) -> None:
        self.output = self.proc.communicate(payload)

    def result(self) -> tuple[list[dict[str, Any]], list[str], int]:
        self.thread.join()
        out, err = self.output
        if self.proc.returncode != 0:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"pySHACL worker failed ({self.proc.returncode}): {tail[0]}")
        return pickle.loads(out)


def worker_main() -> None:
    path, shapes_text, max_focus = pickle.loads(sys.stdin.buffer.read())
    store = ox.Store.read_only(path)
    result = pyshacl_part(store, shapes_text, max_focus)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


def default_workers() -> int:
    """2 when a second core is idle, else 1: the worker costs a second interpreter's start
    (about a CPU second), which only pays when it runs beside this process, not after it."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average
        busy = 0.0
    return 2 if cpus >= 2 and busy <= cpus - 1 else 1
