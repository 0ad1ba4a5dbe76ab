"""Graph analytics over the knowledge graph: recurrence chains, the inspector network,
authority similarity and theme co-occurrence (networkx).

Everything here starts from a ``Projection``: a few SPARQL SELECTs over the union of the
store's graphs (``load``), never the source files. The union is a bag (a seed text and its PDF
original both assert the same triples), so every query is DISTINCT and every count here is of
distinct visits, items or inspectors.

What counts as an authority being *told* about a theme follows the saved query
``recurring-issues``: ``include="recommendations"`` (the default) counts recommendations only;
``include="weaknesses"`` also counts findings the extractor judged to be weaknesses.
"""

from __future__ import annotations

import json
import math
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import IO, Any, Literal

import networkx as nx
import pyoxigraph as ox

from kg import terms, vocab
from kg.errors import KgError, quoted

Include = Literal["recommendations", "weaknesses"]
INCLUDES: tuple[str, ...] = ("recommendations", "weaknesses")
GRAPH_KINDS: tuple[str, ...] = ("recurrence", "inspectors", "themes")
GRAPH_FORMATS: tuple[str, ...] = ("graphml", "gexf", "json")


class AnalyticsError(KgError, ValueError):
    """A bad argument (unknown authority, kind, format, period): one line for the user."""


# ------------------------------------------------------------------------------ projection


@dataclass(frozen=True)
class Visit:
    """One visit as the analytics see it."""

    iri: str
    authority: str
    authority_name: str
    kind: str  # the visit kind's id: "focused-visit", "ilacs-inspection", ...
    start: str  # ISO date (or year / year-month, as precise as the report)
    report: str | None
    year: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "year", int(self.start[:4]))


@dataclass(frozen=True)
class Quote:
    """Where an item's words stand in one source file (a Web Annotation's selectors)."""

    file_name: str
    start: int
    end: int
    exact: str


@dataclass(frozen=True)
class Item:
    """A recommendation or weakness finding of one visit, with its themes (its words and where
    they stand, which cost a join over the annotations, come from ``quotes_for``)."""

    iri: str
    visit: str
    told_by: str  # "recommendation" or "weakness"
    themes: tuple[str, ...]


@dataclass(frozen=True)
class PartnerItem:
    """A point that is not the council's: a recommendation addressed only to partner bodies
    ("The HSCB should ...", "NHS Hartlepool in conjunction with the HSCB should ..."), or a
    weakness finding of the review of the Local Safeguarding Children Board."""

    iri: str
    visit: str
    told_by: str  # "recommendation" or "weakness"
    bodies: tuple[str, ...]  # kinds of kg.vocab.BODIES, in that order
    text: str


@dataclass(frozen=True)
class InspectorRole:
    """An inspector on one visit."""

    visit: str
    inspector: str
    name: str
    lead: bool


@dataclass(frozen=True)
class Judgement:
    """A graded judgement of one visit, on its framework's own scale."""

    visit: str
    iri: str
    area: str
    section: str | None
    grade: str
    grade_label: str
    notation: int | None  # 1 = outstanding ... 4 = inadequate
    scale: str | None
    scale_label: str | None


@dataclass
class Projection:
    """What the analytics and the report read from the store, for one authority (or all) and
    one period."""

    visits: dict[str, Visit]
    items: list[Item]
    inspectors: list[InspectorRole]
    judgements: list[Judgement]
    theme_labels: dict[str, str]
    theme_order: dict[str, int] = field(default_factory=dict)
    authority: str | None = None
    from_year: int | None = None
    to_year: int | None = None
    include: Include = "recommendations"
    # the points of partner bodies (not counted as the council's), by visit start then text
    partner_items: list[PartnerItem] = field(default_factory=list)

    def theme_label(self, theme: str) -> str:
        return self.theme_labels.get(theme) or theme.rsplit("/", 1)[-1]

    def authority_names(self) -> dict[str, str]:
        return {v.authority: v.authority_name for v in self.visits.values()}

    def told(self, include: Include = "recommendations") -> list[Item]:
        """Items that count as being told to improve under ``include`` (weakness findings are
        only there when the projection was loaded with ``include="weaknesses"``)."""
        include_of(include)
        if include == "weaknesses":
            if self.include != "weaknesses":
                raise AnalyticsError(
                    "weakness findings were not loaded: load(..., include='weaknesses')"
                )
            return self.items
        return [i for i in self.items if i.told_by == "recommendation"]


# Joins are made inside one source graph (``GRAPH ?g``): each source file's graph describes
# its whole report, and pyoxigraph answers graph-local joins much faster than joins over the
# union (about 2x on the 800-report bench graph). DISTINCT folds a report described by two
# files (a seed text and its PDF original) into one row.
_VISITS = """
SELECT DISTINCT ?authority ?visit ?kind ?start ?report WHERE {
  GRAPH ?g { ?visit kg:authority ?authority ; kg:kind ?kind ; kg:startDate ?start ;
                    kg:report ?report }
}"""

_AUTHORITY_NAMES = """
SELECT ?authority (MIN(?label) AS ?name) WHERE { ?authority a kg:Authority ; rdfs:label ?label }
GROUP BY ?authority"""

_RECOMMENDATIONS = """
SELECT DISTINCT ?authority ?visit ?item ?theme WHERE {
  GRAPH ?g { ?visit kg:authority ?authority ; kg:report ?report .
             ?report kg:hasRecommendation ?item .
             ?item kg:theme ?theme ;
                   kg:addressedTo ?authority }  # the council's, not its safeguarding board's
}"""

_WEAKNESSES = """
SELECT DISTINCT ?authority ?visit ?item ?theme WHERE {
  GRAPH ?g { ?item kg:polarity kg:weakness ; kg:theme ?theme .
             ?report kg:hasFinding ?item .
             ?visit kg:report ?report ; kg:authority ?authority }
  FILTER NOT EXISTS { ?item kg:concerns ?body }  # the board's review: not the council's
}"""

# The points of partner bodies: recommendations addressed to them and not to the council, and
# (include=weaknesses) weakness findings of a review of the safeguarding board.
_PARTNER_RECOMMENDATIONS = """
SELECT DISTINCT ?authority ?visit ?item ?to ?text WHERE {
  GRAPH ?g { ?visit kg:authority ?authority ; kg:report ?report .
             ?report kg:hasRecommendation ?item .
             ?item kg:addressedTo ?to ; kg:text ?text .
             FILTER(?to != ?authority) }
  FILTER NOT EXISTS { ?item kg:addressedTo ?authority }
}"""

_PARTNER_WEAKNESSES = """
SELECT DISTINCT ?authority ?visit ?item ?to ?text WHERE {
  GRAPH ?g { ?visit kg:authority ?authority ; kg:report ?report .
             ?report kg:hasFinding ?item .
             ?item kg:concerns ?to ; kg:polarity kg:weakness ; kg:text ?text }
}"""

# Where each item's words stand: one row per annotation (a seed text and its PDF original
# give two), with the item's text as that file's graph states it (the annotated words).
# ``VALUES ?item`` is filled with IRIs read from the store, serialised by pyoxigraph.
_QUOTES = """
SELECT DISTINCT ?item ?source ?start ?end ?text WHERE {
  VALUES ?item { %s }
  GRAPH ?g { ?annotation oa:hasBody ?item ; oa:hasTarget ?target .
             ?target oa:hasSource ?source ; oa:hasSelector ?position .
             ?position oa:start ?start ; oa:end ?end .
             ?item kg:text ?text }
}"""

_FILE_NAMES = """
SELECT ?source (MIN(?name) AS ?file) WHERE { ?source a kg:SourceFile ; kg:fileName ?name }
GROUP BY ?source"""

_INSPECTORS = """
SELECT DISTINCT ?authority ?visit ?inspector ?name WHERE {
  GRAPH ?g { ?visit kg:authority ?authority ; kg:inspector ?inspector .
             OPTIONAL { ?inspector foaf:name ?name } }
}"""

_LEADS = """
SELECT DISTINCT ?authority ?visit ?inspector WHERE {
  GRAPH ?g { ?visit kg:authority ?authority ; kg:leadInspector ?inspector }
}"""

_JUDGEMENTS = """
SELECT DISTINCT ?authority ?visit ?judgement ?area ?section ?grade WHERE {
  GRAPH ?g { ?visit kg:authority ?authority ; kg:report ?report .
             ?report kg:hasJudgement ?judgement .
             ?judgement kg:judgementArea ?area ; kg:grade ?grade .
             OPTIONAL { ?judgement kg:section ?section } }
}"""

_GRADES = """
SELECT ?grade (MIN(?l) AS ?label) (MIN(?n) AS ?notation) (MIN(?s) AS ?scale)
       (MIN(?sl) AS ?scale_label) WHERE {
  ?grade a kg:Grade ; skos:prefLabel ?l .
  OPTIONAL { ?grade skos:notation ?n }
  OPTIONAL { ?grade skos:inScheme ?s . OPTIONAL { ?s skos:prefLabel ?sl } }
} GROUP BY ?grade"""

_THEMES = """
SELECT ?theme (MIN(?l) AS ?label) (MIN(?p) AS ?position) WHERE {
  ?theme a kg:Theme ; skos:prefLabel ?l .
  OPTIONAL { ?theme kg:position ?p }
} GROUP BY ?theme"""


def _select(store: ox.Store, sparql: str, authority: str | None) -> ox.QuerySolutions:
    """Run a SELECT over the union graph; the authority is bound as an RDF term (never spliced
    into the query text), which needs ``?authority`` in the SELECT clause."""
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = (
        {ox.Variable("authority"): ox.NamedNode(authority)} if authority else {}
    )
    return terms.solutions(
        store.query(
            sparql,
            use_default_graph_as_union=True,
            prefixes=vocab.PREFIXES,
            substitutions=substitutions or None,
        )
    )


def _v(solution: Any, name: str) -> str | None:
    term = solution[name]
    return None if term is None else term.value


def resolve_authority(name: str) -> str:
    """The IRI of the authority a name, GSS code or DfE number denotes (``AuthorityIndex.
    lookup``); ``AnalyticsError`` if none."""
    from kg.authorities import AuthorityError, AuthorityIndex

    try:
        return AuthorityIndex.load().lookup(name).iri
    except AuthorityError as error:
        raise AnalyticsError(f"--authority {quoted(name)}: {error}") from None


def _predecessor_names(missing: set[str]) -> dict[str, str]:
    """Names of authorities that visits point to but the reference graph does not label
    (councils since merged or re-coded), from the reference table's history."""
    from kg.authorities import AuthorityError, AuthorityIndex

    if not missing:
        return {}
    index, names = AuthorityIndex.load(), {}
    for iri in missing:
        try:
            names[iri] = index.by_gss(iri.rsplit("/", 1)[-1]).name
        except (AuthorityError, KeyError):
            continue
    return names


def _told(
    store: ox.Store,
    authority: str | None,
    include: Include,
    visits: dict[str, Visit],
    recommendations: str,
    weaknesses: str,
) -> Iterator[tuple[str, Any]]:
    """("recommendation" or "weakness", solution) of the visits in the period: the rows of
    ``recommendations``, and of ``weaknesses`` when they are included."""
    queries = [("recommendation", recommendations)]
    if include == "weaknesses":
        queries.append(("weakness", weaknesses))
    for told_by, sparql in queries:
        for s in _select(store, sparql, authority):
            if s["visit"].value in visits:
                yield told_by, s


def load(
    store: ox.Store,
    *,
    authority: str | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
    include: Include = "recommendations",
) -> Projection:
    """Read the projection the analytics need: visits whose start year is in the period, and
    their items, inspectors and judgements; ``authority`` is an authority IRI (or None: all).
    Weakness findings are read only when ``include="weaknesses"``."""
    include_of(include)
    if from_year is not None and to_year is not None and from_year > to_year:
        raise AnalyticsError(f"the period is empty: from {from_year} is after to {to_year}")
    names = {
        s["authority"].value: s["name"].value
        for s in _select(store, _AUTHORITY_NAMES, None)
        if s["name"] is not None
    }
    visits: dict[str, Visit] = {}
    for s in _select(store, _VISITS, authority):
        iri, start = s["visit"].value, s["start"].value
        year = int(start[:4])
        if (from_year is not None and year < from_year) or (to_year is not None and year > to_year):
            continue
        known = visits.get(iri)
        if known is None or start < known.start:
            where = s["authority"].value
            visits[iri] = Visit(
                iri,
                where,
                names.get(where) or where.rsplit("/", 1)[-1],
                s["kind"].value.rsplit("/", 1)[-1],
                start,
                _v(s, "report"),
            )
    found_names = _predecessor_names({v.authority for v in visits.values()} - names.keys())
    if found_names:
        visits = {
            iri: Visit(
                v.iri,
                v.authority,
                found_names.get(v.authority, v.authority_name),
                v.kind,
                v.start,
                v.report,
            )
            for iri, v in visits.items()
        }

    found: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for told_by, s in _told(store, authority, include, visits, _RECOMMENDATIONS, _WEAKNESSES):
        found.setdefault((s["item"].value, told_by), (s["visit"].value, set()))[1].add(
            s["theme"].value
        )
    items = [
        Item(iri, visit, told_by, tuple(sorted(themes)))
        for (iri, told_by), (visit, themes) in sorted(found.items())
    ]

    partners: dict[tuple[str, str], tuple[str, set[str], str]] = {}
    for told_by, s in _told(
        store, authority, include, visits, _PARTNER_RECOMMENDATIONS, _PARTNER_WEAKNESSES
    ):
        key = (s["item"].value, told_by)
        partners.setdefault(key, (s["visit"].value, set(), s["text"].value))[1].add(
            vocab.body_kind(s["to"].value)
        )
    partner_items = sorted(
        (
            PartnerItem(iri, visit, told_by, tuple(b for b in vocab.BODIES if b in kinds), text)
            for (iri, told_by), (visit, kinds, text) in partners.items()
        ),
        key=lambda p: (visits[p.visit].start, p.told_by, p.text, p.iri),
    )

    leads = {(s["visit"].value, s["inspector"].value) for s in _select(store, _LEADS, authority)}
    people: dict[tuple[str, str], str] = {}
    for s in _select(store, _INSPECTORS, authority):
        key = (s["visit"].value, s["inspector"].value)
        name = _v(s, "name") or key[1].rsplit("/", 1)[-1]
        if key[0] in visits and (key not in people or name < people[key]):
            people[key] = name  # one name per person: the first of any spellings
    roles = [
        InspectorRole(visit, inspector, name, (visit, inspector) in leads)
        for (visit, inspector), name in people.items()
    ]

    grades = {s["grade"].value: s for s in _select(store, _GRADES, None)}
    judgements: dict[str, Judgement] = {}
    for s in _select(store, _JUDGEMENTS, authority):
        visit, iri = s["visit"].value, s["judgement"].value
        if visit not in visits or iri in judgements:
            continue
        grade = s["grade"].value
        known = grades.get(grade)
        notation = _v(known, "notation") if known is not None else None
        judgements[iri] = Judgement(
            visit,
            iri,
            s["area"].value,
            _v(s, "section"),
            grade,
            (_v(known, "label") if known is not None else None)
            or grade.rsplit("/", 1)[-1].replace("-", " ").capitalize(),
            int(notation) if notation and notation.isdigit() else None,
            _v(known, "scale") if known is not None else None,
            _v(known, "scale_label") if known is not None else None,
        )

    labels: dict[str, str] = {}
    order: dict[str, int] = {}
    for s in _select(store, _THEMES, None):
        labels[s["theme"].value] = s["label"].value
        position = _v(s, "position")
        if position and position.isdigit():
            order[s["theme"].value] = int(position)

    return Projection(
        visits,
        items,
        sorted(roles, key=lambda r: (r.visit, r.name)),
        sorted(judgements.values(), key=lambda j: (j.visit, j.iri)),
        labels,
        order,
        authority,
        from_year,
        to_year,
        include,
        partner_items,
    )


def quotes_for(
    store: ox.Store, items: Iterable[str], batch: int = 500
) -> dict[str, tuple[Quote, ...]]:
    """Each item's quotes (file name, character offsets, the words there), in file-name order.

    Asked for the few items a report shows rather than for all: the join over the Web
    Annotations is the costliest read of the projection."""
    wanted = sorted(set(items))
    if not wanted:
        return {}
    files = {
        s["source"].value: s["file"].value
        for s in _select(store, _FILE_NAMES, None)
        if s["file"] is not None
    }
    found: dict[str, set[Quote]] = defaultdict(set)
    for i in range(0, len(wanted), batch):
        values = " ".join(str(ox.NamedNode(iri)) for iri in wanted[i : i + batch])
        for s in _select(store, _QUOTES % values, None):
            source = s["source"].value
            found[s["item"].value].add(
                Quote(
                    files.get(source, source),
                    int(s["start"].value),
                    int(s["end"].value),
                    s["text"].value,
                )
            )
    return {
        item: tuple(sorted(q, key=lambda q: (q.file_name, q.start))) for item, q in found.items()
    }


def include_of(text: str) -> Include:
    """``text`` as what counts as being told (an AnalyticsError naming the choices if not)."""
    if text == "recommendations":
        return "recommendations"
    if text == "weaknesses":
        return "weaknesses"
    raise AnalyticsError(f"include must be one of {', '.join(INCLUDES)} (got {quoted(text)})")


# ------------------------------------------------------------------------- recurrence chains


def years_between(first: str, second: str) -> float:
    """Years from one visit's start to the next, to one decimal (dates as precise as given)."""

    def day(text: str) -> date:
        parts = [int(p) for p in text[:10].split("-")] + [1, 1]
        return date(parts[0], parts[1], parts[2])

    return round((day(second) - day(first)).days / 365.25, 1)


@dataclass(frozen=True)
class ChainLink:
    """One visit of a recurrence chain, with what it said about the theme."""

    visit: Visit
    items: tuple[Item, ...]
    gap_years: float | None  # since the previous link; None for the first

    @property
    def told_by(self) -> tuple[str, ...]:
        return tuple(sorted({i.told_by for i in self.items}))


@dataclass(frozen=True)
class RecurrenceChain:
    """The visits, in order, in which an authority was told about one theme."""

    authority: str
    authority_name: str
    theme: str
    theme_label: str
    links: tuple[ChainLink, ...]

    @property
    def visits(self) -> int:
        return len(self.links)

    @property
    def first_year(self) -> int:
        return self.links[0].visit.year

    @property
    def last_year(self) -> int:
        return self.links[-1].visit.year

    @property
    def span_years(self) -> int:
        """How long it has been running: last year minus first year."""
        return self.last_year - self.first_year

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(link.visit.year for link in self.links)

    @property
    def gaps(self) -> tuple[float, ...]:
        return tuple(link.gap_years for link in self.links[1:] if link.gap_years is not None)

    @property
    def recurring(self) -> bool:
        return self.visits >= 2


def recurrence_chains(
    data: Projection, include: Include = "recommendations", min_visits: int = 2
) -> list[RecurrenceChain]:
    """For each authority and theme, the ordered visits in which it was raised; chains of at
    least ``min_visits`` visits, most visits first, then longest-running, then by name."""
    by_key: dict[tuple[str, str], dict[str, list[Item]]] = defaultdict(lambda: defaultdict(list))
    for item in data.told(include):
        visit = data.visits[item.visit]
        for theme in item.themes:
            by_key[(visit.authority, theme)][visit.iri].append(item)
    chains = []
    for (authority, theme), visit_items in by_key.items():
        if len(visit_items) < min_visits:
            continue
        ordered = sorted(visit_items, key=lambda v: (data.visits[v].start, v))
        links: list[ChainLink] = []
        previous: Visit | None = None
        for iri in ordered:
            visit = data.visits[iri]
            gap = None if previous is None else years_between(previous.start, visit.start)
            links.append(
                ChainLink(visit, tuple(sorted(visit_items[iri], key=lambda i: i.iri)), gap)
            )
            previous = visit
        chains.append(
            RecurrenceChain(
                authority,
                links[0].visit.authority_name,
                theme,
                data.theme_label(theme),
                tuple(links),
            )
        )
    return sorted(chains, key=_chain_rank)


def _chain_rank(chain: RecurrenceChain) -> tuple[Any, ...]:
    return (-chain.visits, -chain.span_years, chain.authority_name, chain.theme_label)


def most_frequent(chains: Iterable[RecurrenceChain], n: int | None = 10) -> list[RecurrenceChain]:
    """Chains with the most visits (ties: longer-running first)."""
    ranked = sorted(chains, key=_chain_rank)
    return ranked if n is None else ranked[:n]


def longest_running(chains: Iterable[RecurrenceChain], n: int | None = 10) -> list[RecurrenceChain]:
    """Chains spanning the most years, first to last (ties: more visits first)."""
    ranked = sorted(
        chains, key=lambda c: (-c.span_years, -c.visits, c.authority_name, c.theme_label)
    )
    return ranked if n is None else ranked[:n]


@dataclass(frozen=True)
class AuthorityChains:
    """One authority's recurring themes, with its headline chains."""

    authority: str
    authority_name: str
    chains: tuple[RecurrenceChain, ...]

    @property
    def most_frequent(self) -> RecurrenceChain | None:
        return most_frequent(self.chains, 1)[0] if self.chains else None

    @property
    def longest_running(self) -> RecurrenceChain | None:
        return longest_running(self.chains, 1)[0] if self.chains else None


def chains_by_authority(chains: Iterable[RecurrenceChain]) -> list[AuthorityChains]:
    """Authorities by number of recurring themes (most first), each with its chains."""
    grouped: dict[str, list[RecurrenceChain]] = defaultdict(list)
    for chain in chains:
        grouped[chain.authority].append(chain)
    result = [
        AuthorityChains(a, cs[0].authority_name, tuple(sorted(cs, key=_chain_rank)))
        for a, cs in grouped.items()
    ]
    return sorted(result, key=lambda a: (-len(a.chains), a.authority_name))


@dataclass(frozen=True)
class ThemeRecurrence:
    """How often one theme recurs across authorities."""

    theme: str
    theme_label: str
    authorities: int  # authorities with a recurring chain on it
    visits: int  # visits in those chains
    longest_span: int


def recurrent_themes(chains: Iterable[RecurrenceChain]) -> list[ThemeRecurrence]:
    """Themes by the number of authorities they keep coming back for (most first)."""
    grouped: dict[str, list[RecurrenceChain]] = defaultdict(list)
    for chain in chains:
        grouped[chain.theme].append(chain)
    result = [
        ThemeRecurrence(
            t,
            cs[0].theme_label,
            len({c.authority for c in cs}),
            sum(c.visits for c in cs),
            max(c.span_years for c in cs),
        )
        for t, cs in grouped.items()
    ]
    return sorted(result, key=lambda r: (-r.authorities, -r.visits, r.theme_label))


def recurrence_graph(data: Projection, chains: Iterable[RecurrenceChain]) -> nx.MultiDiGraph:
    """Visits linked in chain order, one edge per theme (key: the theme IRI); authorities and
    themes are nodes too, so Gephi can colour and filter by them."""
    graph = nx.MultiDiGraph(name="recurrence chains")
    for chain in chains:
        graph.add_node(
            chain.authority, iri=chain.authority, type="authority", label=chain.authority_name
        )
        graph.add_node(chain.theme, iri=chain.theme, type="theme", label=chain.theme_label)
        for link in chain.links:
            v = link.visit
            graph.add_node(
                v.iri,
                iri=v.iri,
                type="visit",
                label=f"{v.authority_name} {v.start}",
                authority=v.authority,
                kind=v.kind,
                start=v.start,
                year=v.year,
            )
            graph.add_edge(v.authority, v.iri, key="visited", relation="visited")
            graph.add_edge(
                chain.theme,
                v.iri,
                key=chain.authority,
                relation="raised",
                authority=chain.authority,
                items=" ".join(i.iri for i in link.items),
            )
        for before, after in zip(chain.links, chain.links[1:], strict=False):
            graph.add_edge(
                before.visit.iri,
                after.visit.iri,
                key=chain.theme,
                relation="recurs",
                theme=chain.theme,
                theme_label=chain.theme_label,
                authority=chain.authority,
                gap_years=after.gap_years or 0.0,
            )
    return graph


# ---------------------------------------------------------------------- inspector network


@dataclass(frozen=True)
class Inspector:
    """An inspector's visits in the projection."""

    iri: str
    name: str
    visits: tuple[str, ...]
    lead_visits: int
    authorities: tuple[str, ...]


@dataclass(frozen=True)
class RepeatVisit:
    """An inspector who has seen the same authority on more than one visit."""

    inspector: str
    name: str
    authority: str
    authority_name: str
    visits: tuple[Visit, ...]


@dataclass(frozen=True)
class CoInspection:
    """Two inspectors who inspected together, and on which visits."""

    a: str
    a_name: str
    b: str
    b_name: str
    visits: tuple[str, ...]


@dataclass
class InspectorNetwork:
    """Inspectors linked by shared visits and to the authorities they visited."""

    graph: nx.Graph
    inspectors: list[Inspector]
    pairs: list[CoInspection]
    repeat_visits: list[RepeatVisit]


def inspector_network(data: Projection) -> InspectorNetwork:
    """Nodes: inspectors (``type=inspector``) and authorities (``type=authority``). Edges:
    ``co-inspected`` between inspectors (weight = shared visits) and ``visited`` from an
    inspector to an authority (weight = visits), each with the visit IRIs."""
    by_visit: dict[str, list[InspectorRole]] = defaultdict(list)
    by_inspector: dict[str, list[InspectorRole]] = defaultdict(list)
    for role in data.inspectors:
        by_visit[role.visit].append(role)
        by_inspector[role.inspector].append(role)
    names = {i: min(r.name for r in roles) for i, roles in by_inspector.items()}
    authority_names = data.authority_names()

    graph = nx.Graph(name="inspector network")
    inspectors = []
    for iri, roles in sorted(by_inspector.items(), key=lambda kv: names[kv[0]]):
        visits = tuple(sorted({r.visit for r in roles}, key=lambda v: (data.visits[v].start, v)))
        authorities = tuple(sorted({data.visits[v].authority for v in visits}))
        lead = sum(1 for r in roles if r.lead)
        inspectors.append(Inspector(iri, names[iri], visits, lead, authorities))
        graph.add_node(
            iri, iri=iri, type="inspector", label=names[iri], visits=len(visits), lead_visits=lead
        )
    for authority, name in authority_names.items():
        if any(authority in i.authorities for i in inspectors):
            graph.add_node(authority, iri=authority, type="authority", label=name)

    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for visit, roles in by_visit.items():
        for a, b in combinations(sorted({r.inspector for r in roles}), 2):
            shared[(a, b)].add(visit)
    pairs = []
    for (a, b), together in sorted(shared.items()):
        in_order = tuple(sorted(together, key=lambda v: (data.visits[v].start, v)))
        pairs.append(CoInspection(a, names[a], b, names[b], in_order))
        graph.add_edge(
            a, b, relation="co-inspected", weight=len(in_order), visits=" ".join(in_order)
        )

    repeats = []
    for inspector in inspectors:
        per_authority: dict[str, list[Visit]] = defaultdict(list)
        for v in inspector.visits:
            per_authority[data.visits[v].authority].append(data.visits[v])
        for authority, seen in sorted(per_authority.items()):
            graph.add_edge(
                inspector.iri,
                authority,
                relation="visited",
                weight=len(seen),
                visits=" ".join(v.iri for v in seen),
            )
            if len(seen) > 1:
                repeats.append(
                    RepeatVisit(
                        inspector.iri,
                        inspector.name,
                        authority,
                        authority_names[authority],
                        tuple(seen),
                    )
                )
    pairs.sort(key=lambda p: (-len(p.visits), p.a_name, p.b_name))
    repeats.sort(key=lambda r: (-len(r.visits), r.name, r.authority_name))
    return InspectorNetwork(graph, inspectors, pairs, repeats)


# ---------------------------------------------------------------- similarity, co-occurrence


def theme_profiles(
    data: Projection, include: Include = "recommendations"
) -> dict[str, Counter[str]]:
    """Per authority: for each theme, the number of distinct visits in which it was told."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in data.told(include):
        visit = data.visits[item.visit]
        for theme in item.themes:
            seen[visit.authority][theme].add(visit.iri)
    return {a: Counter({t: len(v) for t, v in themes.items()}) for a, themes in seen.items()}


@dataclass(frozen=True)
class Similarity:
    """How alike two authorities' theme profiles are (cosine similarity, 0..1)."""

    a: str
    a_name: str
    b: str
    b_name: str
    score: float
    shared_themes: tuple[str, ...]


def cosine(p: Counter[str], q: Counter[str]) -> float:
    """Cosine of two theme-count vectors (0 when either is empty)."""
    dot = sum(p[t] * q[t] for t in p.keys() & q.keys())
    norm = math.sqrt(sum(v * v for v in p.values())) * math.sqrt(sum(v * v for v in q.values()))
    return dot / norm if norm else 0.0


def authority_similarity(
    data: Projection,
    include: Include = "recommendations",
    min_score: float = 0.0,
    limit: int | None = None,
) -> list[Similarity]:
    """Pairs of authorities by cosine similarity of their theme profiles over the projection's
    period (vectors: visits per theme, so a theme raised at every visit weighs more than one
    raised once). Most similar first; pairs scoring ``min_score`` or less are left out, and
    only the first ``limit`` pairs are returned when it is given."""
    profiles = theme_profiles(data, include)
    names = data.authority_names()
    themes = sorted({t for p in profiles.values() for t in p})
    vectors = {a: [p.get(t, 0) for t in themes] for a, p in profiles.items()}
    norms = {a: math.sqrt(sum(v * v for v in vector)) for a, vector in vectors.items()}
    scored = []
    for a, b in combinations(sorted(profiles), 2):
        dot = sum(map(operator.mul, vectors[a], vectors[b]))
        score = round(dot / (norms[a] * norms[b]), 4) if dot else 0.0
        if score > min_score:
            scored.append((-score, names[a], names[b], a, b))
    scored.sort()
    result = []
    for negative, _, _, a, b in scored if limit is None else scored[:limit]:
        shared = tuple(
            sorted(
                profiles[a].keys() & profiles[b].keys(),
                key=lambda t: (-(profiles[a][t] + profiles[b][t]), t),
            )
        )
        result.append(Similarity(a, names[a], b, names[b], -negative, shared))
    return result


@dataclass(frozen=True)
class CoOccurrence:
    """Two themes raised together: in the same recommendation (or finding), and in the same
    visit."""

    a: str
    a_label: str
    b: str
    b_label: str
    items: int
    visits: int


def theme_cooccurrence(
    data: Projection, include: Include = "recommendations"
) -> list[CoOccurrence]:
    """Theme pairs by how many items raise both (then by how many visits raise both)."""
    same_item: Counter[tuple[str, str]] = Counter()
    per_visit: dict[str, set[str]] = defaultdict(set)
    for item in data.told(include):
        for pair in combinations(sorted(set(item.themes)), 2):
            same_item[pair] += 1
        per_visit[item.visit].update(item.themes)
    same_visit: Counter[tuple[str, str]] = Counter()
    for themes in per_visit.values():
        for pair in combinations(sorted(themes), 2):
            same_visit[pair] += 1
    result = [
        CoOccurrence(a, data.theme_label(a), b, data.theme_label(b), same_item[(a, b)], n)
        for (a, b), n in same_visit.items()
    ]
    return sorted(result, key=lambda c: (-c.items, -c.visits, c.a_label, c.b_label))


def theme_graph(data: Projection, include: Include = "recommendations") -> nx.Graph:
    """Themes (weight: visits raising them) linked when raised together; edge attributes
    ``items`` (same recommendation/finding) and ``visits`` (same visit)."""
    graph = nx.Graph(name="theme co-occurrence")
    visits: dict[str, set[str]] = defaultdict(set)
    for item in data.told(include):
        for theme in item.themes:
            visits[theme].add(item.visit)
    for theme, seen in visits.items():
        graph.add_node(
            theme, iri=theme, type="theme", label=data.theme_label(theme), visits=len(seen)
        )
    for c in theme_cooccurrence(data, include):
        graph.add_edge(
            c.a, c.b, relation="co-occurs", items=c.items, visits=c.visits, weight=c.visits
        )
    return graph


# -------------------------------------------------------------------------------- export


def export_graph(data: Projection, kind: str, include: Include = "recommendations") -> nx.Graph:
    """The networkx graph of one kind: ``recurrence``, ``inspectors`` or ``themes``."""
    if kind == "recurrence":
        return recurrence_graph(data, recurrence_chains(data, include))
    if kind == "inspectors":
        return inspector_network(data).graph
    if kind == "themes":
        return theme_graph(data, include)
    raise AnalyticsError(f"--kind must be one of {', '.join(GRAPH_KINDS)} (got {quoted(kind)})")


def _plain(graph: nx.Graph) -> nx.Graph:
    """A copy whose attribute values GraphML and GEXF can all write (no None, no tuples)."""

    def clean(attrs: dict[str, Any]) -> dict[str, Any]:
        return {
            k: (" ".join(map(str, v)) if isinstance(v, (tuple, list, set)) else v)
            for k, v in attrs.items()
            if v is not None
        }

    copy = graph.__class__()
    copy.graph.update(clean(graph.graph))
    copy.add_nodes_from((n, clean(a)) for n, a in graph.nodes(data=True))
    if graph.is_multigraph():
        copy.add_edges_from((u, v, k, clean(a)) for u, v, k, a in graph.edges(keys=True, data=True))
    else:
        copy.add_edges_from((u, v, clean(a)) for u, v, a in graph.edges(data=True))
    return copy


def write_graph(graph: nx.Graph, fmt: str, out: Path | IO[bytes]) -> None:
    """Write GraphML, GEXF or node-link JSON (the d3 shape: ``nodes`` and ``links``)."""
    plain = _plain(graph)
    if fmt == "graphml":
        nx.write_graphml(plain, out)
    elif fmt == "gexf":
        nx.write_gexf(plain, out)
    elif fmt == "json":
        data = (
            json.dumps(
                nx.node_link_data(plain, edges="links"), indent=1, ensure_ascii=False
            ).encode("utf-8")
            + b"\n"
        )
        if isinstance(out, Path):
            out.write_bytes(data)
        else:
            out.write(data)
    else:
        raise AnalyticsError(
            f"--format must be one of {', '.join(GRAPH_FORMATS)} (got {quoted(fmt)})"
        )
