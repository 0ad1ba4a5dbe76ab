"""Full-text search over every finding and recommendation, kept in step with the store.

Why a separate index: Oxigraph has no text index, so the saved query ``find-text`` reads and
lower-cases every statement (seconds on the national graph). This module keeps a SQLite FTS5
index (the standard library's ``sqlite3``: English stemming with the Porter tokenizer,
phrases, prefixes, BM25 ranking; ``bench/search_bench.py`` measured it against tantivy) with
one row per place a statement stands in a source file: its quote, offsets, statement IRI,
visit, authority, date, kind, themes and polarity.

Where it lives: ``STORE/search.sqlite`` (with SQLite's ``-wal``/``-shm`` files), inside the
store directory, so it is copied, moved and deleted with the store. RocksDB ignores files it
did not name (checked with pyoxigraph 0.5: opening, bulk loads, compaction and read-only
opens all leave it alone).

How it stays in step: the store is the truth. Every source graph records the SHA-256 of its
file and the extraction fingerprint it was built with (``kg.build``); the index records the
same pair per source, written in the same SQLite transaction as that source's rows, after the
store has the graph. Opening the index for a store (``open_index``) compares the two lists and
re-indexes from the store every source that differs, and drops those the store no longer has,
so a build killed between its store write and its index write is repaired on the next search;
a missing index, or one written by another version of this module (``INDEX_FORMAT``), is
rebuilt from the store. A kill mid-write leaves SQLite's last committed state: never a half
source.

The rows come from a source graph's quads (``source_entry`` from a build worker's N-Quads,
``entries_from_store`` from the store), one function for both, so an index built with the
store and one rebuilt from it are the same.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import terms, vocab
from kg.errors import KgError, quoted
from kg.store import recorded_sources
from kg.vocab import T

INDEX_FILE = "search.sqlite"

# Bump when the tables or what a row holds change: an index of another format is rebuilt.
INDEX_FORMAT = "2"

# unicode61 folds case and (with remove_diacritics) accents; porter stems English words, so
# "supervised" finds "supervision". Prefix indexes of 2 and 3 characters make "assess*" fast.
TOKENIZER = "porter unicode61 remove_diacritics 2"
PREFIXES = "2 3"

DEFAULT_LIMIT = 20

STATEMENTS = ("finding", "recommendation")


class SearchError(KgError, ValueError):
    """A bad search (no words, an unknown authority, theme, kind or polarity)."""


@dataclass(frozen=True)
class SearchItem:
    """One place a finding or recommendation stands in a source file (an index row)."""

    statement: str  # the IRI of the kg:Finding or kg:Recommendation
    statement_kind: str  # "finding" or "recommendation"
    quote: str  # the exact words (oa:exact), source_text[start:end]
    start: int
    end: int
    file_name: str
    source: str  # the kg:SourceFile IRI
    visit: str
    authority: str  # IRI
    authority_code: str  # GSS code
    authority_name: str
    kind: str  # visit kind id (kg.families)
    date: str | None  # visit start date, else letter or publication date
    polarity: str | None  # of a finding: strength, weakness or neutral
    themes: tuple[str, ...] = ()  # theme ids (ontology/themes.ttl)
    # Whose point it is: "council" (a recommendation to the council, alone or jointly, or a
    # finding about its work), else the partner bodies told or reviewed, "+"-joined
    # (kg.vocab.BODIES: "board" for the LSCB's review and its points, "health+board").
    body: str = "council"


@dataclass(frozen=True)
class SourceEntry:
    """What the index holds for one source graph, and the store state it was read from."""

    graph: str
    sha256: str | None
    fingerprint: str | None
    items: tuple[SearchItem, ...] = ()


@dataclass(frozen=True)
class SearchHit(SearchItem):
    """A ranked hit: the item, its BM25 score (higher is better) and its named graph."""

    score: float = 0.0
    graph: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["themes"] = list(self.themes)
        return data


HIT_COLUMNS = [f.name for f in fields(SearchHit)]


@dataclass
class SearchResult:
    """The hits of one search, best first, with a flag when ``limit`` cut them."""

    hits: list[SearchHit] = field(default_factory=list)
    truncated: bool = False

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index: int) -> SearchHit:
        return self.hits[index]

    def values(self) -> list[dict[str, Any]]:
        """Hits as plain dicts (themes as a list), for notebooks and JSON."""
        return [hit.to_json() for hit in self.hits]

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of ``values()`` (needs the ``pandas`` extra)."""
        import pandas as pd

        return pd.DataFrame(self.values(), columns=HIT_COLUMNS)


@dataclass
class SyncReport:
    """What bringing the index in step with the store did."""

    indexed: int = 0  # sources (re-)indexed from the store
    removed: int = 0  # sources the store no longer has
    rebuilt: bool = False  # the whole index was made again (missing, or another format)


# --- rows from a source graph's quads ---------------------------------------------------------

# The predicates a row is made from (everything else in a source graph is skipped).
_WANTED = (
    T.hasBody,
    T.hasTarget,
    T.hasSource,
    T.hasSelector,
    T.exact,
    T.start,
    T.end,
    T.fileName,
    T.sha256,
    T.hasRecommendation,
    T.hasFinding,
    T.report,
    T.authority,
    T.gssCode,
    T.kind,
    T.startDate,
    T.letterDate,
    T.publicationDate,
    T.polarity,
    T.theme,
    T.addressedTo,
    T.concerns,
    T.wasGeneratedBy,
    T.identifier,
)


# The predicates a row is made from, for ``kg.rdf.report_rows`` (``entry_from_triples``).
WANTED_PREDICATES = frozenset(_WANTED)


def entry_from_triples(graph: str, triples: Iterable[tuple[str, str, str]]) -> SourceEntry:
    """The index rows of one source graph from its (subject, predicate, object value)
    triples of ``WANTED_PREDICATES``, in the order its N-Quads state them: what a build
    worker has at hand after mapping a report (``source_entry`` reads the same from the
    N-Quads)."""
    return _entry(graph, triples)


def source_entry(graph: str, nquads: bytes) -> SourceEntry:
    """The index rows of one source graph from its N-Quads as a build worker writes them.

    Read without making a pyoxigraph object per quad (that cost a quarter of the extraction
    time): only the lines of the predicates a row needs are split, and their objects are
    IRIs, plain numbers or string literals, unescaped here as N-Quads escapes them."""
    triples = []
    for line in nquads.decode("utf-8").split("\n"):
        parts = line.split(" ", 2)
        if len(parts) < 3 or parts[1] not in _WANTED_TERMS:
            continue
        obj = parts[2].rsplit(" ", 2)[0]  # drop the graph term and the final "."
        if obj.startswith("<"):
            value = obj[1:-1]
        else:
            value = obj[1 : obj.rindex('"')]
            if "\\" in value:
                value = _unescape(value)
        triples.append((parts[0][1:-1], parts[1][1:-1], value))
    return _entry(graph, triples)


_WANTED_TERMS = frozenset(f"<{p}>" for p in _WANTED)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(value: str) -> str:
    """An N-Triples string literal's escapes (ECHAR and UCHAR) undone."""

    def one(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2)
        return chr(int(code, 16)) if code else _ECHAR.get(m.group(3), m.group(3))

    return _ESCAPE.sub(one, value)


def entries_from_store(store: ox.Store, graphs: Iterable[str]) -> Iterator[SourceEntry]:
    """The index rows of each source graph as the store holds it."""
    for graph in graphs:
        g = ox.NamedNode(graph)
        triples: list[tuple[str, str, str]] = []
        for predicate in _WANTED:
            triples.extend(
                (terms.value(q.subject), predicate, terms.value(q.object))
                for q in store.quads_for_pattern(None, ox.NamedNode(predicate), None, g)
            )
        yield _entry(graph, triples)


def _entry(graph: str, triples: Iterable[tuple[str, str, str]]) -> SourceEntry:
    """Assemble rows from one source graph's (subject, predicate, object value) triples:
    each annotation's body (the statement), quote and offsets, with the visit's authority,
    kind and date."""
    by_p: dict[str, list[tuple[str, str]]] = {p: [] for p in _WANTED}
    for s, p, o in triples:
        by_p[p].append((s, o))

    def one(p: str) -> dict[str, str]:
        return {s: o for s, o in reversed(by_p[p])}  # the first stated wins

    body, target, src = one(T.hasBody), one(T.hasTarget), one(T.hasSource)
    exact, start, end = one(T.exact), one(T.start), one(T.end)
    selectors: dict[str, list[str]] = {}
    for s, o in by_p[T.hasSelector]:
        selectors.setdefault(s, []).append(o)
    file_names, shas = one(T.fileName), one(T.sha256)
    statement_kind = {o: "recommendation" for _, o in by_p[T.hasRecommendation]}
    statement_kind.update({o: "finding" for _, o in by_p[T.hasFinding]})
    reports = one(T.report)  # visit -> report
    authorities, codes, kinds = one(T.authority), one(T.gssCode), one(T.kind)
    start_dates, letter_dates = one(T.startDate), one(T.letterDate)
    published, polarities = one(T.publicationDate), one(T.polarity)
    themes: dict[str, list[str]] = {}
    for s, o in by_p[T.theme]:
        themes.setdefault(s, []).append(o.removeprefix(vocab.THEME))
    runs, identifiers = one(T.wasGeneratedBy), one(T.identifier)
    bodies: dict[str, set[str]] = {}
    for s, o in by_p[T.addressedTo] + by_p[T.concerns]:
        bodies.setdefault(s, set()).add(vocab.body_kind(o))

    visit = next(iter(reports), None)
    report = reports.get(visit or "")
    authority = authorities.get(visit or "", "")
    code = codes.get(authority) or authority.rsplit("/", 1)[-1]
    date = start_dates.get(visit or "") or letter_dates.get(report or "")
    date = date or published.get(report or "")
    kind = kinds.get(visit or "", "").removeprefix(vocab.KIND)
    name = _authority_name(code) if code else ""

    items = []
    for anno, item in body.items():
        what = statement_kind.get(item)
        target_iri = target.get(anno)
        if what is None or target_iri is None or visit is None:
            continue
        quote_sel = pos_sel = None
        for sel in selectors.get(target_iri, ()):
            if sel in exact:
                quote_sel = sel
            elif sel in start:
                pos_sel = sel
        source = src.get(target_iri)
        if quote_sel is None or pos_sel is None or source is None:
            continue
        polarity = polarities.get(item)
        items.append(
            SearchItem(
                statement=item,
                statement_kind=what,
                quote=exact[quote_sel],
                start=int(start[pos_sel]),
                end=int(end[pos_sel]),
                file_name=file_names.get(source, ""),
                source=source,
                visit=visit,
                authority=authority,
                authority_code=code,
                authority_name=name,
                kind=kind,
                date=date,
                polarity=polarity.removeprefix(T.polarity_ns) if polarity else None,
                themes=tuple(sorted(themes.get(item, ()))),
                body=_whose(bodies.get(item, set())),
            )
        )
    items.sort(key=lambda i: (i.start, i.end, i.statement))
    run = runs.get(graph)
    return SourceEntry(
        graph,
        next(iter(shas.values()), None),
        identifiers.get(run) if run is not None else None,
        tuple(items),
    )


def _whose(kinds: set[str]) -> str:
    """``SearchItem.body`` of a statement addressed to or about ``kinds``."""
    if not kinds or "council" in kinds:
        return "council"
    return "+".join(k for k in vocab.BODIES if k in kinds)


def _authority_name(code: str) -> str:
    """The reference table's name for a GSS code (the code itself if the table lacks it)."""
    from kg.authorities import AuthorityError, AuthorityIndex

    try:
        return AuthorityIndex.load().by_gss(code).name
    except AuthorityError:
        return code


# --- the store's side -------------------------------------------------------------------------


def index_path(store_path: Path | str) -> Path:
    """Where the index of the store at ``store_path`` lives (inside its directory)."""
    return Path(store_path) / INDEX_FILE


# --- the index ---------------------------------------------------------------------------------


def _schema(prefixes: str) -> str:
    """The tables; ``prefixes``: FTS5 prefix index lengths ("" for none)."""
    option = f", prefix='{prefixes}'" if prefixes else ""
    return f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY, graph TEXT NOT NULL UNIQUE, sha256 TEXT, fingerprint TEXT,
    file_name TEXT, source TEXT, visit TEXT, authority TEXT, authority_code TEXT,
    authority_name TEXT, kind TEXT, date TEXT, year INTEGER);
CREATE TABLE IF NOT EXISTS hits (
    id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, statement TEXT NOT NULL,
    statement_kind TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    polarity TEXT, themes TEXT NOT NULL, body TEXT NOT NULL DEFAULT 'council');
CREATE INDEX IF NOT EXISTS hits_source ON hits (source_id);
CREATE TABLE IF NOT EXISTS hit_themes (
    theme TEXT NOT NULL, hit INTEGER NOT NULL, PRIMARY KEY (theme, hit)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS hit_text USING fts5(
    quote, tokenize='{TOKENIZER}'{option});
"""


class SearchIndex:
    """The SQLite FTS5 index (a file, or in memory for a store that has no directory).

    ``replace_source`` / ``replace_sources`` / ``remove_source`` each write in one
    transaction; ``sync`` brings the index in step with a store; ``search`` ranks hits."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.db = self._connect()
        self.rebuilt = False
        try:
            self._prepare()
        except sqlite3.DatabaseError:  # not a database, or a broken one: start again
            self.db.close()
            if path is None:
                raise
            _remove_index_files(path)
            self.db = self._connect()
            self.rebuilt = True
            self._prepare()

    def _connect(self) -> sqlite3.Connection:
        """The connection (usable from any thread: ``kg serve`` shares one index, one search
        at a time)."""
        return sqlite3.connect(
            str(self.path) if self.path is not None else ":memory:",
            timeout=30.0,
            isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE ... COMMIT)
            check_same_thread=False,
        )

    def _prepare(self) -> None:
        if self.path is not None:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # a kill loses nothing committed
        found = None
        with suppress(sqlite3.OperationalError):
            row = self.db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            found = row[0] if row else None
        if found != INDEX_FORMAT:
            self.rebuilt = True
            with self._transaction():
                for table in ("hit_text", "hit_themes", "hits", "sources", "meta"):
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _schema(PREFIXES).split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(
                    "INSERT INTO meta (key, value) VALUES ('format', ?)", (INDEX_FORMAT,)
                )

    @classmethod
    def beside(cls, store_path: Path | str | None) -> SearchIndex:
        """The index of the store at ``store_path`` (in memory when it is None)."""
        return cls(index_path(store_path) if store_path is not None else None)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ------------------------------------------------------------------------------

    def _transaction(self) -> Any:
        db = self.db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")
                # any write makes the index's last in-step stamp void (see ``sync``); a new
                # index has no meta table yet
                with suppress(sqlite3.OperationalError):
                    db.execute("DELETE FROM meta WHERE key = 'store_stamp'")

            def __exit__(self, kind: object, *rest: object) -> None:
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()

    def replace_source(
        self,
        source: str | SourceEntry,
        items: Sequence[SearchItem] = (),
        *,
        sha256: str | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Make the index hold exactly ``items`` for one source graph, recorded as built from
        ``sha256`` with ``fingerprint``, in one transaction (or pass a ``SourceEntry``)."""
        entry = (
            source
            if isinstance(source, SourceEntry)
            else SourceEntry(source, sha256, fingerprint, tuple(items))
        )
        self.replace_sources([entry])

    def replace_sources(self, entries: Iterable[SourceEntry]) -> int:
        """``replace_source`` for several sources, all in one transaction; returns how many."""
        n = 0
        with self._transaction():
            for entry in entries:
                self._delete(entry.graph)
                self._insert(entry)
                n += 1
        return n

    def remove_source(self, graph: str) -> None:
        """Drop one source graph's rows and record (the store no longer has the graph)."""
        with self._transaction():
            self._delete(graph)

    def _delete(self, graph: str) -> None:
        db = self.db
        row = db.execute("SELECT id FROM sources WHERE graph = ?", (graph,)).fetchone()
        if row is None:
            return
        hits = db.execute("SELECT id, themes FROM hits WHERE source_id = ?", row).fetchall()
        db.executemany("DELETE FROM hit_text WHERE rowid = ?", [(hit,) for hit, _ in hits])
        db.executemany(
            "DELETE FROM hit_themes WHERE theme = ? AND hit = ?",
            [(theme, hit) for hit, themes in hits for theme in themes.split()],
        )
        db.execute("DELETE FROM hits WHERE source_id = ?", row)
        db.execute("DELETE FROM sources WHERE id = ?", row)

    def _insert(self, entry: SourceEntry) -> None:
        """One source: what its items share (file, visit, authority, date) once, in
        ``sources``; each item's own fields in ``hits``, its quote in ``hit_text``."""
        db = self.db
        first = entry.items[0] if entry.items else None
        date = first.date if first is not None else None
        year = int(date[:4]) if date and date[:4].isdigit() else None
        shared = (
            (first.file_name, first.source, first.visit, first.authority)
            + (first.authority_code, first.authority_name, first.kind)
            if first is not None
            else (None,) * 7
        )
        source_id = db.execute(
            "INSERT INTO sources (graph, sha256, fingerprint, file_name, source, visit,"
            " authority, authority_code, authority_name, kind, date, year)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.graph, entry.sha256, entry.fingerprint, *shared, date, year),
        ).lastrowid
        for item in entry.items:
            hit = db.execute(
                'INSERT INTO hits (source_id, statement, statement_kind, start, "end",'
                " polarity, themes, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source_id,
                    item.statement,
                    item.statement_kind,
                    item.start,
                    item.end,
                    item.polarity,
                    " ".join(item.themes),
                    item.body,
                ),
            ).lastrowid
            db.execute("INSERT INTO hit_text (rowid, quote) VALUES (?, ?)", (hit, item.quote))
            db.executemany(
                "INSERT OR IGNORE INTO hit_themes (theme, hit) VALUES (?, ?)",
                [(theme, hit) for theme in item.themes],
            )

    # --- keeping in step ----------------------------------------------------------------------

    def state(self) -> dict[str, tuple[str | None, str | None]]:
        """Each indexed source's recorded (SHA-256, fingerprint)."""
        rows = self.db.execute("SELECT graph, sha256, fingerprint FROM sources")
        return {g: (s, f) for g, s, f in rows}

    def sync(self, store: ox.Store, stamp: object = None) -> SyncReport:
        """Re-index from ``store`` every source whose recorded state differs from the
        store's, and drop the sources it no longer has (cheap when in step: one query).

        ``stamp``: the ``kg.store.store_state`` of the store directory taken before ``store``
        was opened read-only (``KnowledgeGraph.stamp``); it changes with every committed write.
        It is recorded after the sync (any index write voids it), and a sync given the same
        stamp again skips even the query. Taken any later, a write between the open and the
        stamp would be recorded as seen, so no stamp (a store open for writing) means a full
        check."""
        report = SyncReport(rebuilt=self.rebuilt)
        if stamp is not None:
            stamp = repr(stamp)
            row = self.db.execute("SELECT value FROM meta WHERE key = 'store_stamp'").fetchone()
            if row is not None and row[0] == stamp:
                self.rebuilt = False
                return report
        wanted = recorded_sources(store)
        held = self.state()
        stale = [g for g, st in wanted.items() if held.get(g) != st]
        gone = [g for g in held if g not in wanted]
        if gone:
            with self._transaction():
                for graph in gone:
                    self._delete(graph)
            report.removed = len(gone)
        if stale:
            report.indexed = self.replace_sources(entries_from_store(store, sorted(stale)))
        if stamp is not None:  # taken before the store was read: a later write changes it
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('store_stamp', ?)", (stamp,)
            )
        self.rebuilt = False
        return report

    def rebuild_from_store(self, store: ox.Store) -> SyncReport:
        """Make the whole index again from the store."""
        with self._transaction():
            for table in ("hit_text", "hit_themes", "hits", "sources"):
                self.db.execute(f"DELETE FROM {table}")
        report = self.sync(store)
        report.rebuilt = True
        return report

    # --- searching ----------------------------------------------------------------------------

    def search(
        self,
        words: str,
        *,
        authority: str | None = None,
        from_year: int | None = None,
        to_year: int | None = None,
        kind: str | None = None,
        theme: str | None = None,
        polarity: str | None = None,
        statement: str | None = None,
        council_only: bool = False,
        limit: int | None = DEFAULT_LIMIT,
    ) -> SearchResult:
        """Hits for ``words``, best BM25 first (ties: file and offset).

        ``words``: every word must occur (stemmed: "supervised" finds "supervision");
        ``"a phrase"`` in double quotes, ``assess*`` a prefix, ``OR`` between two terms,
        ``-word`` excludes. ``authority`` a name, GSS code or DfE number; ``theme`` an id or
        label; ``kind`` a visit kind; ``polarity`` of findings; ``statement`` finding or
        recommendation; years inclusive; ``limit`` None or 0 for all hits. Every hit says whose
        point it is (``body``: the council's, or the safeguarding board's review and points,
        or a partner's); ``council_only`` keeps the council's alone.
        """
        match = fts_query(words)
        where = ["hit_text MATCH ?"]
        args: list[Any] = [match]
        if authority:
            where.append("s.authority = ?")
            args.append(resolve_authority(authority))
        if from_year is not None:
            where.append("s.year >= ?")
            args.append(int(from_year))
        if to_year is not None:
            where.append("s.year <= ?")
            args.append(int(to_year))
        if kind:
            where.append("s.kind = ?")
            args.append(_checked_kind(kind))
        if polarity:
            where.append("h.polarity = ?")
            args.append(_checked(polarity, "polarity", ("strength", "weakness", "neutral")))
        if statement:
            where.append("h.statement_kind = ?")
            args.append(_checked(statement, "statement", STATEMENTS))
        if council_only:
            where.append("h.body = 'council'")
        if theme:
            where.append("h.id IN (SELECT hit FROM hit_themes WHERE theme = ?)")
            args.append(resolve_theme(theme))
        sql = (
            'SELECT h.statement, h.statement_kind, hit_text.quote, h.start, h."end",'
            " s.file_name, s.source, s.visit, s.authority, s.authority_code, s.authority_name,"
            " s.kind, s.date, h.polarity, h.themes, -bm25(hit_text) AS score, s.graph, h.body"
            " FROM hit_text JOIN hits h ON h.id = hit_text.rowid"
            " JOIN sources s ON s.id = h.source_id"
            f" WHERE {' AND '.join(where)}"
            " ORDER BY bm25(hit_text), s.file_name, h.start"
        )
        if limit:
            sql += " LIMIT ?"
            args.append(int(limit) + 1)
        try:
            rows = self.db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as error:  # fts_query writes valid FTS5: a bug
            raise SearchError(f"search {quoted(words)}: {error}") from None
        truncated = bool(limit) and len(rows) > int(limit or 0)
        if truncated:
            rows = rows[: int(limit or 0)]
        hits = [
            SearchHit(
                statement=r[0],
                statement_kind=r[1],
                quote=r[2],
                start=r[3],
                end=r[4],
                file_name=r[5],
                source=r[6],
                visit=r[7],
                authority=r[8],
                authority_code=r[9],
                authority_name=r[10],
                kind=r[11],
                date=r[12],
                polarity=r[13],
                themes=tuple(r[14].split()),
                score=round(r[15], 4),
                graph=r[16],
                body=r[17],
            )
            for r in rows
        ]
        return SearchResult(hits, truncated)

    def count(self) -> int:
        """Rows indexed (places a statement stands in a source)."""
        return self.db.execute("SELECT COUNT(*) FROM hits").fetchone()[0]


def _remove_index_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


# --- the words and filters -----------------------------------------------------------------------

_TOKEN = re.compile(r'-?"[^"]*"?\*?|\S+')


def fts_query(words: str) -> str:
    """The FTS5 query for what a user typed; every term is quoted, so no character the user
    types is taken as FTS5 syntax except the few this accepts (quotes, ``*``, ``OR``, ``-``)."""
    positive: list[str] = []
    negative: list[str] = []
    pending_or = False
    for token in _TOKEN.findall(words or ""):
        if token == "OR":
            pending_or = bool(positive)
            continue
        negate = token.startswith("-") and len(token) > 1
        if negate:
            token = token[1:]
        prefix = token.endswith("*")
        text = token.rstrip("*").strip('"')
        if not re.search(r"\w", text):
            continue
        term = '"' + text.replace('"', '""') + '"' + ("*" if prefix else "")
        if negate:
            negative.append(term)
        elif pending_or and positive:
            positive[-1] = f"({positive[-1]} OR {term})"
        else:
            positive.append(term)
        pending_or = False
    if not positive:
        raise SearchError(f"search {quoted(words)}: give at least one word to find")
    query = " AND ".join(positive)
    for term in negative:
        query = f"({query}) NOT {term}"
    return query


def resolve_authority(text: str) -> str:
    """The IRI of the authority a name, GSS code or DfE LA number denotes
    (``AuthorityIndex.lookup``, as ``kg query --authority``)."""
    from kg.authorities import AuthorityError, AuthorityIndex

    try:
        return AuthorityIndex.load().lookup(text).iri
    except AuthorityError as error:
        raise SearchError(f"search: {error}") from None


def resolve_theme(text: str) -> str:
    """The theme id a theme id or label denotes (``kg.queries.lookup_theme``, as
    ``kg query --theme``)."""
    from kg.queries import QueryError, lookup_theme

    try:
        return lookup_theme(text, "search")
    except QueryError as error:
        raise SearchError(str(error)) from None


def _checked(value: str, what: str, allowed: Sequence[str]) -> str:
    text = value.strip().lower()
    if text not in allowed:
        raise SearchError(
            f"search: {what} must be one of {', '.join(allowed)} (got {quoted(value)})"
        )
    return text


def _checked_kind(value: str) -> str:
    from kg.families import KINDS

    return _checked(value, "kind", tuple(KINDS))


def filters_from_params(params: dict[str, str]) -> dict[str, Any]:
    """``search`` keywords from a web form or query string (``from``, ``to``, ``authority``,
    ``kind``, ``theme``, ``polarity``, ``statement``, ``limit``, ``council_only``: "true" or
    "1"; blank ones ignored)."""
    names = {"from": "from_year", "to": "to_year", "limit": "limit"}
    names.update(
        {k: k for k in ("authority", "kind", "theme", "polarity", "statement", "council_only")}
    )
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key not in names:
            raise SearchError(f"search: unknown parameter {quoted(key)} (use {', '.join(names)})")
        if not value.strip():
            continue
        if key in ("from", "to", "limit"):
            if not value.strip().isdigit():
                raise SearchError(f"search: {key} must be a whole number (got {quoted(value)})")
            out[names[key]] = int(value)
        elif key == "council_only":
            if value.strip().lower() not in ("true", "1", "false", "0"):
                raise SearchError(
                    f"search: council_only must be true or false (got {quoted(value)})"
                )
            out["council_only"] = value.strip().lower() in ("true", "1")
        else:
            out[names[key]] = value
    return out


# --- one call for a store ----------------------------------------------------------------------


def open_index(
    store: ox.Store, store_path: Path | str | None, stamp: object = None
) -> tuple[SearchIndex, SyncReport]:
    """The index of a store, brought in step with it first (see the module docstring and
    ``SearchIndex.sync`` for ``stamp``).

    An index that cannot be written where it lives (a read-only store directory) is made in
    memory for this call instead."""
    try:
        index = SearchIndex.beside(store_path)
        report = index.sync(store, stamp)
    except sqlite3.OperationalError:
        if store_path is None:
            raise
        index = SearchIndex(None)
        report = index.sync(store)
    return index, report


def search(
    store: ox.Store, store_path: Path | str | None, words: str, stamp: object = None, **filters: Any
) -> SearchResult:
    """``SearchIndex.search`` on the (synced) index of a store."""
    index, _ = open_index(store, store_path, stamp)
    with closing(index):
        return index.search(words, **filters)
