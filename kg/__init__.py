"""A knowledge graph of Ofsted inspections of English local authority children's services.

The data flows one way, one module per step:

    source file --(kg.text)--> clean text --(kg.extract)--> kg.record.Report
        --(kg.rdf)--> RDF quads --(kg.store)--> on-disk store --> queries / outputs

``kg.build`` runs the whole pipeline over a batch of files. For notebooks::

    from kg import open_store, run_query, sparql
    result = run_query("recurring-issues", authority="Hartlepool")   # see kg.api
"""

from typing import Any

from kg.version import __version__ as __version__

_API = (
    "open_store",
    "run_query",
    "sparql",
    "saved_queries",
    "QueryResult",
    "QueryError",
    "QueryTimeout",
)


def __getattr__(name: str) -> Any:
    """``from kg import run_query`` without importing pyoxigraph for every ``import kg``."""
    if name in _API:
        from kg import api

        return getattr(api, name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
