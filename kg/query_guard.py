"""What ``kg serve`` refuses to run: federated calls it was not told it may make, and query
text deep enough to crash the engine's parser.

Why a lexer of our own: neither pyoxigraph nor the Oxigraph server exposes the query algebra or
a SERVICE handler (``Store.query`` takes ``use_default_graph_as_union``, ``custom_functions``
and the like, nothing that sees SERVICE), and rdflib's parser is slow (tens of ms a query, far
more on the huge queries a hostile client sends) and disagrees with Oxigraph's grammar on edge
cases. So the text is split into SPARQL tokens the way Oxigraph reads it: comments, the four
kinds of strings and IRIs are skipped, keywords are matched whatever their case, a
``?service`` variable or ``ex:service`` name is not the keyword. Where the grammar is ambiguous
(``?a<'x>'`` is "less than a string" to Oxigraph, ``<http://x/o'b>`` an IRI) both readings are
scanned and a SERVICE found in either counts, so no reading of the text can hide one.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from kg.errors import KgError

# Deeper bracket nesting than this is refused: Oxigraph's parser overflows its stack (and the
# engine dies) somewhere between 1,000 and 10,000 levels; real queries use under 20.
MAX_NESTING = 128
# Ambiguous ``<`` readings scanned both ways before the rest is searched as plain text.
_MAX_FORKS = 32

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
      |'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f\u2040]+)
  | (?P<name>(?:[^\W\d][\w.\-\u00b7]*)?:(?:[\w\-.:%\u00b7]|\\[_~.\-!$&'()*+,;=/?\#@%])*
      |_:[\w.\-\u00b7]+)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_OPEN = {"{": "}", "(": ")", "[": "]"}
_CLOSE = set(_OPEN.values())


@dataclass(frozen=True)
class Service:
    """One ``SERVICE`` in a query: its endpoint IRI, or ``None`` when the text does not name
    one the guard can read (a variable, an unknown prefix)."""

    endpoint: str | None


class Refused(KgError, ValueError):
    """The query may not run on this server; the message says why (a 400 to the client)."""


@dataclass
class _Scan:
    services: list[Service]
    depth: int


def scan(sparql: str) -> _Scan:
    """Every SERVICE the query could call and its deepest bracket nesting."""
    found: list[Service] = []
    forks = [_MAX_FORKS]
    depth = _scan_from(sparql, 0, {}, None, 0, found, forks)
    return _Scan(found, depth)


def _scan_from(
    text: str,
    pos: int,
    prefixes: dict[str, str],
    base: str | None,
    depth: int,
    found: list[Service],
    forks: list[int],
) -> int:
    """Scan ``text`` from ``pos``; return the deepest nesting seen (appending to ``found``)."""
    deepest = depth
    previous: list[tuple[str, str]] = []  # the last significant tokens (kind, text)
    brackets: list[str] = []  # the open brackets, innermost last
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        assert match is not None  # ``other`` matches any character
        kind, value = match.lastgroup or "other", match.group()
        if kind == "iri" and ("'" in value or "#" in value) and _operand_before(brackets, previous):
            # Ambiguous: ``<`` may be "less than" and what follows code (a string, a comment).
            if forks[0] <= 0:
                if re.search(r"(?i)\bservice\b", text[pos:]):
                    found.append(Service(None))
                return max(deepest, depth + text.count("{", pos))
            forks[0] -= 1
            other = _scan_from(text, pos + 1, dict(prefixes), base, depth, found, forks)
            deepest = max(deepest, other)
        pos = match.end()
        if kind in ("space", "comment"):
            continue
        if value in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
            brackets.append(value)
        elif value in _CLOSE:
            depth = max(0, depth - 1)
            if brackets:
                brackets.pop()
        if len(previous) >= 1 and previous[-1][1].upper() == "BASE" and kind == "iri":
            base = _resolve(value[1:-1], base)
        if len(previous) >= 2 and previous[-2][1].upper() == "PREFIX" and kind == "iri":
            prefixes[previous[-1][1].rstrip(":")] = _resolve(value[1:-1], base)
        if _is_service_target(previous) and not (kind == "word" and value.upper() == "SILENT"):
            found.append(Service(_endpoint(kind, value, prefixes, base)))
        previous = [*previous[-2:], (kind, value)]
    return deepest


def _operand_before(brackets: list[str], previous: list[tuple[str, str]]) -> bool:
    """True where ``<`` may be "less than": inside parentheses (an expression), after
    something that can be its left operand."""
    if not brackets or brackets[-1] != "(" or not previous:
        return False
    kind, value = previous[-1]
    return kind in ("var", "string", "iri", "name", "word") or value in ")]" or value.isdigit()


def _is_service_target(previous: list[tuple[str, str]]) -> bool:
    """True if the token after ``previous`` is what a SERVICE (SILENT) calls."""
    if previous and previous[-1][0] == "word":
        word = previous[-1][1].upper()
        if word == "SERVICE":
            return True
        if word == "SILENT" and len(previous) >= 2:
            return previous[-2][0] == "word" and previous[-2][1].upper() == "SERVICE"
    return False


def _endpoint(kind: str, value: str, prefixes: dict[str, str], base: str | None) -> str | None:
    if kind == "iri":
        return _resolve(value[1:-1], base)
    if kind == "name" and not value.startswith("_:"):
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None  # a variable, an unknown prefix, SILENT without a target...


def _resolve(iri: str, base: str | None) -> str:
    return urllib.parse.urljoin(base, iri) if base else iri


def check(sparql: str, allowed_services: frozenset[str] | set[str] = frozenset()) -> None:
    """Raise ``Refused`` unless every SERVICE in the query names an allowed endpoint and the
    nesting is within ``MAX_NESTING``."""
    found = scan(sparql)
    if found.depth > MAX_NESTING:
        raise Refused(
            f"the query nests brackets {found.depth} deep; at most {MAX_NESTING} is accepted"
        )
    for service in found.services:
        if service.endpoint is not None and service.endpoint in allowed_services:
            continue
        where = f"<{service.endpoint}>" if service.endpoint else "an endpoint it cannot read"
        if not allowed_services:
            raise Refused(
                f"SERVICE {where} refused: federated queries are off on this server "
                "(start it with kg serve --allow-service URL to allow an endpoint)"
            )
        raise Refused(
            f"SERVICE {where} refused: this server may only call "
            f"{', '.join(sorted(allowed_services))} (kg serve --allow-service URL)"
        )
