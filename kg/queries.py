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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from kg import vocab
from kg.resources import data_path

XSD_TYPES = {
    "integer": vocab.XSD + "integer",
    "decimal": vocab.XSD + "decimal",
    "date": vocab.XSD + "date",
    "boolean": vocab.XSD + "boolean",
    "string": vocab.XSD + "string",
}
_PARAM = re.compile(r"\?(__?)([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)")


class QueryError(ValueError):
    """A bad query name, parameter or value; the message says what would be valid."""


@dataclass
class Parameter:
    """One parameter of a saved query, as the header and the variable name declare it."""

    name: str
    variable: str
    type: str  # integer, decimal, date, boolean, string, iri, authority, theme
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


def _header(text: str) -> dict[str, Any]:
    lines = [line[3:] for line in text.splitlines() if line.startswith("#+ ")]
    if not lines:
        return {}
    data = yaml.safe_load("\n".join(lines)) or {}
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
    defaults = {k: None if v is None else str(v) for k, v in _as_mapping(header.get("defaults"))
                .items()}
    enumerate_ = {k: [str(x) for x in v] for k, v in _as_mapping(header.get("enumerate")).items()}
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    parameters: dict[str, Parameter] = {}
    for underscores, raw in _PARAM.findall(body):
        name, kind = _parameter_type(raw)
        if name in ("authority",) and kind == "iri":
            kind = "authority"
        if name == "theme" and kind == "iri":
            kind = "theme"
        if raw in (p.variable.lstrip("_") for p in parameters.values()):
            continue
        parameters.setdefault(name, Parameter(
            name=name,
            variable=underscores + raw,
            type=kind,
            required=underscores == "_" and name not in defaults,
            default=defaults.get(name),
            allowed=enumerate_.get(name, []),
        ))
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


def load_queries(directory: Path | None = None) -> dict[str, SavedQuery]:
    """Every saved query under ``directory`` (default: the project's ``queries/``)."""
    directory = directory or queries_dir()
    found = {}
    for path in sorted(directory.rglob("*.rq")):
        name = path.relative_to(directory).with_suffix("").as_posix()
        query = parse_query(path)
        query.name = name
        found[name] = query
    return found


def get_query(name: str, directory: Path | None = None) -> SavedQuery:
    queries = load_queries(directory)
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise QueryError(f"no saved query named {name!r}{hint} (see `kg queries`)")
    return queries[name]


def bind(query: SavedQuery, values: dict[str, Any]) -> dict[str, Any]:
    """Check parameter values and turn them into RDF terms, keyed by variable name."""
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
        bound[parameter.variable] = to_term(query.name, parameter, value)
    return bound


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def with_values(sparql: str, bound: dict[str, Any]) -> str:
    """The query with ``VALUES (?v ...) { (term ...) }`` opening each ``WHERE`` group."""
    if not bound:
        return sparql
    names = " ".join(f"?{name}" for name in bound)
    terms = " ".join(str(term) for term in bound.values())
    block = f" VALUES ({names}) {{ ({terms}) }} "
    return _WHERE.sub(lambda m: m.group(0) + block, _strip_comments(sparql))


def _strip_comments(sparql: str) -> str:
    """Drop ``#`` comments (outside IRIs and strings) so no WHERE inside one is touched."""
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


def prepare(query: SavedQuery, values: dict[str, Any]) -> str:
    """The saved query's SPARQL with its parameters bound, ready for any SPARQL 1.1 engine."""
    return with_values(query.sparql, bind(query, values))


def to_term(query_name: str, parameter: Parameter, value: Any) -> Any:
    """One checked value as an RDF term (a name resolves to its authority or theme IRI)."""
    text = str(value).strip()
    if parameter.allowed and text not in parameter.allowed:
        raise QueryError(f"{query_name}: {parameter.name} must be one of "
                         f"{', '.join(parameter.allowed)} (got {text!r})")
    if parameter.type == "authority":
        from kg.authorities import AuthorityError, AuthorityIndex

        index = AuthorityIndex.load()
        try:
            authority = index.by_gss(text) if re.fullmatch(r"E\d{8}", text) else index.resolve(
                text)
        except AuthorityError as exc:
            raise QueryError(f"{query_name}: {exc}") from None
        return ox.NamedNode(vocab.authority_iri(authority.gss_code))
    if parameter.type == "theme":
        from kg.themes import ThemeTagger

        labels = ThemeTagger.load().labels()
        key = text if text in labels else next(
            (k for k, label in labels.items() if label.lower() == text.lower()), None)
        if key is None:
            import difflib

            close = difflib.get_close_matches(text, list(labels), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise QueryError(f"{query_name}: unknown theme {text!r}{hint}")
        return ox.NamedNode(vocab.THEME + key)
    if parameter.type == "iri":
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", text):
            raise QueryError(f"{query_name}: {parameter.name} must be an IRI (got {text!r})")
        return ox.NamedNode(text)
    if parameter.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise QueryError(f"{query_name}: {parameter.name} must be a whole number "
                             f"(got {text!r})")
    elif parameter.type == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise QueryError(f"{query_name}: {parameter.name} must be a date YYYY-MM-DD "
                             f"(got {text!r})")
    elif parameter.type == "decimal":
        try:
            float(text)
        except ValueError:
            raise QueryError(f"{query_name}: {parameter.name} must be a number "
                             f"(got {text!r})") from None
    if parameter.type == "string":
        return ox.Literal(text)
    return ox.Literal(text, datatype=ox.NamedNode(XSD_TYPES[parameter.type]))


@dataclass
class QueryResult:
    """Rows of a SELECT (or the answer of an ASK), with a flag when ``limit`` cut them."""

    columns: list[str]
    rows: list[list[Any]]  # pyoxigraph terms or None
    truncated: bool = False
    boolean: bool | None = None

    def values(self) -> list[dict[str, str | None]]:
        """Rows as dicts of plain strings (IRIs and literal values), for notebooks and JSON."""
        return [{c: (None if t is None else t.value) for c, t in zip(self.columns, row,
                                                                        strict=True)}
                for row in self.rows]

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of ``values()`` (needs the ``pandas`` extra)."""
        import pandas as pd

        return pd.DataFrame(self.values(), columns=self.columns)


def execute(store: ox.Store, sparql: str, *, limit: int | None = None) -> QueryResult:
    """Run a SPARQL query over the union of all graphs; refuse updates.

    The project's prefixes are predeclared, so ad-hoc queries can write ``kg:Visit``.
    """
    if re.search(r"^\s*(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
                 _strip_comments(_strip_prologue(sparql)), re.IGNORECASE | re.MULTILINE):
        raise QueryError("SPARQL UPDATE is not allowed here; queries are read-only")
    try:
        result = store.query(sparql, use_default_graph_as_union=True, prefixes=vocab.PREFIXES)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
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
            rows.append([solution[c] for c in columns])
        return QueryResult(columns=columns, rows=rows, truncated=truncated)
    triples = list(result)
    truncated = limit is not None and len(triples) > limit
    triples = triples[:limit] if truncated else triples
    return QueryResult(columns=["subject", "predicate", "object"],
                       rows=[[t.subject, t.predicate, t.object] for t in triples],
                       truncated=truncated)


def _strip_prologue(sparql: str) -> str:
    return re.sub(r"(?is)^(?:\s|#[^\n]*\n|(?:PREFIX|BASE)\s+[^\n]*\n)*", "", sparql)


def run_saved(store: ox.Store, name: str, *, limit: int | None = None,
              **params: Any) -> QueryResult:
    """Run a saved query by name with keyword parameters, e.g.
    ``run_saved(store, "recurring-issues", authority="Hartlepool")``."""
    return execute(store, prepare(get_query(name), params), limit=limit)
