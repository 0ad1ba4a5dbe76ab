"""``kg export``: every dump parses back with all the quads (named graphs kept where the format
can hold them), and the VoID/DCAT description says what the dataset is."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from typer.testing import CliRunner

from kg.cli import app
from kg.export import DATASET, DESCRIPTION_GRAPH, OGL
from kg.store import KnowledgeGraph
from kg.vocab import ONTOLOGY_GRAPH

ROOT = Path(__file__).resolve().parent.parent
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FORMATS = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@pytest.fixture(scope="module")
def store_dir(seed_texts_store: Path) -> Path:
    """The five seed texts' store (``conftest.py``), only ever read here."""
    return seed_texts_store


@pytest.fixture(scope="module")
def stored(store_dir: Path) -> tuple[int, int, set[str]]:
    """(quads, distinct triples, named graphs) of the store."""
    graph = KnowledgeGraph.open_read_only(store_dir)
    try:
        quads = len(graph.store)
        distinct = graph.count_distinct_triples()
        graphs = set(graph.graphs())
    finally:
        graph.close()
    return quads, distinct, graphs


def export(store_dir: Path, tmp_path: Path, fmt: str, *extra: str) -> Path:
    output = tmp_path / f"dump.{fmt}"
    result = CliRunner().invoke(
        app, ["export", "--format", fmt, "--output", str(output), "--store", str(store_dir), *extra]
    )
    assert result.exit_code == 0, result.output
    assert f"as {fmt} to {output}" in result.output
    return output


@pytest.mark.parametrize("fmt", ["nquads", "trig", "jsonld"])
def test_dataset_dumps_keep_every_quad_and_named_graph(
    store_dir: Path, stored: tuple[int, int, set[str]], tmp_path: Path, fmt: str
) -> None:
    quads, _, graphs = stored
    parsed = list(ox.parse(path=str(export(store_dir, tmp_path, fmt)), format=FORMATS[fmt]))
    described = [q for q in parsed if q.graph_name == ox.NamedNode(DESCRIPTION_GRAPH)]
    assert len(parsed) - len(described) == quads
    assert {
        q.graph_name.value for q in parsed if q.graph_name != ox.NamedNode(DESCRIPTION_GRAPH)
    } == graphs
    assert ONTOLOGY_GRAPH in graphs  # ontology and themes travel with the data
    assert described


def test_turtle_dump_has_the_distinct_triples_of_the_union(
    store_dir: Path, stored: tuple[int, int, set[str]], tmp_path: Path
) -> None:
    _, distinct, _ = stored
    dump = rdflib.Graph().parse(export(store_dir, tmp_path, "turtle"), format="turtle")
    description = [t for t in dump if str(t[0]).startswith(DATASET)]
    assert distinct < len(dump) <= distinct + 200
    assert description
    # Themes (SKOS) are in it.
    assert (
        None,
        rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
        rdflib.Literal("Supervision", lang="en"),
    ) in dump


def test_description_says_title_licence_sources_build_version_and_counts(
    store_dir: Path, stored: tuple[int, int, set[str]], tmp_path: Path
) -> None:
    quads, distinct, graphs = stored
    alone = tmp_path / "void.ttl"
    export(store_dir, tmp_path, "nquads", "--description", str(alone))
    g = rdflib.Graph().parse(alone, format="turtle")
    d = rdflib.URIRef(DATASET)
    types = set(g.objects(d, rdflib.RDF.type))
    assert {rdflib.URIRef(VOID + "Dataset"), rdflib.URIRef(DCAT + "Dataset")} <= types
    assert "Ofsted" in str(g.value(d, rdflib.URIRef(DCT + "title")))
    assert g.value(d, rdflib.URIRef(DCT + "license")) == rdflib.URIRef(OGL)
    sources = {
        str(g.value(s, rdflib.URIRef(DCT + "title")))
        for s in g.objects(d, rdflib.URIRef(DCT + "source"))
    }
    assert sources == {p.name for p in (ROOT / "seeds").glob("*.txt")}
    modified = g.value(d, rdflib.URIRef(DCT + "modified"))
    assert modified is not None and modified.datatype == rdflib.XSD.dateTime
    run = g.value(d, rdflib.URIRef("http://www.w3.org/ns/prov#wasGeneratedBy"))
    from kg import __version__

    assert (
        str(g.value(run, rdflib.URIRef("https://w3id.org/ofsted-kg/def#softwareVersion")))
        == __version__
    )
    assert int(g.value(d, rdflib.URIRef(VOID + "triples"))) == distinct
    subsets = {
        str(s): int(g.value(s, rdflib.URIRef(VOID + "triples")))
        for s in g.objects(d, rdflib.URIRef(VOID + "subset"))
    }
    assert set(subsets) == graphs and sum(subsets.values()) == quads
    visits = next(
        p
        for p in g.objects(d, rdflib.URIRef(VOID + "classPartition"))
        if str(g.value(p, rdflib.URIRef(VOID + "class"))).endswith("#Visit")
    )
    assert int(g.value(visits, rdflib.URIRef(VOID + "entities"))) == 5


def test_unknown_format_is_one_clear_line(store_dir: Path) -> None:
    result = CliRunner().invoke(app, ["export", "--format", "csv", "--store", str(store_dir)])
    assert result.exit_code == 1
    assert "--format must be one of nquads, trig, turtle, jsonld" in result.output


def test_missing_store_says_run_kg_build(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "--store", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "kg build" in result.output
