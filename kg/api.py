"""The Python API a notebook uses: the same questions as ``kg query`` and ``kg sparql``.

>>> from kg import open_store, run_query, sparql                      # doctest: +SKIP
>>> graph = open_store()                     # ./kg-store or $KG_STORE, read-only
>>> result = run_query("recurring-issues", store=graph, authority="Hartlepool")
>>> [row["theme_label"] for row in result.values()][:2]
['Written plans', 'Quality of assessments']
>>> result.to_dataframe()                    # pandas (pip install -e '.[pandas]')
>>> sparql("SELECT (COUNT(DISTINCT ?v) AS ?n) WHERE { ?v a kg:Visit }", store=graph).values()
[{'n': '34'}]
>>> run_query("recurring-issues", store=graph, timeout=5)            # QueryTimeout if longer
>>> run_query("recurring-issues", endpoint="http://localhost:7878/query")  # any SPARQL 1.1

``store`` may be a ``KnowledgeGraph``, a pyoxigraph ``Store``, any ``kg.queries.QuerySource``,
a store directory, or left out (the default store is opened read-only for the call). Saved
queries run through ``kg.queries.run_saved``, as ``kg query`` and ``kg serve`` run them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.queries import (
    QueryError,
    QueryResult,
    QuerySource,
    QueryTimeout,
    SavedQuery,
    as_source,
    execute,
    load_queries,
    run_saved,
)
from kg.store import KnowledgeGraph, default_store_path

__all__ = [
    "QueryError",
    "QueryResult",
    "QuerySource",
    "QueryTimeout",
    "open_store",
    "run_query",
    "saved_queries",
    "search",
    "sparql",
]


def open_store(path: Path | str | None = None) -> KnowledgeGraph:
    """The store at ``path`` (default ./kg-store or $KG_STORE), opened read-only so a
    notebook never blocks or corrupts a running build. Close it (or use ``with``) when done."""
    return KnowledgeGraph.open_read_only(path if path is not None else default_store_path())


def saved_queries() -> dict[str, SavedQuery]:
    """Every saved query in queries/ by name, with its summary and parameters."""
    return load_queries()


def run_query(
    name: str,
    *,
    store: Any = None,
    endpoint: str | None = None,
    limit: int | None = None,
    timeout: float | None = None,
    params: dict[str, Any] | None = None,
    **kwargs: Any,
) -> QueryResult:
    """Run the saved query ``name`` with keyword parameters (``authority="Hartlepool"``,
    ``from_year=2010``) or a ``params`` dict (for a parameter called like an argument here).

    ``limit`` caps the rows (``result.truncated`` says if it cut); ``timeout`` seconds stops
    a runaway query with ``QueryTimeout``; ``endpoint`` sends it to a SPARQL 1.1 endpoint.
    """
    with _Source(store, endpoint, timeout) as source:
        return run_saved(
            source, name, params={**kwargs, **(params or {})}, limit=limit, timeout=timeout
        )


def sparql(
    text: str,
    *,
    store: Any = None,
    endpoint: str | None = None,
    limit: int | None = None,
    timeout: float | None = None,
) -> QueryResult:
    """Run ad-hoc SPARQL (the project's prefixes predeclared) over the union of all graphs."""
    with _Source(store, endpoint, timeout) as source:
        return execute(source, text, limit=limit, timeout=timeout)


def search(words: str, *, store: Any = None, limit: int | None = 20, **filters: Any) -> Any:
    """Full-text search (``kg.search``): ranked hits for ``words`` with their quote, source
    file, offsets and statement IRI. Filters: ``authority`` (name, GSS code or DfE number),
    ``from_year``, ``to_year``, ``kind``, ``theme``, ``polarity``, ``statement``. Returns a
    ``kg.search.SearchResult`` (``.hits``, ``.values()``, ``.to_dataframe()`` with pandas).
    ``store`` as for ``run_query`` (a directory or a ``KnowledgeGraph``)."""
    from kg.search import search as run_search

    if isinstance(store, KnowledgeGraph):
        return run_search(store.store, store.path, words, store.stamp, limit=limit, **filters)
    graph = open_store(store)
    try:
        return run_search(graph.store, graph.path, words, graph.stamp, limit=limit, **filters)
    finally:
        graph.close()


class _Source:
    """What to query: an open store as given, the store at a path (opened and closed here),
    or an endpoint."""

    def __init__(self, store: Any, endpoint: str | None, timeout: float | None) -> None:
        self.store = store
        self.endpoint = endpoint
        self.timeout = timeout
        self.opened: KnowledgeGraph | None = None

    def __enter__(self) -> QuerySource:
        if self.endpoint is not None:
            from kg.endpoint import Endpoint

            return Endpoint.from_env(self.endpoint, timeout=self.timeout)
        if isinstance(self.store, (KnowledgeGraph, ox.Store)) or hasattr(self.store, "query"):
            return as_source(self.store)
        self.opened = open_store(self.store)
        return as_source(self.opened.store)

    def __exit__(self, *exc: object) -> None:
        if self.opened is not None:
            self.opened.close()
