"""The on-disk store: atomic graph replacement, provenance look-ups, DISTINCT counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import rdf, vocab
from kg.rdf import T
from kg.store import KnowledgeGraph, StoreMissingError, default_store_path
from kg.validate import validate_graph

REPO = Path(__file__).resolve().parent.parent
EX = "http://example.org/"


def quad(s: str, p: str, o: ox.NamedNode | ox.Literal, g: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + p), o, ox.NamedNode(g))


def graph_quads(kg: KnowledgeGraph, g: str) -> set[ox.Quad]:
    return set(kg.store.quads_for_pattern(None, None, None, ox.NamedNode(g)))


def test_default_store_path_honours_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KG_STORE", raising=False)
    assert default_store_path() == Path("kg-store")
    monkeypatch.setenv("KG_STORE", "/data/my-store")
    assert default_store_path() == Path("/data/my-store")


def test_replace_graph_replaces_only_that_graph(tmp_path: Path) -> None:
    g1, g2 = EX + "g1", EX + "g2"
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        kg.replace_graph(g1, [quad("a", "p", ox.Literal("old"), g1)])
        kg.replace_graph(g2, [quad("b", "p", ox.Literal("other"), g2)])
        new = [quad("a", "p", ox.Literal("new"), g1), quad("a", "q", ox.Literal("2"), g1)]
        kg.replace_graph(g1, new)
        assert graph_quads(kg, g1) == set(new)
        assert graph_quads(kg, g2) == {quad("b", "p", ox.Literal("other"), g2)}
        count = kg.count_triples()
        kg.replace_graph(g1, new)  # idempotent
        assert kg.count_triples() == count == 3
        kg.replace_graph(g1, [])  # an empty replacement empties the graph
        assert graph_quads(kg, g1) == set()
    # and it is all on disk
    with KnowledgeGraph.open_read_only(tmp_path / "store") as kg:
        assert kg.count_triples() == 1


def test_count_quads_in_counts_only_the_graphs_named() -> None:
    g1, g2 = EX + "g1", EX + "g2"
    kg = KnowledgeGraph.in_memory()
    kg.replace_graph(g1, [quad("a", "p", ox.Literal(str(i)), g1) for i in range(3)])
    kg.replace_graph(g2, [quad("b", "p", ox.Literal("x"), g2)])
    kg.store.add(ox.Quad(ox.NamedNode(EX + "c"), ox.NamedNode(EX + "p"), ox.Literal("d")))
    assert kg.count_quads_in([ox.NamedNode(g1)]) == 3
    assert kg.count_quads_in([ox.NamedNode(g1), ox.DefaultGraph()]) == 4
    assert kg.count_quads_in([ox.NamedNode(EX + "none")]) == 0  # no such graph: none


def test_replace_graph_with_overlapping_and_normalised_content(tmp_path: Path) -> None:
    """The diff path: shared quads stay, changed ones go, store-normalised literals match."""
    g = EX + "g"
    nonneg = ox.Literal("7", datatype=ox.NamedNode(vocab.XSD + "nonNegativeInteger"))
    first = [quad("a", "p", nonneg, g), quad("a", "q", ox.Literal("keep"), g)]
    second = [quad("a", "p", nonneg, g), quad("a", "q", ox.Literal("changed"), g)]
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        kg.replace_graph(g, first)
        kg.replace_graph(g, first)
        assert kg.count_triples() == 2
        kg.replace_graph(g, second)
        values = {q.object.value for q in graph_quads(kg, g)}
        assert values == {"7", "changed"}
        blank = [ox.Quad(ox.BlankNode(), ox.NamedNode(EX + "p"), ox.Literal("b"), ox.NamedNode(g))]
        kg.replace_graph(g, blank)
        kg.replace_graph(g, blank)
        assert [q.object.value for q in graph_quads(kg, g)] == ["b"]
        kg.replace_graph(g, second)
        assert {q.object.value for q in graph_quads(kg, g)} == {"7", "changed"}


def test_replace_graph_ntriples(tmp_path: Path) -> None:
    g = EX + "g"
    first = [quad("a", "p", ox.Literal("one"), g), quad("a", "q", ox.Literal("two"), g)]

    def nt(quads: list[ox.Quad]) -> bytes:
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)

    with KnowledgeGraph.open(tmp_path / "store") as kg:
        kg.replace_graph_ntriples(g, nt(first))  # new graph: Store.load
        assert graph_quads(kg, g) == set(first)
        second = [first[0], quad("a", "r", ox.Literal("three"), g)]
        kg.replace_graph_ntriples(g, nt(second))  # existing graph: the diff
        assert graph_quads(kg, g) == set(second)
        kg.replace_graph_ntriples(g, b"")
        assert graph_quads(kg, g) == set() and kg.graphs() == []


def test_replace_graph_writes_quads_into_the_named_graph_even_if_they_say_otherwise() -> None:
    kg = KnowledgeGraph.in_memory()
    kg.replace_graph(EX + "target", [quad("a", "p", ox.Literal("x"), EX + "elsewhere")])
    assert kg.graphs() == [EX + "target"]


def test_hostile_and_awkward_literals_round_trip_unchanged() -> None:
    """Terms are serialised by pyoxigraph itself: no string can break out of INSERT DATA."""
    kg = KnowledgeGraph.in_memory()
    g = EX + "g"
    awkward = [
        'quote " and backslash \\ and \\" escaped',
        "new\nline\r\ttab \u2028 sep",
        '" } } ; DROP ALL ; INSERT DATA { GRAPH <http://evil/> { <a:a> <b:b> "c" } } #',
        "Ofsted’s “curly” — ﬁ ligature, émigré, 日本",
        "'''triple''' \"\"\"quotes\"\"\"",
    ]
    quads = [quad(f"s{i}", "p", ox.Literal(text), g) for i, text in enumerate(awkward)]
    quads.append(quad("t", "p", ox.Literal("en", language="en-GB"), g))
    quads.append(
        quad("t", "q", ox.Literal("2018-07", datatype=ox.NamedNode(vocab.XSD + "gYearMonth")), g)
    )
    kg.replace_graph(g, [quad("s0", "p", ox.Literal("before"), g)])
    kg.replace_graph(g, quads)
    assert graph_quads(kg, g) == set(quads)
    assert kg.graphs() == [g]


def test_recorded_sources_give_each_graphs_file_hash_and_fingerprint(tmp_path: Path) -> None:
    from test_rdf import make_report  # the hand-made record

    kg = KnowledgeGraph.in_memory()
    report = make_report()
    g = vocab.source_graph_iri(report.source)
    assert kg.recorded_sources() == {}
    quads = rdf.report_quads(report, g) + rdf.extraction_quads(g, report.sha256, "f" * 64, "1.0")
    kg.replace_graph(g, quads)
    assert kg.recorded_sources() == {g: ("a" * 64, "f" * 64)}


def test_stats_count_distinct_facts_across_graphs() -> None:
    """The seed text and PDF original assert the same visit: counted once."""
    from test_rdf import TEXT, make_report

    kg = KnowledgeGraph.in_memory()
    seed = make_report()
    pdf = make_report(text="Page 1\n" + TEXT, sha="b" * 64, source="hpool.pdf")
    for report in (seed, pdf):
        g = vocab.source_graph_iri(report.source)
        kg.replace_graph(g, rdf.report_quads(report, g))
    s = kg.stats()
    assert s.visits == 1
    assert s.recommendations == 2
    assert s.findings == 1
    assert s.judgements == 1
    assert s.inspectors == 2
    assert s.source_files == 2
    assert s.authorities == 1 and s.authorities_with_visits == 1
    assert s.visits_by_kind_year == [("focused-visit", 2020, 1)]
    assert s.quads == kg.count_triples() > s.triples  # shared facts stored twice, counted once
    rows = kg.visits_by_authority()
    assert [(r["gss_code"], r["visits"], r["recommendations"]) for r in rows] == [
        ("E06000001", 1, 2)
    ]
    assert rows[0]["first"] == rows[0]["last"] == "2020-02-04"


def test_open_read_only_refuses_a_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreMissingError, match="kg build"):
        KnowledgeGraph.open_read_only(tmp_path / "nothing-here")
    assert not (tmp_path / "nothing-here").exists()


def test_validate_reports_focus_path_and_message(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        textwrap.dedent(
            f"""\
            @prefix sh: <http://www.w3.org/ns/shacl#> .
            <{EX}VisitShape> a sh:NodeShape ;
                sh:targetClass <{T.Visit}> ;
                sh:property [ sh:path <{T.authority}> ; sh:minCount 1 ;
                              sh:message "a visit needs an authority" ] .
            """
        )
    )
    kg = KnowledgeGraph.in_memory()
    g = EX + "g"
    kg.replace_graph(
        g,
        [
            ox.Quad(
                ox.NamedNode(EX + "v1"),
                ox.NamedNode(T.type),
                ox.NamedNode(T.Visit),
                ox.NamedNode(g),
            ),
            ox.Quad(
                ox.NamedNode(EX + "v2"),
                ox.NamedNode(T.type),
                ox.NamedNode(T.Visit),
                ox.NamedNode(g),
            ),
            ox.Quad(
                ox.NamedNode(EX + "v2"),
                ox.NamedNode(T.authority),
                ox.NamedNode(EX + "a"),
                ox.NamedNode(g),
            ),
        ],
    )
    violations = validate_graph(kg, shapes, checks=False)  # these shapes only
    assert [(v.focus, v.path, v.message) for v in violations] == [
        (EX + "v1", T.authority, "a visit needs an authority")
    ]
    assert violations[0].severity == "Violation"


# --- atomicity under SIGKILL -----------------------------------------------------------------

WRITER = textwrap.dedent(
    """\
    import sys
    import pyoxigraph as ox
    from kg.store import KnowledgeGraph

    N = int(sys.argv[2])
    MODE = sys.argv[3]
    FRESH = MODE in ("fresh", "ntriples", "bulk")  # new graphs each time, or one replaced
    kg = KnowledgeGraph.open(sys.argv[1])
    version = 0
    while True:
        version += 1
        names = [f"http://example.org/g{version if FRESH else ''}"]
        if MODE == "bulk":  # a batch of new graphs, as a build writes them
            names = [f"http://example.org/g{version}-{k}" for k in range(BATCH)]
        quads = [
            ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/v"),
                    ox.Literal(f"version {version} row {i}"), ox.NamedNode(g))
            for g in names
            for i in range(N + version)
        ]
        if MODE == "bulk":
            data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        else:
            data = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                                format=ox.RdfFormat.N_TRIPLES)
        print("begin", version, flush=True)
        if MODE == "bulk":
            kg.add_new_graphs(data, lenient=True)
        elif MODE == "ntriples":
            kg.replace_graph_ntriples(names[0], data)
        else:
            kg.replace_graph(names[0], quads)
        print("done", version, flush=True)
    """
)
BATCH = 4  # graphs per bulk load in the "bulk" mode


def _kill_mid_write(store: Path, delay: float, rows: int, mode: str) -> tuple[str, int]:
    """Start a writer replacing graphs in a loop; SIGKILL it ``delay`` s into its third write."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", f"BATCH = {BATCH}\n" + WRITER, str(store), str(rows), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    lines = []
    while not (lines and lines[-1] == "begin 3"):
        line = child.stdout.readline().strip()
        assert line, "writer exited early"
        lines.append(line)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    lines += [line.strip() for line in child.stdout.read().splitlines()]
    child.stdout.close()
    last = lines[-1]
    return last, int(last.split()[1])


@pytest.mark.parametrize("mode", ["replace", "fresh", "ntriples", "bulk"])
def test_replace_graph_is_atomic_when_the_writer_is_killed(tmp_path: Path, mode: str) -> None:
    """A process killed mid-transaction leaves the old graph or the new one, never a mix.

    "replace" rewrites one existing graph (the SPARQL update path); "fresh" writes a new
    graph each time (the ``Store.extend`` path); "ntriples" writes a new graph from N-Triples
    (the ``Store.load`` path); "bulk" writes a batch of new graphs in one bulk load (the
    ``add_new_graphs`` path a build uses): all of the batch or none of it.
    """
    rows = 4000
    mid_write = 0
    for round_, delay in enumerate((0.02, 0.08, 0.15)):
        store = tmp_path / f"store{round_}"
        last, version = _kill_mid_write(store, delay, rows, mode)
        with KnowledgeGraph.open(store) as kg:
            by_graph: dict[str, set[str]] = {}
            sizes: dict[str, int] = {}
            for q in kg.store:
                by_graph.setdefault(q.graph_name.value, set()).add(q.object.value.split()[1])
                sizes[q.graph_name.value] = sizes.get(q.graph_name.value, 0) + 1
            for g, versions in by_graph.items():
                assert len(versions) == 1, f"{g} mixes versions {versions}"
                (seen,) = versions
                assert sizes[g] == rows + int(seen), f"{g} is partial"
            newest = max(int(v) for vs in by_graph.values() for v in vs)
            if last.startswith("begin"):
                mid_write += 1
                assert newest in (version - 1, version)
            else:
                assert newest == version
            if mode == "bulk":
                per_version: dict[str, int] = {}
                for versions in by_graph.values():
                    (seen,) = versions
                    per_version[seen] = per_version.get(seen, 0) + 1
                assert set(per_version.values()) == {BATCH}, f"a partial batch: {per_version}"
                assert len(by_graph) == newest * BATCH
            elif mode != "replace":
                assert len(by_graph) == newest
            # the store is writable again after the crash
            kg.replace_graph(EX + "g", [])
            assert graph_quads(kg, EX + "g") == set()
    assert mid_write >= 1, "no kill landed during a write; raise the row count"


def test_visits_by_authority_counts_the_councils_recommendations(
    hartlepool_history_store: Path,
) -> None:
    """`kg build`'s table counts what each council was told; Hartlepool's 2013 report also gave
    its Safeguarding Children Board 6 recommendations, which are the board's, and its 2010
    report 3 more (2 jointly with NHS Hartlepool); the 7 it gave the council and its partners
    jointly are the council's too."""
    graph = KnowledgeGraph.open_read_only(hartlepool_history_store)
    try:
        counts = {
            s[0].value: int(s[1].value)
            for s in graph.store.query(
                "PREFIX kg: <https://w3id.org/ofsted-kg/def#>"
                " SELECT ?to (COUNT(DISTINCT ?r) AS ?n) WHERE {"
                " ?v kg:authority <https://w3id.org/ofsted-kg/id/authority/E06000001> ;"
                " kg:report/kg:hasRecommendation ?r . ?r kg:addressedTo ?to } GROUP BY ?to",
                use_default_graph_as_union=True,
            )
        }
        [hartlepool] = [r for r in graph.visits_by_authority() if r["gss_code"] == "E06000001"]
    finally:
        graph.close()
    council = counts.pop("https://w3id.org/ofsted-kg/id/authority/E06000001")
    here = "https://w3id.org/ofsted-kg/id/authority/E06000001"
    assert counts == {f"{here}/lscb": 9, f"{here}/partner/health": 2, f"{here}/partner/partners": 7}
    assert hartlepool["recommendations"] == council
