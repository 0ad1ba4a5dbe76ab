"""How RDF terms are compared and shown, whichever engine (pyoxigraph or rdflib) found them.

Both engines report the same violation with their own term objects; a violation is keyed by
``(kind, value, language or datatype)`` so that one found by both is reported once, and is
shown with the project's prefixes.
"""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, URIRef

from kg import vocab

TermKey = tuple[str, str, str]

_DISPLAY_PREFIXES = sorted(
    [*vocab.PREFIXES.items(), ("shape", "https://w3id.org/ofsted-kg/shapes#")],
    key=lambda item: -len(item[1]),
)


def compact(iri: str) -> str:
    """``iri`` with the longest known namespace replaced by its prefix."""
    for prefix, namespace in _DISPLAY_PREFIXES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def compact_sparql(text: str) -> str:
    """Every ``<iri>`` of a SPARQL text compacted."""
    return re.sub(r"<([^<>]*)>", lambda m: compact(m.group(1)), text)


def path_display(path: str | None) -> str | None:
    """A compiled path for people: a single predicate as its IRI, else compacted SPARQL."""
    if path is None:
        return None
    if re.fullmatch(r"<[^<>]*>", path):
        return path[1:-1]
    if path.startswith("(") and path.endswith(")") and _balanced(path[1:-1]):
        path = path[1:-1]
    return compact_sparql(path)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def display(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | None:
    """How a value is shown: an IRI or blank node as is, a literal as its lexical form."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        return term.value
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def ox_key(term: Any) -> TermKey | None:
    """The key of a pyoxigraph term."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("I", term.value, "")
    if isinstance(term, ox.BlankNode):
        return ("B", term.value, "")
    return ("L", term.value, term.language or term.datatype.value)


def rdflib_key(term: Any) -> TermKey | None:
    """The key of an rdflib term (a plain literal is an ``xsd:string``, as in pyoxigraph)."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return ("I", str(term), "")
    if isinstance(term, BNode):
        return ("B", str(term), "")
    datatype = term.datatype or (None if term.language else URIRef(vocab.XSD + "string"))
    return ("L", str(term), term.language or str(datatype))


def from_key(key: TermKey | None) -> Any:
    """The pyoxigraph term a key stands for."""
    if key is None:
        return None
    kind, value, extra = key
    if kind == "I":
        return ox.NamedNode(value)
    if kind == "B":
        return ox.BlankNode(value)
    if extra and ":" not in extra:
        return ox.Literal(value, language=extra)
    return ox.Literal(value, datatype=ox.NamedNode(extra))
