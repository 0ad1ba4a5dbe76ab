"""Turn a ``kg.record.Report`` into RDF quads (and the reference and build records).

Pure mapping: nothing here reads files or runs the extractor, so the mapping can be tested on
hand-made records. Every IRI is minted from content (authority + kind + date for a visit, a
folded-text hash for a recommendation or finding), so the seed text and the PDF original of
one report yield the same visit, recommendation and finding IRIs; each source only adds its
own ``kg:SourceFile`` and Web Annotations (which are keyed by the file's SHA-256).

All ontology term IRIs used by the project's data live in the ``T`` class below: if the
ontology renames a term, that is a one-line change there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pyoxigraph import Literal, NamedNode, Quad

from kg import vocab
from kg.record import Report
from kg.vocab import DCT, FOAF, GRADE, ID, KG, KIND, OA, ORG, PROV, RDF, RDFS, SDO, XSD

# How many characters of context ``oa:prefix`` / ``oa:suffix`` carry around a quote.
CONTEXT_CHARS = 32

# Grade scale per visit kind (``kg:grade`` -> GRADE + "<scale>/<slug of label>").
GRADE_SCALES = {
    "slac-inspection": "slac",
    "sif-inspection": "sif",
    "ilacs-inspection": "ilacs",
}


class T:
    """Every term IRI the mapping writes, in one place."""

    # classes
    Authority = KG + "Authority"
    Area = KG + "Area"
    Addressee = KG + "Addressee"
    Visit = KG + "Visit"
    Inspector = KG + "Inspector"
    Report = KG + "Report"
    SourceFile = KG + "SourceFile"
    Finding = KG + "Finding"
    Recommendation = KG + "Recommendation"
    Judgement = KG + "Judgement"
    EarlierInspection = KG + "EarlierInspection"
    ExtractionRun = KG + "ExtractionRun"
    Organization = ORG + "Organization"
    Person = FOAF + "Person"
    Activity = PROV + "Activity"
    Entity = PROV + "Entity"
    SoftwareAgent = PROV + "SoftwareAgent"
    Annotation = OA + "Annotation"
    SpecificResource = OA + "SpecificResource"
    TextQuoteSelector = OA + "TextQuoteSelector"
    TextPositionSelector = OA + "TextPositionSelector"
    # properties
    type = RDF + "type"
    label = RDFS + "label"
    foaf_name = FOAF + "name"
    schema_name = SDO + "name"
    authority = KG + "authority"
    kind = KG + "kind"
    startDate = KG + "startDate"
    endDate = KG + "endDate"
    letterDate = KG + "letterDate"
    publicationDate = KG + "publicationDate"
    inspector = KG + "inspector"
    leadInspector = KG + "leadInspector"
    addressee = KG + "addressee"
    addresseeName = KG + "addresseeName"
    addresseeRole = KG + "addresseeRole"
    scope = KG + "scope"
    report = KG + "report"
    sourceFile = KG + "sourceFile"
    sha256 = KG + "sha256"
    hasRecommendation = KG + "hasRecommendation"
    hasFinding = KG + "hasFinding"
    hasJudgement = KG + "hasJudgement"
    mentionsEarlierInspection = KG + "mentionsEarlierInspection"
    text = KG + "text"
    position = KG + "position"
    section = KG + "section"
    timescale = KG + "timescale"
    priority = KG + "priority"
    theme = KG + "theme"
    polarity = KG + "polarity"
    judgementArea = KG + "judgementArea"
    grade = KG + "grade"
    earlierDate = KG + "earlierDate"
    overallEffectiveness = KG + "overallEffectiveness"
    gssCode = KG + "gssCode"
    dfeLaCode = KG + "dfeLaCode"
    wikidata = KG + "wikidata"
    area = KG + "area"
    region = KG + "region"
    wasGeneratedBy = PROV + "wasGeneratedBy"
    wasAssociatedWith = PROV + "wasAssociatedWith"
    used = PROV + "used"
    startedAtTime = PROV + "startedAtTime"
    endedAtTime = PROV + "endedAtTime"
    softwareVersion = KG + "softwareVersion"
    fileName = KG + "fileName"
    title = DCT + "title"
    date = DCT + "date"
    identifier = DCT + "identifier"
    format = DCT + "format"
    hasBody = OA + "hasBody"
    hasTarget = OA + "hasTarget"
    hasSource = OA + "hasSource"
    hasSelector = OA + "hasSelector"
    exact = OA + "exact"
    prefix = OA + "prefix"
    suffix = OA + "suffix"
    start = OA + "start"
    end = OA + "end"
    # concept namespaces for polarity values: KG + "strength" etc.
    polarity_ns = KG


def software_iri(version: str) -> str:
    """The software agent, one per version, so a graph built by an older version says so."""
    return f"{ID}software/kg/{version}"


class AuthorityLike(Protocol):
    """What ``authority_quads`` needs from ``kg.authorities.Authority``."""

    name: str
    gss_code: str
    dfe_la_code: str | None
    region_name: str | None
    region_gss_code: str | None
    wikidata_qid: str | None


@dataclass(frozen=True)
class SourceRef:
    """A source file a build used: its file name and content hash."""

    name: str
    sha256: str


class _Quads:
    """Collects quads into one graph; skips ``None`` objects so optional fields stay absent."""

    def __init__(self, graph: str) -> None:
        self.graph = NamedNode(graph)
        self.quads: list[Quad] = []

    def add(self, s: str, p: str, o: NamedNode | Literal | str | None) -> None:
        if o is None:
            return
        obj = NamedNode(o) if isinstance(o, str) else o
        self.quads.append(Quad(NamedNode(s), NamedNode(p), obj, self.graph))

    def lit(self, s: str, p: str, value: str | None, datatype: str | None = None) -> None:
        if value is None or value == "":
            return
        obj = Literal(value, datatype=NamedNode(datatype)) if datatype else Literal(value)
        self.add(s, p, obj)


def _int(value: int, datatype: str = XSD + "integer") -> Literal:
    return Literal(str(value), datatype=NamedNode(datatype))


def date_literal(value: str) -> Literal:
    """An ISO date as precise as the text: ``2018`` gYear, ``2018-07`` gYearMonth, else date."""
    kinds = {4: "gYear", 7: "gYearMonth"}
    return Literal(value, datatype=NamedNode(XSD + kinds.get(len(value), "date")))


def visit_iri_for(report: Report) -> str:
    """The visit's IRI: authority GSS + kind + start date (letter/publication date if none)."""
    if report.authority is None:
        raise ValueError(f"{report.source}: no authority, cannot identify the visit")
    day = report.visit_start or report.letter_date or report.publication_date
    if not day:
        raise ValueError(f"{report.source}: no visit, letter or publication date")
    return vocab.visit_iri(report.authority.gss_code, report.kind, day)


def annotation_iri(sha256: str, start: int, end: int) -> str:
    """One annotation per span of one file: re-ingesting the same file mints the same IRI."""
    return f"{ID}annotation/{sha256}/{start}-{end}"


def extraction_run_iri(sha256: str, fingerprint: str) -> str:
    return f"{ID}extraction/{fingerprint[:16]}/{sha256}"


def grade_iri(kind: str, grade: str) -> str:
    return f"{GRADE}{GRADE_SCALES.get(kind, vocab.slug(kind))}/{vocab.slug(grade)}"


# Grade labels found on only one framework's scale.
_SCALE_OF_LABEL = {
    "adequate": "slac",
    "requires-improvement": "sif",
    "requires-improvement-to-be-good": "ilacs",
}


def earlier_grade_iri(date: str, label: str) -> str | None:
    """The grade an earlier inspection gave, when its scale is known; else None (a literal).

    The scale follows from a label unique to one framework, or else from the date: SLAC until
    October 2013, SIF from November 2013 to 2017, ILACS from 2018. A bare "2013" is ambiguous.
    """
    grade = vocab.slug(label)
    scale = _SCALE_OF_LABEL.get(grade)
    if scale is None:
        year, month = int(date[:4]), int(date[5:7]) if len(date) >= 7 else None
        if year < 2013 or (year == 2013 and month is not None and month < 11):
            scale = "slac"
        elif year >= 2018:
            scale = "ilacs"
        elif year > 2013 or month is not None:
            scale = "sif"
        else:
            return None
    return f"{GRADE}{scale}/{grade}"


def _annotate(q: _Quads, report: Report, body: str, start: int, end: int, what: str) -> None:
    """Web Annotation tying ``body`` to the exact words at ``start:end`` of the source."""
    text = report.text
    if not (0 <= start < end <= len(text)):
        raise ValueError(
            f"{report.source}: {what} offsets {start}-{end} outside the text ({len(text)} chars)"
        )
    anno = annotation_iri(report.sha256, start, end)
    target, quote, pos = anno + "/target", anno + "/quote", anno + "/position"
    q.add(anno, T.type, T.Annotation)
    q.add(anno, T.hasBody, body)
    q.add(anno, T.hasTarget, target)
    q.add(target, T.type, T.SpecificResource)
    q.add(target, T.hasSource, vocab.file_iri(report.sha256))
    q.add(target, T.hasSelector, quote)
    q.add(target, T.hasSelector, pos)
    q.add(quote, T.type, T.TextQuoteSelector)
    q.lit(quote, T.exact, text[start:end])
    q.lit(quote, T.prefix, text[max(0, start - CONTEXT_CHARS) : start])
    q.lit(quote, T.suffix, text[end : end + CONTEXT_CHARS])
    q.add(pos, T.type, T.TextPositionSelector)
    q.add(pos, T.start, _int(start, XSD + "nonNegativeInteger"))
    q.add(pos, T.end, _int(end, XSD + "nonNegativeInteger"))


def _person(q: _Quads, iri: str, name: str) -> None:
    q.add(iri, T.type, T.Inspector)
    q.lit(iri, T.foaf_name, name)
    q.lit(iri, T.label, name)
    q.lit(iri, T.schema_name, name)


def report_quads(report: Report, graph: str) -> list[Quad]:
    """All quads one report contributes, in named graph ``graph``.

    Raises ``ValueError`` (one line, naming the file) when the record cannot be identified
    (no authority or no date) or an offset falls outside ``report.text``.
    """
    q = _Quads(graph)
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
    q.add(visit, T.kind, KIND + report.kind)
    if report.visit_start:
        q.add(visit, T.startDate, date_literal(report.visit_start))
    if report.visit_end:
        q.add(visit, T.endDate, date_literal(report.visit_end))
    for area in report.scope:
        q.lit(visit, T.scope, area)
    q.add(visit, T.report, doc)
    q.add(doc, T.wasGeneratedBy, visit)

    for person in report.inspectors:
        iri = vocab.inspector_iri(person.name)
        _person(q, iri, person.name)
        q.add(visit, T.inspector, iri)
        q.add(visit, T.wasAssociatedWith, iri)
        if person.lead:
            q.add(visit, T.leadInspector, iri)

    q.add(doc, T.type, T.Report)
    q.add(doc, T.type, T.Entity)
    q.lit(doc, T.title, report.title)
    if report.letter_date:
        q.add(doc, T.letterDate, date_literal(report.letter_date))
    if report.publication_date:
        q.add(doc, T.publicationDate, date_literal(report.publication_date))
    addressee = report.addressee
    if addressee is not None and (addressee.name or addressee.role):
        iri = f"{doc}/addressee/{vocab.slug(addressee.name or addressee.role or '')}"
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
    for index, rec in enumerate(report.recommendations, start=1):
        iri = f"{visit}/recommendation/{vocab.text_key(rec.text)}"
        if iri not in seen:
            seen.add(iri)
            q.add(doc, T.hasRecommendation, iri)
            q.add(iri, T.type, T.Recommendation)
            q.lit(iri, T.text, rec.text)
            q.add(iri, T.position, _int(len(seen)))
            q.lit(iri, T.section, rec.section)
            if rec.timescale:
                q.add(iri, T.timescale, vocab.TIMESCALE + rec.timescale)
            if rec.priority:
                q.add(iri, T.priority, vocab.PRIORITY + rec.priority)
            for theme in rec.themes:
                q.add(iri, T.theme, vocab.THEME + theme)
        _annotate(q, report, iri, rec.start, rec.end, f"recommendation {index}")

    seen = set()
    for index, finding in enumerate(report.findings, start=1):
        iri = f"{visit}/finding/{vocab.text_key(finding.text)}"
        if iri not in seen:
            seen.add(iri)
            q.add(doc, T.hasFinding, iri)
            q.add(iri, T.type, T.Finding)
            q.lit(iri, T.text, finding.text)
            q.add(iri, T.position, _int(len(seen)))
            q.lit(iri, T.section, finding.section)
            q.add(iri, T.polarity, T.polarity_ns + finding.polarity)
            for theme in finding.themes:
                q.add(iri, T.theme, vocab.THEME + theme)
        _annotate(q, report, iri, finding.start, finding.end, f"finding {index}")

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
        q.add(iri, T.earlierDate, date_literal(date))
        if stated:
            grade = earlier_grade_iri(date, stated)
            q.add(iri, T.overallEffectiveness, grade or Literal(stated))
        q.add(iri, T.authority, authority)

    return q.quads


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
    """The reference table (every English authority) in ``AUTHORITIES_GRAPH``."""
    q = _Quads(vocab.AUTHORITIES_GRAPH)
    for a in authorities:
        iri = vocab.authority_iri(a.gss_code)
        area = vocab.area_iri(a.gss_code)
        q.add(iri, T.type, T.Authority)
        q.add(iri, T.type, T.Organization)
        q.lit(iri, T.foaf_name, a.name)
        q.lit(iri, T.label, a.name)
        q.lit(iri, T.schema_name, a.name)
        q.lit(iri, T.gssCode, a.gss_code)
        q.lit(iri, T.dfeLaCode, a.dfe_la_code)
        if a.wikidata_qid:
            q.add(iri, T.wikidata, vocab.WD + a.wikidata_qid)
        q.add(iri, T.area, area)
        q.add(area, T.type, T.Area)
        q.lit(area, T.label, a.name)
        q.lit(iri, T.region, a.region_name)
    return q.quads


def build_quads(
    run_iri: str,
    version: str,
    started: datetime,
    ended: datetime,
    sources: Sequence[SourceRef],
) -> list[Quad]:
    """The PROV-O record of one build in ``BUILD_GRAPH``: software, times, files used."""
    q = _Quads(vocab.BUILD_GRAPH)
    q.add(run_iri, T.type, T.Activity)
    q.add(run_iri, T.type, T.ExtractionRun)
    q.lit(run_iri, T.startedAtTime, started.isoformat(), XSD + "dateTime")
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
