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
>>> from kg.api import search          # (``kg.search`` is the module that runs it)
>>> search("supervision", store=graph, authority="Hartlepool").values()[0]["quote"]

``store`` is the same in every function: a ``KnowledgeGraph``, a pyoxigraph ``Store``, any
``kg.queries.QuerySource``, a store directory, or left out (the default store is opened
read-only for the call and closed after it). Saved queries run through
``kg.queries.run_saved``, as ``kg query`` and ``kg serve`` run them. ``search`` uses the text
index in the store's directory (``kg.search``); a pyoxigraph ``Store`` or a ``LocalStore`` has
no directory to find it in, so its index is made in memory for the call (quick on a few
reports, about half a minute on the national graph): give the ``KnowledgeGraph`` or the
directory to use the index ``kg build`` keeps. An endpoint has no text index to search.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
    with _source(store, endpoint, timeout) as source:
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
    with _source(store, endpoint, timeout) as source:
        return execute(source, text, limit=limit, timeout=timeout)


def search(words: str, *, store: Any = None, limit: int | None = 20, **filters: Any) -> Any:
    """Full-text search (``kg.search``): ranked hits for ``words`` with their quote, source
    file, offsets and statement IRI. Filters: ``authority`` (name, GSS code or DfE number),
    ``from_year``, ``to_year``, ``kind``, ``theme``, ``polarity``, ``statement``. Returns a
    ``kg.search.SearchResult`` (``.hits``, ``.values()``, ``.to_dataframe()`` with pandas).
    ``store`` as for ``run_query`` (see the module docstring for where the index is)."""
    from kg.search import SearchError
    from kg.search import search as run_search

    with _store(store) as opened:
        if isinstance(opened, KnowledgeGraph):
            return run_search(
                opened.store, opened.path, words, opened.stamp, limit=limit, **filters
            )
        inner = opened if isinstance(opened, ox.Store) else getattr(opened, "store", None)
        if not isinstance(inner, ox.Store):  # an endpoint
            raise SearchError(
                f"search: {opened!r} has no text index; search a store (a directory, a "
                "KnowledgeGraph or a pyoxigraph Store)"
            )
        return run_search(inner, None, words, limit=limit, **filters)


@contextmanager
def _store(store: Any) -> Iterator[Any]:
    """An open store as given (a ``KnowledgeGraph``, a pyoxigraph ``Store``, a
    ``QuerySource``), or the store at a path (default ./kg-store) opened read-only for the
    call and closed after it."""
    if isinstance(store, (KnowledgeGraph, ox.Store)) or hasattr(store, "query"):
        yield store
        return
    graph = open_store(store)
    try:
        yield graph
    finally:
        graph.close()


@contextmanager
def _source(store: Any, endpoint: str | None, timeout: float | None) -> Iterator[QuerySource]:
    """What to query: ``endpoint`` when given, else the store as ``_store`` opens it."""
    if endpoint is not None:
        from kg.endpoint import Endpoint

        yield Endpoint.from_env(endpoint, timeout=timeout)
        return
    with _store(store) as opened:
        yield as_source(opened)
