"""The data-quality checks: each ``queries/checks/*.rq`` is a SELECT over the union of graphs
returning the rows that break one rule; each row is reported as a violation of shape
``check:<name>`` (component ``Check``) with the check's summary.

Rules SHACL cannot say per node (an offset span against its quote's length, a report dated
before its visit) live here, as saved queries a data specialist can read and run alone.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.resources import data_path
from kg.validate.results import UNION, Violation, described_in
from kg.validate.terms import display

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
                    focus=display(focus) or "?",
                    path=None,
                    message=f"{summary} (check {name})",
                    severity="Violation",
                    value=details or None,
                    shape=f"check:{name}",
                    component=CHECK_COMPONENT,
                    graphs=[UNION],
                    described_in=described_in(store, focus),
                )
            )
    return names, found
