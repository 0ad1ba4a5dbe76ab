"""``kg validate``: every source graph (with the reference data) and their union against
``ontology/shapes.ttl``, on a small store built from three seeds: the 2010 SLAC inspection of
Hartlepool, and the 2020 focused visit twice (the seed text and its PDF original describe the
same visit in two graphs)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate as pyshacl_validate
from typer.testing import CliRunner

from kg import cli, vocab
from kg import validate as kv
from kg.build import build
from kg.inspectors import identity
from kg.rdf import T
from kg.resources import data_path
from kg.store import SHAPES_FILE, KnowledgeGraph

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SLAC = "hartlepool_2010-07-16_slac-inspection.txt"
FV_TXT = "hartlepool_2020-03-27_focused-visit.txt"
FV_PDF = "hartlepool_2020-03-27_focused-visit.pdf"
FV_VISIT = vocab.ID + "visit/E06000001/focused-visit/2020-03-04"
LISA = vocab.ID + "inspector/lisa-summers"
NICK = vocab.inspector_iri(identity("Nick Stacey").key)  # the node kg.inspectors mints
SHAPES = data_path(SHAPES_FILE)
# Small enough that findings and annotations go to the SPARQL engine alone, as on a real store.
MAX_FOCUS = 100

runner = CliRunner()


def graph(name: str) -> str:
    return vocab.source_graph_iri(name)


@pytest.fixture(scope="module")
def built() -> list[ox.Quad]:
    kg = KnowledgeGraph.in_memory()
    result = build([SEEDS / SLAC, SEEDS / FV_TXT, SEEDS / FV_PDF], kg, workers=1)
    assert result.ok, result.errors
    return list(kg.store)


@pytest.fixture
def store(built: list[ox.Quad]) -> ox.Store:
    """A fresh copy of the built store, for one test to break."""
    copy = ox.Store()
    copy.extend(built)
    return copy


def check(store: ox.Store) -> kv.Report:
    """The report, after checking that the SPARQL engine alone (pySHACL running nothing it
    covers) reports exactly the same."""
    report = kv.validate_store(store, SHAPES, workers=1, pyshacl_max_focus=MAX_FOCUS, checks=False)
    alone = kv.validate_store(store, SHAPES, workers=1, pyshacl_max_focus=0, checks=False)
    assert [v.to_json() for v in alone.violations] == [v.to_json() for v in report.violations]
    return report


def one(store: ox.Store, query: str, var: str) -> ox.NamedNode | ox.Literal:
    rows = list(store.query(vocab.sparql_prefixes() + query))
    assert rows, query
    return rows[0][var]


def quad(s: str, p: str, o: str | ox.Literal, g: str) -> ox.Quad:
    obj = o if isinstance(o, ox.Literal) else ox.NamedNode(o)
    return ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, ox.NamedNode(g))


def found(report: kv.Report, focus: str, text: str) -> list[kv.Violation]:
    return [v for v in report.violations if v.focus == focus and text in v.message]


def test_the_built_graph_conforms(store: ox.Store) -> None:
    report = check(store)
    assert report.conforms, list(kv.format_report(report.violations))
    assert report.uncompilable == {}  # every shape is checked per graph by SPARQL
    assert report.graphs == 4  # three source graphs and the build graph
    assert report.checks > 50
    shapes = {s.rsplit("#", 1)[-1] for s in report.pyshacl_shapes}
    assert {"VisitShape", "JudgementShape", "RecommendationShape"} <= shapes
    assert not shapes & {"FindingShape", "EvidenceShape", "PositionSelectorShape"}


def test_the_built_graph_passes_the_data_checks(store: ox.Store) -> None:
    report = kv.validate_store(store, SHAPES, workers=1, pyshacl_max_focus=0)
    assert report.conforms, list(kv.format_report(report.violations))
    assert "visit-without-lead-inspector" in report.data_checks
    assert len(report.data_checks) == len(list(kv.checks_dir().glob("*.rq")))


def test_a_data_check_row_is_a_violation_beside_the_shapes(store: ox.Store) -> None:
    """A report dated before its visit breaks no shape, only a data-quality check."""
    report_iri = FV_VISIT + "/report"
    letter = ox.NamedNode(T.letterDate)
    for q in list(store.quads_for_pattern(ox.NamedNode(report_iri), letter, None)):
        store.remove(q)
    store.add(
        quad(
            report_iri,
            T.letterDate,
            ox.Literal("2019-01-01", datatype=ox.NamedNode(vocab.XSD + "date")),
            graph(FV_TXT),
        )
    )
    assert check(store).conforms  # the SHACL shapes alone see nothing wrong
    report = kv.validate_store(store, SHAPES, workers=1, pyshacl_max_focus=0)
    [v] = report.violations
    assert v.shape == "check:report-dated-before-visit" and v.component == "Check"
    assert v.focus == report_iri
    assert "(check report-dated-before-visit)" in v.message
    assert "which=letter" in (v.value or "") and "dated=2019-01-01" in (v.value or "")
    assert v.graphs == [kv.UNION] and graph(FV_TXT) in v.described_in
    lines = kv.format_violation(v)
    assert lines[0].startswith("Violation: A report letter or publication dated before")


def test_two_lead_inspectors_in_one_graph(store: ox.Store) -> None:
    store.add(quad(FV_VISIT, T.leadInspector, NICK, graph(FV_TXT)))
    report = check(store)
    [v] = found(report, FV_VISIT, "exactly one kg:leadInspector")
    assert v.path == T.leadInspector
    assert v.component == "MaxCount"
    assert v.shape == "https://w3id.org/ofsted-kg/shapes#VisitShape"
    assert v.graphs == [graph(FV_TXT)]  # the PDF's graph is fine
    assert len(report.violations) == 1


def test_lead_inspectors_that_disagree_between_graphs_break_the_union(store: ox.Store) -> None:
    """Each graph names exactly one lead inspector, but not the same one."""
    store.remove(quad(FV_VISIT, T.leadInspector, LISA, graph(FV_PDF)))
    store.add(quad(FV_VISIT, T.leadInspector, NICK, graph(FV_PDF)))
    report = check(store)
    [v] = found(report, FV_VISIT, "exactly one kg:leadInspector")
    assert v.graphs == [kv.UNION]
    assert {graph(FV_TXT), graph(FV_PDF)} <= set(v.described_in)
    lines = kv.format_violation(v)
    assert f"  focus: {FV_VISIT}" in lines
    [where] = [line for line in lines if line.startswith("  graph: ")]
    assert where.startswith("  graph: union of all graphs (focus described in: ")
    assert "hartlepool-2020-03-27-focused-visit-pdf" in where


def test_a_grade_off_the_framework_scale(store: ox.Store) -> None:
    judgement = one(
        store,
        f"SELECT ?j WHERE {{ GRAPH <{graph(SLAC)}> {{ ?j kg:grade grade:slac\\/good }} }}",
        "j",
    )
    g = graph(SLAC)
    store.remove(quad(judgement.value, T.grade, vocab.GRADE + "slac/good", g))
    store.add(quad(judgement.value, T.grade, vocab.GRADE + "ilacs/good", g))
    report = check(store)
    [v] = found(report, judgement.value, "not on the grade scale")
    assert v.value == vocab.GRADE + "ilacs/good"
    assert v.component == "SPARQL"
    assert v.graphs == [g]
    assert len(report.violations) == 1  # pySHACL found it too: reported once


def test_a_theme_at_visit_that_disagrees_with_its_visit_and_items(store: ox.Store) -> None:
    """The node derived from a visit's items must keep agreeing with them."""
    g = graph(SLAC)
    node, year, rec = (
        one(
            store,
            f"""SELECT ?n ?y ?r WHERE {{ GRAPH <{g}> {{
        ?n a kg:ThemeAtVisit ; kg:visitYear ?y ; kg:raisedInRecommendation ?r }} }} LIMIT 1""",
            v,
        )
        for v in ("n", "y", "r")
    )
    store.remove(quad(node.value, T.visitYear, year, g))
    store.add(
        quad(
            node.value,
            T.visitYear,
            ox.Literal("1999", datatype=ox.NamedNode(vocab.XSD + "integer")),
            g,
        )
    )
    store.add(quad(node.value, T.raisedInWeakness, rec.value, g))  # not a finding
    report = check(store)
    bad = found(report, node.value, "must agree with its visit")
    assert {v.value for v in bad} == {"1999", rec.value}
    assert {v.component for v in bad} == {"SPARQL"}
    assert found(report, node.value, "") and all(v.graphs == [g] for v in bad)


def test_a_theme_at_visit_whose_lead_items_disagree_with_its_items(store: ox.Store) -> None:
    """A lead item must be one of the node's items of its kind, and a lead quote the text of
    a lead item."""
    g = graph(SLAC)
    node, quote, rec = (
        one(
            store,
            f"""SELECT ?n ?q ?r WHERE {{ GRAPH <{g}> {{
        ?n a kg:ThemeAtVisit ; kg:leadRecommendationQuote ?q ; kg:raisedInRecommendation ?r }}
        }} LIMIT 1""",
            v,
        )
        for v in ("n", "q", "r")
    )
    store.remove(quad(node.value, T.leadRecommendationQuote, quote, g))
    store.add(quad(node.value, T.leadRecommendationQuote, ox.Literal("Not a text of it."), g))
    store.add(quad(node.value, T.leadWeakness, rec.value, g))  # not a weakness of the node
    report = check(store)
    bad = found(report, node.value, "lead quote is the text of a lead")
    assert {v.value for v in bad} == {"Not a text of it.", rec.value}
    assert {v.component for v in bad} == {"SPARQL"}
    assert all(v.graphs == [g] for v in bad)
    assert any(v.component == "Class" for v in found(report, node.value, ""))


def test_a_recommendation_without_an_annotation(store: ox.Store) -> None:
    """The seed text's graph loses the evidence of a recommendation that the PDF's graph
    still has: the union is fine, the text's graph is not."""
    g = graph(FV_TXT)
    rec = one(store, f"SELECT ?r WHERE {{ GRAPH <{g}> {{ ?r a kg:Recommendation }} }} LIMIT 1", "r")
    annotations = [q.subject for q in store.quads_for_pattern(None, None, rec, ox.NamedNode(g))]
    assert annotations
    for annotation in annotations:
        for q in list(store.quads_for_pattern(annotation, None, None, ox.NamedNode(g))):
            store.remove(q)
    report = check(store)
    [v] = found(report, rec.value, "is the oa:hasBody of an oa:Annotation")
    assert v.path == "^oa:hasBody"
    assert v.component == "MinCount"
    assert v.graphs == [g]


def test_a_position_selector_that_starts_after_it_ends(store: ox.Store) -> None:
    g = graph(SLAC)
    selector = one(
        store,
        f"SELECT ?s WHERE {{ GRAPH <{g}> {{ ?s a oa:TextPositionSelector }} }} LIMIT 1",
        "s",
    )
    [start] = [q for q in store.quads_for_pattern(selector, ox.NamedNode(T.start), None)]
    [end] = [q for q in store.quads_for_pattern(selector, ox.NamedNode(T.end), None)]
    late = ox.Literal(str(int(end.object.value) + 5), datatype=ox.NamedNode(vocab.XSD + "integer"))
    store.remove(start)
    store.add(ox.Quad(selector, start.predicate, late, start.graph_name))
    report = check(store)
    [v] = found(report, selector.value, "before its oa:end")
    assert v.component == "LessThan"
    assert v.path == T.start
    assert v.value == late.value
    assert v.graphs == [g]


def test_a_blank_node_focus_is_reported_once(store: ox.Store) -> None:
    """Both engines check addressees; a blank node keeps its id through both."""
    g = ox.NamedNode(graph(FV_TXT))
    report_iri = ox.NamedNode(FV_VISIT + "/report")
    someone = ox.BlankNode("someone")
    store.extend(
        [
            ox.Quad(report_iri, ox.NamedNode(T.addressee), someone, g),
            ox.Quad(someone, ox.NamedNode(T.type), ox.NamedNode(T.Addressee), g),
            ox.Quad(someone, ox.NamedNode(T.addresseeName), ox.Literal("A"), g),
            ox.Quad(someone, ox.NamedNode(T.addresseeName), ox.Literal("B"), g),
        ]
    )
    report = check(store)
    names = [v for v in report.violations if v.path == T.addresseeName]
    assert [(v.focus, v.component, v.graphs) for v in names] == [
        ("_:someone", "MaxCount", [graph(FV_TXT)])
    ]


def test_a_derived_integer_type_is_stored_as_xsd_integer(store: ox.Store) -> None:
    """kg.rdf writes offsets as xsd:nonNegativeInteger; the store keeps xsd:integer, which is
    what the shapes ask for (with sh:minInclusive 0)."""
    value = one(store, "SELECT ?v WHERE { GRAPH ?g { ?s oa:start ?v } } LIMIT 1", "v")
    assert isinstance(value, ox.Literal)
    assert value.datatype.value == vocab.XSD + "integer"


def test_the_engines_agree_with_pyshacl_on_the_union(store: ox.Store) -> None:
    """pySHACL alone over the union (the reference) finds nothing ``kg validate`` misses."""
    g = graph(SLAC)
    # Keep the SLAC graph's visit, report and judgements only: pySHACL is slow on the rest
    # (the themes raised at the visit go with the items they are derived from).
    statements = {vocab.KG + c for c in ("Finding", "Recommendation", "ThemeAtVisit")} | {
        vocab.OA + c
        for c in ("Annotation", "SpecificResource", "TextQuoteSelector", "TextPositionSelector")
    }
    gone = {
        q.subject
        for q in store.quads_for_pattern(None, ox.NamedNode(T.type), None, ox.NamedNode(g))
        if q.object.value in statements
    }
    for q in list(store.quads_for_pattern(None, None, None, ox.NamedNode(g))):
        if q.subject in gone or q.object in gone:
            store.remove(q)
    store.add(quad(FV_VISIT, T.leadInspector, NICK, graph(FV_TXT)))
    judgement = one(store, f"SELECT ?j WHERE {{ GRAPH <{g}> {{ ?j a kg:Judgement }} }}", "j")
    store.add(quad(judgement.value, T.grade, vocab.GRADE + "sif/good", g))
    txt = graph(FV_TXT)
    finding = one(store, f"SELECT ?f WHERE {{ GRAPH <{txt}> {{ ?f a kg:Finding }} }}", "f")
    store.add(quad(finding.value, T.polarity, vocab.KG + "maybe", txt))
    store.add(quad(finding.value, T.text, ox.Literal(""), txt))
    reference = rdflib.Graph()
    data = store.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True
    ).serialize(format=ox.RdfFormat.N_TRIPLES)
    reference.parse(data=data, format="nt")
    shapes = rdflib.Graph().parse(SHAPES, format="turtle")
    conforms, results, _ = pyshacl_validate(reference, shacl_graph=shapes, inference="none")
    assert not conforms
    sh = rdflib.SH
    expected = {
        (str(results.value(r, sh.focusNode)), str(results.value(r, sh.sourceConstraintComponent)))
        for r in results.subjects(rdflib.RDF.type, sh.ValidationResult)
    }
    report = check(store)  # (and the SPARQL engine alone)
    got = {(v.focus, f"{sh}{v.component}ConstraintComponent") for v in report.violations}
    assert expected <= got
    assert {v.focus for v in report.violations} == {FV_VISIT, judgement.value, finding.value}


def test_a_pyshacl_worker_process_gives_the_same_report(
    built: list[ox.Quad], tmp_path: Path
) -> None:
    kg = KnowledgeGraph.open(tmp_path / "store")
    kg.store.extend(built)
    kg.store.add(quad(FV_VISIT, T.leadInspector, NICK, graph(FV_TXT)))
    kg.close()
    kg = KnowledgeGraph.open_read_only(tmp_path / "store")
    try:
        here = kv.validate_store(kg.store, SHAPES, workers=1, pyshacl_max_focus=MAX_FOCUS)
        there = kv.validate_store(
            kg.store, SHAPES, path=kg.path, workers=2, pyshacl_max_focus=MAX_FOCUS
        )
    finally:
        kg.close()
    assert [v.to_json() for v in there.violations] == [v.to_json() for v in here.violations]
    assert len(there.violations) == 1
    assert "pyshacl (waited for)" in there.seconds
    assert there.pyshacl_shapes == here.pyshacl_shapes and there.pyshacl_triples > 0


def test_a_shape_the_translation_does_not_cover_runs_in_pyshacl(
    store: ox.Store, tmp_path: Path
) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        textwrap.dedent(
            f"""\
            @prefix sh: <http://www.w3.org/ns/shacl#> .
            <http://example.org/ThreeInspectors> a sh:NodeShape ;
                sh:targetClass <{T.Visit}> ;
                sh:property [
                    sh:path <{T.inspector}> ;
                    sh:qualifiedValueShape [ sh:class <{T.Inspector}> ] ;
                    sh:qualifiedMinCount 3 ;
                    sh:message "three inspectors" ;
                ] .
            """
        )
    )
    report = kv.validate_store(store, shapes, workers=1)
    assert "http://example.org/ThreeInspectors" in report.uncompilable
    assert {v.focus for v in report.violations if v.message == "three inspectors"} >= {FV_VISIT}
    [v] = [v for v in report.violations if v.focus == FV_VISIT]
    assert v.graphs == [kv.UNION]  # pySHACL runs on the union only


def test_many_violations_are_grouped(store: ox.Store) -> None:
    g = ox.NamedNode(graph(SLAC))
    starts = list(store.quads_for_pattern(None, ox.NamedNode(T.start), None, g))
    assert len(starts) > 20
    for q in starts:
        store.remove(q)
    report = check(store)
    assert len(report.violations) == len(starts)  # no oa:start: none to compare with oa:end
    lines = list(kv.format_report(report.violations))
    assert len(lines) < 20
    assert lines[0].startswith(f"{len(starts)} × Violation: A position selector has one oa:start")
    assert any("more (--all lists every one)" in line for line in lines)
    everything = list(kv.format_report(report.violations, show_all=True))
    assert sum(line.startswith("  focus: ") for line in everything) == len(report.violations)


@pytest.fixture
def disk_store(built: list[ox.Quad], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(kv, "PYSHACL_MAX_FOCUS", MAX_FOCUS)
    where = tmp_path / "store"
    kg = KnowledgeGraph.open(where)
    kg.store.extend(built)
    kg.close()
    return where


def test_cli_conforms(disk_store: Path) -> None:
    result = runner.invoke(cli.app, ["validate", "--store", str(disk_store), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("conforms: no SHACL violations")


def test_cli_reports_violations_grouped_and_as_json(disk_store: Path) -> None:
    kg = KnowledgeGraph.open(disk_store)
    g = ox.NamedNode(graph(SLAC))
    for q in list(kg.store.quads_for_pattern(None, ox.NamedNode(T.end), None, g)):
        kg.store.remove(q)
    kg.store.add(quad(FV_VISIT, T.leadInspector, NICK, graph(FV_TXT)))
    kg.close()
    args = ["validate", "--store", str(disk_store), "--workers", "1"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 1
    # the shapes' two rules, and the data check that every statement has its quote and offsets
    assert "SHACL violation(s) in 3 group(s)" in result.stderr
    assert "(check statement-without-source-quote)" in result.stdout
    assert "× Violation: A position selector has one oa:end" in result.stdout
    assert f"- focus: {FV_VISIT}" in result.stdout
    assert "graph: hartlepool-2020-03-27-focused-visit-txt" in result.stdout
    every = runner.invoke(cli.app, [*args, "--all"])
    assert every.stdout.count("  focus: ") == int(result.stderr.split()[0])
    as_json = runner.invoke(cli.app, [*args, "--json"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["conforms"] is False
    assert len(data["violations"]) == int(result.stderr.split()[0])
    lead = [v for v in data["violations"] if v["focus"] == FV_VISIT]
    assert lead == [
        {
            "severity": "Violation",
            "message": "A visit has exactly one kg:leadInspector, a kg:Inspector.",
            "focus": FV_VISIT,
            "path": T.leadInspector,
            "value": None,
            "shape": "https://w3id.org/ofsted-kg/shapes#VisitShape",
            "component": "MaxCount",
            "graphs": [graph(FV_TXT)],
            "described_in": [],
        }
    ]
    assert {g["count"] for g in data["groups"]} >= {1}
    checked = [v for v in data["violations"] if v["component"] == "Check"]
    assert checked and {v["shape"] for v in checked} == {"check:statement-without-source-quote"}
    assert all(v["value"].startswith("statement=") for v in checked)
