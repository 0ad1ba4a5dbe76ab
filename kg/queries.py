"""Saved SPARQL queries: one ``.rq`` file per question, with a grlc-style header.

A header says what the query answers and which parameters it takes::

    #+ summary: Themes an authority was told to improve in several visits
    #+ description: ...
    #+ tags:
    #+   - recurrence
    #+ defaults:
    #+   - from_year: 2010
    #+ enumerate:
    #+   - include:
    #+     - recommendations
    #+     - weaknesses

Parameters are the query's variables named ``?_name`` (required) or ``?__name`` (optional),
with an optional type suffix (``?_from_year_integer``, ``?__authority_iri``). Values are
checked, turned into typed RDF terms, and bound with a ``VALUES`` block placed at the start of
every ``WHERE`` group of the query (subqueries included, since SPARQL scopes variables per
subquery). The value is written as an RDF term by pyoxigraph's own serialiser, never pasted
into the query as raw text, so ``x" } ; DROP ALL ; #`` is only a string that matches nothing.
VALUES is plain SPARQL 1.1, so the same bound query runs on any engine.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import re
import select
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
import yaml

from kg import terms, vocab
from kg.errors import KgError, quoted
from kg.resources import data_path

XSD_TYPES = {
    "integer": vocab.XSD + "integer",
    "decimal": vocab.XSD + "decimal",
    "date": vocab.XSD + "date",
    "boolean": vocab.XSD + "boolean",
    "string": vocab.XSD + "string",
}
_PARAM = re.compile(r"\?(__?)([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)")


class QueryError(KgError, ValueError):
    """A bad query name, parameter or value; the message says what would be valid."""


@dataclass
class Parameter:
    """One parameter of a saved query, as the header and the variable name declare it."""

    name: str
    variable: str
    type: str  # integer, decimal, date, boolean, string, iri, authority, theme, inspector
    required: bool
    default: str | None = None
    allowed: list[str] = field(default_factory=list)


@dataclass
class SavedQuery:
    name: str
    path: Path
    summary: str
    description: str
    tags: list[str]
    parameters: list[Parameter]
    sparql: str


def queries_dir() -> Path:
    return data_path("queries")


# libyaml's loader when PyYAML has it (same results as SafeLoader, ~10x faster to parse).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _header(text: str) -> dict[str, Any]:
    lines = [line[3:] for line in text.splitlines() if line.startswith("#+ ")]
    if not lines:
        return {}
    data = yaml.load("\n".join(lines), Loader=_YAML_LOADER) or {}
    return data if isinstance(data, dict) else {}


def _as_mapping(items: Any) -> dict[str, Any]:
    """grlc writes defaults/enumerate as a list of one-key mappings; accept a mapping too."""
    if isinstance(items, dict):
        return items
    merged: dict[str, Any] = {}
    for item in items or []:
        if isinstance(item, dict):
            merged.update(item)
    return merged


def _parameter_type(name: str) -> tuple[str, str]:
    """Split ``from_year_integer`` into (``from_year``, ``integer``)."""
    base, _, suffix = name.rpartition("_")
    if base and suffix in (*XSD_TYPES, "iri"):
        return base, suffix
    if name in ("authority", "theme", "inspector"):
        return name, name
    return name, "string"


def parse_query(path: Path) -> SavedQuery:
    text = path.read_text(encoding="utf-8")
    header = _header(text)
    defaults = {
        k: None if v is None else str(v) for k, v in _as_mapping(header.get("defaults")).items()
    }
    enumerate_ = {k: [str(x) for x in v] for k, v in _as_mapping(header.get("enumerate")).items()}
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    parameters: dict[str, Parameter] = {}
    for underscores, raw in _PARAM.findall(body):
        name, kind = _parameter_type(raw)
        if name in ("authority", "theme", "inspector") and kind in ("iri", "string"):
            kind = name
        if raw in (p.variable.lstrip("_") for p in parameters.values()):
            continue
        parameters.setdefault(
            name,
            Parameter(
                name=name,
                variable=underscores + raw,
                type=kind,
                required=underscores == "_" and name not in defaults,
                default=defaults.get(name),
                allowed=enumerate_.get(name, []),
            ),
        )
    tags = header.get("tags") or []
    return SavedQuery(
        name=path.stem,
        path=path,
        summary=str(header.get("summary", "")).strip(),
        description=str(header.get("description", "")).strip(),
        tags=[str(t) for t in (tags if isinstance(tags, list) else [tags])],
        parameters=list(parameters.values()),
        sparql=text,
    )


# The plain twins of the tuned queries (queries/reference/README.md): the same questions
# again, so they are not listed (nor documented, nor served) beside the queries they mirror;
# a twin is still run by its name, ``reference/NAME``.
REFERENCE_DIR = "reference"


def load_queries(directory: Path | None = None) -> dict[str, SavedQuery]:
    """Every saved query under ``directory`` (default: the project's ``queries/``), leaving
    out its ``reference/`` twins."""
    directory = directory or queries_dir()
    found = {}
    for path in sorted(directory.rglob("*.rq")):
        name = path.relative_to(directory).with_suffix("").as_posix()
        if name.startswith(REFERENCE_DIR + "/"):
            continue
        query = parse_query(path)
        query.name = name
        found[name] = query
    return found


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)*")


def get_query(name: str, directory: Path | None = None) -> SavedQuery:
    directory = directory or queries_dir()
    # Only the file asked for is read and parsed (parsing every query's header took ~40 ms
    # of a one-shot `kg query`); the whole directory only to suggest names for a bad one.
    path = directory / f"{name}.rq"
    if _NAME.fullmatch(name) and ".." not in name.split("/") and path.is_file():
        query = parse_query(path)
        query.name = name
        return query
    queries = load_queries(directory)
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise QueryError(f"no saved query named {quoted(name)}{hint} (see `kg queries`)")
    return queries[name]


def bind(query: SavedQuery, values: dict[str, Any], source: Any = None) -> dict[str, Any]:
    """Check parameter values and turn them into RDF terms, keyed by variable name.

    ``source`` (a ``QuerySource`` or a pyoxigraph ``Store``) is needed only by the
    parameters ``needs_source`` names, whose values are looked up in the graph itself.
    """
    known = {p.name: p for p in query.parameters}
    unknown = set(values) - set(known)
    if unknown:
        raise QueryError(
            f"{query.name}: unknown parameter(s) {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(known) or 'none'}"
        )
    bound: dict[str, Any] = {}
    for parameter in query.parameters:
        value = values.get(parameter.name)
        if value is None:
            value = parameter.default
        if value is None:
            if parameter.required:
                raise QueryError(f"{query.name}: parameter {parameter.name!r} is required")
            continue
        bound[parameter.variable] = to_term(query.name, parameter, value, source)
    return bound


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def with_values(sparql: str, bound: dict[str, Any]) -> str:
    """The query with ``VALUES (?v ...) { (term ...) }`` opening each ``WHERE`` group.

    Comments are blanked in place and the block is added on the line of its ``WHERE``, so
    line numbers stay those of the saved file.
    """
    if not bound:
        return sparql
    names = " ".join(f"?{name}" for name in bound)
    terms = " ".join(str(term) for term in bound.values())
    block = f" VALUES ({names}) {{ ({terms}) }} "
    return _WHERE.sub(lambda m: m.group(0) + block, _strip_comments(sparql))


def _strip_comments(sparql: str) -> str:
    """Drop ``#`` comments (outside IRIs and strings) so no WHERE inside one is touched."""
    if "#" not in sparql:
        return sparql
    out = []
    for line in sparql.splitlines():
        cut = _comment_start(line)
        out.append(line if cut is None else line[:cut])
    return "\n".join(out)


def _comment_start(line: str) -> int | None:
    quote: str | None = None
    in_iri = False
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif in_iri:
            in_iri = c != ">"
        elif c in "\"'":
            quote = c
        elif c == "<" and re.match(r"<[^\s<>\"{}|^`\\]*>", line[i:]):
            in_iri = True
        elif c == "#":
            return i
        i += 1
    return None


def prepare(query: SavedQuery, values: dict[str, Any], source: Any = None) -> str:
    """The saved query's SPARQL with its parameters bound, ready for any SPARQL 1.1 engine
    (the binding step of ``run_saved``; ``kg serve`` forwards this text to its engine)."""
    return with_values(query.sparql, bind(query, values, source))


def needs_source(query: SavedQuery) -> bool:
    """Whether binding the query's parameters looks values up in the graph (inspector
    names), so ``prepare`` must be given the source."""
    return any(p.type == "inspector" for p in query.parameters)


def _closest(text: str, names: list[str], n: int = 5) -> list[str]:
    """Valid names closest to ``text``, for error messages (never used to accept a value)."""
    import difflib

    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(_normalise(name), name)
    key = _normalise(text)
    keys = [k for k in by_key if len(key) > 3 and key in k]
    keys += difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.6)
    return list(dict.fromkeys(by_key[k] for k in keys))[:n]


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def _unknown(query_name: str, what: str, text: str, names: list[str]) -> QueryError:
    close = _closest(text, names)
    hint = (
        f"; closest valid names: {', '.join(close)}"
        if close
        else f"; {len(names)} known, none close"
    )
    return QueryError(f"{query_name}: unknown {what} {quoted(text)}{hint}")


def lookup_theme(text: str, asked_by: str) -> str:
    """The theme id a theme id or preferred label denotes (any case and spacing), as
    ``--theme`` of ``kg query`` and ``kg search`` reads it; a miss is a ``QueryError``
    naming ``asked_by`` (the query, or ``search``) and the closest themes."""
    from kg.themes import ThemeTagger

    labels = ThemeTagger.shared().labels()  # parsed once per process
    wanted = _normalise(text)
    key = next(
        (k for k, label in labels.items() if wanted in (_normalise(k), _normalise(label))), None
    )
    if key is None:
        raise _unknown(asked_by, "theme", text.strip(), [*labels, *labels.values()])
    return key


INSPECTORS_SPARQL = """SELECT DISTINCT ?inspector ?name WHERE {
  ?inspector a kg:Inspector ; foaf:name ?name }"""


def inspector_names(source: Any) -> dict[str, str]:
    """Every inspector in the graph (or at the endpoint): name -> IRI."""
    result = execute(source, INSPECTORS_SPARQL)
    return {
        row["name"]: row["inspector"] for row in result.values() if row["name"] and row["inspector"]
    }


def to_term(query_name: str, parameter: Parameter, value: Any, source: Any = None) -> Any:
    """One checked value as an RDF term (a name resolves to its authority, theme or
    inspector IRI)."""
    text = str(value).strip()
    if parameter.allowed and text not in parameter.allowed:
        raise QueryError(
            f"{query_name}: {parameter.name} must be one of "
            f"{', '.join(parameter.allowed)} (got {quoted(text)})"
        )
    if parameter.type == "authority":
        from kg.authorities import AuthorityError, AuthorityIndex

        try:
            return ox.NamedNode(AuthorityIndex.load().lookup(text).iri)
        except AuthorityError as exc:
            raise QueryError(f"{query_name}: {exc}") from None
    if parameter.type == "theme":
        return ox.NamedNode(vocab.THEME + lookup_theme(text, query_name))
    if parameter.type == "inspector":
        if text.startswith(vocab.ID + "inspector/"):
            return ox.NamedNode(text)
        if source is None:
            raise QueryError(
                f"{query_name}: the inspector parameter needs the store to look the name up in"
            )
        from kg.inspectors import identity

        names = inspector_names(source)
        wanted = identity(text).key  # "Matt Reed", "MATTHEW REED": the same person
        iri = next((iri for name, iri in names.items() if identity(name).key == wanted), None)
        if iri is None:
            raise _unknown(query_name, "inspector", text, sorted(names))
        return ox.NamedNode(iri)
    if parameter.type == "iri":
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", text):
            raise QueryError(f"{query_name}: {parameter.name} must be an IRI (got {quoted(text)})")
        return ox.NamedNode(text)
    if parameter.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise QueryError(
                f"{query_name}: {parameter.name} must be a whole number (got {quoted(text)})"
            )
    elif parameter.type == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise QueryError(
                f"{query_name}: {parameter.name} must be a date YYYY-MM-DD (got {quoted(text)})"
            )
    elif parameter.type == "decimal":
        try:
            float(text)
        except ValueError:
            raise QueryError(
                f"{query_name}: {parameter.name} must be a number (got {quoted(text)})"
            ) from None
    elif parameter.type == "boolean":
        if text.lower() not in ("true", "false"):
            raise QueryError(
                f"{query_name}: {parameter.name} must be true or false (got {quoted(text)})"
            )
        text = text.lower()
    if parameter.type == "string":
        return ox.Literal(text)
    return ox.Literal(text, datatype=ox.NamedNode(XSD_TYPES[parameter.type]))


# ------------------------------------------------------------------------------- results

SELECT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("table", "turtle", "ntriples", "nquads", "jsonld")
FORMATS = tuple(dict.fromkeys((*SELECT_FORMATS, *GRAPH_FORMATS)))  # every output format
_GRAPH_SYNTAX = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@dataclass
class QueryResult:
    """Rows of a SELECT, the answer of an ASK, or the triples of a CONSTRUCT/DESCRIBE (as
    subject/predicate/object rows), with a flag when ``limit`` cut them."""

    columns: list[str]
    rows: list[list[Any]]  # pyoxigraph terms or None
    truncated: bool = False
    boolean: bool | None = None
    form: str = "select"  # select, ask or graph

    def __post_init__(self) -> None:
        if self.boolean is not None:
            self.form = "ask"

    def values(self) -> list[dict[str, str | None]]:
        """Rows as dicts of plain strings (IRIs and literal values), for notebooks and JSON."""
        return [
            {c: (None if t is None else t.value) for c, t in zip(self.columns, row, strict=True)}
            for row in self.rows
        ]

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of ``values()`` (needs the ``pandas`` extra)."""
        import pandas as pd

        return pd.DataFrame(self.values(), columns=self.columns)

    @property
    def triples(self) -> list[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE."""
        return [ox.Triple(*row) for row in self.rows] if self.form == "graph" else []

    def formats(self) -> tuple[str, ...]:
        """The output formats that fit this query form."""
        return GRAPH_FORMATS if self.form == "graph" else SELECT_FORMATS

    def serialize(self, fmt: str) -> bytes:
        """The result in ``fmt``: W3C SPARQL JSON/XML results (pyoxigraph's serialisers),
        CSV/TSV of plain values, or Turtle/N-Triples/N-Quads/JSON-LD for graphs."""
        check_format(self.form, fmt)
        if self.form == "graph":
            if fmt == "nquads":
                data: list[Any] = [
                    ox.Quad(row[0], row[1], row[2], ox.DefaultGraph()) for row in self.rows
                ]
            else:
                data = self.triples
            return (
                ox.serialize(
                    data,
                    format=_GRAPH_SYNTAX[fmt],
                    prefixes=vocab.PREFIXES if fmt == "turtle" else None,
                )
                or b""
            )
        if fmt in ("json", "xml"):
            parsed = self._w3c()
            syntax = ox.QueryResultsFormat.JSON if fmt == "json" else ox.QueryResultsFormat.XML
            return parsed.serialize(format=syntax) or b""
        if self.form == "ask":
            return f"{str(self.boolean).lower()}\n".encode()
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.values():
            writer.writerow(["" if row[c] is None else row[c] for c in self.columns])
        return buffer.getvalue().encode()

    def _w3c(self) -> Any:
        """The rows as a pyoxigraph results object, so its W3C serialisers write them."""
        if self.form == "ask":
            return ox.parse_query_results(
                json.dumps({"head": {}, "boolean": self.boolean}), format=ox.QueryResultsFormat.JSON
            )
        return ox.parse_query_results(self.to_tsv(), format=ox.QueryResultsFormat.TSV)

    def to_tsv(self) -> str:
        """W3C SPARQL TSV (terms in N-Triples syntax): exact, and what a child sends back."""
        lines = ["\t".join(f"?{c}" for c in self.columns)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in self.rows]
        return "\n".join(lines) + "\n"


def check_format(form: str, fmt: str) -> None:
    """Refuse an output format that does not fit the query form, saying which would."""
    if fmt not in FORMATS:
        raise QueryError(f"--format must be one of {', '.join(FORMATS)} (got {quoted(fmt)})")
    allowed = GRAPH_FORMATS if form == "graph" else SELECT_FORMATS
    if fmt not in allowed:
        what = {"graph": "CONSTRUCT/DESCRIBE", "ask": "ASK"}.get(form, "SELECT")
        raise QueryError(
            f"--format {fmt} does not fit a {what} query; use one of {', '.join(allowed)}"
        )


# ------------------------------------------------------------------------------- running

DEFAULT_TIMEOUT = 30.0  # seconds, for the command line
_UPDATE = re.compile(
    r"^\s*(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE | re.MULTILINE,
)


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""


def check_syntax(sparql: str, source_text: str | None = None) -> str:
    """Parse the query (on an empty store, so nothing is evaluated) and return its form:
    ``select``, ``ask`` or ``graph``. Updates are refused; a syntax error is reported at
    the line and column of ``source_text`` (the user's text, before any VALUES binding)."""
    body = _strip_comments(_strip_prologue(sparql))
    if _UPDATE.search(body):
        raise QueryError("SPARQL UPDATE is not allowed here; queries are read-only")
    try:
        result = _empty_store().query(
            sparql, use_default_graph_as_union=True, prefixes=vocab.PREFIXES
        )
    except SyntaxError as exc:
        raise _syntax_error(exc, sparql, source_text) from None
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    return "select" if isinstance(result, ox.QuerySolutions) else "graph"


@functools.lru_cache(maxsize=1)
def _empty_store() -> ox.Store:
    """An in-memory store with nothing in it: parsing a query there evaluates nothing."""
    return ox.Store()


def _syntax_error(exc: SyntaxError, sparql: str, source_text: str | None) -> QueryError:
    """Point at the line and column of the user's own text: if the unbound text has the
    same error, its position is the one to show."""
    text = sparql
    if source_text is not None and source_text != sparql:
        try:
            ox.Store().query(source_text, prefixes=vocab.PREFIXES)
        except SyntaxError as original:
            exc, text = original, source_text
        except Exception:
            pass
    message = str(exc)
    found = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if not found:
        return QueryError(f"SPARQL syntax error: {' '.join(message.split())}")
    line_no, column = int(found.group(1)), int(found.group(2))
    detail = re.sub(r"\s*\[[^\]]*\],?", "", " ".join(found.group(3).split())).rstrip(", ")
    if len(detail) > 200:
        detail = detail[:199] + "…"
    lines = text.splitlines() or [""]
    offset = sum(len(line) + 1 for line in lines[: line_no - 1]) + column - 1
    where = f"line {line_no}, column {column}"
    if not text[offset:].strip():  # the parser ran off the end: point after the last word
        where = (
            f"line {line_no}, column {column}, the end of the query (something before "
            "it is incomplete)"
        )
        line_no = len(text[:offset].rstrip().splitlines()) or 1
        column = len(lines[line_no - 1]) + 1
    shown = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    column = min(column, len(shown) + 1)
    return QueryError(
        f"SPARQL syntax error at {where}: {detail}\n  {shown}\n  {' ' * max(column - 1, 0)}^"
    )


class QuerySource(Protocol):
    """Where a query runs: the local store (``LocalStore``) or a remote SPARQL 1.1 endpoint
    (``kg.endpoint.Endpoint``). ``execute`` and ``run_saved`` take either, so the command
    line, the notebook API and the server run a query the same way wherever the graph is."""

    def query(
        self,
        sparql: str,
        *,
        form: str | None = None,
        limit: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Evaluate checked, read-only SPARQL over the union of the graphs."""
        ...


class LocalStore:
    """A pyoxigraph store (opened read-only by the callers) as a ``QuerySource``.

    With ``timeout`` (seconds) the query runs in a forked child that is killed at the
    deadline (pyoxigraph cannot cancel a query): ``QueryTimeout``.
    """

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"LocalStore({self.store!r})"

    def query(
        self,
        sparql: str,
        *,
        form: str | None = None,
        limit: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        if timeout is None:
            return _evaluate(self.store, sparql, limit)
        return _evaluate_in_child(self.store, sparql, limit, timeout)


def as_source(source: QuerySource | ox.Store) -> QuerySource:
    """A pyoxigraph ``Store`` (or a ``KnowledgeGraph``, through its ``store``) as a
    ``LocalStore``; any other ``QuerySource`` as it is."""
    if isinstance(source, ox.Store):
        return LocalStore(source)
    inner = getattr(source, "store", None)
    if isinstance(inner, ox.Store) and not hasattr(source, "query"):
        return LocalStore(inner)  # a KnowledgeGraph
    return source


def execute(
    source: QuerySource | ox.Store,
    sparql: str,
    *,
    limit: int | None = None,
    timeout: float | None = None,
    source_text: str | None = None,
    output_format: str | None = None,
) -> QueryResult:
    """Run a SPARQL query over the union of all graphs; refuse updates.

    ``source`` is a ``QuerySource`` or a pyoxigraph ``Store``. The project's prefixes are
    predeclared, so ad-hoc queries can write ``kg:Visit``. ``timeout`` (seconds) stops a
    runaway query with ``QueryTimeout``. ``output_format``, if given, is checked against the
    query form before anything runs (a long query is not run for an answer that cannot be
    written).
    """
    form = check_syntax(sparql, source_text)
    if output_format is not None:
        check_format(form, output_format)
    return as_source(source).query(sparql, form=form, limit=limit, timeout=timeout)


def _answer(store: ox.Store, sparql: str) -> Any:
    """pyoxigraph's own results object (solutions, boolean or triples), over the union of
    the named graphs, with a syntax error pointed at its line and column."""
    try:
        return store.query(sparql, use_default_graph_as_union=True, prefixes=vocab.PREFIXES)
    except SyntaxError as exc:
        raise _syntax_error(exc, sparql, None) from None


def _evaluate(store: ox.Store, sparql: str, limit: int | None) -> QueryResult:
    return from_pyoxigraph(_answer(store, sparql), limit)


def from_pyoxigraph(result: Any, limit: int | None) -> QueryResult:
    """A pyoxigraph results object (solutions, boolean or triples) as a ``QueryResult``."""
    if isinstance(result, ox.QueryBoolean):
        return QueryResult(columns=["boolean"], rows=[], boolean=bool(result))
    if isinstance(result, ox.QuerySolutions):
        columns = [v.value for v in result.variables]
        rows: list[list[Any]] = []
        truncated = False
        for solution in result:
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            rows.append(list(solution))  # the values in the order of the variables
        return QueryResult(columns=columns, rows=rows, truncated=truncated)
    triples: list[list[Any]] = []
    truncated = False
    for t in result:
        if limit is not None and len(triples) >= limit:
            truncated = True
            break
        triples.append([t.subject, t.predicate, t.object])
    return QueryResult(
        columns=["subject", "predicate", "object"], rows=triples, truncated=truncated, form="graph"
    )


def _evaluate_in_child(
    store: ox.Store, sparql: str, limit: int | None, timeout: float
) -> QueryResult:
    """Evaluate in a forked child and read its answer through a pipe until the deadline.

    The child uses the store handle it inherits (already open read-only: ~3 ms a fork on
    this machine against ~30 ms to open the store again) and sends the rows back as W3C TSV
    or N-Triples, which are exact. At the deadline the child is killed and reaped, so no
    process is left running the query.
    """
    deadline = time.monotonic() + timeout
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        # No garbage collection in the short-lived child: a collection walks (and so
        # copies, page by page) the objects it shares with the parent.
        gc.disable()
        os.close(read_end)
        code = 0
        try:
            payload = _child_answer(store, sparql, limit)
        except BaseException as exc:
            payload = json.dumps({"error": type(exc).__name__, "message": str(exc)}).encode()
            code = 1
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    finished = False
    try:
        poller = select.poll()
        poller.register(read_end, select.POLLIN | select.POLLHUP)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(max(1, int(left * 1000))):
                if time.monotonic() >= deadline:
                    break
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if not finished:
        raise QueryTimeout(
            f"query stopped after {timeout:g} s (time limit; raise it with "
            "--timeout, or narrow the query)"
        )
    return _parse_child_answer(b"".join(chunks), sparql)


def _child_answer(store: ox.Store, sparql: str, limit: int | None) -> bytes:
    answer = _answer(store, sparql)
    if limit is None and not isinstance(answer, ox.QueryBoolean):
        # Without a limit pyoxigraph writes the whole answer itself (W3C TSV or N-Triples,
        # exact) without making a Python object of every term first: fewer pages written in
        # the child, each one a copy-on-write fault (~10 us on this kind of VM).
        if isinstance(answer, ox.QuerySolutions):
            form, body = "select", answer.serialize(format=ox.QueryResultsFormat.TSV)
        else:
            form, body = "graph", answer.serialize(format=ox.RdfFormat.N_TRIPLES)
        meta = {"form": form, "truncated": False, "boolean": None}
        return json.dumps(meta).encode() + b"\n" + (body or b"")
    result = from_pyoxigraph(answer, limit)
    meta = {"form": result.form, "truncated": result.truncated, "boolean": result.boolean}
    if result.form == "graph":
        text = "".join(f"{s} {p} {o} .\n" for s, p, o in result.rows)
    elif result.form == "ask":
        text = ""
    else:
        text = result.to_tsv()
    return (json.dumps(meta) + "\n" + text).encode()


def _parse_child_answer(data: bytes, sparql: str) -> QueryResult:
    head, _, body = data.partition(b"\n")
    meta = json.loads(head or b"{}")
    if "error" in meta:
        if meta["error"] == "QueryError":
            raise QueryError(meta["message"])
        raise QueryError(f"query failed: {meta['error']}: {meta['message']}")
    if meta["form"] == "ask":
        return QueryResult(columns=["boolean"], rows=[], boolean=meta["boolean"])
    if meta["form"] == "graph":
        rows = [
            [t.subject, t.predicate, t.object]
            for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        ]
        return QueryResult(
            columns=["subject", "predicate", "object"],
            rows=rows,
            truncated=meta["truncated"],
            form="graph",
        )
    solutions = terms.solutions(ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV))
    columns = [v.value for v in solutions.variables]
    return QueryResult(
        columns=columns,
        rows=[[s[c] for c in columns] for s in solutions],
        truncated=meta["truncated"],
    )


def _strip_prologue(sparql: str) -> str:
    return re.sub(r"(?is)^(?:\s|#[^\n]*\n|(?:PREFIX|BASE)\s+[^\n]*\n)*", "", sparql)


def run_saved(
    source: QuerySource | ox.Store,
    name: str | SavedQuery,
    *,
    params: dict[str, Any] | None = None,
    limit: int | None = None,
    timeout: float | None = None,
    directory: Path | None = None,
    output_format: str | None = None,
    **kwargs: Any,
) -> QueryResult:
    """Run a saved query with its parameters bound as RDF terms: the one way ``kg query``,
    ``kg.api.run_query`` and the tests run one, e.g.
    ``run_saved(store, "recurring-issues", authority="Hartlepool")``.

    ``name`` may be a query already parsed; ``params`` holds parameters named like an
    argument here; ``output_format`` as for ``execute``.
    """
    query = name if isinstance(name, SavedQuery) else get_query(name, directory)
    sparql = prepare(query, {**kwargs, **(params or {})}, source)
    return execute(
        source,
        sparql,
        limit=limit,
        timeout=timeout,
        source_text=query.sparql,
        output_format=output_format,
    )


# ------------------------------------------------------------------------------- authorities
# What `kg authorities` asks of the store beside the reference table.


def authority_visit_counts(store: ox.Store) -> dict[str, int]:
    """Distinct visits per authority IRI (a visit in two source graphs counts once)."""
    from kg.vocab import KG

    query = f"""SELECT ?a (COUNT(DISTINCT ?v) AS ?n)
        WHERE {{ ?v a <{KG}Visit> ; <{KG}authority> ?a }} GROUP BY ?a"""
    result = terms.solutions(store.query(query, use_default_graph_as_union=True))
    return {terms.value(r["a"]): int(terms.value(r["n"])) for r in result}


def authority_visits(store: ox.Store, authority_iri: str) -> list[dict[str, str | None]]:
    """The visits of one authority: IRI, kind, start date and the source files."""
    from kg.vocab import KG, KIND

    a = ox.NamedNode(authority_iri)
    found: dict[str, dict[str, Any]] = {}
    visit_type, rdf_type = ox.NamedNode(KG + "Visit"), ox.NamedNode(vocab.RDF + "type")
    for q in store.quads_for_pattern(None, ox.NamedNode(KG + "authority"), a, None):
        v = q.subject
        visit = terms.value(v)
        if not any(True for _ in store.quads_for_pattern(v, rdf_type, visit_type, None)):
            continue  # an earlier inspection a report mentions, not a visit in the store
        entry = found.setdefault(
            visit, {"visit": visit, "kind": None, "start": None, "graphs": set()}
        )
        entry["graphs"].add(terms.value(q.graph_name))
        for k in store.quads_for_pattern(v, ox.NamedNode(KG + "kind"), None, None):
            entry["kind"] = terms.value(k.object).removeprefix(KIND)
        for s in store.quads_for_pattern(v, ox.NamedNode(KG + "startDate"), None, None):
            entry["start"] = terms.value(s.object)
    rows = []
    for entry in found.values():
        rows.append(
            {
                "visit": entry["visit"],
                "kind": entry["kind"],
                "start": entry["start"],
                "sources": ", ".join(sorted(g.rsplit("/", 1)[-1] for g in entry["graphs"])),
            }
        )
    return sorted(rows, key=lambda r: (r["start"] or "", r["kind"] or ""))
