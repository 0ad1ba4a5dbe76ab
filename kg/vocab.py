"""Namespaces and the rules that mint IRIs from content (never from file paths).

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
