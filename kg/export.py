"""``kg export``: the whole graph as a standard dump, with a VoID/DCAT description.

Why: people who do not run this project load the graph into their own tools. N-Quads and TriG
keep every named graph (one per source file, plus ontology and themes, authorities, the build
record), so provenance survives the trip; Turtle holds triples only, so it gets the distinct
triples of the union (what the saved queries see); JSON-LD keeps the named graphs too. The
description (a ``void:Dataset`` / ``dcat:Dataset``) goes into its own graph
(``DESCRIPTION_GRAPH``) of the dump and can also be written alone (``--description FILE``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import IO

import pyoxigraph as ox

from kg import vocab
from kg.errors import KgError, quoted
from kg.version import __version__

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
OGL = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
DATASET = vocab.BASE + "dataset"
DESCRIPTION_GRAPH = vocab.GRAPH + "description"

EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
}
MEDIA_TYPES = {name: fmt.media_type for name, fmt in EXPORT_FORMATS.items()}
# Classes counted in the description (void:classPartition).
COUNTED = (
    "Visit",
    "Report",
    "Recommendation",
    "Finding",
    "Judgement",
    "Authority",
    "Inspector",
    "SourceFile",
)
PREFIXES = {**vocab.PREFIXES, "void": VOID, "dcat": DCAT}


class ExportError(KgError, ValueError):
    """A bad format or an output that cannot be written."""


def _n(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(vocab.XSD + "integer"))


def _rows(store: ox.Store, sparql: str) -> list[ox.QuerySolution]:
    result = store.query(sparql, use_default_graph_as_union=True, prefixes=vocab.PREFIXES)
    assert isinstance(result, ox.QuerySolutions)
    return list(result)


@dataclass
class Description:
    """What ``describe`` found, for messages and tests."""

    triples: list[ox.Triple]
    quads: int
    distinct_triples: int
    graphs: int
    sources: int


def describe(store: ox.Store, fmt: str | None = None) -> Description:
    """The VoID/DCAT description of the dataset in ``store`` (title, licence, sources,
    build time and software, counts per graph and per class)."""
    d = _n(DATASET)
    rdf_type = _n(vocab.RDF + "type")
    dct = vocab.DCT
    out: list[ox.Triple] = []

    def add(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode
    ) -> None:
        out.append(ox.Triple(s, _n(p), o))

    out.append(ox.Triple(d, rdf_type, _n(VOID + "Dataset")))
    out.append(ox.Triple(d, rdf_type, _n(DCAT + "Dataset")))
    add(
        d,
        dct + "title",
        ox.Literal(
            "Ofsted inspections of English local authority children's services: knowledge graph",
            language="en",
        ),
    )
    add(
        d,
        dct + "description",
        ox.Literal(
            "Visits, reports, recommendations, findings and judgements extracted from Ofsted "
            "inspection reports of local authority children's services, each statement traceable "
            "to the words of its source report.",
            language="en",
        ),
    )
    add(d, dct + "license", _n(OGL))
    add(
        d,
        dct + "rights",
        ox.Literal(
            "Contains public sector information licensed under the Open Government Licence v3.0.",
            language="en",
        ),
    )
    add(d, VOID + "uriSpace", ox.Literal(vocab.ID))
    add(d, VOID + "vocabulary", _n(vocab.KG))
    add(d, DCAT + "keyword", ox.Literal("children's social care", language="en"))
    add(d, DCAT + "keyword", ox.Literal("Ofsted", language="en"))
    # Software that made the dump (the build's version is in the build record below).
    software = _n(f"{vocab.ID}software/kg/{__version__}")
    add(d, dct + "creator", software)
    add(software, vocab.RDFS + "label", ox.Literal(f"kg {__version__}"))
    add(software, vocab.SDO + "softwareVersion", ox.Literal(__version__))
    add(
        d,
        dct + "issued",
        ox.Literal(
            dt.datetime.now(dt.timezone.utc)
            .replace(microsecond=0)
            .isoformat()
            .replace("+00:00", "Z"),
            datatype=_n(vocab.XSD + "dateTime"),
        ),
    )

    # The last build: when, and with which software version.
    builds = _rows(
        store,
        """SELECT ?run ?end ?start ?version WHERE {
        ?run a prov:Activity ; prov:endedAtTime ?end .
        OPTIONAL { ?run prov:startedAtTime ?start }
        OPTIONAL { ?run kg:softwareVersion ?version } } ORDER BY DESC(?end) LIMIT 1""",
    )
    if builds:
        b = builds[0]
        add(d, vocab.PROV + "wasGeneratedBy", b["run"])
        add(d, dct + "modified", b["end"])
        add(b["run"], vocab.PROV + "endedAtTime", b["end"])
        if b["start"] is not None:
            add(b["run"], vocab.PROV + "startedAtTime", b["start"])
        if b["version"] is not None:
            add(b["run"], vocab.KG + "softwareVersion", b["version"])

    # The source reports.
    sources = _rows(
        store,
        """SELECT DISTINCT ?f ?name WHERE {
        ?f a kg:SourceFile . OPTIONAL { ?f kg:fileName ?name } } ORDER BY ?name""",
    )
    for row in sources:
        add(d, dct + "source", row["f"])
        if row["name"] is not None:
            add(row["f"], dct + "title", row["name"])

    # Counts: quads stored, distinct triples, per named graph, per class.
    quads = len(store)
    distinct = int(
        _rows(
            store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        )[0]["n"].value
    )
    add(d, VOID + "triples", _int(distinct))
    graphs = _rows(
        store, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    for row in graphs:
        add(d, VOID + "subset", row["g"])
        out.append(ox.Triple(row["g"], rdf_type, _n(VOID + "Dataset")))
        add(row["g"], VOID + "triples", row["n"])
    for name in COUNTED:
        n = int(
            _rows(store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a kg:{name} }}")[0][
                "n"
            ].value
        )
        part = _n(f"{DATASET}/class/{name}")
        add(d, VOID + "classPartition", part)
        add(part, VOID + "class", _n(vocab.KG + name))
        add(part, VOID + "entities", _int(n))
    if fmt is not None:
        dist = _n(f"{DATASET}/dump/{fmt}")
        add(d, DCAT + "distribution", dist)
        out.append(ox.Triple(dist, rdf_type, _n(DCAT + "Distribution")))
        add(
            dist,
            DCAT + "mediaType",
            _n("https://www.iana.org/assignments/media-types/" + MEDIA_TYPES[fmt]),
        )
        add(dist, dct + "license", _n(OGL))
        add(d, VOID + "dataDump", dist)
    # Grouped by subject, so the Turtle reads as one block per resource.
    out.sort(key=lambda t: (t.subject != d, str(t.subject)))
    return Description(out, quads, distinct, len(graphs), len(sources))


def write_description(store: ox.Store, output: IO[bytes]) -> Description:
    """The description alone, as Turtle."""
    description = describe(store)
    ox.serialize(description.triples, output, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    return description


def export(store: ox.Store, output: IO[bytes], fmt: str) -> Description:
    """Write the whole graph and its description to ``output`` in ``fmt``."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(
            f"unknown export format {quoted(fmt)}; use one of {', '.join(EXPORT_FORMATS)}"
        )
    rdf_format = EXPORT_FORMATS[fmt]
    description = describe(store, fmt)
    graph = _n(DESCRIPTION_GRAPH)
    described = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in description.triples]
    if fmt == "turtle":
        # Triples only: the distinct triples of the union, then the description.
        result = store.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
            use_default_graph_as_union=True,
        )
        assert isinstance(result, ox.QueryTriples)
        result.serialize(output, format=rdf_format)
        output.write(b"\n")
        ox.serialize(description.triples, output, format=rdf_format, prefixes=PREFIXES)
    elif fmt == "jsonld":
        # One JSON document (streamed): the store's quads, then the description graph.
        ox.serialize(itertools.chain(store, described), output, format=rdf_format)
    else:
        store.dump(output, format=rdf_format)
        output.write(b"\n")
        ox.serialize(
            described, output, format=rdf_format, prefixes=PREFIXES if fmt == "trig" else None
        )
    return description
