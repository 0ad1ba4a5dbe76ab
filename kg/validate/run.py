"""The whole validation of a store: the SPARQL checks, pySHACL's part beside them (in a worker
process when a second core is idle), then the data-quality checks, in one ``Report``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

from kg.resources import data_path
from kg.store import SHAPES_FILE, KnowledgeGraph
from kg.validate.checks import run_data_checks
from kg.validate.patterns import ReferenceGraphs
from kg.validate.pyshacl_engine import (
    PYSHACL_MAX_FOCUS,
    Worker,
    default_workers,
    merge_pyshacl,
    pyshacl_part,
)
from kg.validate.results import Report, Violation, to_violations
from kg.validate.runner import run_checks, validated_graphs
from kg.validate.shapes import compile_shapes


def validate_store(
    store: ox.Store,
    shapes: Path | str,
    *,
    path: Path | str | None = None,
    workers: int | None = None,
    pyshacl_max_focus: int | None = None,
    checks: Path | str | bool = True,
) -> Report:
    """Validate ``store`` against the shapes file ``shapes`` (see ``kg.validate``),
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
    worker = Worker(Path(path), shapes_text, max_focus) if path and workers > 1 else None
    sg = rdflib.Graph().parse(data=shapes_text, format="turtle")
    ctx = ReferenceGraphs.of(store)
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
    merge_pyshacl(found, results)
    violations = to_violations(store, found)
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
        graphs=len(validated_graphs(store, ctx)),
        checks=len(compiled.checks),
        pyshacl_shapes=pyshacl_shapes,
        pyshacl_triples=triples,
        uncompilable=compiled.uncompilable,
        seconds=seconds,
        data_checks=data_checks,
    )


def validate_graph(
    graph: KnowledgeGraph,
    shapes: Path | None = None,
    *,
    workers: int | None = None,
    checks: bool = True,
) -> list[Violation]:
    """``validate_store`` on an open knowledge graph: every graph (with the ontology and
    authorities graphs) and their union against the SHACL shapes (default
    ``ontology/shapes.ttl``), then the data-quality checks unless ``checks`` is False.
    A graph opened read-only lets pySHACL's part run in a worker that opens it too."""
    report = validate_store(
        graph.store,
        shapes or data_path(SHAPES_FILE),
        path=graph.path if graph.read_only else None,
        workers=workers,
        checks=checks,
    )
    return list(report.violations)
