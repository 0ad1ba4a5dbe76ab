"""Turn a ``kg.record.Report`` into RDF quads (and the reference and build records).

Pure mapping: nothing here reads files or runs the extractor, so the mapping can be tested on
hand-made records. Every IRI is minted from content (authority + kind + date for a visit, a
folded-text hash for a recommendation or finding), so the seed text and the PDF original of
one report yield the same visit, recommendation and finding IRIs; each source only adds its
own ``kg:SourceFile`` and Web Annotations (which are keyed by the file's SHA-256).

All ontology term IRIs used by the project's data live in ``kg.vocab.T`` (imported here, so
``kg.rdf.T`` still works): if the ontology renames a term, that is a one-line change there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat
from pyoxigraph import serialize as ox_serialize

from kg import families, inspectors, vocab
from kg.record import AuthorityRef, Report
from kg.vocab import ID, KG, KIND, ORG, XSD, T

# How many characters of context ``oa:prefix`` / ``oa:suffix`` carry around a quote; 0: none.
# They are optional in Web Annotation and add nothing here: the quote is located by its
# offsets (TextPositionSelector) in a text pinned by the file's SHA-256, and each costs one
# quad per finding or recommendation (about a tenth of a report's quads, and of build time).
CONTEXT_CHARS = 0


# IRIs known to be valid: the terms of ``T`` and the datatypes (``_Rows`` need not check them).
_VALID_IRIS = frozenset(
    [v for k, v in vars(T).items() if not k.startswith("_") and isinstance(v, str)]
    + [
        XSD + t
        for t in (
            "string",
            "integer",
            "nonNegativeInteger",
            "date",
            "gYear",
            "gYearMonth",
            "dateTime",
        )
    ]
)
_BRACKETED = {iri: f"<{iri}>" for iri in _VALID_IRIS}
_B_TYPE, _B_ANNOTATION, _B_SPECIFIC_RESOURCE = (
    _BRACKETED[T.type],
    _BRACKETED[T.Annotation],
    _BRACKETED[T.SpecificResource],
)
_B_QUOTE_SELECTOR, _B_POSITION_SELECTOR = (
    _BRACKETED[T.TextQuoteSelector],
    _BRACKETED[T.TextPositionSelector],
)
_B_HAS_BODY, _B_HAS_TARGET, _B_HAS_SOURCE, _B_HAS_SELECTOR = (
    _BRACKETED[T.hasBody],
    _BRACKETED[T.hasTarget],
    _BRACKETED[T.hasSource],
    _BRACKETED[T.hasSelector],
)
_B_EXACT, _B_PREFIX, _B_SUFFIX = _BRACKETED[T.exact], _BRACKETED[T.prefix], _BRACKETED[T.suffix]
_B_START, _B_END = _BRACKETED[T.start], _BRACKETED[T.end]
_B_NON_NEGATIVE = _BRACKETED[XSD + "nonNegativeInteger"]
_B_HAS_FINDING, _B_FINDING, _B_TEXT = (
    _BRACKETED[T.hasFinding],
    _BRACKETED[T.Finding],
    _BRACKETED[T.text],
)
_B_SECTION, _B_POLARITY, _B_THEME = (
    _BRACKETED[T.section],
    _BRACKETED[T.polarity],
    _BRACKETED[T.theme],
)


def software_iri(version: str) -> str:
    """The software agent, one per version, so a graph built by an older version says so."""
    return f"{ID}software/kg/{version}"


class AuthorityLike(Protocol):
    """What ``authority_quads`` needs from ``kg.authorities.Authority``."""

    @property
    def name(self) -> str: ...
    @property
    def gss_code(self) -> str: ...
    @property
    def dfe_la_code(self) -> str | None: ...
    @property
    def region_name(self) -> str | None: ...
    @property
    def region_gss_code(self) -> str | None: ...
    @property
    def wikidata_qid(self) -> str | None: ...


@dataclass(frozen=True)
class SourceRef:
    """A source file a build used: its file name and content hash."""

    name: str
    sha256: str


class _Lit(NamedTuple):
    """A literal not yet made a pyoxigraph term (``datatype`` None: a plain xsd:string)."""

    value: str
    datatype: str | None = None

    def term(self) -> Literal:
        if self.datatype:
            return Literal(self.value, datatype=NamedNode(self.datatype))
        return Literal(self.value)


_Object = NamedNode | Literal | _Lit | str


class _Quads:
    """Collects quads into one graph; skips ``None`` objects so optional fields stay absent."""

    def __init__(self, graph: str) -> None:
        self.graph = NamedNode(graph)
        self.quads: list[Quad] = []

    def add(self, s: str, p: str, o: _Object | None) -> None:
        if o is None:
            return
        obj = NamedNode(o) if isinstance(o, str) else o.term() if isinstance(o, _Lit) else o
        self.quads.append(Quad(NamedNode(s), NamedNode(p), obj, self.graph))

    def lit(self, s: str, p: str, value: str | None, datatype: str | None = None) -> None:
        if value is None or value == "":
            return
        self.add(s, p, _Lit(value, datatype))

    def finding(
        self,
        doc: str,
        iri: str,
        text: str,
        section: str | None,
        polarity: str,
        themes: list[str],
    ) -> None:
        """A finding's own statements (``_map_report``). No ``kg:position``: a report has
        ~200 findings, the order is their annotations' ``oa:start``, and each quad here costs
        build time (~161 k of them on the 800-report benchmark)."""
        self.add(doc, T.hasFinding, iri)
        self.add(iri, T.type, T.Finding)
        self.lit(iri, T.text, text)
        self.lit(iri, T.section, section)
        self.add(iri, T.polarity, polarity)
        for theme in themes:
            self.add(iri, T.theme, theme)

    def annotation(
        self, body: str, sha256: str, source: str, text: str, start: int, end: int
    ) -> None:
        """The Web Annotation of ``_annotate`` (offsets already checked)."""
        anno, target, quote, pos = annotation_iris(body, sha256, start)
        self.add(anno, T.type, T.Annotation)
        self.add(anno, T.hasBody, body)
        self.add(anno, T.hasTarget, target)
        self.add(target, T.type, T.SpecificResource)
        self.add(target, T.hasSource, source)
        self.add(target, T.hasSelector, quote)
        self.add(target, T.hasSelector, pos)
        self.add(quote, T.type, T.TextQuoteSelector)
        self.lit(quote, T.exact, text[start:end])
        if CONTEXT_CHARS:
            self.lit(quote, T.prefix, text[max(0, start - CONTEXT_CHARS) : start])
            self.lit(quote, T.suffix, text[end : end + CONTEXT_CHARS])
        self.add(pos, T.type, T.TextPositionSelector)
        self.add(pos, T.start, _int(start, XSD + "nonNegativeInteger"))
        self.add(pos, T.end, _int(end, XSD + "nonNegativeInteger"))


# What an N-Triples string literal must escape (everything else may stand as it is).
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r]')
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_XSD_STRING = XSD + "string"


def _quoted(value: str) -> str:
    """An N-Triples string literal."""
    if _NEEDS_ESCAPE.search(value):
        value = value.translate(_ESCAPES)
    return f'"{value}"'


class _Rows:
    """``_Quads`` for the build's fast path: rows written straight to N-Quads, with no
    pyoxigraph object per quad. Every distinct IRI is checked as ``NamedNode`` checks it, and
    anything odd raises (the caller then falls back to the exact ``_Quads`` path)."""

    def __init__(self, graph: str, keep: frozenset[str] = frozenset()) -> None:
        self.terms = dict(_BRACKETED)  # IRI -> "<IRI>", for IRIs known to be valid
        self.tail = f" {self.term(graph)} .\n"
        self.rows: list[tuple[str, str, _Object] | str] = []  # a str: finished lines
        # (subject, predicate, object value) of the rows whose predicate is in ``keep``, in
        # the order written: what a reader of the N-Quads would pick out (``report_rows``)
        self.keep = keep
        self.kept: list[tuple[str, str, str]] = []

    def _keep(self, s: str, p: str, o: _Object) -> None:
        if p in self.keep:
            value = o if isinstance(o, str) else o.value
            self.kept.append((s, p, value))

    def term(self, iri: str) -> str:
        """``<iri>``, once the IRI is known to be valid."""
        term = self.terms.get(iri)
        if term is None:
            NamedNode(iri)  # raises ValueError on an invalid IRI
            term = self.terms[iri] = f"<{iri}>"
        return term

    def add(self, s: str, p: str, o: _Object | None) -> None:
        if o is not None:
            self.rows.append((s, p, o))
            self._keep(s, p, o)

    def lit(self, s: str, p: str, value: str | None, datatype: str | None = None) -> None:
        if value is not None and value != "":
            self.rows.append((s, p, _Lit(value, datatype)))
            self._keep(s, p, value)

    def finding(
        self,
        doc: str,
        iri: str,
        text: str,
        section: str | None,
        polarity: str,
        themes: list[str],
    ) -> None:
        """``_Quads.finding`` as finished lines."""
        f, g = self.term(iri), self.tail
        lines = f"{self.term(doc)} {_B_HAS_FINDING} {f}{g}{f} {_B_TYPE} {_B_FINDING}{g}"
        if text:
            lines += f"{f} {_B_TEXT} {_quoted(text)}{g}"
        if section:
            lines += f"{f} {_B_SECTION} {_quoted(section)}{g}"
        lines += f"{f} {_B_POLARITY} {self.term(polarity)}{g}"
        for theme in themes:
            lines += f"{f} {_B_THEME} {self.term(theme)}{g}"
        self.rows.append(lines)
        if self.keep:
            self._keep(doc, T.hasFinding, iri)
            if text:
                self._keep(iri, T.text, text)
            if section:
                self._keep(iri, T.section, section)
            self._keep(iri, T.polarity, polarity)
            for theme in themes:
                self._keep(iri, T.theme, theme)

    def annotation(
        self, body: str, sha256: str, source: str, text: str, start: int, end: int
    ) -> None:
        """``_Quads.annotation`` as finished lines (the IRIs made from ``body`` by appending a
        path segment are valid when ``body`` is)."""
        self.term(body)  # checks the body IRI, and so the annotation's
        a, t, q, p = (f"<{iri}>" for iri in annotation_iris(body, sha256, start))
        g = self.tail
        context = ""
        if CONTEXT_CHARS:
            prefix = text[max(0, start - CONTEXT_CHARS) : start]
            suffix = text[end : end + CONTEXT_CHARS]
            if prefix:
                context += f"{q} {_B_PREFIX} {_quoted(prefix)}{g}"
            if suffix:
                context += f"{q} {_B_SUFFIX} {_quoted(suffix)}{g}"
        self.rows.append(
            f"{a} {_B_TYPE} {_B_ANNOTATION}{g}"
            f"{a} {_B_HAS_BODY} {self.terms[body]}{g}"
            f"{a} {_B_HAS_TARGET} {t}{g}"
            f"{t} {_B_TYPE} {_B_SPECIFIC_RESOURCE}{g}"
            f"{t} {_B_HAS_SOURCE} {self.term(source)}{g}"
            f"{t} {_B_HAS_SELECTOR} {q}{g}"
            f"{t} {_B_HAS_SELECTOR} {p}{g}"
            f"{q} {_B_TYPE} {_B_QUOTE_SELECTOR}{g}"
            f"{q} {_B_EXACT} {_quoted(text[start:end])}{g}"
            f"{context}"
            f"{p} {_B_TYPE} {_B_POSITION_SELECTOR}{g}"
            f'{p} {_B_START} "{start}"^^{_B_NON_NEGATIVE}{g}'
            f'{p} {_B_END} "{end}"^^{_B_NON_NEGATIVE}{g}'
        )
        if self.keep:
            anno, target, quote, position = (t[1:-1] for t in (a, t, q, p))
            for triple in (
                (anno, T.hasBody, body),
                (anno, T.hasTarget, target),
                (target, T.hasSource, source),
                (target, T.hasSelector, quote),
                (target, T.hasSelector, position),
                (quote, T.exact, text[start:end]),
                (position, T.start, str(start)),
                (position, T.end, str(end)),
            ):
                self._keep(*triple)

    def nquads(self) -> bytes:
        term, tail, string = self.term, self.tail, _XSD_STRING
        lines: list[str] = []
        append = lines.append
        for row in self.rows:
            if isinstance(row, str):
                append(row)
                continue
            s, p, o = row
            if isinstance(o, str):
                obj = term(o)
            elif isinstance(o, _Lit):
                value, datatype = o
                if datatype and datatype != string:
                    obj = f"{_quoted(value)}^^{term(datatype)}"
                else:
                    obj = _quoted(value)
            elif isinstance(o, (NamedNode, Literal)):
                obj = str(o)
            else:
                raise TypeError(f"not an RDF object: {o!r}")
            append(f"{term(s)} {term(p)} {obj}{tail}")
        return "".join(lines).encode("utf-8")


def _int(value: int, datatype: str = XSD + "integer") -> _Lit:
    return _Lit(str(value), datatype)


def _date(value: str) -> _Lit:
    kinds = {4: "gYear", 7: "gYearMonth"}
    return _Lit(value, XSD + kinds.get(len(value), "date"))


def date_literal(value: str) -> Literal:
    """An ISO date as precise as the text: ``2018`` gYear, ``2018-07`` gYearMonth, else date."""
    return _date(value).term()


def visit_iri_for(report: Report) -> str:
    """The visit's IRI: authority GSS + kind + start date (letter/publication date if none)."""
    if report.authority is None:
        raise ValueError(f"{report.source}: no authority, cannot identify the visit")
    day = report.visit_start or report.letter_date or report.publication_date
    if not day:
        raise ValueError(f"{report.source}: no visit, letter or publication date")
    return vocab.visit_iri(report.authority.gss_code, report.kind, day)


def annotation_iris(item: str, sha256: str, start: int) -> tuple[str, str, str, str]:
    """The annotation locating ``item`` at offset ``start`` of the file whose SHA-256 is
    ``sha256``, its target and its quote and position selectors:
    ``<item>/<8 hex of the file hash>-<start>``, then ``/t``, ``/q``, ``/p``.

    Derived from the item's own IRI, with only 8 hex digits of the file's hash (not all 64):
    short IRIs are cheaper to write (bulk loading costs grow with the N-Quads' bytes). The
    file key keeps each file's annotation its own: the seed text and the PDF original of one
    report often put an item at the same offset. Re-ingesting the same file mints the same
    IRIs; an item repeated in one file differs by its offset.
    """
    anno = f"{item}/{sha256[:8]}-{start}"
    return anno, anno + "/t", anno + "/q", anno + "/p"


def annotation_iri(item: str, sha256: str, start: int) -> str:
    """The IRI of the annotation locating ``item`` at ``start`` (``annotation_iris``)."""
    return annotation_iris(item, sha256, start)[0]


def extraction_run_iri(sha256: str, fingerprint: str) -> str:
    return f"{ID}extraction/{fingerprint[:16]}/{sha256}"


def grade_iri(kind: str, grade: str) -> str:
    """A judgement's grade: a concept of the scale of the visit's family."""
    # A family with no scale of its own (a focused visit stating a grade) names one after itself.
    scale = families.family(kind).scale or families.GradeScale(vocab.slug(kind), kind, ())
    return scale.iri(grade)


def earlier_grade_iri(date: str, label: str) -> str | None:
    """The grade an earlier inspection gave, when its scale is known; else None (a literal).

    ``kg.families.scale_on`` decides the scale from the date and the words; the grade is a
    concept only when the label is one of that scale's (a "requires improvement" dated 2012
    is on no scale of its time: the report's words stay a literal).
    """
    scale = families.scale_on(date, label)
    if scale is None or not scale.has(label):
        return None
    return scale.iri(label)


def _annotate(
    q: _Quads | _Rows, report: Report, body: str, start: int, end: int, what: str
) -> None:
    """Web Annotation tying ``body`` to the exact words at ``start:end`` of the source."""
    text = report.text
    if not (0 <= start < end <= len(text)):
        raise ValueError(
            f"{report.source}: {what} offsets {start}-{end} outside the text ({len(text)} chars)"
        )
    q.annotation(body, report.sha256, vocab.file_iri(report.sha256), text, start, end)


def _person(q: _Quads | _Rows, iri: str, name: str, printed: str) -> None:
    """An inspector: the one name the node is shown by, and a report's own spelling of it."""
    q.add(iri, T.type, T.Inspector)
    q.lit(iri, T.foaf_name, name)
    q.lit(iri, T.label, name)
    q.lit(iri, T.schema_name, name)
    if printed != name:
        q.lit(iri, T.alternateName, printed)


def report_quads(report: Report, graph: str) -> list[Quad]:
    """All quads one report contributes, in named graph ``graph``.

    Raises ``ValueError`` (one line, naming the file) when the record cannot be identified
    (no authority or no date) or an offset falls outside ``report.text``.
    """
    q = _Quads(graph)
    _map_report(q, report)
    return q.quads


def report_nquads(report: Report, graph: str) -> bytes:
    """``report_quads`` as N-Quads (UTF-8), written without a pyoxigraph object per quad.

    What a build worker sends to the writing process. The same mapping code fills plain rows;
    if anything is odd about them (an invalid IRI, a string that is not valid Unicode) the
    quads are made the exact way instead, which raises what ``report_quads`` raises.
    """
    return report_rows(report, graph)[0]


def report_rows(
    report: Report, graph: str, keep: frozenset[str] = frozenset()
) -> tuple[bytes, list[tuple[str, str, str]] | None]:
    """``report_nquads``, and the (subject, predicate, object value) of its quads whose
    predicate is in ``keep``, in the order written (as a reader of the N-Quads would pick
    them out, but without parsing them again: a build worker's rows for the text index).
    The triples are None when the exact path made the N-Quads: read them from those."""
    rows = _Rows(graph, keep)
    try:
        _map_report(rows, report)
        return rows.nquads(), rows.kept
    except Exception:
        pass
    return serialize_nquads(report_quads(report, graph)), None


def serialize_nquads(quads: Iterable[Quad]) -> bytes:
    data = ox_serialize(quads, format=RdfFormat.N_QUADS)
    assert data is not None
    return data


def _map_report(q: _Quads | _Rows, report: Report) -> None:
    visit = visit_iri_for(report)
    assert report.authority is not None  # checked by visit_iri_for
    authority = vocab.authority_iri(report.authority.gss_code)
    doc = visit + "/report"
    source_file = vocab.file_iri(report.sha256)

    q.add(authority, T.type, T.Authority)
    q.lit(authority, T.gssCode, report.authority.gss_code)
    q.lit(authority, T.dfeLaCode, report.authority.dfe_la_code)

    q.add(visit, T.type, T.Visit)
    q.add(visit, T.type, T.Activity)
    q.add(visit, T.authority, authority)
    q.lit(visit, T.gssCodeAtVisit, report.authority.gss_code_at_visit or report.authority.gss_code)
    q.add(visit, T.kind, KIND + report.kind)
    if report.reinspection:
        q.lit(visit, T.reinspection, "true", XSD + "boolean")
    if report.visit_start:
        q.add(visit, T.startDate, _date(report.visit_start))
    if report.visit_end:
        q.add(visit, T.endDate, _date(report.visit_end))
    for area in report.scope:
        q.lit(visit, T.scope, area)
    q.add(visit, T.report, doc)
    q.add(doc, T.wasGeneratedBy, visit)

    for person in report.inspectors:
        who = inspectors.identity(person.name)
        iri = vocab.inspector_iri(who.key)
        _person(q, iri, who.name, person.name)
        q.add(visit, T.inspector, iri)
        q.add(visit, T.wasAssociatedWith, iri)
        if person.lead:
            q.add(visit, T.leadInspector, iri)

    q.add(doc, T.type, T.Report)
    q.add(doc, T.type, T.Entity)
    q.lit(doc, T.title, report.title)
    if report.letter_date:
        q.add(doc, T.letterDate, _date(report.letter_date))
    if report.publication_date:
        q.add(doc, T.publicationDate, _date(report.publication_date))
    # One node per person the letter is addressed to, named by their name (or title).
    addressee_iris: set[str] = set()
    for addressee in report.addressees:
        if not (addressee.name or addressee.role):
            continue
        base = f"{doc}/addressee/{vocab.slug(addressee.name or addressee.role or '')}"
        iri, n = base, 1
        while iri in addressee_iris:  # people with one name or one untitled role: -2, -3 ...
            n += 1
            iri = f"{base}-{n}"
        addressee_iris.add(iri)
        q.add(doc, T.addressee, iri)
        q.add(iri, T.type, T.Addressee)
        q.lit(iri, T.addresseeName, addressee.name)
        q.lit(iri, T.addresseeRole, addressee.role)
    q.add(doc, T.sourceFile, source_file)

    q.add(source_file, T.type, T.SourceFile)
    q.lit(source_file, T.sha256, report.sha256)
    q.lit(source_file, T.fileName, report.source)

    # A sentence the report repeats (a summary restating a finding) is one item with one text,
    # position and section, found at two places: the first occurrence states the facts, every
    # occurrence gets its annotation.
    seen: set[str] = set()
    # theme id -> ([(recommendation, text)], [(weakness finding, text)]), for _themes_at_visit
    raised: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
    # The council's points, then its safeguarding board's (a SIF inspection's LSCB review);
    # each is addressed to the bodies its subject names (kg.extract.addressees).
    points = report.recommendations + report.lscb_recommendations
    gss = report.authority.gss_code
    bodies = {kind for rec in points for kind in rec.addressed_to}
    if any(f.about == "board" for f in report.findings):
        bodies.add("board")
    _partner_bodies(q, report.authority, authority, bodies)
    for index, rec in enumerate(points, start=1):
        iri = f"{visit}/recommendation/{vocab.text_key(rec.text)}"
        if iri not in seen:
            seen.add(iri)
            q.add(doc, T.hasRecommendation, iri)
            q.add(iri, T.type, T.Recommendation)
            q.lit(iri, T.text, rec.text)
            q.add(iri, T.position, _int(len(seen)))
            q.lit(iri, T.section, rec.section)
            for kind in rec.addressed_to:
                q.add(
                    iri,
                    T.addressedTo,
                    authority if kind == "council" else vocab.partner_iri(gss, kind),
                )
            q.lit(iri, T.addressedAs, rec.addressed_as)
            if rec.timescale:
                q.add(iri, T.timescale, vocab.TIMESCALE + rec.timescale)
            if rec.priority:
                q.add(iri, T.priority, vocab.PRIORITY + rec.priority)
            for theme in rec.themes:
                q.add(iri, T.theme, vocab.THEME + theme)
                if rec.for_council:  # a partner's or the board's point is not the council's
                    raised.setdefault(theme, ([], []))[0].append((iri, rec.text))
        _annotate(q, report, iri, rec.start, rec.end, f"recommendation {index}")

    seen = set()
    for index, finding in enumerate(report.findings, start=1):
        iri = f"{visit}/finding/{vocab.text_key(finding.text)}"
        if iri not in seen:
            seen.add(iri)
            polarity = T.polarity_ns + finding.polarity
            themes = [vocab.THEME + theme for theme in finding.themes]
            q.finding(doc, iri, finding.text, finding.section, polarity, themes)
            if finding.about != "council":  # the board's review: its weaknesses, not the council's
                q.add(iri, T.concerns, vocab.partner_iri(gss, finding.about))
            elif finding.polarity == "weakness":
                for theme in finding.themes:
                    raised.setdefault(theme, ([], []))[1].append((iri, finding.text))
        _annotate(q, report, iri, finding.start, finding.end, f"finding {index}")

    _themes_at_visit(q, report, visit, authority, raised)

    seen = set()
    for judgement in report.judgements:
        section, area = vocab.slug(judgement.section or ""), vocab.slug(judgement.area)
        iri = f"{visit}/judgement/{section}/{area}"
        if iri in seen:
            continue
        seen.add(iri)
        q.add(doc, T.hasJudgement, iri)
        q.add(iri, T.type, T.Judgement)
        q.lit(iri, T.judgementArea, judgement.area)
        q.add(iri, T.position, _int(len(seen)))
        q.lit(iri, T.section, judgement.section)
        q.add(iri, T.grade, grade_iri(report.kind, judgement.grade))

    # Earlier inspections are identified by date: the first grade stated for a date wins.
    grades: dict[str, str | None] = {}
    for earlier in report.previous_inspections:
        if not grades.get(earlier.date):
            grades[earlier.date] = earlier.overall_effectiveness
    for date, stated in grades.items():
        iri = f"{visit}/earlier/{date}"
        q.add(doc, T.mentionsEarlierInspection, iri)
        q.add(iri, T.type, T.EarlierInspection)
        q.add(iri, T.earlierDate, _date(date))
        if stated:
            grade = earlier_grade_iri(date, stated)
            q.add(iri, T.overallEffectiveness, grade or _Lit(stated))
        q.add(iri, T.authority, authority)


# The class and label of each partner body (kg.vocab.BODIES but the council).
_PARTNERS = {
    "board": (T.SafeguardingBoard, "Local Safeguarding Children Board"),
    "health": (T.HealthPartner, "health partners (NHS bodies)"),
    "police": (T.PolicePartner, "police"),
    "partners": (T.PartnerAgencies, "partner agencies"),
}


def _partner_bodies(q: _Quads | _Rows, ref: AuthorityRef, authority: str, kinds: set[str]) -> None:
    """The partner bodies of the authority's area that the report addresses or reviews."""
    for kind in sorted(kinds - {"council"}):
        cls, label = _PARTNERS[kind]
        iri = vocab.partner_iri(ref.gss_code, kind)
        q.add(iri, T.type, cls)
        q.add(iri, T.type, T.PartnerBody)
        q.add(iri, T.type, T.Organization)
        if kind == "board":
            q.add(iri, T.boardOf, authority)
        else:
            q.add(iri, T.partnerOf, authority)
        q.lit(iri, T.label, f"{ref.name} {label}")


# The properties by which a kg:ThemeAtVisit links one kind of item: the items, the least
# text, the lead item and its text.
_RECOMMENDATION_LINKS = (
    T.raisedInRecommendation,
    T.recommendationQuote,
    T.leadRecommendation,
    T.leadRecommendationQuote,
)
_WEAKNESS_LINKS = (T.raisedInWeakness, T.weaknessQuote, T.leadWeakness, T.leadWeaknessQuote)


def theme_at_visit_iri(visit: str, theme: str) -> str:
    """The ``kg:ThemeAtVisit`` node of a visit and a theme id: every file of the visit (seed
    text and PDF original) mints the same one, so the union of their statements holds."""
    return f"{visit}/theme/{theme}"


def _themes_at_visit(
    q: _Quads | _Rows,
    report: Report,
    visit: str,
    authority: str,
    raised: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]],
) -> None:
    """One ``kg:ThemeAtVisit`` per theme a recommendation or a weakness finding of the visit
    carries: the visit, its authority, start date and year, the items, the least text
    (code-point order) of each kind of item, and the lead item of each kind (least IRI) with
    its text, so that the theme queries need no lookup or grouping per item.

    Everything on it is derived from the item statements of the same file. When two files
    describe one visit, each adds its own items, least texts and lead items to the shared
    node: a query takes the MIN of the texts, which is the least text of all the visit's
    items, and pairs a lead item with its text through the named graph (the file) stating
    both, the least "IRI|text" pair being the lead of the visit."""
    start = year = None  # absent when the visit has no start date (q.add skips None)
    if report.visit_start:
        start, year = _date(report.visit_start), _int(int(report.visit_start[:4]))
    for theme, (recommendations, weaknesses) in raised.items():
        node = theme_at_visit_iri(visit, theme)
        q.add(node, T.type, T.ThemeAtVisit)
        q.add(node, T.atVisit, visit)
        q.add(node, T.themeRaised, vocab.THEME + theme)
        q.add(node, T.visitAuthority, authority)
        q.add(node, T.visitStartDate, start)
        q.add(node, T.visitYear, year)
        for items, (raised_in, least_quote, lead_item, lead_quote) in (
            (recommendations, _RECOMMENDATION_LINKS),
            (weaknesses, _WEAKNESS_LINKS),
        ):
            for iri, _ in items:
                q.add(node, raised_in, iri)
            with_text = [(iri, text) for iri, text in items if text]
            if with_text:
                q.lit(node, least_quote, min(text for _, text in with_text))
                # The lead item: least IRI (then text), with its own text in the same graph.
                lead = min(with_text)
                q.add(node, lead_item, lead[0])
                q.lit(node, lead_quote, lead[1])


def extraction_quads(graph: str, sha256: str, fingerprint: str, version: str) -> list[Quad]:
    """Graph-level provenance: this named graph was generated by extracting this file.

    The fingerprint (software version + extraction code + theme scheme) lets a rebuild skip a
    file only when neither the file nor anything that shapes its extraction has changed.
    """
    q = _Quads(graph)
    run = extraction_run_iri(sha256, fingerprint)
    q.add(graph, T.type, T.Entity)
    q.add(graph, T.wasGeneratedBy, run)
    q.add(run, T.type, T.Activity)
    q.add(run, T.used, vocab.file_iri(sha256))
    q.lit(run, T.identifier, fingerprint)
    _software(q, run, version)
    return q.quads


def _software(q: _Quads, activity: str, version: str) -> None:
    agent = software_iri(version)
    q.add(activity, T.wasAssociatedWith, agent)
    q.add(agent, T.type, T.SoftwareAgent)
    q.lit(agent, T.label, f"kg {version}")


def authority_quads(authorities: Iterable[AuthorityLike]) -> list[Quad]:
    """The reference table (every English authority) in ``AUTHORITIES_GRAPH``.

    The council (``kg:Authority``, an ``org:Organization``) and the area it serves (a
    ``kg:Area``, the ONS statistical geography of its GSS code) are distinct nodes. When the
    items also carry the history ``kg.authorities.Authority`` has (``predecessors``,
    ``successors``, ``recodes``, ``established``, ``abolished``), the reorganisations become
    ``kg:Reorganisation`` events (``org:originalOrganization`` -> ``org:resultingOrganization``,
    ``kg:effectiveDate``) with ``kg:predecessor`` / ``kg:successor`` shortcuts, and recodes
    become ``kg:CodeChange`` events between the old and new area. An abolished council that
    is named as a predecessor but not passed in is still written (name, codes, dates), so
    a visit to it always has its authority.
    """
    q = _Quads(vocab.AUTHORITIES_GRAPH)
    k_pred, k_succ = KG + "predecessor", KG + "successor"
    k_est, k_abol, k_eff = KG + "established", KG + "abolished", KG + "effectiveDate"
    k_former, k_former_area = KG + "formerGssCode", KG + "formerArea"
    k_orig_area, k_res_area = KG + "originalArea", KG + "resultingArea"
    org_orig, org_res = ORG + "originalOrganization", ORG + "resultingOrganization"
    org_changed, org_from, org_event = ORG + "changedBy", ORG + "resultedFrom", ORG + "ChangeEvent"

    given = list(authorities)
    names = {a.gss_code: a.name for a in given}
    current_of: dict[str, str] = {}  # former code -> the code its council has now
    for a in given:
        for r in getattr(a, "recodes", ()) or ():
            current_of[r.old_gss_code] = a.gss_code
            current_of[r.new_gss_code] = a.gss_code
        for code in getattr(a, "former_gss_codes", ()) or ():
            current_of.setdefault(code, a.gss_code)
    edges: set[tuple[str, str, str]] = set()  # (old code, new code, effective date)
    missing: dict[str, tuple[str, str | None, str]] = {}  # predecessors not passed in
    for a in given:
        for p in getattr(a, "predecessors", ()) or ():
            edges.add((p.gss_code, a.gss_code, p.effective_date))
            if p.gss_code not in names:
                missing.setdefault(p.gss_code, (p.name, p.dfe_la_code, p.effective_date))
        for s in getattr(a, "successors", ()) or ():
            edges.add((a.gss_code, current_of.get(s.gss_code, s.gss_code), s.effective_date))

    def council(code: str, name: str, dfe: str | None, region: str | None) -> None:
        iri, area = vocab.authority_iri(code), vocab.area_iri(code)
        q.add(iri, T.type, T.Authority)
        q.add(iri, T.type, T.Organization)
        q.lit(iri, T.foaf_name, name)
        q.lit(iri, T.label, name)
        q.lit(iri, T.schema_name, name)
        q.lit(iri, T.gssCode, code)
        q.lit(iri, T.dfeLaCode, dfe)
        q.add(iri, T.area, area)
        q.add(area, T.type, T.Area)
        q.lit(area, T.label, name)
        q.lit(iri, T.region, region)

    for a in given:
        iri = vocab.authority_iri(a.gss_code)
        council(a.gss_code, a.name, a.dfe_la_code, a.region_name)
        if a.wikidata_qid:
            q.add(iri, T.wikidata, vocab.WD + a.wikidata_qid)
        established, abolished = getattr(a, "established", None), getattr(a, "abolished", None)
        if established:
            q.add(iri, k_est, _date(established))
        if abolished:
            q.add(iri, k_abol, _date(abolished))
        for r in getattr(a, "recodes", ()) or ():
            event = f"{ID}change/{r.effective_date}/{r.old_gss_code}"
            old_area, new_area = vocab.area_iri(r.old_gss_code), vocab.area_iri(r.new_gss_code)
            q.lit(iri, k_former, r.old_gss_code)
            q.add(iri, k_former_area, old_area)
            q.add(iri, org_changed, event)
            q.add(old_area, T.type, T.Area)
            q.lit(old_area, T.label, r.old_name)
            q.add(new_area, T.type, T.Area)
            q.add(event, T.type, KG + "CodeChange")
            q.add(event, T.type, org_event)
            q.lit(
                event,
                T.label,
                f"{a.name}: GSS code {r.old_gss_code} -> {r.new_gss_code} ({r.effective_date})",
            )
            q.add(event, org_res, iri)
            q.lit(event, KG + "originalCode", r.old_gss_code)
            q.lit(event, KG + "resultingCode", r.new_gss_code)
            q.add(event, k_orig_area, old_area)
            q.add(event, k_res_area, new_area)
            q.add(event, k_eff, _date(r.effective_date))
    for code, (name, dfe, abolished) in sorted(missing.items()):
        council(code, name, dfe, None)
        q.add(vocab.authority_iri(code), k_abol, _date(abolished))
        names[code] = name

    # One reorganisation per date and connected group of councils (Bournemouth + Poole ->
    # BCP is one event; Northamptonshire -> North + West Northamptonshire is one event).
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(x: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for old, new, day in edges:
        parent[root((old, day))] = root((new, day))
    groups: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for edge in sorted(edges):
        groups.setdefault(root((edge[0], edge[2])), []).append(edge)
    for group in groups.values():
        day = group[0][2]
        olds = sorted({e[0] for e in group})
        news = sorted({e[1] for e in group})
        event = f"{ID}change/{day}/{'-'.join(olds)}"
        q.add(event, T.type, KG + "Reorganisation")
        q.add(event, T.type, org_event)
        q.lit(
            event,
            T.label,
            f"{', '.join(names.get(c, c) for c in olds)} -> "
            f"{', '.join(names.get(c, c) for c in news)} ({day})",
        )
        q.add(event, k_eff, _date(day))
        for old in olds:
            q.add(event, org_orig, vocab.authority_iri(old))
            q.add(event, k_orig_area, vocab.area_iri(old))
            q.add(vocab.authority_iri(old), org_changed, event)
        for new in news:
            q.add(event, org_res, vocab.authority_iri(new))
            q.add(event, k_res_area, vocab.area_iri(new))
            q.add(vocab.authority_iri(new), org_from, event)
        for old, new, _ in group:
            q.add(vocab.authority_iri(new), k_pred, vocab.authority_iri(old))
            q.add(vocab.authority_iri(old), k_succ, vocab.authority_iri(new))
    return q.quads


def build_quads(
    run_iri: str,
    version: str,
    started: datetime,
    ended: datetime | None,
    sources: Sequence[SourceRef],
) -> list[Quad]:
    """The PROV-O record of one build in ``BUILD_GRAPH``: software, times, files used
    (``ended`` None: a build still running, or killed before it ended)."""
    q = _Quads(vocab.BUILD_GRAPH)
    q.add(run_iri, T.type, T.Activity)
    q.add(run_iri, T.type, T.ExtractionRun)
    q.lit(run_iri, T.startedAtTime, started.isoformat(), XSD + "dateTime")
    if ended is not None:
        q.lit(run_iri, T.endedAtTime, ended.isoformat(), XSD + "dateTime")
    q.lit(run_iri, T.softwareVersion, version)
    _software(q, run_iri, version)
    for src in sources:
        file = vocab.file_iri(src.sha256)
        q.add(run_iri, T.used, file)
        q.add(file, T.type, T.SourceFile)
        q.lit(file, T.sha256, src.sha256)
        q.lit(file, T.fileName, src.name)
    return q.quads
