"""Reading pyoxigraph answers as the types a query promises.

``Store.query`` is typed to return solutions, a boolean or triples, and a solution's cells any
term including an RDF-star triple; a SELECT written in this project returns solutions whose
cells are IRIs, blank nodes or literals. These two functions say so once, with a check, so
that callers read ``.value`` without a cast at every site.
"""

from __future__ import annotations

import pyoxigraph as ox


def solutions(answer: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> ox.QuerySolutions:
    """The answer of a SELECT query (a TypeError for an ASK or CONSTRUCT answer)."""
    if not isinstance(answer, ox.QuerySolutions):
        raise TypeError(f"expected the solutions of a SELECT query, got {type(answer).__name__}")
    return answer


def value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph) -> str:
    """The IRI, blank node id or lexical form of a term (a TypeError for a quoted triple or
    the default graph, which have none)."""
    if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return term.value
    raise TypeError(f"expected an IRI, blank node or literal, got {term!r}")
