"""The ontology, theme scheme and SHACL shapes: they parse, are documented, and the shapes
accept a well-formed graph and reject the mistakes an extractor is likely to make."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg import families, record
from kg.resources import data_path
from kg.store import SHAPES_FILE
from kg.validate import validate_store
from kg.vocab import GRADE, GRAPH, KG, KIND, ONTOLOGY_GRAPH, PRIORITY, THEME, TIMESCALE, slug

K = Namespace(KG)
DOMAIN_MD = Path("/work/shared/docs/domain.md")
# Theme ids of domain.md ("keep these ids").
DOMAIN_THEME_IDS = [
    "supervision",
    "management-oversight",
    "written-plans",
    "pre-proceedings",
    "assessment-quality",
    "recording",
    "voice-of-child",
    "care-leavers",
    "health",
    "training",
    "governance",
    "reviews",
    "connected-carers",
    "disabled-children",
    "thresholds",
    "partnership",
    "front-door",
    "workforce-capacity",
    "quality-assurance",
    "private-fostering",
]


@cache
def _graph(name: str) -> Graph:
    return Graph().parse(data_path(f"ontology/{name}"), format="turtle")


@pytest.mark.parametrize("name", ["ontology.ttl", "themes.ttl", "shapes.ttl"])
def test_turtle_parses(name: str) -> None:
    assert len(_graph(name)) > 50


def test_ontology_header() -> None:
    g = _graph("ontology.ttl")
    onto = URIRef("https://w3id.org/ofsted-kg/def")
    assert (onto, RDF.type, OWL.Ontology) in g
    for prop in ("title", "description", "license"):
        assert g.value(onto, URIRef("http://purl.org/dc/terms/" + prop)) is not None
    assert "open-government-licence/version/3" in str(
        g.value(onto, URIRef("http://purl.org/dc/terms/license"))
    )
    assert g.value(onto, OWL.versionInfo) is not None


def test_every_term_has_label_and_definition() -> None:
    g = _graph("ontology.ttl")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {s for k in kinds for s in g.subjects(RDF.type, k) if isinstance(s, URIRef)}
    assert len(terms) > 50
    for term in terms:
        assert str(term).startswith(KG), term
        assert g.value(term, RDFS.label) is not None, f"{term} has no rdfs:label"
        assert (g.value(term, SKOS.definition) or g.value(term, RDFS.comment)) is not None, (
            f"{term} has no definition"
        )


def test_required_terms_exist() -> None:
    g = _graph("ontology.ttl")
    classes = """Authority Area Visit Inspector Report SourceFile Finding Recommendation
        Judgement EarlierInspection Addressee ExtractionRun Grade Theme VisitKind Timescale
        Priority""".split()
    for name in classes:
        assert (K[name], RDF.type, OWL.Class) in g, name
    props = """authority kind startDate endDate letterDate publicationDate inspector leadInspector
        addressee addresseeName addresseeRole scope report sourceFile sha256 hasRecommendation
        hasFinding hasJudgement mentionsEarlierInspection text position section timescale
        priority theme polarity judgementArea grade gradeScale earlierDate overallEffectiveness
        gssCode dfeLaCode wikidata area region""".split()
    for name in props:
        assert any(g.triples((K[name], RDF.type, None))), name


def test_code_vocabularies_match_the_concept_schemes() -> None:
    """The ids kg.record uses are concepts of the ontology's schemes."""
    g = _graph("ontology.ttl")
    for kind in record.KINDS:
        assert (URIRef(KIND + kind), RDF.type, K.VisitKind) in g, kind
    for timescale in record.TIMESCALES:
        assert (URIRef(TIMESCALE + timescale), RDF.type, K.Timescale) in g, timescale
    for priority in record.PRIORITIES:
        assert (URIRef(PRIORITY + priority), RDF.type, K.Priority) in g, priority
    for value in record.POLARITIES:
        assert (K[value], RDF.type, K.Polarity) in g, value


def test_every_family_of_the_registry_is_a_visit_kind_on_its_grade_scale() -> None:
    """kg.families and the ontology state the same kinds, display labels and grade scales."""
    g = _graph("ontology.ttl")
    for family in families.FAMILIES:
        kind = URIRef(KIND + family.kind)
        assert (kind, RDF.type, K.VisitKind) in g, family.kind
        labels = {str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in g.objects(kind, p)}
        assert family.label in labels, family.kind
        scale = g.value(kind, K.gradeScale)
        assert scale == (URIRef(GRADE + family.scale.id) if family.scale else None), family.kind
    for scale in families.SCALES.values():
        assert str(g.value(URIRef(GRADE + scale.id), SKOS.prefLabel)) == scale.label
        for n, label in enumerate(scale.grades, start=1):
            iri = URIRef(f"{GRADE}{scale.id}/{slug(label)}")
            assert (str(g.value(iri, SKOS.prefLabel)), g.value(iri, SKOS.notation).toPython()) == (
                label,
                n,
            )


def test_grade_scales_stay_distinct() -> None:
    g = _graph("ontology.ttl")
    scales = {
        "slac": ["outstanding", "good", "adequate", "inadequate"],
        "sif": ["outstanding", "good", "requires-improvement", "inadequate"],
        "ilacs": ["outstanding", "good", "requires-improvement-to-be-good", "inadequate"],
    }
    labels = {}
    for scale, grades in scales.items():
        for n, grade in enumerate(grades, start=1):
            iri = URIRef(f"{GRADE}{scale}/{grade}")
            assert (iri, SKOS.inScheme, URIRef(GRADE + scale)) in g
            assert g.value(iri, SKOS.notation).toPython() == n
            labels[iri] = str(g.value(iri, SKOS.prefLabel))
    assert labels[URIRef(GRADE + "slac/adequate")] == "Adequate"
    assert labels[URIRef(GRADE + "sif/requires-improvement")] == "Requires improvement"
    ri = URIRef(GRADE + "ilacs/requires-improvement-to-be-good")
    assert labels[ri] == "Requires improvement to be good"
    for p in (SKOS.exactMatch, SKOS.closeMatch, OWL.sameAs):
        assert not any(g.triples((None, p, None))), "grades of different scales are not merged"


def test_every_domain_theme_id_is_present() -> None:
    g = _graph("themes.ttl")
    ids = {str(s)[len(THEME) :] for s in g.subjects(RDF.type, K.Theme)}
    assert set(DOMAIN_THEME_IDS) <= ids
    if DOMAIN_MD.exists():  # the shared brief, when it is around: its ids are all present
        section = DOMAIN_MD.read_text().split("## Themes", 1)[1]
        quoted = set(re.findall(r"`([a-z]+(?:-[a-z]+)*)`", section))
        assert quoted <= ids, quoted - ids
    for theme in g.subjects(RDF.type, K.Theme):
        assert g.value(theme, SKOS.prefLabel) is not None
        assert g.value(theme, SKOS.definition) is not None
        assert (theme, SKOS.inScheme, K.themeScheme) in g


# A small graph in the shape kg/rdf.py produces: one focused visit, its letter, one
# recommendation and one finding with their evidence, one judgement, one earlier inspection.
VALID = """
@prefix kg: <https://w3id.org/ofsted-kg/def#> .
@prefix id: <https://w3id.org/ofsted-kg/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

id:authority\\/E06000001 a kg:Authority ; rdfs:label "Hartlepool" ;
    kg:gssCode "E06000001" ; kg:dfeLaCode "805" ; kg:region "North East" ;
    kg:area <http://statistics.data.gov.uk/id/statistical-geography/E06000001> ;
    kg:wikidata <http://www.wikidata.org/entity/Q1128173> .

id:inspector\\/lisa-summers a kg:Inspector ; foaf:name "Lisa Summers" .
id:inspector\\/nick-stacey a kg:Inspector ; foaf:name "Nick Stacey" .

id:visit a kg:Visit ;
    kg:authority id:authority\\/E06000001 ;
    kg:kind <https://w3id.org/ofsted-kg/kind/ilacs-inspection> ;
    kg:startDate "2020-02-04"^^xsd:date ; kg:endDate "2020-02-05"^^xsd:date ;
    kg:gssCodeAtVisit "E06000001" ;
    kg:inspector id:inspector\\/lisa-summers , id:inspector\\/nick-stacey ;
    kg:leadInspector id:inspector\\/lisa-summers ;
    kg:scope "help and protection" ;
    kg:report id:report .

id:file a kg:SourceFile ;
    kg:sha256 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" ;
    kg:fileName "hartlepool_2020-03-27_focused-visit.pdf" .

id:report a kg:Report ;
    prov:wasGeneratedBy id:visit ;
    kg:sourceFile id:file ;
    kg:letterDate "2020-03-27"^^xsd:date ;
    kg:addressee [ a kg:Addressee ; kg:addresseeName "Sally Robinson" ;
                   kg:addresseeRole "Director of Children's Services" ] ;
    kg:hasRecommendation id:rec1 ;
    kg:hasFinding id:finding1 ;
    kg:hasJudgement id:judgement1 ;
    kg:mentionsEarlierInspection id:earlier1 .

id:rec1 a kg:Recommendation ;
    kg:text "The timeliness of escalation decisions into pre-proceedings." ;
    kg:position 1 ;
    kg:addressedTo id:authority\\/E06000001 ;
    kg:theme <https://w3id.org/ofsted-kg/theme/pre-proceedings> ;
    kg:priority <https://w3id.org/ofsted-kg/priority/areas-for-improvement> .

id:finding1 a kg:Finding ;
    kg:text "Children are seen regularly by social workers." ;
    kg:polarity kg:strength ;
    kg:theme <https://w3id.org/ofsted-kg/theme/voice-of-child> .

id:judgement1 a kg:Judgement ;
    kg:judgementArea "Overall effectiveness" ;
    kg:grade <https://w3id.org/ofsted-kg/grade/ilacs/good> .

id:earlier1 a kg:EarlierInspection ;
    kg:earlierDate "2018-07"^^xsd:gYearMonth ;
    kg:overallEffectiveness <https://w3id.org/ofsted-kg/grade/ilacs/good> .

id:ann1 a oa:Annotation ; oa:hasBody id:rec1 ;
    oa:hasTarget [ a oa:SpecificResource ; oa:hasSource id:file ;
        oa:hasSelector
            [ a oa:TextQuoteSelector ;
              oa:exact "The timeliness of escalation decisions into pre-proceedings." ;
              oa:prefix "standards. " ; oa:suffix " Findings" ] ,
            [ a oa:TextPositionSelector ;
              oa:start 1200 ; oa:end 1261 ]
    ] .

id:ann2 a oa:Annotation ; oa:hasBody id:finding1 ;
    oa:hasTarget [ a oa:SpecificResource ; oa:hasSource id:file ;
        oa:hasSelector
            [ a oa:TextQuoteSelector ; oa:exact "Children are seen regularly by social workers." ] ,
            [ a oa:TextPositionSelector ;
              oa:start 2000 ; oa:end 2046 ]
    ] .

id:run a kg:ExtractionRun ; prov:used id:file ; kg:softwareVersion "0.1.0" ;
    prov:startedAtTime "2025-01-01T00:00:00Z"^^xsd:dateTime .
"""


def _data(data: str, *drop: tuple, add: str = "") -> Graph:
    """``data`` minus the ``drop`` triple patterns, plus ``add``."""
    g = Graph()
    g.parse(data=data, format="turtle")
    for pattern in drop:
        g.remove(pattern)
    if add:
        g.parse(data=data.split("\n\nid:")[0] + "\n" + add, format="turtle")  # prefixes + add
    return g


def _validate(data: str, *drop: tuple, add: str = "") -> tuple[bool, str]:
    """Validate ``data`` (minus the ``drop`` triple patterns, plus ``add``) with pySHACL, the
    ontology and themes loaded alongside, as in the built store."""
    g = _data(data, *drop, add=add)
    g += _graph("ontology.ttl")
    g += _graph("themes.ttl")
    conforms, _, text = validate(g, shacl_graph=_graph("shapes.ttl"), inference="none")
    return bool(conforms), str(text)


def _validate_store(data: str, *drop: tuple, add: str = "") -> list[str]:
    """The messages ``kg validate``'s SPARQL engine gives for the same data as one source
    graph of a store (with the ontology graph beside it): it must agree with pySHACL."""
    store = ox.Store()
    nt = _data(data, *drop, add=add).serialize(format="nt", encoding="utf-8")
    store.load(nt, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(GRAPH + "source/x"))
    for name in ("ontology.ttl", "themes.ttl"):
        store.load(
            path=str(data_path(f"ontology/{name}")),
            format=ox.RdfFormat.TURTLE,
            to_graph=ox.NamedNode(ONTOLOGY_GRAPH),
        )
    # pyshacl_max_focus=0: the SPARQL translation alone (pySHACL runs what it cannot cover)
    report = validate_store(
        store, data_path(SHAPES_FILE), workers=1, pyshacl_max_focus=0, checks=False
    )  # the SHACL part only: checks have their own tests
    return [v.message for v in report.violations]


ID = Namespace("https://w3id.org/ofsted-kg/id/")


def test_shapes_accept_a_valid_graph() -> None:
    conforms, text = _validate(VALID)
    assert conforms, text
    assert _validate_store(VALID) == []


@pytest.mark.parametrize(
    ("case", "drop", "add", "message"),
    [
        ("no lead inspector", (ID.visit, K.leadInspector, None), "", "kg:leadInspector"),
        (
            "lead not among inspectors",
            (ID.visit, K.inspector, ID["inspector/lisa-summers"]),
            "",
            "also be stated as a kg:inspector",
        ),
        (
            "grade off the visit's scale",
            (ID.judgement1, K.grade, None),
            "id:judgement1 kg:grade <https://w3id.org/ofsted-kg/grade/slac/adequate> .",
            "not on the grade scale",
        ),
        (
            "grade that is no grade",
            (ID.judgement1, K.grade, None),
            "id:judgement1 kg:grade <https://w3id.org/ofsted-kg/grade/ilacs/adequate> .",
            "kg:grade",
        ),
        (
            "theme outside the scheme",
            (),
            "id:rec1 kg:theme <https://w3id.org/ofsted-kg/theme/astrology> .",
            "theme scheme",
        ),
        ("bad sha256", (ID.file, K.sha256, None), 'id:file kg:sha256 "ABC" .', "sha256"),
        (
            "district GSS code",
            (ID["authority/E06000001"], K.gssCode, None),
            'id:authority\\/E06000001 kg:gssCode "E07000001" .',
            "GSS code",
        ),
        ("finding without polarity", (ID.finding1, K.polarity, None), "", "kg:polarity"),
        ("two kinds", (), "id:visit kg:kind <https://w3id.org/ofsted-kg/kind/jtai> .", "kg:kind"),
        ("recommendation without evidence", (ID.ann1, None, None), "", "oa:hasBody"),
        (
            "evidence without a position",
            (),
            "id:ann3 a oa:Annotation ; oa:hasBody id:rec1 ; oa:hasTarget [ a oa:SpecificResource ;"
            ' oa:hasSource id:file ; oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "x" ] ] .',
            "oa:TextPositionSelector",
        ),
        (
            "position selector ending before it starts",
            (),
            "id:ann3 a oa:Annotation ; oa:hasBody id:rec1 ; oa:hasTarget [ a oa:SpecificResource ;"
            ' oa:hasSource id:file ; oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "x" ] ,'
            " [ a oa:TextPositionSelector ; oa:start 9 ; oa:end 3 ] ] .",
            "before its oa:end",
        ),
        (
            "start date as a string",
            (ID.visit, K.startDate, None),
            'id:visit kg:startDate "4 February 2020" .',
            "kg:startDate",
        ),
        (
            "end before start",
            (ID.visit, K.endDate, None),
            'id:visit kg:endDate "2020-01-01"^^xsd:date .',
            "not after its end date",
        ),
        ("empty text", (ID.rec1, K.text, None), 'id:rec1 kg:text "" .', "non-empty kg:text"),
    ],
)
def test_shapes_reject(case: str, drop: tuple, add: str, message: str) -> None:
    conforms, text = _validate(VALID, *([drop] if drop else []), add=add)
    assert not conforms, case
    assert message in text, text
    messages = _validate_store(VALID, *([drop] if drop else []), add=add)
    assert any(message in m for m in messages), (case, messages)


def test_a_letter_may_have_several_addressees_each_with_one_name() -> None:
    """Two joint directors are two kg:Addressee nodes of one report (both engines)."""
    second = (
        'id:report kg:addressee [ a kg:Addressee ; kg:addresseeName "Audrey Kingham" ;'
        ' kg:addresseeRole "Joint Director of Children\'s Services" ] .'
    )
    conforms, text = _validate(VALID, add=second)
    assert conforms, text
    assert _validate_store(VALID, add=second) == []
    two_names = second.replace(" ;", ' ; kg:addresseeName "A. Kingham" ;', 1)
    assert not _validate(VALID, add=two_names)[0]
    assert _validate_store(VALID, add=two_names)


def test_literal_is_not_a_grade_concept() -> None:
    """A judgement's grade must be the concept, not the words."""
    drop, add = (ID.judgement1, K.grade, None), 'id:judgement1 kg:grade "Good" .'
    conforms, _ = _validate(VALID, drop, add=add)
    assert not conforms
    assert _validate_store(VALID, drop, add=add)
