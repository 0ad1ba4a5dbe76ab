"""Full-text search measured on the rows of a built store: ``kg.search`` (tantivy) against
SQLite FTS5 (the engine ``kg.search`` used before, standard library), and the saved query
``find-text`` as the baseline.

The rows are every finding and recommendation of the store, one per place it stands in a
source (``kg.search.entries_from_store``: that read is timed too, it is what rebuilding a
missing index costs). For each engine: time to index them all (one commit / one
transaction; for ``kg.search`` also in commits of ``BATCH_SOURCES`` sources, as a build
writes it), size on disk, and the median latency of each search below over ``--runs`` runs
after a warm-up (top 20 hits with their fields, ties ordered by file and offset). FTS5 is
measured as ``kg.search`` used it (Porter stemming, 2- and 3-character prefix indexes, BM25
ordered in SQL). Also timed: what a ``kg search`` adds on top of the search (opening the
store read-only and checking the index is in step with it: ``kg.search.SearchIndex.sync``
with the store's stamp), and ``find-text`` once.

    python bench/search_bench.py --store bench/store-800 [--runs 9] [--no-fts5]

Nothing is written into ``--store``: both indexes are made in a temporary directory. Prints a
Markdown report and writes it to ``bench/results/search.md`` (committed; copied into the
README by ``bench/readme_tables.py``). Target (issue 14): a search <= 50 ms median.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
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
from kg.store import KnowledgeGraph, recorded_sources  # noqa: E402

RESULTS = BENCH / "results"
TARGET_MS = 50.0
BATCH_SOURCES = 40  # sources a commit, as a build's store batches of ~600 k quads hold

# (label, words, filters): the kinds of search a user makes, from the commonest word of the
# corpus to narrow filtered ones. "AUTH" is replaced by the authority with most rows.
SEARCHES: list[tuple[str, str, dict[str, Any]]] = [
    ("common word", "children", {}),
    ("one word", "supervision", {}),
    ("stemmed", "supervised", {}),
    ("two words", "care leavers", {}),
    ("phrase", '"social work practice"', {}),
    ("prefix", "assess*", {}),
    ("either", "supervision OR oversight", {}),
    ("exclusion", "children -plans", {}),
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


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- kg.search (tantivy) ------------------------------------------------------------------------


def tantivy_index(
    entries: list[search.SourceEntry], where: Path, batch: int | None
) -> dict[str, Any]:
    """``kg.search.SearchIndex`` made from ``entries`` in one commit (``batch`` None) or in
    commits of ``batch`` sources."""
    started = time.perf_counter()
    index = search.SearchIndex(where)
    step = batch or len(entries) or 1
    for i in range(0, len(entries), step):
        index.replace_sources(entries[i : i + step])
    seconds = time.perf_counter() - started
    return {"engine": index, "index_s": seconds, "bytes": size_of(where)}


# --- SQLite FTS5, as kg.search used it ------------------------------------------------------------


def fts5_match(words: str) -> str:
    """The FTS5 query of what a user typed (``kg.search.parse_words``), every term quoted."""
    parsed = search.parse_words(words)

    def one(term: search.Term) -> str:
        return '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "")

    groups = [one(g[0]) if len(g) == 1 else "(" + " OR ".join(map(one, g)) + ")"
              for g in parsed.groups]  # fmt: skip
    query = " AND ".join(groups)
    for term in parsed.excluded:
        query = f"({query}) NOT {one(term)}"
    return query


class Fts5:
    """The rows in SQLite FTS5 as ``kg.search`` held them (porter unicode61 remove_diacritics
    2, prefix indexes 2 and 3; the filters in a plain table, themes in their own), searched
    with BM25 ordered in SQL, ties by file and offset."""

    COLUMNS = ("statement", "statement_kind", "start", "end", "file_name", "source", "visit",
               "authority", "authority_code", "authority_name", "kind", "date", "polarity",
               "body")  # fmt: skip

    def __init__(self, entries: list[search.SourceEntry], where: Path) -> None:
        started = time.perf_counter()
        db = self.db = sqlite3.connect(str(where), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        columns = ", ".join(f'"{c}"' for c in self.COLUMNS)
        db.execute(f"CREATE TABLE hits (id INTEGER PRIMARY KEY, graph, year, themes, {columns})")
        db.execute("CREATE TABLE hit_themes (theme, hit, PRIMARY KEY (theme, hit)) WITHOUT ROWID")
        db.execute(
            "CREATE VIRTUAL TABLE hit_text USING fts5(quote,"
            " tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')"
        )
        marks = ", ".join("?" * (len(self.COLUMNS) + 3))
        db.execute("BEGIN")
        for entry in entries:
            for item in entry.items:
                year = int(item.date[:4]) if item.date and item.date[:4].isdigit() else None
                values = [getattr(item, c) for c in self.COLUMNS]
                hit = db.execute(
                    f"INSERT INTO hits (graph, year, themes, {columns}) VALUES ({marks})",
                    [entry.graph, year, " ".join(item.themes), *values],
                ).lastrowid
                db.execute("INSERT INTO hit_text (rowid, quote) VALUES (?, ?)", (hit, item.quote))
                db.executemany(
                    "INSERT OR IGNORE INTO hit_themes VALUES (?, ?)",
                    [(theme, hit) for theme in item.themes],
                )
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.index_s = time.perf_counter() - started
        self.bytes = size_of(where)

    def search(self, words: str, limit: int | None = 20, **filters: Any) -> list[tuple[Any, ...]]:
        where, args = ["hit_text MATCH ?"], [fts5_match(words)]
        for name in ("kind", "polarity"):
            if filters.get(name):
                where.append(f"h.{name} = ?")
                args.append(filters[name])
        if filters.get("authority"):
            where.append("h.authority = ?")
            args.append(search.resolve_authority(filters["authority"]))
        if filters.get("from_year") is not None:
            where.append("h.year >= ?")
            args.append(filters["from_year"])
        if filters.get("to_year") is not None:
            where.append("h.year <= ?")
            args.append(filters["to_year"])
        if filters.get("theme"):
            where.append("h.id IN (SELECT hit FROM hit_themes WHERE theme = ?)")
            args.append(search.resolve_theme(filters["theme"]))
        sql = (
            "SELECT h.*, hit_text.quote, -bm25(hit_text) FROM hit_text"
            f" JOIN hits h ON h.id = hit_text.rowid WHERE {' AND '.join(where)}"
            " ORDER BY bm25(hit_text), h.file_name, h.start"
        )
        if limit:
            sql += f" LIMIT {int(limit) + 1}"
        return self.db.execute(sql, args).fetchall()


# --- the run ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--no-fts5", action="store_true")
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
    command = "python bench/search_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC (`{command}`).",
        "",
        f"Store {args.store.name}: {len(entries)} source graphs, {rows:,} rows (places a "
        f"finding or recommendation stands in a source); reading them from the store "
        f"{read_s:.1f} s (what rebuilding a missing index costs). Medians of {args.runs} runs "
        f"after a warm-up, top 20 hits with their fields; load average "
        f"{os.getloadavg()[0]:.1f} at the start on {os.cpu_count()} cores.",
        "",
    ]
    try:
        engines: dict[str, Any] = {}
        rss_before = peak_rss_mib()
        engines["kg.search (tantivy)"] = tantivy_index(entries, scratch / "tantivy", None)
        rss_tantivy = peak_rss_mib() - rss_before
        batched = tantivy_index(entries, scratch / "tantivy-batched", BATCH_SOURCES)
        ours = engines["kg.search (tantivy)"]["engine"]
        if not args.no_fts5:
            fts = Fts5(entries, scratch / "fts5.sqlite")
            engines["SQLite FTS5 (before)"] = {
                "engine": fts, "index_s": fts.index_s, "bytes": fts.bytes}  # fmt: skip

        header = "| search | words | filters | hits | " + " | ".join(engines) + " |"
        lines += [header, "|" + "---|" * (4 + len(engines))]
        worst: dict[str, tuple[float, str]] = {name: (0.0, "") for name in engines}
        for label, words, filters in searches:
            cells = []
            hits = len(ours.search(words, limit=None, **filters))
            for name, engine in engines.items():
                target = engine["engine"]

                def run(e: Any = target, w: str = words, f: dict[str, Any] = filters) -> Any:
                    return e.search(w, limit=20, **f)

                ms = median_ms(run, args.runs)
                worst[name] = max(worst[name], (ms, label))
                cells.append(f"{ms:.1f} ms")
            shown = ", ".join(f"{k}={v}" for k, v in filters.items()) or "-"
            lines.append(
                f"| {label} | `{words}` | {shown} | {hits:,} | " + " | ".join(cells) + " |"
            )
        lines += [
            "| **slowest** | | | | "
            + " | ".join(
                f"**{worst[n][0]:.1f} ms** ({worst[n][1]}: "
                f"{'meets' if worst[n][0] <= TARGET_MS else 'misses'} {TARGET_MS:.0f} ms)"
                for n in engines
            )
            + " |",
            "| index time, one commit | | | | "
            + " | ".join(f"{e['index_s']:.1f} s" for e in engines.values())
            + " |",
            "| size on disk | | | | "
            + " | ".join(f"{e['bytes'] / 2**20:.1f} MiB" for e in engines.values())
            + " |",
            "",
            f"`kg.search` indexing in commits of {BATCH_SOURCES} sources, as a build writes it: "
            f"{batched['index_s']:.1f} s; the one-commit index raised this process's peak RSS "
            f"by {rss_tantivy:.0f} MiB (the rows held in memory before it not counted).",
        ]

        # What `kg search` adds: the store opened read-only and the index checked against it
        # (the stamp then matches: what a search on an unchanged store pays), and without one.
        index_dir = scratch / "tantivy"
        with KnowledgeGraph.open_read_only(args.store) as graph:
            search.SearchIndex(index_dir).sync(graph.store, graph.stamp)

        def opened(stamped: bool) -> None:
            with KnowledgeGraph.open_read_only(args.store) as graph:
                search.SearchIndex(index_dir).sync(graph.store, graph.stamp if stamped else None)

        stamped_ms = median_ms(lambda: opened(True), args.runs)
        checked_ms = median_ms(lambda: opened(False), args.runs)
        lines.append(
            f"Opening the store read-only and the index, checked in step (before each "
            f"`kg search`): {stamped_ms:.1f} ms median with the store unchanged since the last "
            f"check (its stamp recorded), {checked_ms:.1f} ms comparing every source's record."
        )
        if not args.no_find_text:
            from kg.queries import execute, get_query, prepare

            query = get_query("find-text")
            bound = prepare(query, {"words": "supervision"})
            started = time.perf_counter()
            result = execute(store, bound)
            seconds = time.perf_counter() - started
            all_ms = median_ms(lambda: ours.search("supervision", limit=None), args.runs)
            lines.append(
                f"Baseline: the saved query `find-text` (words=supervision, plain SPARQL, "
                f"substring match) {seconds * 1000:,.0f} ms for {len(result.rows)} rows; "
                f"`kg.search` all hits of `supervision` (no limit) {all_ms:.1f} ms: "
                f"{seconds * 1000 / all_ms:,.0f}x."
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search.md").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
