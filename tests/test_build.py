"""Batch builds: one atomic graph per file, skipping unchanged files, surviving bad ones.

The extractor here is a tiny stand-in that reads a line format ("AUTHORITY E06000001",
"REC some text", ...) so the build logic is tested apart from the real extraction rules.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox
import pytest

from kg import build as build_module
from kg import vocab
from kg.build import BuildResult, build, expand_paths
from kg.extract import ExtractionError
from kg.rdf import T
from kg.record import AuthorityRef, Finding, Inspector, Recommendation, Report
from kg.store import KnowledgeGraph


def fake_extract(path: Path) -> Report:
    """Parse the line format; raise like the real extractor on anything else."""
    data = Path(path).read_bytes()
    text = data.decode("utf-8")
    if not text.startswith("AUTHORITY "):
        raise ExtractionError(Path(path).name, "not an Ofsted report")
    report = Report(
        source=Path(path).name,
        sha256=hashlib.sha256(data).hexdigest(),
        kind="focused-visit",
        authority=None,
        text=text,
    )
    offset = 0
    for line in text.splitlines(keepends=True):
        key, _, value = line.rstrip("\n").partition(" ")
        start = offset + len(key) + 1
        end = start + len(value)
        offset += len(line)
        if key == "AUTHORITY":
            report.authority = AuthorityRef(value, value, None)
        elif key == "KIND":
            report.kind = value
        elif key == "START":
            report.visit_start = value
        elif key == "INSPECTOR":
            report.inspectors.append(Inspector(value, lead=not report.inspectors))
        elif key == "REC":
            report.recommendations.append(Recommendation(value, None, None, None, [], start, end))
        elif key == "FINDING":
            report.findings.append(Finding(value, "neutral", [], start, end))
    return report


@dataclass
class FakeAuthority:
    name: str
    gss_code: str
    dfe_la_code: str | None = None
    region_name: str | None = None
    region_gss_code: str | None = None
    wikidata_qid: str | None = None


AUTHORITIES = [FakeAuthority("Hartlepool", "E06000001"), FakeAuthority("Darlington", "E06000005")]


def letter(gss: str, start: str, *recs: str, finding: str = "Children are seen alone.") -> str:
    lines = [f"AUTHORITY {gss}", "KIND focused-visit", f"START {start}", "INSPECTOR Jane Doe"]
    lines += [f"REC {r}" for r in recs]
    lines.append(f"FINDING {finding}")
    return "\n".join(lines) + "\n"


def run(paths: list[Path], kg: KnowledgeGraph, **kwargs: object) -> BuildResult:
    options = {"workers": 1, "extractor": fake_extract, "authorities": AUTHORITIES, **kwargs}
    return build(paths, kg, **options)  # type: ignore[arg-type]


def texts_of(kg: KnowledgeGraph, cls: str) -> set[str]:
    rows = kg._select(f"SELECT DISTINCT ?t WHERE {{ ?x a <{cls}> ; <{T.text}> ?t }}")
    return {r["t"].value for r in rows}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a.txt").write_text(letter("E06000001", "2020-02-04", "Improve supervision."))
    (d / "b.txt").write_text(letter("E06000005", "2021-11-30"))
    return d


def test_build_then_rebuild_is_idempotent(corpus: Path, tmp_path: Path) -> None:
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        first = run([corpus], kg)
        assert (first.built, first.unchanged, first.failed, first.errors) == (2, 0, 0, [])
        assert first.triples == kg.count_triples() > 0
        second = run([corpus], kg)
        assert (second.built, second.unchanged, second.failed) == (0, 2, 0)
        assert second.triples == first.triples
        forced = run([corpus], kg, force=True)
        assert (forced.built, forced.unchanged) == (2, 0)
        assert forced.triples == first.triples
        # one build record, naming both files; the ontology and reference graphs are there
        runs = kg._select(
            f"SELECT ?r WHERE {{ GRAPH <{vocab.BUILD_GRAPH}> {{ ?r a <{T.ExtractionRun}> }} }}"
        )
        assert [r["r"].value for r in runs] == [forced.run_iri]
        used = kg._select(
            f"SELECT ?f WHERE {{ GRAPH <{vocab.BUILD_GRAPH}> {{ ?r <{T.used}> ?f }} }}"
        )
        assert len(used) == 2
        graphs = set(kg.graphs())
        assert {vocab.ONTOLOGY_GRAPH, vocab.AUTHORITIES_GRAPH, vocab.BUILD_GRAPH} <= graphs
        assert vocab.source_graph_iri("a.txt") in graphs
        assert kg.stats().authorities == 2


def test_changed_file_replaces_its_graph(corpus: Path, tmp_path: Path) -> None:
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        run([corpus], kg)
        assert texts_of(kg, T.Recommendation) == {"Improve supervision."}
        (corpus / "a.txt").write_text(
            letter("E06000001", "2020-02-04", "Improve plans.", finding="Plans drift.")
        )
        result = run([corpus], kg)
        assert (result.built, result.unchanged) == (1, 1)
        assert texts_of(kg, T.Recommendation) == {"Improve plans."}  # old facts gone
        assert "Plans drift." in texts_of(kg, T.Finding)
        assert (
            kg.recorded_sources()[vocab.source_graph_iri("a.txt")][0]
            == hashlib.sha256((corpus / "a.txt").read_bytes()).hexdigest()
        )


def test_bad_file_is_reported_and_the_rest_is_built(corpus: Path, tmp_path: Path) -> None:
    (corpus / "bad.pdf").write_text("<html>not a report</html>")
    (corpus / "empty.txt").write_bytes(b"")
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        result = run([corpus], kg)
        assert (result.built, result.failed) == (2, 2)
        assert sorted(result.errors) == [
            "bad.pdf: not an Ofsted report",
            "empty.txt: not an Ofsted report",
        ]
        assert not result.ok
        assert "failed 2" in result.summary()
        assert kg.stats().visits == 2


def test_a_failing_rebuild_keeps_what_was_stored(corpus: Path, tmp_path: Path) -> None:
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        run([corpus], kg)
        graph = vocab.source_graph_iri("a.txt")
        before = set(kg.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        (corpus / "a.txt").write_text("garbage now")  # the file turns bad
        result = run([corpus], kg)
        assert result.failed == 1 and result.errors == ["a.txt: not an Ofsted report"]
        assert texts_of(kg, T.Recommendation) == {"Improve supervision."}
        after = set(kg.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        assert after == before != set()


def test_record_that_cannot_be_mapped_is_a_file_error(corpus: Path, tmp_path: Path) -> None:
    (corpus / "undated.txt").write_text("AUTHORITY E06000001\nREC Something.\n")
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        result = run([corpus], kg)
        assert result.built == 2
        assert result.errors == ["undated.txt: no visit, letter or publication date"]


def test_extraction_fingerprint_change_rebuilds(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editing themes.ttl (or the extractor) must re-extract unchanged files."""
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        run([corpus], kg)
        monkeypatch.setattr(build_module, "extraction_fingerprint", lambda: "0" * 64)
        assert run([corpus], kg).built == 2
        assert run([corpus], kg).unchanged == 2


def test_fingerprint_covers_themes_and_code() -> None:
    fp = build_module.extraction_fingerprint()
    assert len(fp) == 64 and fp == build_module.extraction_fingerprint()


def test_fingerprint_changes_with_extraction_code_only(tmp_path: Path) -> None:
    """Editing the HTML report or the server re-extracts nothing; editing a reader does."""
    package = tmp_path / "kg"
    shutil.copytree(
        Path(build_module.__file__).parent,
        package,
        ignore=shutil.ignore_patterns("__pycache__", "_data"),
    )
    before = build_module.extraction_fingerprint(package)
    for name in ("report.py", "serve.py", "cli/query.py", "queries.py"):
        path = package / name
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert build_module.extraction_fingerprint(package) == before
    reader = package / "extract" / "letters.py"
    reader.write_text(reader.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert build_module.extraction_fingerprint(package) != before


def test_same_name_in_two_directories(corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text(letter("E06000001", "2019-01-01", "Something else."))
    (other / "b.txt").write_bytes((corpus / "b.txt").read_bytes())  # an identical copy
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        result = run([corpus, other], kg)
        assert (result.built, result.unchanged, result.failed) == (2, 1, 1)
        assert result.errors == [
            f"{other / 'a.txt'}: another file in this batch has the same name ({corpus / 'a.txt'})"
        ]


def test_process_pool_gives_the_same_graph(corpus: Path, tmp_path: Path) -> None:
    (corpus / "bad.txt").write_text("nope")
    for day in range(10, 22):  # more files than the pool keeps in flight
        (corpus / f"c{day}.txt").write_text(letter("E06000001", f"2022-02-{day}", "Improve plans."))
    with KnowledgeGraph.open(tmp_path / "one") as kg1:
        serial = run([corpus], kg1, workers=1)
        n1 = kg1.count_triples() - _build_graph_size(kg1)
    with KnowledgeGraph.open(tmp_path / "two") as kg2:
        pooled = run([corpus], kg2, workers=2)
        n2 = kg2.count_triples() - _build_graph_size(kg2)
    assert (pooled.built, pooled.failed, pooled.errors) == (14, 1, serial.errors)
    assert serial.built == 14
    assert n1 == n2


def crashing_extract(path: Path) -> Report:
    """Dies like a worker hit by a segfault in the PDF library."""
    if path.name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    return fake_extract(path)


def test_a_worker_crash_costs_only_its_file(corpus: Path, tmp_path: Path) -> None:
    for day in range(10, 20):
        (corpus / f"c{day}.txt").write_text(letter("E06000001", f"2022-02-{day}", "Plans."))
    (corpus / "crash.pdf").write_text("boom")
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        result = run([corpus], kg, workers=2, extractor=crashing_extract)
        assert (result.built, result.failed) == (12, 1)
        assert result.errors == [f"{corpus / 'crash.pdf'}: the process reading this file crashed"]
        assert kg.stats().visits == 12


def niceness_reporting_extract(path: Path) -> Report:
    """Fails every file with the niceness of the process that read it."""
    raise ExtractionError(Path(path).name, f"read at niceness {os.nice(0)}")


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_workers_run_nicer_than_the_writing_parent(corpus: Path, tmp_path: Path) -> None:
    """The parent's writer thread is the critical path: workers must not crowd it out."""
    expected = min(19, os.nice(0) + build_module.WORKER_NICENESS)
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        result = run([corpus], kg, workers=2, extractor=niceness_reporting_extract)
    assert result.failed == 2
    assert all(e.endswith(f"read at niceness {expected}") for e in result.errors), result.errors
    assert build_module.WORKER_NICENESS > 0


def test_a_batch_stays_one_bulk_load() -> None:
    """pyoxigraph's bulk loader splits loads of more than about a million quads into several
    ingestions; a batch (plus one report) must stay below that to be stored all or nothing."""
    assert 0 < build_module.BATCH_QUADS <= 800_000


def _build_graph_size(kg: KnowledgeGraph) -> int:
    return kg._count(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{vocab.BUILD_GRAPH}> {{ ?s ?p ?o }} }}"
    )


def test_extractor_bug_is_reported_as_internal_error(corpus: Path, tmp_path: Path) -> None:
    def broken(path: Path) -> Report:
        if path.name == "a.txt":
            raise KeyError("oops")
        return fake_extract(path)

    with KnowledgeGraph.open(tmp_path / "store") as kg:
        result = run([corpus], kg, extractor=broken)
        assert result.built == 1
        assert result.errors == [f"{corpus / 'a.txt'}: internal error (KeyError: 'oops')"]


def test_expand_paths(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "x.pdf").write_text("x")
    (tmp_path / "d" / "sub" / "y.htm").write_text("y")
    (tmp_path / "d" / "z.weird").write_text("z")
    (tmp_path / "d" / ".hidden").write_text("h")
    single = tmp_path / "single.txt"
    single.write_text("s")
    found = expand_paths([tmp_path / "d", single, tmp_path / "d" / "x.pdf"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "d/sub/y.htm",
        "d/x.pdf",
        "d/z.weird",
        "single.txt",
    ]


def test_unreadable_path_is_a_file_error(corpus: Path, tmp_path: Path) -> None:
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        result = run([corpus, tmp_path / "missing.pdf"], kg)
        assert result.built == 2 and result.failed == 1
        assert result.errors[0].startswith(f"{tmp_path / 'missing.pdf'}: cannot read")


def test_batches_of_any_size_give_the_same_graph(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New graphs are bulk-loaded in batches; a graph already stored is replaced alone."""
    for day in range(10, 22):
        (corpus / f"c{day}.txt").write_text(letter("E06000001", f"2022-02-{day}", "Plans."))
    with KnowledgeGraph.open(tmp_path / "one") as kg1:
        run([corpus], kg1, workers=2)
        expected = {g: _graph(kg1, g) for g in kg1.graphs() if "/source/" in g}
    monkeypatch.setattr(build_module, "BATCH_QUADS", 40)  # a few files per batch
    with KnowledgeGraph.open(tmp_path / "two") as kg2:
        run([corpus], kg2, workers=2)
        assert {g: _graph(kg2, g) for g in kg2.graphs() if "/source/" in g} == expected
        (corpus / "a.txt").write_text(letter("E06000001", "2020-02-04", "Improve plans."))
        result = run([corpus], kg2, force=True)  # every graph exists: replaced one by one
        assert (result.built, result.failed) == (14, 0)
        assert texts_of(kg2, T.Recommendation) == {"Improve plans.", "Plans."}


def test_the_last_batches_are_small_so_the_writer_ends_with_the_workers(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the files still to come fit in one batch, they go in small batches: the last
    bulk load is one file's, not a full batch loaded after every worker has finished."""
    for day in range(10, 22):  # 14 files of about the same size
        (corpus / f"c{day}.txt").write_text(letter("E06000001", f"2022-02-{day}", "Plans."))
    with KnowledgeGraph.open(tmp_path / "one") as kg1:
        run([corpus], kg1)
        per_file = max(len(_graph(kg1, g)) for g in kg1.graphs() if "/source/" in g)
    files_per_load: list[int] = []
    original = KnowledgeGraph.add_new_graphs

    def recording(self: KnowledgeGraph, data: IO[bytes], *, lenient: bool = False) -> None:
        graphs = {line.rsplit(b" ", 2)[-2] for line in data.read().splitlines()}
        files_per_load.append(len(graphs - {f"<{vocab.BUILD_GRAPH}>".encode()}))
        data.seek(0)
        original(self, data, lenient=lenient)

    monkeypatch.setattr(KnowledgeGraph, "add_new_graphs", recording)
    monkeypatch.setattr(build_module, "FIRST_BATCH_QUADS", 1)  # one file
    monkeypatch.setattr(build_module, "BATCH_QUADS", 5 * per_file)  # about five
    with KnowledgeGraph.open(tmp_path / "two") as kg2:
        result = run([corpus], kg2)
        assert result.triples == kg2.count_triples()  # counted without a scan: exact
    assert sum(files_per_load) == 14
    assert files_per_load[0] == 1 and max(files_per_load) >= 4
    assert files_per_load[-2:] == [1, 1], files_per_load


def test_a_store_error_stops_the_build(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self: KnowledgeGraph, data: object, *, lenient: bool = False) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(KnowledgeGraph, "add_new_graphs", failing)
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        with pytest.raises(OSError, match="disk full"):
            run([corpus], kg, workers=2)
        # the reference graphs were written first; no source graph, no half batch
        assert [g for g in kg.graphs() if "/source/" in g] == []


def _graph(kg: KnowledgeGraph, graph: str) -> set[ox.Quad]:
    return set(kg.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


KILLED_BUILD = """\
import sys
from pathlib import Path
from typing import IO
from kg import build as build_module
from kg.store import KnowledgeGraph
from test_build import AUTHORITIES, fake_extract

build_module.BATCH_QUADS = int(sys.argv[3])
with KnowledgeGraph.open(sys.argv[1]) as kg:
    print("start", flush=True)
    build_module.build([Path(sys.argv[2])], kg, workers=1, extractor=fake_extract,
                       authorities=AUTHORITIES)
print("done", flush=True)
"""


def test_a_build_killed_mid_write_leaves_whole_graphs(tmp_path: Path) -> None:
    """SIGKILL at several points of a build: every source graph is whole or absent."""
    import subprocess
    import sys
    import time

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    recs = [f"Improve thing number {i} of the service." for i in range(150)]
    for day in range(1, 29):
        (corpus / f"f{day:02}.txt").write_text(letter("E06000001", f"2022-02-{day:02}", *recs))
    with KnowledgeGraph.open(tmp_path / "reference") as ref:
        run([corpus], ref)
        whole = {g: _graph(ref, g) for g in ref.graphs() if "/source/" in g}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    partial_builds = 0
    for round_, delay in enumerate((0.4, 0.8, 1.2)):
        store = tmp_path / f"store{round_}"
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_BUILD, str(store), str(corpus), "2000"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "start"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        with KnowledgeGraph.open(store) as kg:
            stored = [g for g in kg.graphs() if "/source/" in g]
            for g in stored:
                assert _graph(kg, g) == whole[g], f"{g} is not whole"
            partial_builds += 0 < len(stored) < len(whole)
            # and the next build completes the store
            result = run([corpus], kg)
            assert result.built == len(whole) - len(stored) and result.failed == 0
            assert {g: _graph(kg, g) for g in whole} == whole
    assert partial_builds >= 1, "no kill landed mid-build; raise the delays or file count"


def test_a_big_write_compacts_the_store_and_a_small_one_does_not(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compacted: list[int] = []
    original = KnowledgeGraph.compact

    def compact(self: KnowledgeGraph) -> None:
        compacted.append(self.count_triples())
        original(self)

    monkeypatch.setattr(KnowledgeGraph, "compact", compact)
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        # a share the two small files pass: the first build compacts, once, at its end
        monkeypatch.setattr(build_module, "COMPACT_SHARE", 0.001)
        first = run([corpus], kg)
        assert compacted == [first.triples]
        assert run([corpus], kg).unchanged == 2  # nothing written: no compaction
        assert compacted == [first.triples]
        # one file of two replaced, under a share it does not reach: no compaction
        monkeypatch.setattr(build_module, "COMPACT_SHARE", 0.5)
        (corpus / "a.txt").write_text(letter("E06000001", "2020-02-04", "Improve plans."))
        assert run([corpus], kg).built == 1
        assert compacted == [first.triples]
        assert texts_of(kg, T.Recommendation) == {"Improve plans."}


def test_compacting_keeps_every_quad(corpus: Path, tmp_path: Path) -> None:
    with KnowledgeGraph.open(tmp_path / "store") as kg:
        run([corpus], kg)
        before = set(kg.store)
        kg.compact()
        assert set(kg.store) == before
