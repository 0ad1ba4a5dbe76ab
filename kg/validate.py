"""Check the store against ``ontology/shapes.ttl``: every source graph, and their union.

What is checked. Each source graph (one per file; also the build graph and any other named
graph) is validated together with the reference data (the ontology/themes graph and the
authorities table): a visit's shapes see its own graph plus the vocabularies, so a rule such as
"exactly one lead inspector" must hold in every graph that describes the visit. The same visit
can be described by two graphs (a seed text and its PDF original), so the rules are checked
again over the union of all graphs, where two graphs naming different lead inspectors break
it. The reference graphs are validated on their own too. A violation names its focus node,
path, message and the graphs it was found in (``union`` when only the union breaks it).

How, in seconds rather than minutes. The shapes file is the single source of truth; two
engines run it:

* SPARQL on the store (``compile_shapes``): each constraint of SHACL Core and each SHACL-SPARQL
  constraint becomes a query that pyoxigraph runs on the store itself, nothing copied.
  One query checks every graph at once: its triple patterns match in ``GRAPH ?g`` or in a
  reference graph. Most first find the offending values from the path alone and only then
  ask which of them belong to focus nodes, which is most of a query's work when the graph is
  valid. In the union, a constraint that reads only a node's own triples can break only for
  nodes that more than one graph states something about; those are checked on a small copy
  of what the union says about them. The translation covers every component ``shapes.ttl``
  uses; a shape using another is left to pySHACL (over the union only).
* pySHACL runs the shapes file itself over the union, for the shapes with few focus nodes
  (visits, reports, recommendations, judgements, authorities, the vocabularies...), as a
  cross-check, and for any shape the translation does not cover. It reads only the triples
  those shapes read (copying the store into rdflib would take longer than everything else),
  in a worker process opening the store too, when there are two cores to use.

Both engines report in the same terms (focus, node shape, path, constraint component, value),
so a violation found by both is reported once.

Then the data-quality checks (``run_data_checks``): each ``queries/checks/*.rq`` is a SELECT
over the union of graphs returning the rows that break one rule; each row is reported as a
violation of shape ``check:<name>`` (component ``Check``) with the check's summary.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from kg import vocab
from kg.resources import data_path
from kg.store import Violation as _StoreViolation

# Graphs every other graph is validated with (and which are validated together, on their own).
CONTEXT_GRAPHS = (vocab.ONTOLOGY_GRAPH, vocab.AUTHORITIES_GRAPH)
UNION = "union"
# ``format_report`` lists every violation up to this many, else groups them.
LIST_AT_MOST = 10
# A shape with more focus nodes than this (in the union) is left to the SPARQL engine alone.
PYSHACL_MAX_FOCUS = 2000

_TYPE = f"<{RDF.type}>"
_SUBCLASS = f"<{RDFS.subClassOf}>"
_XSD = vocab.XSD
# Datatypes pyoxigraph can cast to: a literal of one is checked to be well formed, too.
_CASTABLE = {
    _XSD + name
    for name in ("integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time")
}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
_COMPONENT = {
    SH.minCount: "MinCount",
    SH.maxCount: "MaxCount",
    SH.datatype: "Datatype",
    SH["class"]: "Class",
    SH.nodeKind: "NodeKind",
    SH["in"]: "In",
    SH.hasValue: "HasValue",
    SH.pattern: "Pattern",
    SH.minLength: "MinLength",
    SH.maxLength: "MaxLength",
    SH.minInclusive: "MinInclusive",
    SH.maxInclusive: "MaxInclusive",
    SH.minExclusive: "MinExclusive",
    SH.maxExclusive: "MaxExclusive",
    SH.lessThan: "LessThan",
    SH.lessThanOrEquals: "LessThanOrEquals",
    SH.equals: "Equals",
    SH.disjoint: "Disjoint",
    SH.uniqueLang: "UniqueLang",
    SH["or"]: "Or",
    SH["and"]: "And",
    SH["not"]: "Not",
    SH.xone: "Xone",
    SH.node: "Node",
    SH.sparql: "SPARQL",
}
# Parameters that belong to another component (sh:flags to sh:pattern) or are no constraint.
_NOT_CONSTRAINTS = {
    SH.path,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.deactivated,
    SH.flags,
    SH.property,
    SH.defaultValue,
    SH.declare,
    SH.prefixes,
    RDF.type,
    RDFS.label,
    RDFS.comment,
    *_TARGETS,
}


class Uncompilable(Exception):
    """A shape uses a feature the SPARQL translation does not cover (pySHACL runs it)."""


@dataclass
class Violation(_StoreViolation):
    """One validation result: ``focus``, ``path``, ``message``, ``severity``, ``value`` and
    ``shape`` (the node shape), plus the constraint component and where it was found: the
    source graphs whose dataset breaks the rule, or ``["union"]`` when only the union does
    (``described_in`` then lists the graphs describing the focus node)."""

    component: str | None = None
    graphs: list[str] = field(default_factory=list)
    described_in: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "message": self.message,
            "focus": self.focus,
            "path": self.path,
            "value": self.value,
            "shape": self.shape,
            "component": self.component,
            "graphs": self.graphs,
            "described_in": self.described_in,
        }


@dataclass
class Report:
    """The outcome of ``validate_store``: violations (sorted) and what was done."""

    violations: list[Violation]
    graphs: int = 0
    checks: int = 0
    pyshacl_shapes: list[str] = field(default_factory=list)
    pyshacl_triples: int = 0
    uncompilable: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    data_checks: list[str] = field(default_factory=list)  # names of queries/checks/*.rq run

    @property
    def conforms(self) -> bool:
        return not self.violations


# --- terms --------------------------------------------------------------------------------


def _nt(term: rdflib.term.Node) -> str:
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


def _compact(iri: str) -> str:
    for prefix, namespace in _DISPLAY_PREFIXES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


_DISPLAY_PREFIXES = sorted(
    [*vocab.PREFIXES.items(), ("shape", "https://w3id.org/ofsted-kg/shapes#")],
    key=lambda item: -len(item[1]),
)


def _display(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | None:
    """How a value is shown: an IRI or blank node as is, a literal as its lexical form."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        return term.value
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _value_key(kind: str, value: str, extra: str = "") -> tuple[str, str, str]:
    return (kind, value, extra)


def _ox_key(term: Any) -> tuple[str, str, str] | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return _value_key("I", term.value)
    if isinstance(term, ox.BlankNode):
        return _value_key("B", term.value)
    return _value_key("L", term.value, term.language or term.datatype.value)


def _rdflib_key(term: Any) -> tuple[str, str, str] | None:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return _value_key("I", str(term))
    if isinstance(term, BNode):
        return _value_key("B", str(term))
    datatype = term.datatype or (None if term.language else URIRef(_XSD + "string"))
    return _value_key("L", str(term), term.language or str(datatype))


# --- the dataset a query runs on -------------------------------------------------------------


@dataclass
class Context:
    """What the queries need to know about the store: the context (reference) graphs, which
    predicates and classes occur in them, and the subclasses of each class."""

    store: ox.Store
    graphs: tuple[str, ...]
    predicates: frozenset[str]
    typed: frozenset[str]
    _subclasses: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, store: ox.Store) -> Context:
        present = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
        graphs = tuple(g for g in CONTEXT_GRAPHS if g in present)
        predicates: set[str] = set()
        typed: set[str] = set()
        if graphs:
            values = "VALUES ?x { " + " ".join(f"<{g}>" for g in graphs) + " }"
            for row in store.query(
                f"SELECT DISTINCT ?p WHERE {{ {values} GRAPH ?x {{ ?s ?p ?o }} }}"
            ):
                predicates.add(row["p"].value)
            for row in store.query(
                f"SELECT DISTINCT ?c WHERE {{ {values} GRAPH ?x {{ ?s {_TYPE} ?c }} }}"
            ):
                typed.add(row["c"].value)
        return cls(store, graphs, frozenset(predicates), frozenset(typed))

    def subclasses(self, cls: str) -> tuple[str, ...]:
        """``cls`` and its subclasses, by the subclass axioms of all graphs together."""
        if cls not in self._subclasses:
            rows = self.store.query(
                f"SELECT DISTINCT ?c WHERE {{ ?c {_SUBCLASS}+ <{cls}> }}",
                use_default_graph_as_union=True,
            )
            found = sorted({r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)})
            self._subclasses[cls] = (cls, *(c for c in found if c != cls))
        return self._subclasses[cls]


class _NoGraphs(Exception):
    """A pattern that cannot be split over ``?g`` and the context graphs."""


class _Render:
    """Writes the patterns of one query in one of two forms.

    ``graphs=False``: on the default graph, which the caller makes one graph plus the context,
    the context graphs alone, or the union. ``graphs=True``: every triple pattern matches in
    the named graph ``?g`` or in a context graph, so one query checks each graph (with the
    context) at once; focus nodes are those ``?g`` describes.
    """

    def __init__(self, ctx: Context, graphs: bool, untargeted: bool = False) -> None:
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
        pattern = f"{x} {_TYPE} {var} ."
        values = self.values(var, classes)
        if len(classes) == 1:  # a constant lets pyoxigraph pick a better plan
            pattern, values = f"{x} {_TYPE} <{classes[0]}> .", ""
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
            raise _NoGraphs("a repeated path")
        return f"{s} {path_sparql(sg, path)} {o} ."

    def target(self, sg: rdflib.Graph, shape: rdflib.term.Node, var: str = "?this") -> str | None:
        """The pattern binding ``var`` to the focus nodes of ``shape`` (and ``?g``)."""
        alternatives = []
        classes = list(sg.objects(shape, SH.targetClass))
        if _has_implicit_target(sg, shape):
            classes.append(shape)
        for cls in classes:
            if not isinstance(cls, URIRef):
                raise Uncompilable("a blank node as sh:targetClass")
            alternatives.extend(self._targets(self.typed(var, str(cls)), var))
        for node in sg.objects(shape, SH.targetNode):
            alternatives.extend(self._targets(f"VALUES {var} {{ {_nt(node)} }}", var, True))
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


# --- shapes -> SPARQL ------------------------------------------------------------------------


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


def path_display(path: str | None) -> str | None:
    """A compiled path for people: a single predicate as its IRI, else compacted SPARQL."""
    if path is None:
        return None
    if re.fullmatch(r"<[^<>]*>", path):
        return path[1:-1]
    if path.startswith("(") and path.endswith(")") and _balanced(path[1:-1]):
        path = path[1:-1]
    return _compact_sparql(path)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _compact_sparql(text: str) -> str:
    return re.sub(r"<([^<>]*)>", lambda m: _compact(m.group(1)), text)


@dataclass(frozen=True)
class Check:
    """One query checking one or more constraints of one shape.

    ``kind`` says how to read a row: ``rows`` (each row is a violation of ``components[0]``),
    ``fails`` (``?f0``, ``?f1``... say which of the ``components`` failed) or ``count``
    (``?n`` values, fewer than ``low``). ``candidates``, when set, finds the same rows
    without the target pattern (joining it costs most of a query's time): the few rows it
    returns are then kept for the focus nodes ``focus`` confirms.
    ``plain`` runs on a default graph and holds ``{RESTRICT}`` where a run limits the focus
    nodes; ``graphs`` (binding ``?g``) checks every graph at once, when possible. A ``local``
    check reads only the triples of the focus node (in or out) and the types of its values.
    """

    shape: str
    path: str | None
    severity: str
    kind: str
    components: tuple[str, ...]
    messages: tuple[str, ...]
    plain: str
    graphs: str | None
    low: int | None = None
    local: bool = True  # reads only the focus node's own triples and its values' types
    candidates: str | None = None  # ``graphs`` without the target pattern
    focus: str | None = None  # the target pattern in graph form, ``{FOCUS}`` for VALUES


@dataclass
class CompiledShapes:
    checks: list[Check]
    targets: dict[str, str]  # node shape -> plain target pattern binding ?this
    uncompilable: dict[str, str]  # node shape -> why
    into: set[str] = field(default_factory=set)  # predicates checks read into a focus node


def _shape_id(node: rdflib.term.Node) -> str:
    return str(node) if isinstance(node, URIRef) else f"_:{node}"


def _has_implicit_target(sg: rdflib.Graph, shape: rdflib.term.Node) -> bool:
    classes = (RDFS.Class, URIRef(vocab.OWL + "Class"))
    return any((shape, RDF.type, c) in sg for c in classes)


def _ok(sg: rdflib.Graph, r: _Render, param: Any, value: Any, v: str) -> str:
    """A SPARQL expression true when ``v`` satisfies one value-type constraint."""
    if param == SH.datatype:
        if value == RDF.langString:
            return f'(isLiteral({v}) && LANG({v}) != "")'
        test = f"(isLiteral({v}) && DATATYPE({v}) = {_nt(value)})"
        if str(value) in _CASTABLE:
            test = f"({test} && isLiteral({_nt(value)}(STR({v}))))"
        return test
    if param == SH["class"]:
        if not isinstance(value, URIRef):
            raise Uncompilable("a blank node as sh:class")
        return f"EXISTS {{ {r.typed(v, str(value))} }}"
    if param == SH.nodeKind:
        kinds = {
            SH.IRI: f"isIRI({v})",
            SH.BlankNode: f"isBlank({v})",
            SH.Literal: f"isLiteral({v})",
            SH.BlankNodeOrIRI: f"(isIRI({v}) || isBlank({v}))",
            SH.BlankNodeOrLiteral: f"(isBlank({v}) || isLiteral({v}))",
            SH.IRIOrLiteral: f"(isIRI({v}) || isLiteral({v}))",
        }
        if value not in kinds:
            raise Uncompilable(f"sh:nodeKind {value}")
        return kinds[value]
    if param == SH["in"]:
        members = [f"sameTerm({v}, {_nt(m)})" for m in Collection(sg, value)]
        return "(" + (" || ".join(members) or "false") + ")"
    if param == SH.hasValue:
        return f"sameTerm({v}, {_nt(value)})"
    if param in (SH.minLength, SH.maxLength):
        op = ">=" if param == SH.minLength else "<="
        return f"(!isBlank({v}) && STRLEN(STR({v})) {op} {int(value)})"
    if param in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
        op = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">"}.get(param, "<")
        return f"({v} {op} {_nt(value)})"
    if param == SH.pattern:
        raise AssertionError("sh:pattern is compiled with its sh:flags")
    if param in (SH["or"], SH["and"], SH.xone):
        parts = [f"COALESCE({_shape_ok(sg, r, s, v)}, false)" for s in Collection(sg, value)]
        if param == SH.xone:
            return "((" + " + ".join(f"IF({p}, 1, 0)" for p in parts) + ") = 1)"
        joiner = " || " if param == SH["or"] else " && "
        return "(" + (joiner.join(parts) or ("false" if param == SH["or"] else "true")) + ")"
    if param == SH["not"]:
        return f"!COALESCE({_shape_ok(sg, r, value, v)}, false)"
    if param == SH.node:
        return _shape_ok(sg, r, value, v)
    raise Uncompilable(f"{_compact(str(param))} in a nested shape")


def _pattern_ok(sg: rdflib.Graph, shape: rdflib.term.Node, v: str) -> str:
    pattern, flags = sg.value(shape, SH.pattern), sg.value(shape, SH.flags)
    args = _nt(Literal(str(pattern))) + (f", {_nt(Literal(str(flags)))}" if flags else "")
    return f"(!isBlank({v}) && REGEX(STR({v}), {args}))"


_VALUE_LEVEL = {
    SH.datatype,
    SH["class"],
    SH.nodeKind,
    SH["in"],
    SH.minLength,
    SH.maxLength,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.pattern,
    SH["or"],
    SH["and"],
    SH["not"],
    SH.xone,
    SH.node,
}


def _shape_ok(sg: rdflib.Graph, r: _Render, shape: rdflib.term.Node, v: str) -> str:
    """A nested shape (in sh:or, sh:node ...) as an expression; only value-type constraints."""
    if (shape, SH.path, None) in sg or (shape, SH.property, None) in sg:
        raise Uncompilable("a nested shape with property constraints")
    parts = []
    for param, value in sg.predicate_objects(shape):
        if param in _NOT_CONSTRAINTS:
            continue
        if param == SH.pattern:
            parts.append(f"COALESCE({_pattern_ok(sg, shape, v)}, false)")
        elif param in _VALUE_LEVEL or param == SH.hasValue:
            parts.append(f"COALESCE({_ok(sg, r, param, value, v)}, false)")
        else:
            raise Uncompilable(f"{_compact(str(param))} in a nested shape")
    return "(" + (" && ".join(parts) or "true") + ")"


def _prefixes(sg: rdflib.Graph, constraint: rdflib.term.Node) -> str:
    lines = []
    for source in sg.objects(constraint, SH.prefixes):
        for decl in sg.objects(source, SH.declare):
            prefix, namespace = sg.value(decl, SH.prefix), sg.value(decl, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(lines)


def _message(sg: rdflib.Graph, node: rdflib.term.Node) -> str | None:
    message = sg.value(node, SH.message)
    return None if message is None else str(message)


def _severity(sg: rdflib.Graph, node: rdflib.term.Node) -> str:
    value = sg.value(node, SH.severity)
    return str(value).rsplit("#", 1)[-1] if value is not None else "Violation"


def _default_message(component: str, value: Any, path: str | None) -> str:
    of = f" of {_compact_sparql(path)}" if path else ""
    if isinstance(value, URIRef):
        shown = _compact(str(value))
    elif isinstance(value, BNode):
        shown = "a list" if component == "In" else "a shape"
    else:
        shown = str(value)
    texts = {
        "MinCount": f"Fewer than {shown} value(s){of}",
        "MaxCount": f"More than {shown} value(s){of}",
        "Datatype": f"Value{of} is not a well-formed literal of datatype {shown}",
        "Class": f"Value{of} is not an instance of {shown}",
        "NodeKind": f"Value{of} is not of node kind {shown}",
        "In": f"Value{of} is not one of the allowed values",
        "HasValue": f"Missing the required value {shown}{of}",
        "Pattern": f"Value{of} does not match the pattern {shown}",
        "MinLength": f"Value{of} is shorter than {shown} characters",
        "MaxLength": f"Value{of} is longer than {shown} characters",
        "MinInclusive": f"Value{of} is not >= {shown}",
        "MaxInclusive": f"Value{of} is not <= {shown}",
        "MinExclusive": f"Value{of} is not > {shown}",
        "MaxExclusive": f"Value{of} is not < {shown}",
        "LessThan": f"Value{of} is not less than the value of {shown}",
        "LessThanOrEquals": f"Value{of} is not less than or equal to the value of {shown}",
        "Equals": f"Values{of} differ from those of {shown}",
        "Disjoint": f"Value{of} is also a value of {shown}",
        "UniqueLang": f"More than one value{of} in the same language",
        "Or": f"Value{of} satisfies none of the sh:or alternatives",
        "And": f"Value{of} does not satisfy all of the sh:and shapes",
        "Not": f"Value{of} satisfies the sh:not shape",
        "Xone": f"Value{of} does not satisfy exactly one sh:xone shape",
        "Node": f"Value{of} does not satisfy the shape {shown}",
    }
    return texts.get(component, f"{component} constraint{of} not met")


class _ShapeCompiler:
    """The checks of one node shape (or property shape with its own targets)."""

    def __init__(self, sg: rdflib.Graph, ctx: Context, node: rdflib.term.Node) -> None:
        self.sg, self.ctx, self.node = sg, ctx, node
        self.shape_id = _shape_id(node)
        self.checks: list[Check] = []

    def query(self, build: Any) -> tuple[str, str | None]:
        """``build(render, graphs)`` in both forms (graph form None when impossible)."""
        plain = build(_Render(self.ctx, False), False)
        try:
            graphs = build(_Render(self.ctx, True), True)
        except _NoGraphs:
            graphs = None
        return plain, graphs

    def target(self, r: _Render) -> str:
        if r.untargeted:
            return ""
        pattern = r.target(self.sg, self.node)
        assert pattern is not None
        if r.graphs:
            return pattern
        return (pattern if " UNION " not in pattern else "{ " + pattern + " }") + " {RESTRICT}"

    def compile(self) -> None:
        sg = self.sg
        if (self.node, SH.path, None) in sg:  # a property shape with its own targets
            self.constraints(self.node, sg.value(self.node, SH.path))
            return
        self.constraints(self.node, None)
        for prop in sg.objects(self.node, SH.property):
            if (prop, SH.deactivated, Literal(True)) in sg:
                continue
            path_node = sg.value(prop, SH.path)
            if path_node is None:
                raise Uncompilable("a property shape without sh:path")
            self.constraints(prop, path_node)

    def constraints(self, node: rdflib.term.Node, path_node: rdflib.term.Node | None) -> None:
        """The constraints of a property shape (``path_node`` given) or of the node shape
        itself (whose value node is the focus node)."""
        sg = self.sg
        message = _message(sg, node)
        severity = _severity(sg, node)
        path = None if path_node is None else path_sparql(sg, path_node)

        def link(r: _Render, s: str, o: str) -> str:
            return f"BIND({s} AS {o})" if path_node is None else r.path(sg, path_node, s, o)

        def text(component: str, value: Any) -> str:
            return message or _default_message(component, value, path)

        local = (
            path_node is None
            or isinstance(path_node, URIRef)
            or isinstance(sg.value(path_node, SH.inversePath), URIRef)
        )
        # Rows can be found from the path alone (then kept for the focus nodes); counting and
        # comparing values so needs them all in the graph checked, none in the context.
        own = path_node is not None and not set(_path_iris(sg, path_node)) & self.ctx.predicates

        def add(
            kind: str,
            components: list[tuple[str, Any]],
            build: Any,
            untargeted: bool = False,
            **kw: Any,
        ) -> None:
            kw.setdefault("local", local)
            plain, graphs = self.query(build)
            if untargeted and graphs is not None:
                kw["candidates"] = build(_Render(self.ctx, True, untargeted=True), True)
                target = _Render(self.ctx, True).target(sg, self.node)
                kw["focus"] = f"SELECT DISTINCT ?g ?this WHERE {{ {{FOCUS}} {target} }}"
            names = tuple(c for c, _ in components)
            texts = tuple(text(c, v) for c, v in components)
            self.checks.append(
                Check(self.shape_id, path, severity, kind, names, texts, plain, graphs, **kw)
            )

        def head(graphs: bool, select: str) -> str:
            return f"SELECT {'?g ' if graphs else ''}{select} WHERE {{"

        value_level: list[tuple[str, Any, Any]] = []
        low = high = None
        for param, value in sg.predicate_objects(node):
            if param in _NOT_CONSTRAINTS:
                continue
            component = _COMPONENT.get(param, "Pattern" if param == SH.pattern else None)
            if component is None:
                raise Uncompilable(_compact(str(param)))
            if param in _VALUE_LEVEL:
                value_level.append((component, param, value))
            elif component == "MinCount":
                low = int(value)
            elif component == "MaxCount":
                high = int(value)
            elif component == "HasValue":
                add("rows", [(component, value)], self._has_value(link, value, path_node))
            elif component in ("LessThan", "LessThanOrEquals", "Equals", "Disjoint"):
                pair = self._pair(link, component, str(value))
                alone = own and component != "Equals" and str(value) not in self.ctx.predicates
                add("rows", [(component, value)], pair, untargeted=alone)
            elif component == "UniqueLang":
                if value == Literal(True) and path_node is not None:
                    add("rows", [(component, value)], self._unique_lang(link), untargeted=own)
            elif component == "SPARQL":
                self.sparql(value, path, message)
        if (low is not None or high is not None) and path_node is None:
            raise Uncompilable("sh:minCount/sh:maxCount on a node shape")
        if low == 1:

            def build_min(r: _Render, graphs: bool) -> str:
                minus = link(r, "?this", "?value")
                return f"{head(graphs, '?this')}\n{self.target(r)}\nMINUS {{ {minus} }}\n}}"

            add("rows", [("MinCount", low)], build_min)
        elif low is not None:
            # (HAVING cannot name the ?n of SELECT: it is evaluated before the projection)

            def build_count(r: _Render, graphs: bool) -> str:
                group = "?g ?this" if graphs else "?this"
                return (
                    f"{head(graphs, '?this (COUNT(DISTINCT ?value) AS ?n)')}\n{self.target(r)}\n"
                    f"OPTIONAL {{ {link(r, '?this', '?value')} }}\n}}\n"
                    f"GROUP BY {group} HAVING (COUNT(DISTINCT ?value) < {low})"
                )

            add("count", [("MinCount", low)], build_count, low=low)
        if high is not None:

            def build_max(r: _Render, graphs: bool) -> str:
                group = "?g ?this" if graphs else "?this"
                return (
                    f"{head(graphs, '?this')}\n{self.target(r)}\n{link(r, '?this', '?value')}\n}}\n"
                    f"GROUP BY {group} HAVING (COUNT(DISTINCT ?value) > {high})"
                )

            add("rows", [("MaxCount", high)], build_max, untargeted=own)
        if value_level:

            def build_values(r: _Render, graphs: bool) -> str:
                # Filter on all constraints at once; say which failed for the few rows left.
                oks = []
                for _, param, value in value_level:
                    if param == SH.pattern:
                        ok = _pattern_ok(sg, node, "?value")
                    else:
                        ok = _ok(sg, r, param, value, "?value")
                    oks.append(f"COALESCE({ok}, false)")
                fails = " ".join(f"(!{ok} AS ?f{i})" for i, ok in enumerate(oks))
                return (
                    f"{head(graphs, f'?this ?value {fails}')}\n{self.target(r)}\n"
                    f"{link(r, '?this', '?value')}\n"
                    f"FILTER(!({' && '.join(oks)}))\n}}"
                )

            monotone = all(p not in (SH["not"], SH.xone) for _, p, _ in value_level)
            add(
                "fails",
                [(c, v) for c, _, v in value_level],
                build_values,
                untargeted=path_node is not None,  # a value from the context: every graph's
                local=local and monotone,
            )

    def _has_value(self, link: Any, value: Any, path_node: Any) -> Any:
        def build(r: _Render, graphs: bool) -> str:
            select = f"SELECT {'?g ' if graphs else ''}?this WHERE {{\n{self.target(r)}\n"
            if path_node is None:
                return f"{select}FILTER(!sameTerm(?this, {_nt(value)}))\n}}"
            return f"{select}MINUS {{ {link(r, '?this', _nt(value))} }}\n}}"

        return build

    def _pair(self, link: Any, component: str, other: str) -> Any:
        def build(r: _Render, graphs: bool) -> str:
            select = f"SELECT {'?g ' if graphs else ''}?this ?value WHERE {{\n{self.target(r)}\n"
            mine = link(r, "?this", "?value")
            theirs = r.triple("?this", other, "?_other")
            if component in ("LessThan", "LessThanOrEquals"):
                op = "<" if component == "LessThan" else "<="
                return (
                    f"{select}{mine}\n{theirs}\nFILTER(!COALESCE(?value {op} ?_other, false))\n}}"
                )
            if component == "Disjoint":
                return f"{select}{mine}\n{r.triple('?this', other, '?value')}\n}}"
            same = link(r, "?this", "?_same")
            theirs = r.triple("?this", other, "?value")
            return (
                f"{select}{{ {mine} FILTER NOT EXISTS {{ {theirs} }} }}\n"
                f"UNION {{ {theirs} FILTER NOT EXISTS {{ {same} "
                "FILTER(sameTerm(?_same, ?value)) } }\n}"
            )

        return build

    def _unique_lang(self, link: Any) -> Any:
        def build(r: _Render, graphs: bool) -> str:
            return (
                f"SELECT DISTINCT {'?g ' if graphs else ''}?this WHERE {{\n{self.target(r)}\n"
                f"{link(r, '?this', '?value')}\n{link(r, '?this', '?_other')}\n"
                'FILTER(LANG(?value) != "" && LANG(?value) = LANG(?_other)'
                " && !sameTerm(?value, ?_other))\n}"
            )

        return build

    def sparql(self, constraint: Any, path: str | None, message: str | None) -> None:
        """A SHACL-SPARQL constraint: its SELECT joined with the focus nodes (run per
        dataset; ``$this`` must be projected)."""
        sg = self.sg
        if (constraint, SH.deactivated, Literal(True)) in sg:
            return
        select = sg.value(constraint, SH.select)
        if select is None:
            raise Uncompilable("sh:sparql without sh:select")
        text = str(select)
        if path is not None:
            text = text.replace("$PATH", path)
        if re.search(r"[$?](currentShape|shapesGraph)\b", text):
            raise Uncompilable("$currentShape / $shapesGraph in a SPARQL constraint")
        projection = re.search(r"SELECT\s+(.*?)\s*WHERE", text, re.S | re.I)
        if projection is None or not re.search(r"[$?]this\b|\*", projection.group(1)):
            raise Uncompilable("a SPARQL constraint that does not project $this")
        body = re.sub(r"\$(\w+)", r"?\1", text)
        query = (
            f"{_prefixes(sg, constraint)}\nSELECT DISTINCT ?this ?value WHERE {{\n"
            f"{self.target(_Render(self.ctx, False))}\n{{\n{body}\n}}\n}}"
        )
        text_message = _message(sg, constraint) or message or "SPARQL constraint not met"
        self.checks.append(
            Check(
                self.shape_id,
                path,
                _severity(sg, constraint),
                "rows",
                ("SPARQL",),
                (text_message,),
                query,
                None,
                local=False,
            )
        )


def compile_shapes(sg: rdflib.Graph, ctx: Context) -> CompiledShapes:
    """Translate every shape with targets into ``Check`` queries; a shape using a feature the
    translation does not cover is listed in ``uncompilable`` (and left to pySHACL)."""
    checks: list[Check] = []
    targets: dict[str, str] = {}
    uncompilable: dict[str, str] = {}
    shapes = {s for t in _TARGETS for s in sg.subjects(t, None)}
    shapes |= {s for s in sg.subjects(RDF.type, SH.NodeShape) if _has_implicit_target(sg, s)}
    for node in sorted(shapes, key=str):
        if (node, SH.deactivated, Literal(True)) in sg:
            continue
        shape_id = _shape_id(node)
        compiler = _ShapeCompiler(sg, ctx, node)
        try:
            target = _Render(ctx, False).target(sg, node)
            if target is None:
                continue
            targets[shape_id] = target
            compiler.compile()
        except Uncompilable as why:
            uncompilable[shape_id] = str(why)
            continue
        checks.extend(compiler.checks)
    into = {str(p) for p in sg.objects(None, SH.targetObjectsOf)}
    into |= {
        str(sg.value(path, SH.inversePath))
        for path in sg.objects(None, SH.path)
        if isinstance(sg.value(path, SH.inversePath), URIRef)
    }
    return CompiledShapes(checks, targets, uncompilable, into)


# --- running the SPARQL checks ---------------------------------------------------------------


@dataclass
class _Found:
    shape: str
    path: str | None
    component: str
    message: str
    severity: str
    focus: Any
    value: Any
    graphs: set[str] = field(default_factory=set)


def _key(shape: str, path: str | None, component: str, message: str, focus: Any, value: Any):
    """What makes two results the same violation (across datasets and engines). SPARQL
    constraints are told apart by their message (a shape may have several)."""
    return (shape, path, component, message if component == "SPARQL" else "", focus, value)


def _execute(store: ox.Store, query: str, **dataset: Any) -> list[dict[str, Any]]:
    result = store.query(query, **dataset)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{name: row[name] for name in names} for row in result]


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
        return _execute(store, check.graphs or "")
    if check.candidates not in cache:
        cache[check.candidates] = _execute(store, check.candidates)
    rows = cache[check.candidates]
    if not rows:
        return rows
    nodes = {row["this"] for row in rows}
    if any(isinstance(n, ox.BlankNode) for n in nodes):  # VALUES cannot name them
        return _execute(store, check.graphs or "")
    values = "VALUES ?this { " + " ".join(str(n) for n in nodes) + " }"
    graphs: dict[Any, set[Any]] = {}
    for pair in _execute(store, check.focus.replace("{FOCUS}", values)):
        graphs.setdefault(pair["this"], set()).add(pair["g"])
    return [
        {**row, "g": g}
        for row in rows
        for g in graphs.get(row["this"], ())
        if row.get("g") in (None, g)
    ]


def _validated_graphs(store: ox.Store, ctx: Context) -> list[ox.NamedNode | ox.DefaultGraph]:
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
        inverse = f"UNION {{ {_Render.values('?p', into)} GRAPH ?g {{ ?s ?p ?x }} }}"
    query = f"""SELECT ?x WHERE {{ {{ GRAPH ?g {{ ?x ?p ?o }} }} {inverse} }}
        GROUP BY ?x HAVING (COUNT(DISTINCT ?g) > 1)"""
    return [row["x"] for row in store.query(query)]


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


def run_checks(store: ox.Store, ctx: Context, compiled: CompiledShapes) -> dict[tuple, _Found]:
    """Every check over each validated graph (with the context), over the context graphs on
    their own, and over the union of all graphs.

    In the union a local check only needs the nodes that more than one graph states
    something about: any other node has the same triples in the union as in the one graph
    (or the context) that states them, which was checked already, and its values can only
    have more types. So local checks run on a small store holding what they read about those
    nodes (``shared_store``); the others on the union itself.
    """
    found: dict[tuple, _Found] = {}
    context = [ox.NamedNode(g) for g in ctx.graphs]
    validated = _validated_graphs(store, ctx)
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
            rows = _execute(store, query, default_graph=[graph, *context])
            runs.append((_graph_name(graph), rows))
        plain = check.plain.replace("{RESTRICT}", "")
        if context:
            runs.append((" + ".join(ctx.graphs), _execute(store, plain, default_graph=context)))
        if check.local and small is not None:
            query = check.plain.replace("{RESTRICT}", small_restrict)
            runs.append((UNION, _execute(small, query)))
        else:
            runs.append((UNION, _execute(store, plain, use_default_graph_as_union=True)))
        for name, rows in runs:
            for index, graph, focus, value in _read(check, rows):
                component, message = check.components[index], check.messages[index]
                key = _key(
                    check.shape, check.path, component, message, _ox_key(focus), _ox_key(value)
                )
                item = found.get(key)
                if item is None:
                    item = found[key] = _Found(
                        check.shape, check.path, component, message, check.severity, focus, value
                    )
                item.graphs.add(name if name is not None else graph.value)
    return found


# --- pySHACL over the light part of the graph ------------------------------------------------


def _count_targets(store: ox.Store, target: str) -> int:
    rows = list(
        store.query(
            f"SELECT (COUNT(DISTINCT ?this) AS ?n) WHERE {{ {target} }}",
            use_default_graph_as_union=True,
        )
    )
    return int(rows[0]["n"].value) if rows else 0


def _shape_node(shape: str) -> rdflib.term.Node:
    return URIRef(shape) if not shape.startswith("_:") else BNode(shape[2:])


def _path_iris(sg: rdflib.Graph, path: rdflib.term.Node) -> Iterator[str]:
    """The predicates a SHACL path names."""
    if isinstance(path, URIRef):
        yield str(path)
    elif (path, RDF.first, None) in sg:
        for step in Collection(sg, path):
            yield from _path_iris(sg, step)
    else:
        for node in sg.objects(path, None):
            yield from _path_iris(sg, node)


def _sparql_iris(sg: rdflib.Graph, constraint: rdflib.term.Node) -> set[str]:
    """The IRIs the SELECT of a SPARQL constraint names (in full or with its prefixes)."""
    text = str(sg.value(constraint, SH.select) or "")
    prefixes = dict(re.findall(r"PREFIX (\w*): <([^>]*)>", _prefixes(sg, constraint)))
    iris = set(re.findall(r"<([^<>\s]+)>", text))
    for prefix, local in re.findall(r"\b(\w+):(\w+)\b", text):
        if prefix in prefixes:
            iris.add(prefixes[prefix] + local)
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
    ctx: Context,
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
    render = _Render(ctx, False)
    out, into, anywhere = set(), set(), set()
    for shape, target in compiled.targets.items():
        node = _shape_node(shape)
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
                rows = list(store.query(query, use_default_graph_as_union=True))
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
                anywhere |= set(_path_iris(sg, path))
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
        node = _shape_node(shape)
        named = [*sg.objects(node, SH.targetClass)] + [node] * _has_implicit_target(sg, node)
        classes |= {c for cls in named for c in ctx.subclasses(str(cls))}
        if any((node, t, None) in sg for t in _TARGETS if t != SH.targetClass):
            others.append(_Render(ctx, False).target(sg, node, "?f"))
    focus = f"{_Render.values('?_fc', sorted(classes))} ?f {_TYPE} ?_fc ."
    if others:
        focus = " UNION ".join("{ " + p + " }" for p in [focus, *others])

    def among(var: str, iris: set[str]) -> str:
        return f"FILTER({var} IN (" + ", ".join(f"<{i}>" for i in sorted(iris)) + "))"

    types = f"?n {_TYPE} ?o . BIND(?n AS ?s) BIND({_TYPE} AS ?p)"
    query = f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
        {{ {focus} ?f ?p ?o . {among("?p", out | {str(RDF.type)})} BIND(?f AS ?s) }}
        UNION {{ {focus} ?s ?p ?f . {among("?p", into)} BIND(?f AS ?o) }}
        UNION {{ {_Render.values("?p", anywhere)} ?s ?p ?o }}
        UNION {{ {focus} ?f ?q ?n . {among("?q", out)} {types} }}
        UNION {{ {focus} ?n ?q ?f . {among("?q", into)} {types} }}
        UNION {{ {_Render.values("?q", anywhere)} {{ ?n ?q ?x }} UNION {{ ?x ?q ?n }} {types} }}
        UNION {{ ?s {_SUBCLASS} ?o BIND({_SUBCLASS} AS ?p) }}
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
    for shape, path in dropped:
        node = _shape_node(shape)
        for prop in list(sg.objects(node, SH.property)):
            prop_path = sg.value(prop, SH.path)
            if prop_path is not None and path_sparql(sg, prop_path) == path:
                sg.remove((node, SH.property, prop))
    keep = {_shape_node(s) for s in shapes}
    for node in {s for t in _TARGETS for s in sg.subjects(t, None)} - keep:
        for target in _TARGETS:
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
                "shape": _shape_id(parents.get(source, source)),
                "path": path,
                "component": component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent"),
                "message": str(results.value(result, SH.resultMessage) or ""),
                "severity": str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                "focus": _rdflib_key(results.value(result, SH.focusNode)),
                "value": _rdflib_key(results.value(result, SH.value)),
            }
        )
    return out


def _merge_pyshacl(found: dict[tuple, _Found], results: list[dict[str, Any]]) -> None:
    for r in results:
        key = _key(r["shape"], r["path"], r["component"], r["message"], r["focus"], r["value"])
        if key in found:
            continue
        focus, value = _from_key(r["focus"]), _from_key(r["value"])
        item = _Found(
            r["shape"], r["path"], r["component"], r["message"], r["severity"], focus, value
        )
        item.graphs.add(UNION)  # pySHACL ran on the union
        found[key] = item


def _from_key(key: tuple[str, str, str] | None) -> Any:
    if key is None:
        return None
    kind, value, extra = key
    if kind == "I":
        return ox.NamedNode(value)
    if kind == "B":
        return ox.BlankNode(value)
    if extra and ":" not in extra:
        return ox.Literal(value, language=extra)
    return ox.Literal(value, datatype=ox.NamedNode(extra))


# --- the whole run ---------------------------------------------------------------------------


def _described_in(store: ox.Store, focus: Any) -> list[str]:
    if isinstance(focus, ox.Literal) or focus is None:
        return []
    graphs = {
        q.graph_name.value
        for q in store.quads_for_pattern(focus, None, None, None)
        if isinstance(q.graph_name, ox.NamedNode)
    }
    return sorted(graphs)


def _violations(store: ox.Store, found: dict[tuple, _Found]) -> list[Violation]:
    out = []
    for item in found.values():
        graphs = sorted(item.graphs - {UNION}) or [UNION]
        out.append(
            Violation(
                focus=_display(item.focus) or "?",
                path=path_display(item.path),
                message=item.message,
                severity=item.severity,
                value=_display(item.value),
                shape=item.shape,
                component=item.component,
                graphs=graphs,
                described_in=_described_in(store, item.focus) if graphs == [UNION] else [],
            )
        )
    out.sort(key=lambda v: (v.focus, v.path or "", v.message, v.value or ""))
    return out


def pyshacl_part(
    store: ox.Store, shapes_text: str, max_focus: int
) -> tuple[list[dict[str, Any]], list[str], int]:
    """Plan and run pySHACL's part of the validation: (results, node shapes run, triples)."""
    sg = rdflib.Graph().parse(data=shapes_text, format="turtle")
    ctx = Context.of(store)
    plan = pyshacl_plan(store, sg, ctx, compile_shapes(sg, ctx), max_focus)
    results = run_pyshacl(shapes_text, plan.shapes, plan.dropped, plan.data) if plan.shapes else []
    return results, plan.shapes, plan.triples


class _Worker:
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


def _worker_main() -> None:
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


def validate_store(
    store: ox.Store,
    shapes: Path | str,
    *,
    path: Path | str | None = None,
    workers: int | None = None,
    pyshacl_max_focus: int | None = None,
    checks: Path | str | bool = True,
) -> Report:
    """Validate ``store`` against the shapes file ``shapes`` (see the module docstring),
    then run the data-quality checks (``run_data_checks``): ``checks`` is True for the
    project's ``queries/checks/``, a directory of ``.rq`` checks, or False for none.

    ``path``: where ``store`` lives on disk, if it is opened read-only there; then, with
    ``workers`` > 1 (default: ``default_workers()``), pySHACL's part runs in a worker process
    that opens it too, while this one runs the SPARQL checks. ``pyshacl_max_focus``: shapes
    (and property shapes) with more focus nodes (values) than this are left to the SPARQL
    engine (default ``PYSHACL_MAX_FOCUS``).
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    shapes_text = Path(shapes).read_text(encoding="utf-8")
    max_focus = PYSHACL_MAX_FOCUS if pyshacl_max_focus is None else pyshacl_max_focus
    workers = default_workers() if workers is None else workers
    worker = _Worker(Path(path), shapes_text, max_focus) if path and workers > 1 else None
    sg = rdflib.Graph().parse(data=shapes_text, format="turtle")
    ctx = Context.of(store)
    compiled = compile_shapes(sg, ctx)
    found = run_checks(store, ctx, compiled)
    seconds["sparql"] = time.perf_counter() - started
    mark = time.perf_counter()
    if worker is not None:
        results, pyshacl_shapes, triples = worker.result()
        seconds["pyshacl (waited for)"] = time.perf_counter() - mark
    else:
        results, pyshacl_shapes, triples = pyshacl_part(store, shapes_text, max_focus)
        seconds["pyshacl"] = time.perf_counter() - mark
    _merge_pyshacl(found, results)
    violations = _violations(store, found)
    data_checks: list[str] = []
    if checks is not False:
        mark = time.perf_counter()
        directory = None if checks is True else Path(checks)
        data_checks, failed = run_data_checks(store, directory)
        violations.extend(failed)
        seconds["data checks"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    return Report(
        violations=violations,
        graphs=len(_validated_graphs(store, ctx)),
        checks=len(compiled.checks),
        pyshacl_shapes=pyshacl_shapes,
        pyshacl_triples=triples,
        uncompilable=compiled.uncompilable,
        seconds=seconds,
        data_checks=data_checks,
    )


# --- data-quality checks -------------------------------------------------------------------

CHECK_COMPONENT = "Check"


def checks_dir() -> Path:
    """The project's data-quality checks: ``queries/checks/*.rq``."""
    return data_path("queries") / "checks"


def run_data_checks(
    store: ox.Store, directory: Path | None = None
) -> tuple[list[str], list[Violation]]:
    """Run every check in ``directory`` (default ``checks_dir()``) over the union of graphs.

    A check is a saved SELECT query (grlc-style header, no parameters) returning the rows
    that break one rule, the offending node first (column ``focus``). Each row is a
    violation: its message is the check's summary and name, its value the other columns, so
    ``kg validate`` reports a check's rows beside the SHACL results, grouped per check.
    Rules SHACL cannot say per node (an offset span against its quote's length, a report
    dated before its visit) live here. Returns the names of the checks run and the rows.
    """
    from kg.queries import execute, load_queries

    directory = directory or checks_dir()
    if not directory.is_dir():
        raise FileNotFoundError(f"no data-quality checks directory at {directory}")
    names, found = [], []
    for name, query in load_queries(directory).items():
        if query.parameters:
            raise ValueError(
                f"{query.path}: a check takes no parameters "
                f"({', '.join(p.name for p in query.parameters)})"
            )
        names.append(name)
        result = execute(store, query.sparql)
        summary = query.summary or name
        for row in result.rows:
            focus, rest = row[0], list(zip(result.columns[1:], row[1:], strict=True))
            details = "; ".join(
                f"{column}={term.value}" for column, term in rest if term is not None
            )
            found.append(
                Violation(
                    focus=_display(focus) or "?",
                    path=None,
                    message=f"{summary} (check {name})",
                    severity="Violation",
                    value=details or None,
                    shape=f"check:{name}",
                    component=CHECK_COMPONENT,
                    graphs=[UNION],
                    described_in=_described_in(store, focus),
                )
            )
    return names, found


# --- presenting ------------------------------------------------------------------------------


@dataclass
class Group:
    """Violations with the same shape, path, component and message."""

    shape: str | None
    path: str | None
    component: str | None
    message: str
    severity: str
    violations: list[Violation]


def group(violations: Iterable[Violation]) -> list[Group]:
    groups: dict[tuple, Group] = {}
    for v in violations:
        key = (v.shape, v.path, v.component, v.message, v.severity)
        if key not in groups:
            groups[key] = Group(v.shape, v.path, v.component, v.message, v.severity, [])
        groups[key].violations.append(v)
    return sorted(groups.values(), key=lambda g: (-len(g.violations), g.message))


def _where(v: Violation) -> str:
    if v.graphs == [UNION]:
        described = ", ".join(_short_graph(g) for g in v.described_in) or "no graph"
        return f"union of all graphs (focus described in: {described})"
    return ", ".join(_short_graph(g) for g in v.graphs)


def _short_graph(graph: str) -> str:
    prefix = vocab.GRAPH + "source/"
    return graph[len(prefix) :] if graph.startswith(prefix) else graph


def format_violation(v: Violation) -> list[str]:
    lines = [f"{v.severity or 'Violation'}: {v.message}", f"  focus: {v.focus}"]
    if v.path:
        lines.append(f"  path:  {v.path}")
    if v.value is not None:
        lines.append(f"  value: {_shorten(v.value)}")
    lines.append(f"  graph: {_where(v)}")
    return lines


def _shorten(text: str, width: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_report(
    violations: Sequence[Violation], *, show_all: bool = False, examples: int = 3
) -> Iterator[str]:
    """Lines for people: every violation when there are few (or ``show_all``), else one
    block per group (shape, path, component, message) with its count and a few examples."""
    if show_all or len(violations) <= LIST_AT_MOST:
        for v in violations:
            yield from format_violation(v)
        return
    groups = group(violations)
    for g in groups:
        where = " ".join(
            part
            for part in (
                _compact(g.shape) if g.shape else None,
                f"path {_compact(g.path)}" if g.path else None,
                f"[{g.component}]" if g.component else None,
            )
            if part
        )
        yield f"{len(g.violations)} × {g.severity}: {g.message}"
        yield f"  {where}"
        for v in g.violations[:examples]:
            value = f"  value: {_shorten(v.value, 80)}" if v.value is not None else ""
            yield f"  - focus: {v.focus}{value}"
            yield f"    graph: {_where(v)}"
        if len(g.violations) > examples:
            yield f"  ... and {len(g.violations) - examples} more (--all lists every one)"
    yield f"{len(groups)} group(s)"


if __name__ == "__main__":  # the pySHACL worker (see _Worker)
    _worker_main()
