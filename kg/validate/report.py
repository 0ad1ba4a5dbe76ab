"""Validation results for people: every violation when there are few, else one block per
rule (shape, path, component, message) with its count and a few examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from kg import vocab
from kg.validate.results import UNION, Violation
from kg.validate.terms import compact

# ``format_report`` lists every violation up to this many, else groups them.
LIST_AT_MOST = 10


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
                compact(g.shape) if g.shape else None,
                f"path {compact(g.path)}" if g.path else None,
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
