"""Namespaces, the term IRIs (``T``) and the rules that mint IRIs from content (never from
file paths).

The ontology (``ontology/ontology.ttl``) defines terms under ``KG``; instance data lives
under ``ID``. A visit is identified by authority + kind + start date, so the same report
ingested twice, or as both a seed text and its PDF original, is one visit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

BASE = "https://w3id.org/ofsted-kg/"
KG = BASE + "def#"  # ontology terms
ID = BASE + "id/"  # instances
THEME = BASE + "theme/"  # SKOS theme concepts: THEME + "supervision"
KIND = BASE + "kind/"  # SKOS visit kinds: KIND + "focused-visit"
GRADE = BASE + "grade/"  # SKOS grade scales: GRADE + "ilacs/good"
TIMESCALE = BASE + "timescale/"
PRIORITY = BASE + "priority/"
GRAPH = BASE + "graph/"  # named graphs: GRAPH + "source/<file name>", GRAPH + "build"

ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SDO = "https://schema.org/"
QB = "http://purl.org/linked-data/cube#"
SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
STATGEO = "http://statistics.data.gov.uk/id/statistical-geography/"
WD = "http://www.wikidata.org/entity/"

PREFIXES = {
    "kg": KG,
    "id": ID,
    "theme": THEME,
    "kind": KIND,
    "grade": GRADE,
    "org": ORG,
    "prov": PROV,
    "oa": OA,
    "skos": SKOS,
    "dcterms": DCT,
    "foaf": FOAF,
    "schema": SDO,
    "qb": QB,
    "sh": SH,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "statgeo": STATGEO,
    "wd": WD,
}


def sparql_prefixes() -> str:
    """PREFIX declarations for every namespace above, for queries and ``kg sparql``."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def slug(text: str) -> str:
    """A readable, stable IRI segment: ``"Requires improvement to be good"`` -> ``requires-...``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def text_key(text: str) -> str:
    """A short hash of text with case, spacing and punctuation folded away.

    Two extractions of the same sentence (seed text and PDF original) get the same key even if
    quotes or line breaks differ.
    """
    folded = re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKD", text).lower())
    return hashlib.sha256(folded.encode()).hexdigest()[:16]


def authority_iri(gss_code: str) -> str:
    return f"{ID}authority/{gss_code}"


def board_iri(gss_code: str) -> str:
    """The Local Safeguarding Children Board of an authority's area."""
    return f"{ID}authority/{gss_code}/lscb"


def partner_iri(gss_code: str, kind: str) -> str:
    """The partner body of ``kind`` (``kg.record.BODIES`` but the council) in an authority's
    area: one node per area and kind, whatever name a report gives it (NHS bodies were
    renamed and merged PCT -> CCG -> ICB; kg:addressedAs keeps the words)."""
    if kind == "board":
        return board_iri(gss_code)
    return f"{ID}authority/{gss_code}/partner/{kind}"


# The kinds of body a recommendation can be addressed to, or a finding be about
# (kg.extract.addressees), in the order they are listed.
BODIES = ("council", "board", "health", "police", "partners")


def body_kind(iri: str) -> str:
    """The kind of body an organisation IRI of ``partner_iri`` is: ``.../lscb`` the board,
    ``.../partner/<kind>`` its kind, anything else (the authority) the council."""
    if iri.endswith("/lscb"):
        return "board"
    _, sep, kind = iri.rpartition("/partner/")
    return kind if sep else "council"


def area_iri(gss_code: str) -> str:
    return STATGEO + gss_code


def visit_iri(gss_code: str, kind: str, start: str) -> str:
    return f"{ID}visit/{gss_code}/{kind}/{start}"


def inspector_iri(key: str) -> str:
    """An inspector's node, from the identity key of ``kg.inspectors`` (or a plain name)."""
    return f"{ID}inspector/{slug(key)}"


def source_graph_iri(file_name: str) -> str:
    """The named graph holding everything extracted from one source file."""
    return f"{GRAPH}source/{slug(file_name)}"


def file_iri(sha256: str) -> str:
    return f"{ID}file/{sha256}"


BUILD_GRAPH = GRAPH + "build"
ONTOLOGY_GRAPH = GRAPH + "ontology"
AUTHORITIES_GRAPH = GRAPH + "authorities"


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
    ThemeAtVisit = KG + "ThemeAtVisit"
    SafeguardingBoard = KG + "SafeguardingBoard"
    PartnerBody = KG + "PartnerBody"
    HealthPartner = KG + "HealthPartner"
    PolicePartner = KG + "PolicePartner"
    PartnerAgencies = KG + "PartnerAgencies"
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
    alternateName = SDO + "alternateName"
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
    reinspection = KG + "reinspection"
    addressedTo = KG + "addressedTo"
    boardOf = KG + "boardOf"
    partnerOf = KG + "partnerOf"
    addressedAs = KG + "addressedAs"
    concerns = KG + "concerns"
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
    gssCodeAtVisit = KG + "gssCodeAtVisit"
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
    # kg:ThemeAtVisit (derived from the items, for fast theme queries)
    atVisit = KG + "atVisit"
    themeRaised = KG + "themeRaised"
    visitAuthority = KG + "visitAuthority"
    visitStartDate = KG + "visitStartDate"
    visitYear = KG + "visitYear"
    raisedInRecommendation = KG + "raisedInRecommendation"
    raisedInWeakness = KG + "raisedInWeakness"
    recommendationQuote = KG + "recommendationQuote"
    weaknessQuote = KG + "weaknessQuote"
    leadRecommendation = KG + "leadRecommendation"
    leadRecommendationQuote = KG + "leadRecommendationQuote"
    leadWeakness = KG + "leadWeakness"
    leadWeaknessQuote = KG + "leadWeaknessQuote"
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
