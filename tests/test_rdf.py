"""The record -> RDF mapping, on hand-made reports (no files, no extractor)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pyoxigraph as ox
import pytest

from kg import rdf, vocab
from kg.rdf import T
from kg.record import (
    Addressee,
    AuthorityRef,
    EarlierInspection,
    Finding,
    Inspector,
    Judgement,
    Recommendation,
    Report,
)

TEXT = (
    "Focused visit to Hartlepool children's services. "
    "Social workers visit children regularly and see them alone. "
    "What needs to improve: "
    "The quality and consistency of supervision and management oversight. "
    'Plans for children are not always "SMART".'
)


def span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def make_report(text: str = TEXT, sha: str = "a" * 64, source: str = "hpool.txt") -> Report:
    """A small focused-visit record with every part filled in, offsets into ``text``."""
    rec1 = "The quality and consistency of supervision and management oversight."
    rec2 = 'Plans for children are not always "SMART".'
    fin = "Social workers visit children regularly and see them alone."
    return Report(
        source=source,
        sha256=sha,
        kind="focused-visit",
        authority=AuthorityRef("Hartlepool", "E06000001", "805"),
        letter_date="2020-03-27",
        visit_start="2020-02-04",
        visit_end="2020-02-05",
        title="Focused visit to Hartlepool children's services",
        inspectors=[Inspector("Jane Doe", lead=True), Inspector("Ann O'Neill")],
        addressees=[Addressee("Sally Robinson", "Director of Children's Services")],
        scope=["children in need", "child protection"],
        recommendations=[
            Recommendation(rec1, None, None, None, ["supervision"], *span(text, rec1)),
            Recommendation(rec2, None, None, None, ["written-plans"], *span(text, rec2)),
        ],
        judgements=[
            Judgement("overall", "Overall effectiveness", "Requires improvement to be good")
        ],
        findings=[Finding(fin, "strength", ["voice-of-child"], *span(text, fin), "Findings")],
        previous_inspections=[EarlierInspection("2018-07", "good")],
        text=text,
    )


def to_store(quads: list[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.extend(quads)
    return store


def objects(store: ox.Store, s: str, p: str) -> list[ox.NamedNode | ox.Literal]:
    return [q.object for q in store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), None)]


def values(store: ox.Store, s: str, p: str) -> set[str]:
    return {o.value for o in objects(store, s, p)}


GRAPH = vocab.source_graph_iri("hpool.txt")
VISIT = vocab.ID + "visit/E06000001/focused-visit/2020-02-04"


def test_visit_identity_and_core_facts() -> None:
    report = make_report()
    store = to_store(rdf.report_quads(report, GRAPH))
    assert rdf.visit_iri_for(report) == VISIT
    assert values(store, VISIT, T.type) == {T.Visit, T.Activity}
    assert values(store, VISIT, T.authority) == {vocab.authority_iri("E06000001")}
    assert values(store, VISIT, T.kind) == {vocab.KIND + "focused-visit"}
    (start,) = objects(store, VISIT, T.startDate)
    assert (start.value, start.datatype.value) == ("2020-02-04", vocab.XSD + "date")
    assert values(store, VISIT, T.scope) == {"children in need", "child protection"}
    lead = vocab.inspector_iri("jane-doe")
    other = vocab.inspector_iri("ann-oneill")  # kg.inspectors: the apostrophe folded away
    assert values(store, VISIT, T.inspector) == {lead, other}
    assert values(store, VISIT, T.wasAssociatedWith) == {lead, other}
    assert values(store, VISIT, T.leadInspector) == {lead}
    assert values(store, lead, T.foaf_name) == {"Jane Doe"}
    doc = VISIT + "/report"
    assert values(store, VISIT, T.report) == {doc}
    assert values(store, doc, T.wasGeneratedBy) == {VISIT}
    assert values(store, doc, T.letterDate) == {"2020-03-27"}
    (addressee,) = values(store, doc, T.addressee)
    assert values(store, addressee, T.type) == {T.Addressee}
    assert values(store, addressee, T.addresseeName) == {"Sally Robinson"}
    assert values(store, addressee, T.addresseeRole) == {"Director of Children's Services"}
    assert values(store, doc, T.sourceFile) == {vocab.file_iri("a" * 64)}
    assert values(store, vocab.file_iri("a" * 64), T.sha256) == {"a" * 64}
    assert values(store, vocab.file_iri("a" * 64), T.fileName) == {"hpool.txt"}
    # every quad is in the graph asked for
    assert {q.graph_name.value for q in store} == {GRAPH}


def test_a_letter_to_two_people_has_an_addressee_node_for_each() -> None:
    """Joint directors sharing one title, and two untitled namesakes, each get their node."""
    role = "Interim Joint Directors of Children's Services"
    report = dataclasses.replace(
        make_report(),
        addressees=[Addressee("Graham Reiter", role), Addressee("Audrey Kingham", role)],
    )
    store = to_store(rdf.report_quads(report, GRAPH))
    doc = VISIT + "/report"
    people = values(store, doc, T.addressee)
    assert len(people) == 2
    assert {v for p in people for v in values(store, p, T.addresseeName)} == {
        "Graham Reiter",
        "Audrey Kingham",
    }
    assert all(values(store, p, T.addresseeRole) == {role} for p in people)
    assert all(values(store, p, T.type) == {T.Addressee} for p in people)
    twins = dataclasses.replace(report, addressees=[Addressee("Jo Bloggs", None)] * 2)
    assert len(values(to_store(rdf.report_quads(twins, GRAPH)), doc, T.addressee)) == 2


def test_recommendations_findings_judgements_earlier() -> None:
    report = make_report()
    store = to_store(rdf.report_quads(report, GRAPH))
    doc = VISIT + "/report"
    recs = [f"{VISIT}/recommendation/{vocab.text_key(r.text)}" for r in report.recommendations]
    assert values(store, doc, T.hasRecommendation) == set(recs)
    for position, iri in enumerate(recs, start=1):
        (pos,) = objects(store, iri, T.position)
        assert (int(pos.value), pos.datatype.value) == (position, vocab.XSD + "integer")
    assert values(store, recs[0], T.theme) == {vocab.THEME + "supervision"}
    assert values(store, recs[1], T.text) == {'Plans for children are not always "SMART".'}

    finding = f"{VISIT}/finding/{vocab.text_key(report.findings[0].text)}"
    assert values(store, doc, T.hasFinding) == {finding}
    assert values(store, finding, T.position) == set()  # findings are ordered by oa:start
    assert values(store, finding, T.polarity) == {vocab.KG + "strength"}
    assert values(store, finding, T.section) == {"Findings"}

    judgement = f"{VISIT}/judgement/overall/overall-effectiveness"
    assert values(store, doc, T.hasJudgement) == {judgement}
    assert values(store, judgement, T.judgementArea) == {"Overall effectiveness"}
    assert values(store, judgement, T.grade) == {
        vocab.GRADE + "focused-visit/requires-improvement-to-be-good"
    }
    earlier = VISIT + "/earlier/2018-07"
    assert values(store, doc, T.mentionsEarlierInspection) == {earlier}
    (date,) = objects(store, earlier, T.earlierDate)
    assert date.datatype.value == vocab.XSD + "gYearMonth"
    assert values(store, earlier, T.overallEffectiveness) == {vocab.GRADE + "ilacs/good"}


def test_repeated_items_are_one_item_annotated_at_each_place() -> None:
    """A summary restating a finding (hyphenation aside) is one finding found twice."""
    first = "Post-adoption support is a particular strength."
    again = "Post adoption support is a particular strength."
    text = f"Summary. {first} Body. {again} End."
    report = make_report()
    report.text = text
    report.recommendations = []
    report.findings = [
        Finding(first, "strength", [], *span(text, first)),
        Finding(again, "neutral", [], *span(text, again)),
    ]
    report.judgements = [Judgement(None, "Overall", "Good"), Judgement(None, "Overall", "Good")]
    report.previous_inspections = [
        EarlierInspection("2012-07", None),
        EarlierInspection("2012-07", "Adequate"),
        EarlierInspection("2012-07", "Good"),
    ]
    store = to_store(rdf.report_quads(report, GRAPH))
    doc = VISIT + "/report"
    (finding,) = values(store, doc, T.hasFinding)
    assert values(store, finding, T.text) == {first}
    assert values(store, finding, T.polarity) == {vocab.KG + "strength"}
    annotations = [q.subject for q in store.quads_for_pattern(None, ox.NamedNode(T.hasBody), None)]
    assert len(annotations) == 2
    assert len(values(store, doc, T.hasJudgement)) == 1
    (earlier,) = values(store, doc, T.mentionsEarlierInspection)
    assert values(store, earlier, T.overallEffectiveness) == {vocab.GRADE + "slac/adequate"}


def test_grade_scale_follows_the_framework() -> None:
    assert rdf.grade_iri("ilacs-inspection", "Requires improvement to be good") == (
        vocab.GRADE + "ilacs/requires-improvement-to-be-good"
    )
    assert rdf.grade_iri("slac-inspection", "Adequate") == vocab.GRADE + "slac/adequate"
    assert rdf.grade_iri("sif-inspection", "Good") == vocab.GRADE + "sif/good"


def test_every_grade_iri_is_a_concept_of_the_ontologys_scales() -> None:
    """One place mints grade IRIs (``GradeScale.iri``): the reports' judgements, the earlier
    inspections they quote and the official record name the ontology's grade concepts."""
    from kg.families import SCALES
    from kg.resources import data_path

    ontology = ox.Store()
    ontology.load(path=str(data_path("ontology/ontology.ttl")))
    concepts = {
        row[0].value
        for row in ontology.query(
            "SELECT ?g WHERE { ?g a <https://w3id.org/ofsted-kg/def#Grade> ;"
            " <http://www.w3.org/2004/02/skos/core#inScheme> ?s }"
        )
    }
    minted = {scale.iri(grade) for scale in SCALES.values() for grade in scale.grades}
    assert minted == concepts
    for scale in SCALES.values():
        for grade in scale.grades:
            assert scale.has(grade.upper()) and scale.iri(grade) in concepts
    assert rdf.grade_iri("sif-inspection", "Requires improvement") == SCALES["sif"].iri(
        "Requires improvement"
    )
    assert rdf.earlier_grade_iri("2019-03", "Good") == SCALES["ilacs"].iri("Good")
    assert not SCALES["slac"].has("Requires improvement")


def test_earlier_grade_scale_from_label_or_date() -> None:
    assert rdf.earlier_grade_iri("2012", "Adequate") == vocab.GRADE + "slac/adequate"
    assert rdf.earlier_grade_iri("2013-06", "Good") == vocab.GRADE + "slac/good"
    assert rdf.earlier_grade_iri("2013-11-04", "Good") == vocab.GRADE + "sif/good"
    assert rdf.earlier_grade_iri("2016", "Requires improvement") == (
        vocab.GRADE + "sif/requires-improvement"
    )
    assert rdf.earlier_grade_iri("2019-03", "Outstanding") == vocab.GRADE + "ilacs/outstanding"
    assert rdf.earlier_grade_iri("2013", "Good") is None  # SLAC or SIF: keep the words


def test_earlier_grade_of_unknown_scale_stays_a_literal() -> None:
    report = make_report()
    report.previous_inspections = [EarlierInspection("2013", "Good")]
    store = to_store(rdf.report_quads(report, GRAPH))
    (grade,) = objects(store, VISIT + "/earlier/2013", T.overallEffectiveness)
    assert isinstance(grade, ox.Literal) and grade.value == "Good"


def test_annotation_selectors_match_the_text() -> None:
    report = make_report()
    quads = rdf.report_quads(report, GRAPH)
    store = to_store(quads)
    bodies = [
        (f"{VISIT}/recommendation/{vocab.text_key(r.text)}", r.start, r.end)
        for r in report.recommendations
    ] + [(f"{VISIT}/finding/{vocab.text_key(f.text)}", f.start, f.end) for f in report.findings]
    for body, start, end in bodies:
        (anno,) = [
            q.subject.value
            for q in store.quads_for_pattern(None, ox.NamedNode(T.hasBody), ox.NamedNode(body))
        ]
        assert anno == rdf.annotation_iri(body, "a" * 64, start)
        assert values(store, anno, T.type) == {T.Annotation}
        (target,) = values(store, anno, T.hasTarget)
        assert values(store, target, T.hasSource) == {vocab.file_iri("a" * 64)}
        selectors = values(store, target, T.hasSelector)
        by_type = {next(iter(values(store, s, T.type))): s for s in selectors}
        quote, pos = by_type[T.TextQuoteSelector], by_type[T.TextPositionSelector]
        (s_lit,) = objects(store, pos, T.start)
        (e_lit,) = objects(store, pos, T.end)
        # the mapping says nonNegativeInteger (the store itself normalises it to xsd:integer)
        (emitted,) = [
            q.object for q in quads if q.subject.value == pos and q.predicate.value == T.start
        ]
        assert emitted.datatype.value == vocab.XSD + "nonNegativeInteger"
        s, e = int(s_lit.value), int(e_lit.value)
        assert (s, e) == (start, end)
        assert values(store, quote, T.exact) == {report.text[s:e]}
        prefix = values(store, quote, T.prefix)
        suffix = values(store, quote, T.suffix)
        context = rdf.CONTEXT_CHARS
        if not context:  # no oa:prefix / oa:suffix: the offsets locate the quote
            assert prefix == suffix == set()
            continue
        assert prefix == ({report.text[max(0, s - context) : s]} if s > 0 else set())
        assert suffix == ({report.text[e : e + context]} if e < len(report.text) else set())


def test_seed_text_and_pdf_original_share_identity() -> None:
    """Different file, different offsets, same facts: same visit/rec/finding IRIs."""
    seed = make_report()
    pdf_text = "Page 1 of 3\n" + TEXT.replace(". ", ".\n")
    pdf = make_report(text=pdf_text, sha="b" * 64, source="hpool.pdf")
    q_seed = rdf.report_quads(seed, vocab.source_graph_iri(seed.source))
    q_pdf = rdf.report_quads(pdf, vocab.source_graph_iri(pdf.source))

    def subjects(quads: list[ox.Quad], cls: str) -> set[str]:
        return {
            q.subject.value for q in quads if q.predicate.value == T.type and q.object.value == cls
        }

    for cls in (T.Visit, T.Recommendation, T.Finding, T.Judgement, T.Report, T.Inspector):
        assert subjects(q_seed, cls) == subjects(q_pdf, cls) != set()
    assert subjects(q_seed, T.Annotation).isdisjoint(subjects(q_pdf, T.Annotation))
    assert subjects(q_seed, T.SourceFile) != subjects(q_pdf, T.SourceFile)
    # in the union, the shared facts are the same triples
    union = to_store(q_seed + q_pdf)
    rec = f"{VISIT}/recommendation/{vocab.text_key(seed.recommendations[0].text)}"
    assert len(values(union, rec, T.text)) == 1
    assert len(values(union, rec, T.position)) == 1


def test_visit_date_falls_back_to_letter_then_publication_date() -> None:
    report = dataclasses.replace(make_report(), visit_start=None)
    assert rdf.visit_iri_for(report).endswith("/focused-visit/2020-03-27")
    report = dataclasses.replace(report, letter_date=None, publication_date="2020-04-01")
    assert rdf.visit_iri_for(report).endswith("/focused-visit/2020-04-01")
    report = dataclasses.replace(report, publication_date=None)
    with pytest.raises(ValueError, match="hpool.txt"):
        rdf.report_quads(report, GRAPH)


def test_unidentifiable_or_inconsistent_records_are_rejected() -> None:
    with pytest.raises(ValueError, match="no authority"):
        rdf.report_quads(dataclasses.replace(make_report(), authority=None), GRAPH)
    report = make_report()
    report.recommendations[0].end = len(report.text) + 5
    with pytest.raises(ValueError, match="recommendation 1 offsets"):
        rdf.report_quads(report, GRAPH)


def test_absent_optional_fields_make_no_triples() -> None:
    report = Report(
        source="x.txt",
        sha256="c" * 64,
        kind="monitoring-visit",
        authority=AuthorityRef("Darlington", "E06000005", None),
        letter_date="2021-11-30",
        addressees=[Addressee(None, "")],
        text="x",
    )
    store = to_store(rdf.report_quads(report, GRAPH))
    literals = [q.object.value for q in store if isinstance(q.object, ox.Literal)]
    assert "" not in literals
    visit = rdf.visit_iri_for(report)
    assert objects(store, visit, T.startDate) == []
    assert objects(store, visit + "/report", T.addresseeName) == []
    assert objects(store, visit + "/report", T.addressee) == []
    assert objects(store, vocab.authority_iri("E06000005"), T.dfeLaCode) == []


@dataclasses.dataclass
class FakeAuthority:
    name: str
    gss_code: str
    dfe_la_code: str | None
    region_name: str | None
    region_gss_code: str | None
    wikidata_qid: str | None


def test_authority_quads() -> None:
    quads = rdf.authority_quads(
        [
            FakeAuthority("Hartlepool", "E06000001", "805", "North East", "E12000001", "Q16993720"),
            FakeAuthority("Nowhere", "E06999999", None, None, None, None),
        ]
    )
    assert {q.graph_name.value for q in quads} == {vocab.AUTHORITIES_GRAPH}
    store = to_store(quads)
    a = vocab.authority_iri("E06000001")
    assert T.Authority in values(store, a, T.type)
    assert values(store, a, T.foaf_name) == {"Hartlepool"}
    assert values(store, a, T.gssCode) == {"E06000001"}
    assert values(store, a, T.dfeLaCode) == {"805"}
    assert values(store, a, T.wikidata) == {"http://www.wikidata.org/entity/Q16993720"}
    area = "http://statistics.data.gov.uk/id/statistical-geography/E06000001"
    assert values(store, a, T.area) == {area}
    assert values(store, area, T.type) == {T.Area}
    assert values(store, a, T.region) == {"North East"}
    b = vocab.authority_iri("E06999999")
    assert objects(store, b, T.wikidata) == [] and objects(store, b, T.region) == []


def test_build_quads_record_software_times_and_sources() -> None:
    started = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    ended = datetime(2025, 1, 2, 3, 5, 0, tzinfo=timezone.utc)
    run = vocab.ID + "build/x"
    sources = [rdf.SourceRef("a.pdf", "1" * 64), rdf.SourceRef("b.txt", "2" * 64)]
    store = to_store(rdf.build_quads(run, "9.9.9", started, ended, sources))
    assert {q.graph_name.value for q in store} == {vocab.BUILD_GRAPH}
    assert values(store, run, T.used) == {vocab.file_iri("1" * 64), vocab.file_iri("2" * 64)}
    (start,) = objects(store, run, T.startedAtTime)
    assert start.datatype.value == vocab.XSD + "dateTime"
    assert start.value.startswith("2025-01-02T03:04:05")
    assert T.ExtractionRun in values(store, run, T.type)
    assert values(store, run, T.softwareVersion) == {"9.9.9"}
    (agent,) = values(store, run, T.wasAssociatedWith)
    assert values(store, agent, T.type) == {T.SoftwareAgent}
    assert values(store, vocab.file_iri("2" * 64), T.fileName) == {"b.txt"}


def theme_node(theme: str) -> str:
    return rdf.theme_at_visit_iri(VISIT, theme)


def test_themes_raised_at_a_visit_gather_the_items_per_theme() -> None:
    """One kg:ThemeAtVisit per theme of a recommendation or a weakness finding (not of a
    strength), with the visit's facts, the items and the least text of each kind."""
    report = make_report()
    weak1 = "Supervision is not regular enough."
    weak2 = "Plans are not always updated and supervision is rare."
    report.text = TEXT + " " + weak1 + " " + weak2
    report.findings += [
        Finding(weak1, "weakness", ["supervision"], *span(report.text, weak1), "Findings"),
        Finding(weak2, "weakness", ["written-plans", "supervision"], *span(report.text, weak2)),
    ]
    quads = rdf.report_quads(report, GRAPH)
    store = to_store(quads)
    nodes = {q.subject.value for q in quads if q.object.value == T.ThemeAtVisit}
    # voice-of-child is only in a strength: no node
    assert nodes == {theme_node("supervision"), theme_node("written-plans")}
    rec = {
        r.themes[0]: f"{VISIT}/recommendation/{vocab.text_key(r.text)}"
        for r in report.recommendations
    }
    w1, w2 = (f"{VISIT}/finding/{vocab.text_key(t)}" for t in (weak1, weak2))
    node = theme_node("supervision")
    assert node == VISIT + "/theme/supervision"
    assert values(store, node, T.atVisit) == {VISIT}
    assert values(store, node, T.themeRaised) == {vocab.THEME + "supervision"}
    assert values(store, node, T.visitAuthority) == {vocab.authority_iri("E06000001")}
    (start,) = objects(store, node, T.visitStartDate)
    assert (start.value, start.datatype.value) == ("2020-02-04", vocab.XSD + "date")
    (year,) = objects(store, node, T.visitYear)
    assert (year.value, year.datatype.value) == ("2020", vocab.XSD + "integer")
    assert values(store, node, T.raisedInRecommendation) == {rec["supervision"]}
    assert values(store, node, T.raisedInWeakness) == {w1, w2}
    assert values(store, node, T.recommendationQuote) == {report.recommendations[0].text}
    assert values(store, node, T.weaknessQuote) == {min(weak1, weak2)}
    plans = theme_node("written-plans")
    assert values(store, plans, T.raisedInRecommendation) == {rec["written-plans"]}
    assert values(store, plans, T.raisedInWeakness) == {w2}
    assert values(store, plans, T.weaknessQuote) == {weak2}
    # the lead item of each kind is the least IRI (not the least text), with its own text
    lead = min(w1, w2)
    assert values(store, node, T.leadWeakness) == {lead}
    assert values(store, node, T.leadWeaknessQuote) == {weak1 if lead == w1 else weak2}
    assert values(store, node, T.leadRecommendation) == {rec["supervision"]}
    assert values(store, node, T.leadRecommendationQuote) == {report.recommendations[0].text}
    assert values(store, plans, T.leadWeakness) == {w2}
    assert values(store, plans, T.leadWeaknessQuote) == {weak2}
    assert values(store, plans, T.leadRecommendation) == {rec["written-plans"]}
    # the build's fast path writes the same quads
    fast = ox.Store()
    fast.load(rdf.report_nquads(report, GRAPH), format=ox.RdfFormat.N_QUADS)
    assert set(fast) == set(store)


def test_themes_raised_at_a_visit_merge_across_files_of_the_visit() -> None:
    """The seed text and the PDF of one visit add to the same nodes; each file states its own
    least text, and their MIN is the least of the union."""
    seed = make_report()
    only_seed = "Supervision is patchy."
    seed.text += " " + only_seed
    seed.findings.append(
        Finding(only_seed, "weakness", ["supervision"], *span(seed.text, only_seed))
    )
    extra = "Supervision records are too brief."
    pdf_text = "Page 1 of 3\n" + TEXT.replace(". ", ".\n") + "\n" + extra
    pdf = make_report(text=pdf_text, sha="b" * 64, source="hpool.pdf")
    pdf.findings.append(Finding(extra, "weakness", ["supervision"], *span(pdf_text, extra)))
    seed_quads = rdf.report_quads(seed, vocab.source_graph_iri(seed.source))
    pdf_quads = rdf.report_quads(pdf, vocab.source_graph_iri(pdf.source))
    union = to_store(seed_quads + pdf_quads)
    nodes = {
        q.subject.value
        for q in union.quads_for_pattern(None, ox.NamedNode(T.type), ox.NamedNode(T.ThemeAtVisit))
    }
    assert nodes == {theme_node("supervision"), theme_node("written-plans")}
    node = theme_node("supervision")
    # one visit, one set of facts; the items of both files
    for prop in (T.atVisit, T.themeRaised, T.visitAuthority, T.visitStartDate, T.visitYear):
        assert len(values(union, node, prop)) == 1, prop
    rec = f"{VISIT}/recommendation/{vocab.text_key(seed.recommendations[0].text)}"
    weak_seed, weak_pdf = (f"{VISIT}/finding/{vocab.text_key(t)}" for t in (only_seed, extra))
    assert values(union, node, T.raisedInRecommendation) == {rec}
    assert values(union, node, T.recommendationQuote) == {seed.recommendations[0].text}
    assert values(union, node, T.raisedInWeakness) == {weak_seed, weak_pdf}
    # one least text and item per file: their MIN is the least over the union
    assert values(union, node, T.weaknessQuote) == {only_seed, extra}
    assert values(to_store(seed_quads), node, T.weaknessQuote) == {only_seed}
    assert values(to_store(pdf_quads), node, T.weaknessQuote) == {extra}
    # one lead item per kind and file, paired with its text by the file's named graph: the
    # least "IRI|text" of the pairs is the lead of the visit
    pairs = {
        (r["i"].value, r["t"].value)
        for r in union.query(
            f"SELECT ?g ?i ?t WHERE {{ GRAPH ?g {{ <{node}> <{T.leadWeakness}> ?i ; "
            f"<{T.leadWeaknessQuote}> ?t }} }}"
        )
    }
    assert pairs == {(weak_seed, only_seed), (weak_pdf, extra)}
    assert values(union, node, T.leadRecommendation) == {rec}
    for quads in (seed_quads, pdf_quads):
        one_file = to_store(quads)
        assert len(values(one_file, node, T.leadWeakness)) == 1
        assert len(values(one_file, node, T.leadWeaknessQuote)) == 1


def _store(*reports: Report) -> ox.Store:
    store = ox.Store()
    for n, report in enumerate(reports):
        store.extend(rdf.report_quads(report, f"{vocab.GRAPH}source/{n}"))
    return store


def test_one_inspector_printed_two_ways_is_one_node_with_both_spellings() -> None:
    first = dataclasses.replace(make_report(), inspectors=[Inspector("Matt Reed", lead=True)])
    second = dataclasses.replace(
        make_report(sha="b" * 64, source="other.pdf"),
        visit_start="2021-05-04",
        inspectors=[Inspector("Matthew Reed", lead=True)],
    )
    store = _store(first, second)
    nodes = {
        q.subject
        for q in store.quads_for_pattern(None, ox.NamedNode(T.type), ox.NamedNode(T.Inspector))
    }
    assert nodes == {ox.NamedNode(vocab.inspector_iri("matthew-reed"))}
    node = nodes.pop()
    names = {q.object.value for q in store.quads_for_pattern(node, ox.NamedNode(T.foaf_name), None)}
    printed = {
        q.object.value for q in store.quads_for_pattern(node, ox.NamedNode(T.alternateName), None)
    }
    assert (names, printed) == ({"Matthew Reed"}, {"Matt Reed"})


def test_lscb_points_are_addressed_to_the_board_and_the_council_points_to_the_council() -> None:
    report = make_report()
    board_point = dataclasses.replace(
        report.recommendations[1], section="LSCB", addressed_to=["board"]
    )
    report = dataclasses.replace(
        report,
        recommendations=report.recommendations[:1],
        lscb_recommendations=[board_point],
        reinspection=True,
    )
    store = _store(report)
    addressed = {
        q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(T.addressedTo), None)
    }
    board = vocab.board_iri("E06000001")
    assert addressed == {vocab.authority_iri("E06000001"), board}
    assert any(
        store.quads_for_pattern(
            ox.NamedNode(board),
            ox.NamedNode(T.boardOf),
            ox.NamedNode(vocab.authority_iri("E06000001")),
        )
    )
    flags = store.quads_for_pattern(None, ox.NamedNode(T.reinspection), None)
    assert [q.object.value for q in flags] == ["true"]


def test_an_inspector_is_one_node_by_name_alone_whatever_the_year() -> None:
    """The rule kg:Inspector states: the reader drops role and title words, the name is the
    identity and dates are not looked at (one name in 2012 and in 2020 is one node), and an
    ambiguous short form ("Jo": Joanna, Joanne or Josephine) stays a node of its own."""
    from kg.extract.inspections import _inspectors

    text = "Lead inspector: Jo Smith HMI\nTeam inspectors: Joanne Smith (OI), JO  SMITH\n"
    assert [(i.name, i.lead) for i in _inspectors(text)] == [
        ("Jo Smith", True),
        ("Joanne Smith", False),
        ("JO SMITH", False),
    ]
    nodes = {}
    for start, name in [("2012-05-01", "Jo Smith"), ("2020-02-04", "JO SMITH")]:
        report = make_report()
        report.visit_start, report.visit_end, report.letter_date = start, None, None
        report.inspectors = [Inspector(name, lead=True), Inspector("Joanne Smith")]
        store = to_store(rdf.report_quads(report, GRAPH))
        visit = vocab.ID + f"visit/E06000001/focused-visit/{start}"
        nodes[start] = {
            values(store, i, T.foaf_name).pop(): i for i in values(store, visit, T.inspector)
        }
    assert nodes["2012-05-01"] == nodes["2020-02-04"]
    assert set(nodes["2012-05-01"]) == {"Jo Smith", "Joanne Smith"}
    assert len(set(nodes["2012-05-01"].values())) == 2
