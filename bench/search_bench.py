"""Full-text search engines measured on the same rows: SQLite FTS5 (standard library) and
tantivy (``pip install tantivy``), and the saved query ``find-text`` as the baseline.

The rows are every finding and recommendation of a built store, one per place it stands in a
source (``kg.search.entries_from_store``: that read is timed too, it is what rebuilding a
missing index costs). For each engine: time to index them all (one transaction / one
commit), size on disk, and the median latency of each search below over ``--runs`` runs after
a warm-up (top 20 hits with their fields). FTS5 is measured as ``kg.search`` uses it (with
2- and 3-character prefix indexes) and without the prefix indexes. Also timed: what a
``kg search`` adds on top of the search (opening the store read-only, comparing its source
records with the index's: ``kg.search.open_index``), and ``find-text`` once.

    python bench/search_bench.py --store /tmp/search-nat [--runs 9] [--no-tantivy]

Make the store from the national and Tees Valley corpora with
``kg build --store /tmp/search-nat ../shared/corpus/national ../shared/corpus/tees-valley``.
Prints a Markdown report and writes it to ``bench/results/search.md`` (committed; copied into
the README by ``bench/readme_tables.py``). Target (issue 14): a search <= 50 ms median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from kg import search  # noqa: E402
from kg.store import recorded_sources  # noqa: E402

RESULTS = BENCH / "results"
TARGET_MS = 50.0

# (label, words, filters): the kinds of search a user makes, from the commonest word of the
# corpus to narrow filtered ones. "AUTH" is replaced by the authority with most rows.
SEARCHES: list[tuple[str, str, dict[str, Any]]] = [
    ("common word", "children", {}),
    ("one word", "supervision", {}),
    ("stemmed", "supervised", {}),
    ("two words", "care leavers", {}),
    ("phrase", '"social work practice"', {}),
    ("prefix", "assess*", {}),
    ("authority", "supervision", {"authority": "AUTH"}),
    ("years", "supervision", {"from_year": 2018, "to_year": 2022}),
    ("theme", "quality", {"theme": "supervision"}),
    ("kind+polarity", "management oversight", {"kind": "ilacs-inspection", "polarity": "weakness"}),
    ("common word+authority", "children", {"authority": "AUTH"}),
]


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def size_of(path: Path) -> int:
    if path.is_file():
        return sum(
            p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file()
        )  # the database and its -wal/-shm
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- SQLite FTS5 --------------------------------------------------------------------------------


def fts5(entries: list[search.SourceEntry], where: Path, prefixes: str) -> dict[str, Any]:
    saved = search.PREFIXES
    search.PREFIXES = prefixes
    try:
        started = time.perf_counter()
        index = search.SearchIndex(where)
        index.replace_sources(entries)
        index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        seconds = time.perf_counter() - started
    finally:
        search.PREFIXES = saved
    return {"index": index, "index_s": seconds, "bytes": size_of(where)}


# --- tantivy ------------------------------------------------------------------------------------


class Tantivy:
    """The same rows in tantivy: the quote stemmed (en_stem), the filters as raw terms and an
    integer year, every field stored so a hit carries what a FTS5 hit carries."""

    STORED = ("statement", "statement_kind", "file_name", "source", "visit", "authority_name")

    def __init__(self, entries: list[search.SourceEntry], where: Path) -> None:
        import tantivy

        self.t = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("quote", stored=True, tokenizer_name="en_stem")
        for name in ("authority", "kind", "polarity", "theme", "graph"):
            builder.add_text_field(name, stored=True, tokenizer_name="raw")
        for name in self.STORED:
            builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
        for name in ("start", "end"):
            builder.add_integer_field(name, stored=True)
        builder.add_integer_field("year", stored=True, indexed=True, fast=True)
        self.schema = builder.build()
        where.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self.index = tantivy.Index(self.schema, path=str(where))
        writer = self.index.writer()
        for entry in entries:
            for item in entry.items:
                doc = tantivy.Document(
                    quote=item.quote,
                    authority=item.authority,
                    kind=item.kind,
                    graph=entry.graph,
                    start=item.start,
                    end=item.end,
                    **{name: getattr(item, name) for name in self.STORED},
                )
                if item.polarity:
                    doc.add_text("polarity", item.polarity)
                for theme in item.themes:
                    doc.add_text("theme", theme)
                if item.date and item.date[:4].isdigit():
                    doc.add_integer("year", int(item.date[:4]))
                writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.index_s = time.perf_counter() - started
        self.bytes = size_of(where)
        self.searcher = self.index.searcher()

    def search(self, words: str, limit: int = 20, **filters: Any) -> list[dict[str, Any]]:
        t = self.t
        query = self.index.parse_query(words, ["quote"], conjunction_by_default=True)
        must = [(t.Occur.Must, query)]
        for name in ("kind", "polarity", "theme"):
            if filters.get(name):
                value = filters[name]
                if name == "theme":
                    value = search.resolve_theme(value)
                must.append((t.Occur.Must, t.Query.term_query(self.schema, name, value)))
        if filters.get("authority"):
            iri = search.resolve_authority(filters["authority"])
            must.append((t.Occur.Must, t.Query.term_query(self.schema, "authority", iri)))
        if filters.get("from_year") or filters.get("to_year"):
            must.append(
                (
                    t.Occur.Must,
                    t.Query.range_query(
                        self.schema,
                        "year",
                        t.FieldType.Integer,
                        filters.get("from_year"),
                        filters.get("to_year"),
                    ),
                )
            )
        result = self.searcher.search(t.Query.boolean_query(must), limit)
        return [self.searcher.doc(address).to_dict() for _, address in result.hits]


# --- the run ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--no-tantivy", action="store_true")
    parser.add_argument("--no-find-text", action="store_true")
    args = parser.parse_args(argv)

    store = ox.Store.read_only(str(args.store))
    state = recorded_sources(store)
    started = time.perf_counter()
    entries = list(search.entries_from_store(store, sorted(state)))
    read_s = time.perf_counter() - started
    rows = sum(len(e.items) for e in entries)
    authorities: dict[str, int] = {}
    for entry in entries:
        for item in entry.items:
            authorities[item.authority_code] = authorities.get(item.authority_code, 0) + 1
    top = max(authorities, key=lambda code: authorities[code])
    searches = [
        (label, words, {k: (top if v == "AUTH" else v) for k, v in filters.items()})
        for label, words, filters in SEARCHES
    ]

    scratch = Path(tempfile.mkdtemp(prefix="search-bench-"))
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        f"Store {args.store}: {len(entries)} source graphs, {rows:,} rows (places a finding or "
        f"recommendation stands in a source); reading them from the store {read_s:.1f} s "
        f"(what rebuilding a missing index costs). Medians of {args.runs} runs after a "
        f"warm-up, top 20 hits with their fields; load average "
        f"{os.getloadavg()[0]:.1f} at the start on {os.cpu_count()} cores.",
        "",
    ]
    try:
        engines: dict[str, Any] = {}
        fts = fts5(entries, scratch / "fts5.sqlite", search.PREFIXES)
        engines["FTS5 (kg.search)"] = fts
        bare = fts5(entries, scratch / "fts5-bare.sqlite", "")
        engines["FTS5, no prefix index"] = bare
        if not args.no_tantivy:
            try:
                tv = Tantivy(entries, scratch / "tantivy")
            except ImportError:
                print("tantivy is not installed: skipped (pip install tantivy)", file=sys.stderr)
            else:
                engines["tantivy"] = {"engine": tv, "index_s": tv.index_s, "bytes": tv.bytes}

        header = "| search | words | filters | " + " | ".join(engines) + " |"
        lines += [header, "|" + "---|" * (3 + len(engines))]
        worst: dict[str, float] = {name: 0.0 for name in engines}
        counts: dict[str, list[int]] = {name: [] for name in engines}
        for label, words, filters in searches:
            cells = []
            for name, engine in engines.items():
                target = engine.get("index") or engine["engine"]

                def run(e: Any = target, w: str = words, f: dict[str, Any] = filters) -> Any:
                    return e.search(w, limit=20, **f)

                ms = median_ms(run, args.runs)
                counts[name].append(len(run()))
                worst[name] = max(worst[name], ms)
                cells.append(f"{ms:.1f} ms")
            shown = ", ".join(f"{k}={v}" for k, v in filters.items()) or "-"
            lines.append(f"| {label} | `{words}` | {shown} | " + " | ".join(cells) + " |")
        lines += [
            "| **slowest** | | | "
            + " | ".join(
                f"**{worst[n]:.1f} ms** ({'meets' if worst[n] <= TARGET_MS else 'misses'} "
                f"{TARGET_MS:.0f} ms)"
                for n in engines
            )
            + " |",
            "| index time | | | "
            + " | ".join(f"{e['index_s']:.1f} s" for e in engines.values())
            + " |",
            "| size on disk | | | "
            + " | ".join(f"{e['bytes'] / 2**20:.1f} MiB" for e in engines.values())
            + " |",
            "",
        ]

        # What `kg search` adds: the store opened read-only and its records compared.
        def opened() -> None:
            graph = ox.Store.read_only(str(args.store))
            index, _ = search.open_index(graph, args.store)
            index.close()

        if (args.store / search.INDEX_FILE).exists() or os.access(args.store, os.W_OK):
            search.open_index(store, args.store)[0].close()  # bring it in step once
            ms = median_ms(opened, args.runs)
            lines.append(
                f"Opening the store read-only and checking the index is in step with it "
                f"(`kg.search.open_index`, before each `kg search`): {ms:.1f} ms median."
            )
        if not args.no_find_text:
            from kg.queries import execute, get_query, prepare

            query = get_query("find-text")
            bound = prepare(query, {"words": "supervision"})
            started = time.perf_counter()
            result = execute(store, bound)
            seconds = time.perf_counter() - started
            fts_ms = median_ms(lambda: fts["index"].search("supervision", limit=None), args.runs)
            lines.append(
                f"Baseline: the saved query `find-text` (words=supervision, plain SPARQL, "
                f"substring match) {seconds * 1000:,.0f} ms for {len(result.rows)} rows; "
                f"FTS5 all hits of `supervision` (no limit) {fts_ms:.1f} ms: "
                f"{seconds * 1000 / fts_ms:,.0f}x."
            )
        for engine in engines.values():
            if "index" in engine:
                engine["index"].close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search.md").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
