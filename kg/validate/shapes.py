"""SHACL shapes -> SPARQL: every constraint of a shape becomes a query (a ``Check``).

One class per SHACL Core constraint component (``MinCount``, ``Datatype``, ``LessThan``...,
and ``Sparql`` for SHACL-SPARQL), found by its parameter in ``COMPONENTS``: each says how it
is checked and its default message. Value-type components (``ValueComponent``) are SPARQL
expressions on one value node, so all of a property shape's are checked by one query, and
in nested shapes (``sh:or``, ``sh:node``...) too. A shape using a parameter no class covers is
``Uncompilable`` and left to pySHACL.

Most queries first find the offending values from the path alone and only then ask which of
them belong to focus nodes (``Check.candidates``), which is most of a query's work when the
graph is valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from kg import vocab
from kg.validate.patterns import (
    TARGETS,
    NoGraphs,
    ReferenceGraphs,
    Render,
    Uncompilable,
    has_implicit_target,
    nt,
    path_iris,
    path_sparql,
    shape_id,
)
from kg.validate.terms import compact, compact_sparql

# Datatypes pyoxigraph can cast to: a literal of one is checked to be well formed, too.
_CASTABLE = {
    vocab.XSD + name
    for name in ("integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time")
}
# Parameters that belong to another component (sh:flags to sh:pattern) or are no constraint.
NOT_CONSTRAINTS = {
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
    *TARGETS,
}

# ``build(render, graphs)``: a query's text in plain or graph form.
Build = Callable[[Render, bool], str]


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


def _head(graphs: bool, select: str) -> str:
    return f"SELECT {'?g ' if graphs else ''}{select} WHERE {{"


# --- the constraint components ---------------------------------------------------------------


class Component:
    """A SHACL constraint component: its parameter, its name in results (``MinCount`` for
    ``sh:MinCountConstraintComponent``) and its default message (``{shown}``: the
    parameter's value, ``{of}``: " of PATH")."""

    parameter: ClassVar[URIRef]
    name: ClassVar[str]
    text: ClassVar[str] = "{name} constraint{of} not met"

    def message(self, value: Any, path: str | None) -> str:
        of = f" of {compact_sparql(path)}" if path else ""
        if isinstance(value, URIRef):
            shown = compact(str(value))
        elif isinstance(value, BNode):
            shown = "a list" if self.name == "In" else "a shape"
        else:
            shown = str(value)
        return self.text.format(name=self.name, shown=shown, of=of)

    def compile(self, c: Constraints, value: Any) -> None:
        """Add to ``c`` what checks this component with parameter ``value``."""
        raise NotImplementedError


class ValueComponent(Component):
    """A constraint on each value node alone: an expression, so a property shape's are
    checked together (``Constraints.finish``) and nested shapes can use them."""

    # False when a value may break it in one graph and not in the union (which adds types).
    monotone: ClassVar[bool] = True

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        """A SPARQL expression true when ``v`` satisfies the constraint (of ``shape``)."""
        raise NotImplementedError

    def compile(self, c: Constraints, value: Any) -> None:
        c.value_level.append((self, value))


class Datatype(ValueComponent):
    parameter, name = SH.datatype, "Datatype"
    text = "Value{of} is not a well-formed literal of datatype {shown}"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        if value == RDF.langString:
            return f'(isLiteral({v}) && LANG({v}) != "")'
        test = f"(isLiteral({v}) && DATATYPE({v}) = {nt(value)})"
        if str(value) in _CASTABLE:
            test = f"({test} && isLiteral({nt(value)}(STR({v}))))"
        return test


class Class(ValueComponent):
    parameter, name = SH["class"], "Class"
    text = "Value{of} is not an instance of {shown}"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        if not isinstance(value, URIRef):
            raise Uncompilable("a blank node as sh:class")
        return f"EXISTS {{ {r.typed(v, str(value))} }}"


class NodeKind(ValueComponent):
    parameter, name = SH.nodeKind, "NodeKind"
    text = "Value{of} is not of node kind {shown}"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
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


class In(ValueComponent):
    parameter, name = SH["in"], "In"
    text = "Value{of} is not one of the allowed values"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        members = [f"sameTerm({v}, {nt(m)})" for m in Collection(sg, value)]
        return "(" + (" || ".join(members) or "false") + ")"


class _Length(ValueComponent):
    op: ClassVar[str]

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        return f"(!isBlank({v}) && STRLEN(STR({v})) {self.op} {int(value)})"


class MinLength(_Length):
    parameter, name, op = SH.minLength, "MinLength", ">="
    text = "Value{of} is shorter than {shown} characters"


class MaxLength(_Length):
    parameter, name, op = SH.maxLength, "MaxLength", "<="
    text = "Value{of} is longer than {shown} characters"


class _Range(ValueComponent):
    op: ClassVar[str]

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        return f"({v} {self.op} {nt(value)})"


class MinInclusive(_Range):
    parameter, name, op = SH.minInclusive, "MinInclusive", ">="
    text = "Value{of} is not >= {shown}"


class MaxInclusive(_Range):
    parameter, name, op = SH.maxInclusive, "MaxInclusive", "<="
    text = "Value{of} is not <= {shown}"


class MinExclusive(_Range):
    parameter, name, op = SH.minExclusive, "MinExclusive", ">"
    text = "Value{of} is not > {shown}"


class MaxExclusive(_Range):
    parameter, name, op = SH.maxExclusive, "MaxExclusive", "<"
    text = "Value{of} is not < {shown}"


class Pattern(ValueComponent):
    """``sh:pattern`` with the shape's ``sh:flags``."""

    parameter, name = SH.pattern, "Pattern"
    text = "Value{of} does not match the pattern {shown}"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        pattern, flags = sg.value(shape, SH.pattern), sg.value(shape, SH.flags)
        args = nt(Literal(str(pattern))) + (f", {nt(Literal(str(flags)))}" if flags else "")
        return f"(!isBlank({v}) && REGEX(STR({v}), {args}))"


class _Logical(ValueComponent):
    """``sh:or``, ``sh:and``: a list of nested shapes joined by ``joiner``."""

    joiner: ClassVar[str]
    empty: ClassVar[str]

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        parts = [f"COALESCE({shape_ok(sg, r, s, v)}, false)" for s in Collection(sg, value)]
        return "(" + (self.joiner.join(parts) or self.empty) + ")"


class Or(_Logical):
    parameter, name, joiner, empty = SH["or"], "Or", " || ", "false"
    text = "Value{of} satisfies none of the sh:or alternatives"


class And(_Logical):
    parameter, name, joiner, empty = SH["and"], "And", " && ", "true"
    text = "Value{of} does not satisfy all of the sh:and shapes"


class Xone(ValueComponent):
    parameter, name, monotone = SH.xone, "Xone", False
    text = "Value{of} does not satisfy exactly one sh:xone shape"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        parts = [f"COALESCE({shape_ok(sg, r, s, v)}, false)" for s in Collection(sg, value)]
        return "((" + " + ".join(f"IF({p}, 1, 0)" for p in parts) + ") = 1)"


class Not(ValueComponent):
    parameter, name, monotone = SH["not"], "Not", False
    text = "Value{of} satisfies the sh:not shape"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        return f"!COALESCE({shape_ok(sg, r, value, v)}, false)"


class Node(ValueComponent):
    parameter, name = SH.node, "Node"
    text = "Value{of} does not satisfy the shape {shown}"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        return shape_ok(sg, r, value, v)


class HasValue(ValueComponent):
    """A value in a nested shape; in a shape, a query of its own (a missing value)."""

    parameter, name = SH.hasValue, "HasValue"
    text = "Missing the required value {shown}{of}"

    def ok(self, sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, value: Any, v: str) -> str:
        return f"sameTerm({v}, {nt(value)})"

    def compile(self, c: Constraints, value: Any) -> None:
        def build(r: Render, graphs: bool) -> str:
            select = f"SELECT {'?g ' if graphs else ''}?this WHERE {{\n{c.target(r)}\n"
            if c.path_node is None:
                return f"{select}FILTER(!sameTerm(?this, {nt(value)}))\n}}"
            return f"{select}MINUS {{ {c.link(r, '?this', nt(value))} }}\n}}"

        c.add("rows", [(self, value)], build)


class MinCount(Component):
    """Counted with ``sh:maxCount`` in ``Constraints.finish``."""

    parameter, name = SH.minCount, "MinCount"
    text = "Fewer than {shown} value(s){of}"

    def compile(self, c: Constraints, value: Any) -> None:
        c.low = int(value)


class MaxCount(Component):
    parameter, name = SH.maxCount, "MaxCount"
    text = "More than {shown} value(s){of}"

    def compile(self, c: Constraints, value: Any) -> None:
        c.high = int(value)


class _Pair(Component):
    """A comparison of the path's values with those of another predicate."""

    def compile(self, c: Constraints, value: Any) -> None:
        other = str(value)
        alone = c.own and self.name != "Equals" and other not in c.ctx.predicates

        def build(r: Render, graphs: bool) -> str:
            select = f"SELECT {'?g ' if graphs else ''}?this ?value WHERE {{\n{c.target(r)}\n"
            return select + self.body(c, r, other)

        c.add("rows", [(self, value)], build, untargeted=alone)

    def body(self, c: Constraints, r: Render, other: str) -> str:
        raise NotImplementedError


class LessThan(_Pair):
    parameter, name = SH.lessThan, "LessThan"
    text = "Value{of} is not less than the value of {shown}"
    op: ClassVar[str] = "<"

    def body(self, c: Constraints, r: Render, other: str) -> str:
        mine = c.link(r, "?this", "?value")
        theirs = r.triple("?this", other, "?_other")
        return f"{mine}\n{theirs}\nFILTER(!COALESCE(?value {self.op} ?_other, false))\n}}"


class LessThanOrEquals(LessThan):
    parameter, name, op = SH.lessThanOrEquals, "LessThanOrEquals", "<="
    text = "Value{of} is not less than or equal to the value of {shown}"


class Disjoint(_Pair):
    parameter, name = SH.disjoint, "Disjoint"
    text = "Value{of} is also a value of {shown}"

    def body(self, c: Constraints, r: Render, other: str) -> str:
        mine = c.link(r, "?this", "?value")
        return f"{mine}\n{r.triple('?this', other, '?value')}\n}}"


class Equals(_Pair):
    parameter, name = SH.equals, "Equals"
    text = "Values{of} differ from those of {shown}"

    def body(self, c: Constraints, r: Render, other: str) -> str:
        mine = c.link(r, "?this", "?value")
        same = c.link(r, "?this", "?_same")
        theirs = r.triple("?this", other, "?value")
        return (
            f"{{ {mine} FILTER NOT EXISTS {{ {theirs} }} }}\n"
            f"UNION {{ {theirs} FILTER NOT EXISTS {{ {same} "
            "FILTER(sameTerm(?_same, ?value)) } }\n}"
        )


class UniqueLang(Component):
    parameter, name = SH.uniqueLang, "UniqueLang"
    text = "More than one value{of} in the same language"

    def compile(self, c: Constraints, value: Any) -> None:
        if value != Literal(True) or c.path_node is None:
            return

        def build(r: Render, graphs: bool) -> str:
            return (
                f"SELECT DISTINCT {'?g ' if graphs else ''}?this WHERE {{\n{c.target(r)}\n"
                f"{c.link(r, '?this', '?value')}\n{c.link(r, '?this', '?_other')}\n"
                'FILTER(LANG(?value) != "" && LANG(?value) = LANG(?_other)'
                " && !sameTerm(?value, ?_other))\n}"
            )

        c.add("rows", [(self, value)], build, untargeted=c.own)


class Sparql(Component):
    """A SHACL-SPARQL constraint: its SELECT joined with the focus nodes (run per dataset;
    ``$this`` must be projected)."""

    parameter, name = SH.sparql, "SPARQL"
    text = "SPARQL constraint not met"

    def compile(self, c: Constraints, value: Any) -> None:
        sg, constraint = c.sg, value
        if (constraint, SH.deactivated, Literal(True)) in sg:
            return
        select = sg.value(constraint, SH.select)
        if select is None:
            raise Uncompilable("sh:sparql without sh:select")
        text = str(select)
        if c.path is not None:
            text = text.replace("$PATH", c.path)
        if re.search(r"[$?](currentShape|shapesGraph)\b", text):
            raise Uncompilable("$currentShape / $shapesGraph in a SPARQL constraint")
        projection = re.search(r"SELECT\s+(.*?)\s*WHERE", text, re.S | re.I)
        if projection is None or not re.search(r"[$?]this\b|\*", projection.group(1)):
            raise Uncompilable("a SPARQL constraint that does not project $this")
        body = re.sub(r"\$(\w+)", r"?\1", text)
        query = (
            f"{prefixes(sg, constraint)}\nSELECT DISTINCT ?this ?value WHERE {{\n"
            f"{c.target(Render(c.ctx, False))}\n{{\n{body}\n}}\n}}"
        )
        message = _message(sg, constraint) or c.message or self.text
        c.checks.append(
            Check(
                c.shape_id,
                c.path,
                _severity(sg, constraint),
                "rows",
                (self.name,),
                (message,),
                query,
                None,
                local=False,
            )
        )


def _registry(*classes: type[Component]) -> dict[rdflib.term.Node, Component]:
    return {cls.parameter: cls() for cls in classes}


COMPONENTS: dict[rdflib.term.Node, Component] = _registry(
    MinCount,
    MaxCount,
    Datatype,
    Class,
    NodeKind,
    In,
    HasValue,
    Pattern,
    MinLength,
    MaxLength,
    MinInclusive,
    MaxInclusive,
    MinExclusive,
    MaxExclusive,
    LessThan,
    LessThanOrEquals,
    Equals,
    Disjoint,
    UniqueLang,
    Or,
    And,
    Not,
    Xone,
    Node,
    Sparql,
)


def shape_ok(sg: rdflib.Graph, r: Render, shape: rdflib.term.Node, v: str) -> str:
    """A nested shape (in sh:or, sh:node ...) as an expression; only value-type constraints."""
    if (shape, SH.path, None) in sg or (shape, SH.property, None) in sg:
        raise Uncompilable("a nested shape with property constraints")
    parts = []
    for param, value in sg.predicate_objects(shape):
        if param in NOT_CONSTRAINTS:
            continue
        component = COMPONENTS.get(param)
        if not isinstance(component, ValueComponent):
            raise Uncompilable(f"{compact(str(param))} in a nested shape")
        parts.append(f"COALESCE({component.ok(sg, r, shape, value, v)}, false)")
    return "(" + (" && ".join(parts) or "true") + ")"


# --- one shape -------------------------------------------------------------------------------


def prefixes(sg: rdflib.Graph, constraint: rdflib.term.Node) -> str:
    """The PREFIX lines a SPARQL constraint declares with ``sh:prefixes``."""
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


class Constraints:
    """The constraints of one property shape (``path_node`` given) or of a node shape
    itself (whose value node is the focus node), as they are compiled into ``checks``."""

    def __init__(
        self,
        compiler: ShapeCompiler,
        node: rdflib.term.Node,
        path_node: rdflib.term.Node | None,
    ) -> None:
        sg = compiler.sg
        self.sg, self.ctx, self.compiler = sg, compiler.ctx, compiler
        self.shape_id, self.checks = compiler.shape_id, compiler.checks
        self.node, self.path_node = node, path_node
        self.message = _message(sg, node)
        self.severity = _severity(sg, node)
        self.path = None if path_node is None else path_sparql(sg, path_node)
        self.local = (
            path_node is None
            or isinstance(path_node, URIRef)
            or isinstance(sg.value(path_node, SH.inversePath), URIRef)
        )
        # Rows can be found from the path alone (then kept for the focus nodes); counting and
        # comparing values so needs them all in the graph checked, none in the context.
        self.own = path_node is not None and not set(path_iris(sg, path_node)) & self.ctx.predicates
        self.value_level: list[tuple[ValueComponent, Any]] = []
        self.low: int | None = None
        self.high: int | None = None

    def link(self, r: Render, s: str, o: str) -> str:
        """Patterns linking the focus node ``s`` to a value ``o``."""
        if self.path_node is None:
            return f"BIND({s} AS {o})"
        return r.path(self.sg, self.path_node, s, o)

    def target(self, r: Render) -> str:
        return self.compiler.target(r)

    def add(
        self,
        kind: str,
        components: list[tuple[Component, Any]],
        build: Build,
        untargeted: bool = False,
        **kw: Any,
    ) -> None:
        """A ``Check`` of ``components`` (with their parameter values) by the query ``build``
        writes; ``untargeted``: with ``candidates`` found without the target pattern."""
        kw.setdefault("local", self.local)
        ctx, sg = self.ctx, self.sg
        plain, graphs = self.compiler.query(build)
        if untargeted and graphs is not None:
            kw["candidates"] = build(Render(ctx, True, untargeted=True), True)
            target = Render(ctx, True).target(sg, self.compiler.node)
            kw["focus"] = f"SELECT DISTINCT ?g ?this WHERE {{ {{FOCUS}} {target} }}"
        names = tuple(c.name for c, _ in components)
        texts = tuple(self.message or c.message(v, self.path) for c, v in components)
        self.checks.append(
            Check(self.shape_id, self.path, self.severity, kind, names, texts, plain, graphs, **kw)
        )

    def compile(self) -> None:
        for param, value in self.sg.predicate_objects(self.node):
            if param in NOT_CONSTRAINTS:
                continue
            component = COMPONENTS.get(param)
            if component is None:
                raise Uncompilable(compact(str(param)))
            component.compile(self, value)
        self.finish()

    def finish(self) -> None:
        """The counts (``sh:minCount``, ``sh:maxCount``) and the value-type constraints."""
        low, high = self.low, self.high
        if (low is not None or high is not None) and self.path_node is None:
            raise Uncompilable("sh:minCount/sh:maxCount on a node shape")
        if low == 1:

            def build_min(r: Render, graphs: bool) -> str:
                minus = self.link(r, "?this", "?value")
                return f"{_head(graphs, '?this')}\n{self.target(r)}\nMINUS {{ {minus} }}\n}}"

            self.add("rows", [(COMPONENTS[SH.minCount], low)], build_min)
        elif low is not None:
            # (HAVING cannot name the ?n of SELECT: it is evaluated before the projection)

            def build_count(r: Render, graphs: bool) -> str:
                group = "?g ?this" if graphs else "?this"
                return (
                    f"{_head(graphs, '?this (COUNT(DISTINCT ?value) AS ?n)')}\n"
                    f"{self.target(r)}\n"
                    f"OPTIONAL {{ {self.link(r, '?this', '?value')} }}\n}}\n"
                    f"GROUP BY {group} HAVING (COUNT(DISTINCT ?value) < {low})"
                )

            self.add("count", [(COMPONENTS[SH.minCount], low)], build_count, low=low)
        if high is not None:

            def build_max(r: Render, graphs: bool) -> str:
                group = "?g ?this" if graphs else "?this"
                return (
                    f"{_head(graphs, '?this')}\n{self.target(r)}\n"
                    f"{self.link(r, '?this', '?value')}\n}}\n"
                    f"GROUP BY {group} HAVING (COUNT(DISTINCT ?value) > {high})"
                )

            self.add("rows", [(COMPONENTS[SH.maxCount], high)], build_max, untargeted=self.own)
        if self.value_level:
            value_level = self.value_level

            def build_values(r: Render, graphs: bool) -> str:
                # Filter on all constraints at once; say which failed for the few rows left.
                oks = [
                    f"COALESCE({c.ok(self.sg, r, self.node, value, '?value')}, false)"
                    for c, value in value_level
                ]
                fails = " ".join(f"(!{ok} AS ?f{i})" for i, ok in enumerate(oks))
                return (
                    f"{_head(graphs, f'?this ?value {fails}')}\n{self.target(r)}\n"
                    f"{self.link(r, '?this', '?value')}\n"
                    f"FILTER(!({' && '.join(oks)}))\n}}"
                )

            self.add(
                "fails",
                list(value_level),
                build_values,
                untargeted=self.path_node is not None,  # a value from the context: every graph's
                local=self.local and all(c.monotone for c, _ in value_level),
            )


class ShapeCompiler:
    """The checks of one node shape (or property shape with its own targets)."""

    def __init__(self, sg: rdflib.Graph, ctx: ReferenceGraphs, node: rdflib.term.Node) -> None:
        self.sg, self.ctx, self.node = sg, ctx, node
        self.shape_id = shape_id(node)
        self.checks: list[Check] = []

    def query(self, build: Build) -> tuple[str, str | None]:
        """``build(render, graphs)`` in both forms (graph form None when impossible)."""
        plain = build(Render(self.ctx, False), False)
        try:
            graphs = build(Render(self.ctx, True), True)
        except NoGraphs:
            graphs = None
        return plain, graphs

    def target(self, r: Render) -> str:
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
            Constraints(self, self.node, sg.value(self.node, SH.path)).compile()
            return
        Constraints(self, self.node, None).compile()
        for prop in sg.objects(self.node, SH.property):
            if (prop, SH.deactivated, Literal(True)) in sg:
                continue
            path_node = sg.value(prop, SH.path)
            if path_node is None:
                raise Uncompilable("a property shape without sh:path")
            Constraints(self, prop, path_node).compile()


def compile_shapes(sg: rdflib.Graph, ctx: ReferenceGraphs) -> CompiledShapes:
    """Translate every shape with targets into ``Check`` queries; a shape using a feature the
    translation does not cover is listed in ``uncompilable`` (and left to pySHACL)."""
    checks: list[Check] = []
    targets: dict[str, str] = {}
    uncompilable: dict[str, str] = {}
    shapes = {s for t in TARGETS for s in sg.subjects(t, None)}
    shapes |= {s for s in sg.subjects(RDF.type, SH.NodeShape) if has_implicit_target(sg, s)}
    for node in sorted(shapes, key=str):
        if (node, SH.deactivated, Literal(True)) in sg:
            continue
        compiler = ShapeCompiler(sg, ctx, node)
        try:
            target = Render(ctx, False).target(sg, node)
            if target is None:
                continue
            targets[compiler.shape_id] = target
            compiler.compile()
        except Uncompilable as why:
            uncompilable[compiler.shape_id] = str(why)
            continue
        checks.extend(compiler.checks)
    into = {str(p) for p in sg.objects(None, SH.targetObjectsOf)}
    into |= {
        str(sg.value(path, SH.inversePath))
        for path in sg.objects(None, SH.path)
        if isinstance(sg.value(path, SH.inversePath), URIRef)
    }
    return CompiledShapes(checks, targets, uncompilable, into)
