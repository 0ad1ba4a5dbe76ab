"""What validation finds: one ``Violation`` per broken rule and focus node, in a ``Report``.

Both engines (SPARQL and pySHACL) and the data checks report in the same terms (focus, node
shape, path, constraint component, value), collected as ``Found`` under one key, so a
violation found by both engines, or in several graphs, is reported once with every graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.validate.terms import TermKey, display, path_display

# Where a violation is found when only the union of all graphs breaks the rule.
UNION = "union"


@dataclass
class Violation:
    """One validation result: ``focus``, ``path``, ``message``, ``severity``, ``value`` and
    ``shape`` (the node shape), plus the constraint component and where it was found: the
    source graphs whose dataset breaks the rule, or ``["union"]`` when only the union does
    (``described_in`` then lists the graphs describing the focus node)."""

    focus: str
    path: str | None
    message: str
    severity: str
    value: str | None = None
    shape: str | None = None
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


@dataclass
class Found:
    """A violation as an engine found it (terms as terms), with the graphs it was found in."""

    shape: str
    path: str | None
    component: str
    message: str
    severity: str
    focus: Any
    value: Any
    graphs: set[str] = field(default_factory=set)


FoundKey = tuple[str, str | None, str, str, TermKey | None, TermKey | None]


def found_key(
    shape: str,
    path: str | None,
    component: str,
    message: str,
    focus: TermKey | None,
    value: TermKey | None,
) -> FoundKey:
    """What makes two results the same violation (across datasets and engines). SPARQL
    constraints are told apart by their message (a shape may have several)."""
    return (shape, path, component, message if component == "SPARQL" else "", focus, value)


def described_in(store: ox.Store, focus: Any) -> list[str]:
    """The named graphs that state something about ``focus``."""
    if isinstance(focus, ox.Literal) or focus is None:
        return []
    graphs = {
        q.graph_name.value
        for q in store.quads_for_pattern(focus, None, None, None)
        if isinstance(q.graph_name, ox.NamedNode)
    }
    return sorted(graphs)


def to_violations(store: ox.Store, found: dict[FoundKey, Found]) -> list[Violation]:
    """The violations for people, sorted by focus, path, message and value."""
    out = []
    for item in found.values():
        graphs = sorted(item.graphs - {UNION}) or [UNION]
        out.append(
            Violation(
                focus=display(item.focus) or "?",
                path=path_display(item.path),
                message=item.message,
                severity=item.severity,
                value=display(item.value),
                shape=item.shape,
                component=item.component,
                graphs=graphs,
                described_in=described_in(store, item.focus) if graphs == [UNION] else [],
            )
        )
    out.sort(key=lambda v: (v.focus, v.path or "", v.message, v.value or ""))
    return out
