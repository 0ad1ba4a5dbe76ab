"""Full-text search (``kg.search``, ``kg search``): ranked hits with exact offsets, the words
a user types (stems, phrases, prefixes), filters, and an index that stays in step with the
store after a kill."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg import api, cli, search
from kg.build import build
from kg.store import KnowledgeGraph, recorded_sources
from kg.text import read_source

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
MIDDLESBROUGH = "middlesbrough_2018-08-31_focused-visit.txt"  # not in two_file_store
runner = CliRunner()


def _search(store_path: Path, words: str, **filters: object) -> search.SearchResult:
    with KnowledgeGraph.open_read_only(store_path) as graph:
        return search.search(graph.store, store_path, words, **filters)


def _rows(index: search.SearchIndex) -> list[search.SourceEntry]:
    """Everything the index holds, comparable between two indexes."""
    return index.entries()


def test_hits_are_ranked_and_their_offsets_slice_the_source_to_the_quote(
    seed_texts_store: Path,
) -> None:
    result = _search(seed_texts_store, "supervision", limit=None)
    assert len(result) >= 10
    scores = [hit.score for hit in result]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    texts: dict[str, str] = {}
    for hit in result:
        if hit.file_name not in texts:
            texts[hit.file_name] = read_source(SEEDS / hit.file_name).text
        assert texts[hit.file_name][hit.start : hit.end] == hit.quote
        assert "supervis" in hit.quote.lower()
        assert hit.statement.startswith(hit.visit + "/")
        assert hit.statement_kind in ("finding", "recommendation")
        assert hit.authority_name and hit.date and hit.kind
    # The best hit says the word more often for its length than the last one.
    best, last = result[0], result[-1]
    density = lambda h: h.quote.lower().count("supervis") / len(h.quote.split())  # noqa: E731
    assert density(best) > density(last)


def test_english_stems_phrases_prefixes_and_exclusions(seed_texts_store: Path) -> None:
    stemmed = _search(seed_texts_store, "supervised", limit=None)
    assert any("supervision" in h.quote.lower() for h in stemmed)
    words = _search(seed_texts_store, "care leavers", limit=None)
    phrase = _search(seed_texts_store, '"care leavers"', limit=None)
    assert 0 < len(phrase) <= len(words)
    assert all("care leaver" in h.quote.lower() for h in phrase)
    assert any("care leaver" not in h.quote.lower() for h in words) or len(phrase) == len(words)
    prefix = _search(seed_texts_store, "assess*", limit=None)
    assert any("assessments" in h.quote.lower() for h in prefix)
    assert any("assessed" in h.quote.lower() for h in prefix)
    without = _search(seed_texts_store, "supervision -management", limit=None)
    assert without and all("management" not in h.quote.lower() for h in without)
    either = _search(seed_texts_store, "supervision OR oversight", limit=None)
    assert len(either) > len(_search(seed_texts_store, "supervision", limit=None))


def test_filters(seed_texts_store: Path) -> None:
    everything = _search(seed_texts_store, "children", limit=None)
    by_name = _search(seed_texts_store, "children", authority="Hartlepool", limit=None)
    assert 0 < len(by_name) < len(everything)
    assert {h.authority_name for h in by_name} == {"Hartlepool"}
    same = [_search(seed_texts_store, "children", authority=a, limit=None) for a in
            ("E06000001", "805", "hartlepool")]  # fmt: skip
    assert all([h.statement for h in r] == [h.statement for h in by_name] for r in same)
    years = _search(seed_texts_store, "children", from_year=2018, to_year=2019, limit=None)
    assert years and all("2018" <= (h.date or "")[:4] <= "2019" for h in years)
    assert len(years) < len(everything)
    weak = _search(seed_texts_store, "children", polarity="weakness", limit=None)
    assert weak and {h.polarity for h in weak} == {"weakness"}
    recs = _search(seed_texts_store, "children", statement="recommendation", limit=None)
    assert recs and {h.statement_kind for h in recs} == {"recommendation"}
    kind = _search(seed_texts_store, "children", kind="focused-visit", limit=None)
    assert kind and {h.kind for h in kind} == {"focused-visit"}
    theme = _search(seed_texts_store, "children", theme="care-leavers", limit=None)
    assert theme and all("care-leavers" in h.themes for h in theme)
    limited = _search(seed_texts_store, "children", limit=3)
    assert len(limited) == 3 and limited.truncated


@pytest.mark.parametrize(
    ("words", "filters", "message"),
    [
        ("", {}, "give at least one word"),
        ("-supervision", {}, "give at least one word"),
        ("children", {"authority": "Atlantis"}, "Atlantis"),
        ("children", {"theme": "nonsense"}, "unknown theme"),
        ("children", {"kind": "tea-party"}, "kind must be one of"),
        ("children", {"polarity": "meh"}, "polarity must be one of"),
    ],
)
def test_bad_searches_say_what_is_wrong(
    seed_texts_store: Path, words: str, filters: dict[str, str], message: str
) -> None:
    with pytest.raises(search.SearchError, match=message):
        _search(seed_texts_store, words, **filters)


def test_query_syntax_typed_by_a_user_is_taken_as_words(seed_texts_store: Path) -> None:
    """Only quotes, ``*``, ``OR`` and ``-`` mean anything; the rest is words, analysed as the
    quotes were (never given to a query parser: tantivy's syntax is just text)."""
    typed = 'care-leavers NEAR( "x" AND'
    T = search.Term
    assert search.parse_words(typed) == search.Words(
        ((T("care-leavers"),), (T("NEAR("),), (T("x"),), (T("AND"),))
    )
    assert search.parse_words("assess* -plan OR") == search.Words(
        ((T("assess", prefix=True),),), (T("plan"),)
    )
    assert search.parse_words("a OR b c") == search.Words(((T("a"), T("b")), (T("c"),)))
    hyphen = _search(seed_texts_store, "care-leavers", limit=None)
    assert hyphen and len(hyphen) == len(_search(seed_texts_store, '"care leavers"', limit=None))
    for words in ("quote:children", "children^9 AND [a TO z]", "title:(x", "children~2"):
        _search(seed_texts_store, words)  # no parser error: words that may find nothing
    assert not _search(seed_texts_store, "quote:children").hits  # no "quote" then "children"


def test_kg_search_command(seed_texts_store: Path) -> None:
    result = runner.invoke(
        cli.app,
        ["search", '"care leavers"', "--authority", "Hartlepool", "--format", "json",
         "--store", str(seed_texts_store)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert hits and all(h["authority_name"] == "Hartlepool" for h in hits)
    assert {"quote", "file_name", "start", "end", "statement", "score"} <= set(hits[0])
    table = runner.invoke(cli.app, ["search", "supervision", "--store", str(seed_texts_store)])
    assert table.exit_code == 0 and "hit(s)" in table.output
    bad = runner.invoke(
        cli.app, ["search", "x", "--theme", "nope", "--store", str(seed_texts_store)]
    )
    assert bad.exit_code == 1 and "unknown theme" in bad.output


def test_a_boards_and_partners_points_are_marked_and_can_be_left_out(
    hartlepool_history_store: Path,
) -> None:
    """Hartlepool 2013 reviewed its Safeguarding Children Board (HSCB): those findings and the
    board's recommendations are the board's; in 2010 "NHS Hartlepool in conjunction with the
    HSCB should ..." told health and the board. A council analyst sees them marked, and
    ``--council-only`` leaves them out."""
    hits = _search(hartlepool_history_store, "HSCB", authority="Hartlepool", limit=None)
    whose = {(h.date[:4], h.statement_kind, h.body) for h in hits}
    assert {
        ("2013", "finding", "board"),
        ("2013", "recommendation", "board"),
        ("2010", "recommendation", "board"),
        ("2010", "recommendation", "board+health"),
        ("2010", "finding", "council"),
    } <= whose
    assert any(h.quote.startswith("NHS Hartlepool") and h.body == "board+health" for h in hits)
    own = _search(
        hartlepool_history_store, "HSCB", authority="Hartlepool", council_only=True, limit=None
    )
    assert own and {h.body for h in own} == {"council"}
    assert {h.statement for h in own} == {h.statement for h in hits if h.body == "council"}
    result = runner.invoke(
        cli.app,
        ["search", "HSCB", "--authority", "Hartlepool", "--council-only", "--format", "json",
         "--limit", "0", "--store", str(hartlepool_history_store)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == len(own)
    assert search.filters_from_params({"council_only": "true"}) == {"council_only": True}


def _item(file_name: str, start: int, quote: str) -> search.SearchItem:
    visit = "https://w3id.org/ofsted-kg/id/visit/E06000001/focused-visit/2019-01-01"
    return search.SearchItem(
        statement=f"{visit}/finding/{file_name}-{start}", statement_kind="finding",
        quote=quote, start=start, end=start + len(quote), file_name=file_name,
        source=f"https://w3id.org/ofsted-kg/id/file/{file_name}", visit=visit,
        authority="https://example.org/E06000001", authority_code="E06000001",
        authority_name="Hartlepool", kind="focused-visit", date="2019-01-01", polarity=None,
    )  # fmt: skip


def test_hits_of_equal_score_come_in_file_then_offset_order_whatever_the_cut() -> None:
    """Thirty quotes that score the same, indexed in a scrambled order: every limit gives the
    first of them by file name then offset, the same on every search."""
    names = [f"file-{n:02d}.txt" for n in range(15)]
    order = [(names[(7 * i) % 15], 100 * (i % 2)) for i in range(30)]  # each file twice
    entries = [
        search.SourceEntry(f"urn:graph:{name}-{start}", "sha", "fp",
                           (_item(name, start, "Children are seen."),))
        for name, start in order
    ]  # fmt: skip
    expected = sorted(order[1:])  # the first is replaced by a shorter quote: the best hit
    with search.SearchIndex(None) as index:
        index.replace_sources(entries)
        index.replace_source(entries[0].graph, [_item("file-99.txt", 0, "Children.")],
                             sha256="sha", fingerprint="fp")  # fmt: skip
        best = index.search("children", limit=1)
        assert [h.file_name for h in best] == ["file-99.txt"] and best.truncated
        for limit in (3, 4, 17, 29):
            hits = index.search("children", limit=limit)
            assert [(h.file_name, h.start) for h in hits][1:] == expected[: limit - 1]
            assert hits.truncated
        assert len(index.search("children", limit=0)) == 30


def test_a_write_waits_for_another_writer_to_let_go(tmp_path: Path) -> None:
    """A search that mends the index while a build holds the writer waits its turn."""
    import threading

    with search.SearchIndex(tmp_path / "index") as index:
        held = index.index.writer(heap_size=search.WRITER_HEAP, num_threads=1)
        timer = threading.Timer(0.5, held.wait_merging_threads)  # lets go of the lock
        timer.start()
        started = time.monotonic()
        index.replace_source("urn:g", [_item("a.txt", 0, "Supervision.")], sha256="s")
        assert time.monotonic() - started >= 0.4
        assert index.state() == {"urn:g": ("s", None)} and index.count() == 1
        timer.join()


def test_api_search(seed_texts_store: Path) -> None:
    result = api.search("supervision", store=seed_texts_store, authority="Hartlepool", limit=5)
    assert len(result) == 5 and result.values()[0]["authority_name"] == "Hartlepool"


def test_api_search_takes_a_store_as_every_api_function_does(
    seed_texts_store: Path, seed_texts_graph: ox.Store
) -> None:
    """A directory, an open KnowledgeGraph, a pyoxigraph Store and a LocalStore give the same
    hits (the last two from an index made in memory); an endpoint is refused in one line."""
    from kg.endpoint import Endpoint
    from kg.queries import LocalStore

    def hits(store: object) -> list[dict[str, object]]:
        return api.search("supervision", store=store, polarity="weakness", limit=5).values()

    by_directory = hits(seed_texts_store)
    assert len(by_directory) == 5
    with KnowledgeGraph.open_read_only(seed_texts_store) as graph:
        assert hits(graph) == by_directory
    assert hits(seed_texts_graph) == by_directory
    assert hits(LocalStore(seed_texts_graph)) == by_directory
    with pytest.raises(search.SearchError, match="has no text index; search a store"):
        hits(Endpoint("http://127.0.0.1:9/sparql"))


# --- in step with the store ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_file_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search-store")
    files = sorted(SEEDS.glob("*.txt"))[:2]
    with KnowledgeGraph.open(path) as graph:
        assert build(files, graph, workers=1).ok
    return path


def _copy(store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(store, target)
    return target


def test_the_index_built_with_the_store_is_the_one_rebuilt_from_it(
    two_file_store: Path, tmp_path: Path
) -> None:
    store = _copy(two_file_store, tmp_path)
    with search.SearchIndex.beside(store) as built, KnowledgeGraph.open_read_only(store) as g:
        assert len(built.state()) == 2 and built.count() > 50
        assert built.state() == recorded_sources(g.store)
        with search.SearchIndex(tmp_path / "again") as again:
            again.rebuild_from_store(g.store)
            assert _rows(again) == _rows(built)


@pytest.mark.parametrize(
    "name",
    [
        "hartlepool_2010-07-16_slac-inspection.txt",  # a text file of the oldest framework
        "stockton-on-tees_2016-08-05_inspection.pdf",  # a SIF report with an LSCB review
        "middlesbrough_2024-09-02_focused-visit.pdf",  # a letter
    ],
)
def test_a_build_workers_rows_are_those_its_nquads_state(name: str) -> None:
    """The worker hands the index the rows it mapped (``kg.rdf.report_rows``), not rows parsed
    again from its N-Quads: both must be the same rows, to the offset and theme."""
    from kg.build import _work, extract_file, extraction_fingerprint

    outcome = _work(SEEDS / name, extract_file, extraction_fingerprint())
    assert outcome.nquads is not None and outcome.search is not None
    assert len(outcome.search.items) > 10
    assert outcome.search == search.source_entry(outcome.search.graph, outcome.nquads)


def test_a_stale_or_missing_index_is_repaired_on_open(two_file_store: Path, tmp_path: Path) -> None:
    store = _copy(two_file_store, tmp_path)
    with search.SearchIndex.beside(store) as index:
        expected = _rows(index)
        first, second = sorted(index.state())
        index.remove_source(first)  # as if killed after the store write, before the index's
        index.replace_source(second, [], sha256="old", fingerprint="old")  # an older build
        index.replace_source(search.vocab.GRAPH + "source/gone", [], sha256="x", fingerprint="y")
    with KnowledgeGraph.open_read_only(store) as graph:
        index, report = search.open_index(graph.store, store)
        with index:
            assert (report.indexed, report.removed) == (2, 1)
            assert _rows(index) == expected
    # a broken index, a deleted one, and the SQLite file of earlier versions beside it
    (search.index_path(store) / "meta.json").write_text("not an index")
    (store / search.OLD_INDEX_FILE).write_bytes(b"SQLite format 3")
    with KnowledgeGraph.open_read_only(store) as graph:
        index, report = search.open_index(graph.store, store)
        with index:
            assert report.rebuilt and _rows(index) == expected
    assert not (store / search.OLD_INDEX_FILE).exists()
    shutil.rmtree(search.index_path(store))
    with KnowledgeGraph.open_read_only(store) as graph:
        index, report = search.open_index(graph.store, store)
        with index:
            assert report.rebuilt and report.indexed == 2 and _rows(index) == expected


def test_an_unchanged_store_is_not_read_again_and_a_changed_one_is(
    two_file_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search on a store that no write has touched since the last sync skips the store's
    state query (it would cost more than the search); a build in between is still seen."""
    store = _copy(two_file_store, tmp_path)
    with KnowledgeGraph.open_read_only(store) as graph:
        search.open_index(graph.store, store, graph.stamp)[0].close()  # in step, stamped
    reads: list[int] = []
    real = search.recorded_sources
    monkeypatch.setattr(search, "recorded_sources", lambda s: reads.append(1) or real(s))
    with KnowledgeGraph.open_read_only(store) as graph:
        index, report = search.open_index(graph.store, store, graph.stamp)
        index.close()
    assert reads == [] and report.indexed == 0
    third = sorted(SEEDS.glob("*.txt"))[2]
    with KnowledgeGraph.open(store) as graph:
        assert build([third], graph, workers=1).ok
    with KnowledgeGraph.open_read_only(store) as graph:
        index, _ = search.open_index(graph.store, store, graph.stamp)
        with index:
            assert reads  # the store changed: its state was read again
            assert len(index.state()) == 3


def test_a_build_killed_between_store_and_index_writes_is_repaired(tmp_path: Path) -> None:
    """A real process dies (os._exit, like SIGKILL: no cleanup) right after the store has
    a graph and before the index records it; the next search repairs the index."""
    store = tmp_path / "store"
    files = [str(p) for p in sorted(SEEDS.glob("*.txt"))[:2]]
    script = f"""
import os, sys
from pathlib import Path
sys.path.insert(0, {str(ROOT)!r})
from kg import search
from kg.build import build
from kg.store import KnowledgeGraph, recorded_sources
def killed(self, *args, **kwargs):
    os._exit(9)
search.SearchIndex.replace_sources = killed
graph = KnowledgeGraph.open({str(store)!r})
build([Path(f) for f in {files!r}], graph, workers=1)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert done.returncode == 9, done.stderr.decode()
    graph = KnowledgeGraph.open_read_only(store)
    try:
        stored = recorded_sources(graph.store)
        assert stored  # the store has the graph the index never heard of
        with search.SearchIndex.beside(store) as index:
            assert index.state() != stored
        index, report = search.open_index(graph.store, store)
        with index:
            assert report.indexed == len(stored) and index.state() == stored
            with search.SearchIndex(None) as fresh:
                fresh.rebuild_from_store(graph.store)
                assert _rows(index) == _rows(fresh)
        hits = search.search(graph.store, store, "children", limit=None)
        assert hits and {h.graph for h in hits} <= set(stored)
    finally:
        graph.close()


def test_sigkill_during_a_build_leaves_store_and_index_in_step(tmp_path: Path) -> None:
    """``kill -9`` of a running ``kg build`` at some point of its writes: after the next
    open, the index holds exactly the sources the store holds."""
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "build", *map(str, sorted(SEEDS.glob("*.txt"))),
         "--store", str(store), "--workers", "1", "--no-datasets"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    index_dir = search.index_path(store)
    try:
        process.wait(timeout=0.1)
    except subprocess.TimeoutExpired:
        pass
    # Kill once the first source is indexed (the build is then mid-way through its writes):
    # the index's first commit (its format record) made one segment, that one a second.
    for _ in range(600):
        if process.poll() is not None or len(list(index_dir.glob("*.store"))) >= 2:
            break
        subprocess.run(["sleep", "0.05"])
    process.kill()
    process.wait()
    if not (store / "CURRENT").exists():
        pytest.skip("killed before the store was created")
    with KnowledgeGraph.open_read_only(store) as graph:
        index, _ = search.open_index(graph.store, store)
        with index:
            assert index.state() == recorded_sources(graph.store)
            fresh = search.SearchIndex(None)
            fresh.rebuild_from_store(graph.store)
            assert _rows(index) == _rows(fresh)


def test_pyoxigraph_keeps_working_with_the_index_in_its_directory(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with KnowledgeGraph.open(store) as graph:
        graph.store.add(ox.Quad(ox.NamedNode("http://a"), ox.NamedNode("http://b"),
                                ox.Literal("c"), ox.NamedNode("http://g")))  # fmt: skip
    with search.SearchIndex.beside(store) as index:
        index.replace_source("http://g", [], sha256="s", fingerprint="f")
    with KnowledgeGraph.open(store) as graph:
        graph.store.optimize()
        assert len(graph.store) == 1
    with search.SearchIndex.beside(store) as index:
        assert index.state() == {"http://g": ("s", "f")}


def test_serve_search_route_and_box(seed_texts_store: Path) -> None:
    import urllib.error
    import urllib.request

    from kg.serve import serving

    with serving(seed_texts_store, port=0) as server:
        url = server.url + "search?q=supervision&authority=Hartlepool&from=2010&limit=3"
        with urllib.request.urlopen(url, timeout=30) as answer:
            data = json.loads(answer.read())
        assert len(data["hits"]) == 3 and data["truncated"]
        assert {h["authority_name"] for h in data["hits"]} == {"Hartlepool"}
        assert data["hits"][0]["statement"].startswith("https://w3id.org/ofsted-kg/id/visit/")
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(server.url + "search?q=x&theme=nope", timeout=30)
        assert bad.value.code == 400 and b"unknown theme" in bad.value.read()
        with urllib.request.urlopen(server.url, timeout=30) as page:
            html = page.read().decode()
        assert 'id="search-form"' in html and "/search?" in html


def test_serve_keeps_one_index_per_store_state_and_moves_with_the_store(
    two_file_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Searches on one state of the store share its index (opened and synced once); with an
    index that cannot be written beside the store (a read-only store directory) that is one
    index made in memory, not one per search. After a build, the next state gets its own."""
    import urllib.request

    from kg.serve import serving

    store = _copy(two_file_store, tmp_path)
    opened: list[object] = []
    indexed: list[list[str]] = []
    real_open, real_entries = search.open_index, search.entries_from_store

    def counted_open(*args: object, **kwargs: object) -> object:
        opened.append(args[2])  # the stamp of the state it is for
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    def counted_entries(graph_store: ox.Store, graphs: list[str]) -> object:
        indexed.append(list(graphs))
        return real_entries(graph_store, graphs)

    monkeypatch.setattr(search, "open_index", counted_open)
    monkeypatch.setattr(search, "entries_from_store", counted_entries)
    # The index file cannot be opened where it lives (as in a read-only store directory).
    monkeypatch.setattr(search, "index_path", lambda path: tmp_path / "no-such-dir" / "index")

    def middlesbrough_hits(url: str) -> int:
        query = url + "search?q=children&authority=Middlesbrough&limit=0"
        with urllib.request.urlopen(query, timeout=30) as answer:
            return len(json.loads(answer.read())["hits"])

    def all_hits(url: str) -> list[dict[str, object]]:
        with urllib.request.urlopen(url + "search?q=children&limit=0", timeout=30) as answer:
            return json.loads(answer.read())["hits"]

    with serving(store, port=0) as server:
        for _ in range(3):
            assert middlesbrough_hits(server.url) == 0
        # request threads share the index: at once, each gets the whole answer
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(all_hits, [server.url] * 16))
        assert answers[0] and all(a == answers[0] for a in answers)
        assert len(opened) == 1 and len(indexed) == 1 and len(indexed[0]) == 2
        built = subprocess.run(
            [sys.executable, "-m", "kg.cli", "build", str(SEEDS / MIDDLESBROUGH)]
            + ["--store", str(store), "--workers", "1", "--no-datasets"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert built.returncode == 0, built.stderr
        deadline = time.monotonic() + 30
        while middlesbrough_hits(server.url) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)  # until the server moves to the store's new state
        assert middlesbrough_hits(server.url) > 0
        assert len(opened) == 2 and opened[0] != opened[1]
        assert len(indexed) == 2 and len(indexed[1]) == 3  # the new state, in memory again
