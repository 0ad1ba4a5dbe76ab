"""A build killed at any point leaves a store that validates and answers correctly.

Each kill is a real SIGKILL of a child process running ``kg.build.build`` on real seed letters.
Most land at deterministic points (right after the n-th write transaction, counted by wrapping
the two store methods a build writes with); one lands after a delay. Right after each kill,
before any rebuild, the store is validated (SHACL shapes and data-quality checks) and asked
the questions that join labels.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import vocab
from kg.api import run_query
from kg.build import build
from kg.resources import data_path
from kg.store import KnowledgeGraph, StoreWriteError
from kg.validate import validate_graph

SEEDS = (
    "hartlepool_2020-03-27_focused-visit.txt",
    "hartlepool_2022-02-22_focused-visit.txt",
    "middlesbrough_2018-08-31_focused-visit.txt",
    "redcar-and-cleveland_2019-12-18_focused-visit.txt",
)

SKOS = "http://www.w3.org/2004/02/skos/core#"

# The child: a build that SIGKILLs itself right after its n-th write transaction (0: never;
# it then prints "start" and waits to be killed from outside, or finishes).
CHILD = """\
import os, signal, sys
from pathlib import Path
from kg import build as build_module
from kg.store import KnowledgeGraph, StoreWriteError

store, corpus, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
build_module.FIRST_BATCH_QUADS = build_module.BATCH_QUADS = 1  # a transaction per file
writes = 0

def counted(method):
    def wrapper(*args, **kwargs):
        global writes
        method(*args, **kwargs)
        writes += 1
        if writes == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
    return wrapper

KnowledgeGraph.replace_graphs = counted(KnowledgeGraph.replace_graphs)
KnowledgeGraph.add_new_graphs = counted(KnowledgeGraph.add_new_graphs)
with KnowledgeGraph.open(store) as kg:
    print("start", flush=True)
    build_module.build([Path(corpus)], kg, workers=1, force=True)
print("done", flush=True)
"""


def _child(store: Path, corpus: Path, kill_after: int, themes: Path | None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("KG_THEMES", None)
    if themes is not None:
        env["KG_THEMES"] = str(themes)
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store), str(corpus), str(kill_after)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _killed_at(store: Path, corpus: Path, kill_after: int, themes: Path | None = None) -> str:
    """Run the child until it kills itself (or ends); its last line."""
    child = _child(store, corpus, kill_after, themes)
    out, _ = child.communicate(timeout=120)
    lines = out.split()
    if lines[-1:] != ["done"]:
        assert child.returncode == -signal.SIGKILL, out
    return lines[-1] if lines else ""


def _source_graphs(kg: KnowledgeGraph) -> list[str]:
    return [g for g in kg.graphs() if "/source/" in g]


def assert_consistent(store: Path) -> None:
    """Zero violations, and every label a query joins is there, once."""
    with KnowledgeGraph.open_read_only(store) as kg:
        violations = validate_graph(kg, workers=1)
        assert violations == [], [(v.focus, v.path, v.message) for v in violations[:5]]
        # every theme an item carries has exactly one English label; every visit's authority
        # is in the reference table
        rows = kg._select(
            f"""SELECT ?t (COUNT(DISTINCT ?label) AS ?n) WHERE {{
                ?item <{vocab.KG}theme> ?t .
                OPTIONAL {{ ?t <{SKOS}prefLabel> ?label }} }} GROUP BY ?t"""
        )
        assert all(int(r["n"].value) == 1 for r in rows), [r["t"] for r in rows]
        orphans = kg._select(
            f"""SELECT ?v WHERE {{ ?v a <{vocab.KG}Visit> ; <{vocab.KG}authority> ?a .
                FILTER NOT EXISTS {{ ?a <{vocab.FOAF}name> ?name }} }}"""
        )
        assert orphans == []
        if any("hartlepool" in g for g in _source_graphs(kg)):
            result = run_query("recurring-issues", store=kg, authority="Hartlepool")
            assert all(row["theme_label"] for row in result.values())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("seeds")
    for name in SEEDS:
        shutil.copy(data_path("seeds/" + name), d / name)
    return d


def test_a_new_store_killed_at_any_write_is_consistent(corpus: Path, tmp_path: Path) -> None:
    # writes: 1 = reference graphs and the start of the record; 2-5 = one file each
    for kill_after in (1, 3):
        store = tmp_path / f"store{kill_after}"
        assert _killed_at(store, corpus, kill_after) != "done"
        with KnowledgeGraph.open_read_only(store) as kg:
            assert len(_source_graphs(kg)) == kill_after - 1
            assert {vocab.ONTOLOGY_GRAPH, vocab.AUTHORITIES_GRAPH} <= set(kg.graphs())
            # the build record names exactly the files whose graphs are stored
            used = kg._select(
                f"SELECT ?name WHERE {{ GRAPH <{vocab.BUILD_GRAPH}> {{ "
                f"?run <{vocab.PROV}used> ?f . ?f <{vocab.KG}fileName> ?name }} }}"
            )
            assert sorted(vocab.source_graph_iri(r["name"].value) for r in used) == sorted(
                _source_graphs(kg)
            )
        assert_consistent(store)


def test_a_build_killed_after_a_delay_is_consistent(corpus: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    child = _child(store, corpus, 0, None)
    assert child.stdout is not None and child.stdout.readline().strip() == "start"
    time.sleep(1.5)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    assert_consistent(store)


def _changed_scheme(kg: KnowledgeGraph, path: Path) -> tuple[str, str]:
    """A copy of the theme scheme without the theme the seeds use most and with another used
    theme relabelled; returns (removed theme, relabelled theme)."""
    rows = kg._select(
        f"""SELECT ?t (COUNT(*) AS ?n) WHERE {{ ?item <{vocab.KG}theme> ?t }}
            GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT 2"""
    )
    removed, relabelled = (r["t"].value for r in rows)
    label = ox.NamedNode(SKOS + "prefLabel")
    kept = []
    for t in ox.parse(path=str(data_path("ontology/themes.ttl")), format=ox.RdfFormat.TURTLE):
        if removed in (getattr(t.subject, "value", None), getattr(t.object, "value", None)):
            continue
        if t.subject.value == relabelled and t.predicate == label:
            t = ox.Triple(t.subject, label, ox.Literal("Relabelled theme", language="en"))
        kept.append(t)
    path.write_bytes(ox.serialize(kept, format=ox.RdfFormat.TURTLE) or b"")
    return removed, relabelled


def test_a_rebuild_with_a_changed_scheme_killed_midway_is_consistent(
    corpus: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    with KnowledgeGraph.open(store) as kg:
        build([corpus], kg, workers=1)
        themes = tmp_path / "themes.ttl"
        removed, relabelled = _changed_scheme(kg, themes)
    # write 1: the new scheme (keeping the removed theme for the old graphs); 3: two files
    # rebuilt with the new scheme, two still with the old one
    for kill_after in (1, 3):
        assert _killed_at(store, corpus, kill_after, themes) != "done"
        assert_consistent(store)
        with KnowledgeGraph.open_read_only(store) as kg:
            labels = kg._select(f"SELECT ?l WHERE {{ <{relabelled}> <{SKOS}prefLabel> ?l }}")
            assert [r["l"].value for r in labels] == ["Relabelled theme"]
    # the finished rebuild drops the removed theme: no graph uses it any more
    assert _killed_at(store, corpus, 0, themes) == "done"
    with KnowledgeGraph.open_read_only(store) as kg:
        assert not list(kg.store.quads_for_pattern(ox.NamedNode(removed), None, None, None))
    assert_consistent(store)


# --- disk full, read-only store -------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB tmpfs (needs root, or a user allowed to mount)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip() or 'not root'}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Fill the disk to the last byte; returns the filler file (delete it to free the disk)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        for block in (b"\0" * (1 << 20), b"\0" * 4096, b"\0"):
            with contextlib.suppress(OSError):
                while True:
                    handle.write(block)
    return filler


def _dump(store: Path) -> set[ox.Quad]:
    with KnowledgeGraph.open_read_only(store) as kg:
        return set(kg.store)


def test_a_full_disk_fails_in_one_line_and_keeps_the_store(
    corpus: Path, small_disk: Path, tmp_path: Path
) -> None:
    first, more = tmp_path / "first", tmp_path / "more"
    first.mkdir()
    more.mkdir()
    for i, name in enumerate(SEEDS):
        shutil.copy(corpus / name, (first if i < 2 else more) / name)
    store = small_disk / "store"
    with KnowledgeGraph.open(store) as kg:
        build([first], kg, workers=1)
    before = _dump(store)
    kg = KnowledgeGraph.open(store)
    filler = _fill(small_disk)
    with pytest.raises(StoreWriteError) as raised:
        build([first, more], kg, workers=1)
    with contextlib.suppress(StoreWriteError):
        kg.close()
    message = str(raised.value)
    assert message == f"{store}: cannot write: No space left on device"
    filler.unlink()
    assert _dump(store) == before  # nothing stored was changed or lost
    with KnowledgeGraph.open(store) as kg:  # on a freed disk the next build completes
        result = build([first, more], kg, workers=1)
        assert (result.built, result.unchanged, result.failed) == (2, 2, 0)
    assert_consistent(store)


def test_a_read_only_store_fails_in_one_line_and_is_unchanged(
    corpus: Path, small_disk: Path
) -> None:
    store = small_disk / "store"
    with KnowledgeGraph.open(store) as kg:
        build([corpus], kg, workers=1)
    before = _dump(store)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    command = [sys.executable, "-m", "kg.cli", "build", str(corpus), "--store", str(store)]
    refused = subprocess.run(command + ["--force"], capture_output=True, text=True)
    assert refused.returncode == 1
    (line,) = refused.stderr.strip().splitlines()
    assert str(store) in line and "Read-only file system" in line
    assert _dump(store) == before
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    done = subprocess.run(command + ["--no-datasets"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "unchanged 4, failed 0" in done.stdout


# --- serving and querying while a build writes ------------------------------------------------

SLOW_CHILD = """\
import sys, time
from pathlib import Path
from kg import build as build_module
from kg.store import KnowledgeGraph

build_module.FIRST_BATCH_QUADS = build_module.BATCH_QUADS = 1  # a transaction per file
slow = KnowledgeGraph.add_new_graphs
def paced(*args, **kwargs):
    slow(*args, **kwargs)
    time.sleep(0.7)
KnowledgeGraph.add_new_graphs = paced
with KnowledgeGraph.open(sys.argv[1]) as kg:
    build_module.build([Path(p) for p in sys.argv[2:]], kg, workers=1)
"""

COUNTS = """SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?g),
  "/graph/source/")) } GROUP BY ?g"""


def _graph_sizes(rows: list[dict[str, str]]) -> dict[str, int]:
    return {row["g"]: int(row["n"]) for row in rows}


def test_serve_and_query_while_a_build_writes(corpus: Path, tmp_path: Path) -> None:
    from kg.api import sparql
    from kg.serve import serving

    first, more = tmp_path / "first", tmp_path / "more"
    first.mkdir()
    more.mkdir()
    for i, name in enumerate(SEEDS):
        shutil.copy(corpus / name, (first if i < 2 else more) / name)
    whole_store = tmp_path / "whole"
    with KnowledgeGraph.open(whole_store) as kg:
        build([corpus], kg, workers=1)
    whole = _graph_sizes(sparql(COUNTS, store=whole_store).values())
    store = tmp_path / "store"
    with KnowledgeGraph.open(store) as kg:
        build([first], kg, workers=1)
    before = _graph_sizes(sparql(COUNTS, store=store).values())
    url_query = urllib.parse.urlencode({"query": COUNTS, "format": "json"})

    def served(server_url: str) -> dict[str, int]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback
        with opener.open(f"{server_url}sparql?{url_query}", timeout=30) as answer:
            assert answer.status == 200
            data = json.load(answer)
        return {b["g"]["value"]: int(b["n"]["value"]) for b in data["results"]["bindings"]}

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with serving(store, port=0, timeout=20) as server:
        assert served(server.url) == before
        child = subprocess.Popen(
            [sys.executable, "-c", SLOW_CHILD, str(store), str(first), str(more)], env=env
        )
        seen_by_query = set()
        while child.poll() is None:
            # the server keeps the last complete state while the build writes
            assert served(server.url) == before
            # a query opening the store meanwhile sees whole graphs only, never an error
            sizes = _graph_sizes(sparql(COUNTS, store=store).values())
            assert all(whole[g] == n for g, n in sizes.items()), sizes
            seen_by_query.add(len(sizes))
        assert child.wait() == 0
        deadline = time.monotonic() + 20
        while served(server.url) != whole and time.monotonic() < deadline:
            time.sleep(0.2)
        assert served(server.url) == whole  # the new state, once the build ended
    assert len(seen_by_query) >= 2, "no query landed mid-build; slow the child down"
