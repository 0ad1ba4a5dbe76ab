"""The SPARQL patterns of one validation query, and the reference graphs they read.

A query checks one graph with the reference (context) graphs, the context graphs alone, or
the union, on a default graph the caller makes; or, in graph form, every graph at once: each
triple pattern then matches in the named graph ``?g`` or in a context graph. ``Render``
writes a shape's targets and paths in either form; ``ReferenceGraphs`` says which predicates
and classes the context graphs hold, so a pattern looks there only when it can match.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from kg import vocab
from kg.errors import KgError

# Graphs every other graph is validated with (and which are validated together, on their own).
CONTEXT_GRAPHS = (vocab.ONTOLOGY_GRAPH, vocab.AUTHORITIES_GRAPH)
TYPE = f"<{RDF.type}>"
SUBCLASS = f"<{RDFS.subClassOf}>"
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


class Uncompilable(KgError):
    """A shape uses a feature the SPARQL translation does not cover (pySHACL runs it)."""


class NoGraphs(Exception):  # a signal inside the translator, not an error
    """A pattern that cannot be split over ``?g`` and the context graphs."""


def nt(term: rdflib.term.Node) -> str:
    """An rdflib term in N-Triples/SPARQL syntax (blank nodes are not allowed in queries)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype is not None:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    raise Uncompilable(f"blank node {term} as a constraint parameter")


def execute(store: ox.Store, query: str, **dataset: Any) -> list[dict[str, Any]]:
    """The rows of a SELECT, as dicts (``dataset``: pyoxigraph's default-graph options)."""
    result = store.query(query, **dataset)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{name: row[name] for name in names} for row in result]


def shape_id(node: rdflib.term.Node) -> str:
    """How a shape is named in results: its IRI, or ``_:id`` for a blank node."""
    return str(node) if isinstance(node, URIRef) else f"_:{node}"


def shape_node(shape: str) -> rdflib.term.Node:
    """The shapes-graph node ``shape_id`` names."""
    return URIRef(shape) if not shape.startswith("_:") else rdflib.BNode(shape[2:])


def has_implicit_target(sg: rdflib.Graph, shape: rdflib.term.Node) -> bool:
    """A node shape that is also a class targets that class's instances."""
    classes = (RDFS.Class, URIRef(vocab.OWL + "Class"))
    return any((shape, RDF.type, c) in sg for c in classes)


def path_sparql(sg: rdflib.Graph, path: rdflib.term.Node) -> str:
    """A SHACL property path as a SPARQL property path (full IRIs): the path's identity."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if (path, RDF.first, None) in sg:
        return "(" + "/".join(path_sparql(sg, p) for p in Collection(sg, path)) + ")"
    for pred, fmt in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = sg.value(path, pred)
        if inner is not None:
            return "(" + fmt.format(path_sparql(sg, inner)) + ")"
    alternatives = sg.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_sparql(sg, p) for p in Collection(sg, alternatives)) + ")"
    raise Uncompilable(f"unsupported path {path}")


def path_iris(sg: rdflib.Graph, path: rdflib.term.Node) -> Iterator[str]:
    """The predicates a SHACL path names."""
    if isinstance(path, URIRef):
        yield str(path)
    elif (path, RDF.first, None) in sg:
        for step in Collection(sg, path):
            yield from path_iris(sg, step)
    else:
        for node in sg.objects(path, None):
            yield from path_iris(sg, node)


@dataclass
class ReferenceGraphs:
    """What the queries need to know about the store: the context (reference) graphs, which
    predicates and classes occur in them, and the subclasses of each class."""

    store: ox.Store
    graphs: tuple[str, ...]
    predicates: frozenset[str]
    typed: frozenset[str]
    _subclasses: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, store: ox.Store) -> ReferenceGraphs:
        present = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
        graphs = tuple(g for g in CONTEXT_GRAPHS if g in present)
        predicates: set[str] = set()
        typed: set[str] = set()
        if graphs:
            values = "VALUES ?x { " + " ".join(f"<{g}>" for g in graphs) + " }"
            for row in execute(
                store, f"SELECT DISTINCT ?p WHERE {{ {values} GRAPH ?x {{ ?s ?p ?o }} }}"
            ):
                predicates.add(row["p"].value)
            for row in execute(
                store, f"SELECT DISTINCT ?c WHERE {{ {values} GRAPH ?x {{ ?s {TYPE} ?c }} }}"
            ):
                typed.add(row["c"].value)
        return cls(store, graphs, frozenset(predicates), frozenset(typed))

    def subclasses(self, cls: str) -> tuple[str, ...]:
        """``cls`` and its subclasses, by the subclass axioms of all graphs together."""
        if cls not in self._subclasses:
            rows = execute(
                self.store,
                f"SELECT DISTINCT ?c WHERE {{ ?c {SUBCLASS}+ <{cls}> }}",
                use_default_graph_as_union=True,
            )
            found = sorted({r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)})
            self._subclasses[cls] = (cls, *(c for c in found if c != cls))
        return self._subclasses[cls]


class Render:
    """Writes the patterns of one query in one of two forms.

    ``graphs=False``: on the default graph, which the caller makes one graph plus the context,
    the context graphs alone, or the union. ``graphs=True``: every triple pattern matches in
    the named graph ``?g`` or in a context graph, so one query checks each graph (with the
    context) at once; focus nodes are those ``?g`` describes.
    """

    def __init__(self, ctx: ReferenceGraphs, graphs: bool, untargeted: bool = False) -> None:
        self.ctx = ctx
        self.graphs = graphs
        self.untargeted = untargeted  # leave the target pattern out (``Check.candidates``)
        self.n = 0

    def fresh(self) -> str:
        self.n += 1
        return f"?_kgv{self.n}"

    @staticmethod
    def values(var: str, iris: Iterable[str]) -> str:
        return f"VALUES {var} {{ " + " ".join(f"<{i}>" for i in iris) + " }"

    def _in_context(self, pattern: str) -> str:
        var = self.fresh()
        return f"GRAPH {var} {{ {pattern} }} {self.values(var, self.ctx.graphs)}"

    def triple(self, s: str, p: str, o: str) -> str:
        pattern = f"{s} <{p}> {o} ."
        if not self.graphs:
            return pattern
        mine = f"GRAPH ?g {{ {pattern} }}"
        needs_context = p in self.ctx.predicates
        if p == str(RDF.type) and o.startswith("<"):
            needs_context = o[1:-1] in self.ctx.typed
        if not needs_context:
            return mine
        return f"{{ {mine} }} UNION {{ {self._in_context(pattern)} }}"

    def typed(self, x: str, cls: str) -> str:
        """``x`` is an instance of ``cls`` (or of a subclass)."""
        classes = self.ctx.subclasses(cls)
        var = self.fresh()
        pattern = f"{x} {TYPE} {var} ."
        values = self.values(var, classes)
        if len(classes) == 1:  # a constant lets pyoxigraph pick a better plan
            pattern, values = f"{x} {TYPE} <{classes[0]}> .", ""
        if not self.graphs:
            return f"{pattern} {values}"
        mine = f"GRAPH ?g {{ {pattern} }} {values}"
        if not set(classes) & self.ctx.typed:
            return mine
        return f"{{ {mine} }} UNION {{ {self._in_context(pattern)} {values} }}"

    def path(self, sg: rdflib.Graph, path: rdflib.term.Node, s: str, o: str) -> str:
        """Triple patterns linking ``s`` to ``o`` by ``path``.

        Sequences and inverses become plain triple patterns with fresh variables: pyoxigraph
        evaluates a sequence property path inside ``FILTER NOT EXISTS`` or ``MINUS`` over the
        whole graph, not from the bound subject (minutes instead of milliseconds).
        """
        if isinstance(path, URIRef):
            return self.triple(s, str(path), o)
        if (path, RDF.first, None) in sg:
            steps = list(Collection(sg, path))
            hops = [s] + [self.fresh() for _ in steps[:-1]] + [o]
            return " ".join(
                self.path(sg, step, hops[i], hops[i + 1]) for i, step in enumerate(steps)
            )
        inverse = sg.value(path, SH.inversePath)
        if inverse is not None:
            return self.path(sg, inverse, o, s)
        alternatives = sg.value(path, SH.alternativePath)
        if alternatives is not None:
            return " UNION ".join(
                "{ " + self.path(sg, p, s, o) + " }" for p in Collection(sg, alternatives)
            )
        if self.graphs:
            raise NoGraphs("a repeated path")
        return f"{s} {path_sparql(sg, path)} {o} ."

    def target(self, sg: rdflib.Graph, shape: rdflib.term.Node, var: str = "?this") -> str | None:
        """The pattern binding ``var`` to the focus nodes of ``shape`` (and ``?g``)."""
        alternatives = []
        classes = list(sg.objects(shape, SH.targetClass))
        if has_implicit_target(sg, shape):
            classes.append(shape)
        for cls in classes:
            if not isinstance(cls, URIRef):
                raise Uncompilable("a blank node as sh:targetClass")
            alternatives.extend(self._targets(self.typed(var, str(cls)), var))
        for node in sg.objects(shape, SH.targetNode):
            alternatives.extend(self._targets(f"VALUES {var} {{ {nt(node)} }}", var, True))
        for pred in sg.objects(shape, SH.targetSubjectsOf):
            alternatives.extend(self._targets(self.triple(var, str(pred), self.fresh()), var))
        for pred in sg.objects(shape, SH.targetObjectsOf):
            alternatives.extend(self._targets(self.triple(self.fresh(), str(pred), var), var))
        if any(sg.objects(shape, SH.target)):
            raise Uncompilable("SPARQL-based targets (sh:target)")
        if not alternatives:
            return None
        pattern = (
            alternatives[0]
            if len(alternatives) == 1
            else " UNION ".join("{ " + a + " }" for a in alternatives)
        )
        if not self.graphs:
            return pattern
        if self.ctx.graphs:
            pattern += " FILTER(?g NOT IN (" + ", ".join(f"<{g}>" for g in self.ctx.graphs) + "))"
        return pattern

    def _targets(self, pattern: str, var: str, anywhere: bool = False) -> list[str]:
        """In graph form: the focus nodes a graph states (``?g`` bound by ``pattern``), and
        those stated by the context or ``anywhere`` that the graph describes."""
        if not self.graphs:
            return [pattern]
        describes = f"GRAPH ?g {{ {var} {self.fresh()} {self.fresh()} }}"
        if anywhere:
            return [f"{{ SELECT DISTINCT ?g {var} WHERE {{ {pattern} {describes} }} }}"]
        if " UNION " not in pattern:  # nothing from the context: ?g is the graph stating it
            return [pattern]
        mine, theirs = pattern.split(" UNION ", 1)
        return [
            mine.strip()[1:-1].strip(),
            f"{{ SELECT DISTINCT ?g {var} WHERE {{ {theirs.strip()[1:-1]} {describes} }} }}",
        ]
