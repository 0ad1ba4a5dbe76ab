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

One module per job: ``terms`` (how terms are keyed and shown), ``patterns`` (the patterns
of one query and the reference graphs), ``shapes`` (the translator: one class per
constraint component), ``runner`` (the SPARQL checks on the store), ``pyshacl_engine``
(pySHACL's part and its worker), ``checks`` (the ``.rq`` data checks), ``results`` (what is
found), ``report`` (the lines for people) and ``run`` (the whole validation).
"""

from __future__ import annotations

from kg.validate.checks import CHECK_COMPONENT, checks_dir, run_data_checks
from kg.validate.patterns import (
    CONTEXT_GRAPHS,
    ReferenceGraphs,
    Render,
    Uncompilable,
    path_sparql,
)
from kg.validate.pyshacl_engine import (
    PYSHACL_MAX_FOCUS,
    PyshaclPlan,
    default_workers,
    pyshacl_part,
    pyshacl_plan,
    run_pyshacl,
)
from kg.validate.report import LIST_AT_MOST, Group, format_report, format_violation, group
from kg.validate.results import UNION, Report, Violation
from kg.validate.run import validate_graph, validate_store
from kg.validate.runner import SHARED_MARKS, run_checks, shared_nodes, shared_store
from kg.validate.shapes import COMPONENTS, Check, CompiledShapes, Component, compile_shapes
from kg.validate.terms import path_display

__all__ = [
    "CHECK_COMPONENT",
    "COMPONENTS",
    "CONTEXT_GRAPHS",
    "LIST_AT_MOST",
    "PYSHACL_MAX_FOCUS",
    "SHARED_MARKS",
    "UNION",
    "Check",
    "CompiledShapes",
    "Component",
    "Group",
    "PyshaclPlan",
    "ReferenceGraphs",
    "Render",
    "Report",
    "Uncompilable",
    "Violation",
    "checks_dir",
    "compile_shapes",
    "default_workers",
    "format_report",
    "format_violation",
    "group",
    "path_display",
    "path_sparql",
    "pyshacl_part",
    "pyshacl_plan",
    "run_checks",
    "run_data_checks",
    "run_pyshacl",
    "shared_nodes",
    "shared_store",
    "validate_graph",
    "validate_store",
]
