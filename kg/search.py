"""Full-text search over every finding and recommendation, kept in step with the store.

Why a separate index: Oxigraph has no text index, so the saved query ``find-text`` reads and
lower-cases every statement (seconds on the national graph). This module keeps a tantivy
index (English stemming, phrases, prefixes, BM25 ranking that skips what cannot make the top
hits: ``bench/search_bench.py`` measured it against SQLite FTS5, which scores every match
of a common word) with one row document per place a statement stands in a source file: its
quote, offsets, statement IRI, visit, authority, date, kind, themes and polarity.

Where it lives: ``STORE/search-index/``, a directory inside the store directory, so it is
copied, moved and deleted with the store. RocksDB ignores files it did not name (checked with
pyoxigraph 0.5: opening, bulk loads, compaction and read-only opens all leave it alone). The
SQLite index of earlier versions (``search.sqlite``) is removed when the index is opened.

How it stays in step: the store is the truth. Every source graph records the SHA-256 of its
file and the extraction fingerprint it was built with (``kg.build``); the index records the
same pair per source in a record document beside that source's rows, the two written in one
tantivy commit, after the store has the graph. Opening the index for a store (``open_index``)
compares the two lists and re-indexes from the store every source that differs, and drops
those the store no longer has, so a build killed between its store write and its index write
is repaired on the next search; a missing or broken index, or one written by another version
of this module (``INDEX_FORMAT``), is rebuilt from the store. A kill mid-commit leaves the last
committed state (tantivy replaces its ``meta.json`` at once): never a half source.

The rows come from a source graph's quads (``source_entry`` from a build worker's N-Quads,
``entries_from_store`` from the store), one function for both, so an index built with the
store and one rebuilt from it are the same.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import tantivy

from kg import terms, vocab
from kg.errors import KgError, quoted
from kg.store import recorded_sources
from kg.vocab import T

INDEX_DIR = "search-index"
OLD_INDEX_FILE = "search.sqlite"  # the SQLite FTS5 index of earlier versions: removed

# Bump when the schema or what a document holds change: an index of another format is rebuilt.
INDEX_FORMAT = "3"

# The quote's analyser (``_analyzer``), registered under this name on every index opened.
TOKENIZER = "kg_english"

# One commit's writer: one indexing thread and a modest heap (the build is CPU-bound on
# extraction and must stay under 1 GiB); tantivy needs at least 15 MB a thread.
WRITER_HEAP = 32_000_000
# Beside tantivy's files: the store state the index was last found in step with (``sync``).
STAMP_FILE = "kg-store-stamp"
# How long a write waits for another process's writer (a build) to let go of the index.
WRITE_TIMEOUT = 30.0

DEFAULT_LIMIT = 20

# A prefix (``assess*``) is searched as the words of the index it begins, each scored; past
# this many (the commonest kept), the rest match unscored (``_term_query``).
PREFIX_WORDS = 512

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
    """Where the index of the store at ``store_path`` lives (a directory inside its own)."""
    return Path(store_path) / INDEX_DIR


# --- the index ---------------------------------------------------------------------------------

# The fields a row document stores (and indexes raw, for the filters), besides the quote.
_RAW_FIELDS = ("statement", "statement_kind", "file_name", "source", "visit", "authority",
               "authority_code", "authority_name", "kind", "date", "polarity", "body")  # fmt: skip


def _analyzer(stem: bool) -> Any:
    """The quote's tokenizer: words of letters and digits, lower-cased, accents folded, and
    (``stem``) English stems, so "supervised" finds "supervision"; without ``stem`` it is
    what a prefix is matched with as well."""
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    builder = builder.filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
    builder = builder.filter(tantivy.Filter.ascii_fold())
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


_STEMMED = _analyzer(stem=True)
_PLAIN = _analyzer(stem=False)


def _schema() -> Any:
    """Row documents (``doc`` = "row": a quote and its fields), one record document per
    source (``doc`` = "source": its SHA-256 and fingerprint) and the index's own records
    (``doc`` = "format": ``value``); ``graph`` ties a source's rows and record."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("graph", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("quote", stored=True, tokenizer_name=TOKENIZER)
    for name in _RAW_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("theme", stored=True, tokenizer_name="raw", index_option="basic")
    for name in ("sha256", "fingerprint", "value"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("start", stored=True)
    builder.add_integer_field("end", stored=True)
    builder.add_integer_field("year", indexed=True, fast=True)
    return builder.build()


SCHEMA = _schema()


class IndexUnwritable(KgError, OSError):
    """The index cannot be written where it lives (read-only, or its directory is gone)."""


class SearchIndex:
    """The tantivy index (a directory, or in memory for a store that has no directory).

    ``replace_source`` / ``replace_sources`` / ``remove_source`` each write in one commit,
    a source's rows together with its record; ``sync`` brings the index in step with a store;
    ``search`` ranks hits. Searches may run from several threads at once."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.rebuilt = False
        self._memory_stamp: str | None = None
        self.index = self._open()
        self._check_format()

    def _open(self) -> Any:
        if self.path is None:
            index = tantivy.Index(SCHEMA)
        else:
            try:
                self.path.mkdir(exist_ok=True)  # not its parent: a store directory is made first
            except OSError as error:
                raise self._unwritable(error) from None
            try:
                index = tantivy.Index(SCHEMA, path=str(self.path))
            except ValueError as error:  # broken, of another schema or format: start again
                if not os.access(self.path, os.W_OK):
                    raise self._unwritable(error) from None
                shutil.rmtree(self.path, ignore_errors=True)
                self.path.mkdir(exist_ok=True)
                index = tantivy.Index(SCHEMA, path=str(self.path))
                self.rebuilt = True
        index.register_tokenizer(TOKENIZER, _STEMMED)
        return index

    def _unwritable(self, error: Exception) -> IndexUnwritable:
        return IndexUnwritable(f"the text index cannot be written ({error})", self.path)

    def _check_format(self) -> None:
        """An index written by another version of this module (``INDEX_FORMAT``), or a new
        one, is emptied and marked with this format."""
        if self._value("format") == INDEX_FORMAT:
            return
        self.rebuilt = True
        with self._writer(clear=True):
            pass

    @classmethod
    def beside(cls, store_path: Path | str | None) -> SearchIndex:
        """The index of the store at ``store_path`` (in memory when it is None). The SQLite
        index of earlier versions (``search.sqlite``) is removed."""
        if store_path is None:
            return cls(None)
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(OSError):
                (Path(store_path) / (OLD_INDEX_FILE + suffix)).unlink()
        return cls(index_path(store_path))

    def close(self) -> None:
        """Nothing to release (no writer is kept between writes); for ``with``."""

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ------------------------------------------------------------------------------

    @contextmanager
    def _writer(self, clear: bool = False) -> Iterator[Any]:
        """A writer for one commit (one indexing thread, a modest heap: the build's CPU and
        memory go to extraction), taken when free: another process may be writing for a
        while (``WRITE_TIMEOUT``). Any write voids the index's last in-step stamp (see
        ``sync``); ``clear`` empties the index first. Nothing is committed if the block
        raises."""
        deadline = time.monotonic() + WRITE_TIMEOUT
        while True:
            try:
                writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
                break
            except ValueError as error:
                if "LockBusy" not in str(error):
                    raise self._unwritable(error) from None
                if time.monotonic() > deadline:
                    raise SearchError(
                        f"{self.path}: the text index is being written by another process"
                    ) from None
                time.sleep(0.05)
        try:
            if clear:
                writer.delete_all_documents()
                writer.add_document(tantivy.Document(doc="format", value=INDEX_FORMAT))
            self._record_stamp(None)  # before the commit: a kill after it leaves no stamp
            yield writer
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # lets go of the lock
        self.index.reload()

    def replace_source(
        self,
        source: str | SourceEntry,
        items: Sequence[SearchItem] = (),
        *,
        sha256: str | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Make the index hold exactly ``items`` for one source graph, recorded as built from
        ``sha256`` with ``fingerprint``, in one commit (or pass a ``SourceEntry``)."""
        entry = (
            source
            if isinstance(source, SourceEntry)
            else SourceEntry(source, sha256, fingerprint, tuple(items))
        )
        self.replace_sources([entry])

    def replace_sources(self, entries: Iterable[SourceEntry]) -> int:
        """``replace_source`` for several sources, all in one commit; returns how many."""
        with self._writer() as writer:
            return self._add(writer, entries)

    def remove_source(self, graph: str) -> None:
        """Drop one source graph's rows and record (the store no longer has the graph)."""
        with self._writer() as writer:
            writer.delete_documents_by_term("graph", graph)

    @staticmethod
    def _add(writer: Any, entries: Iterable[SourceEntry]) -> int:
        """Each source's rows and record, in place of what the index held for it."""
        n = 0
        for entry in entries:
            writer.delete_documents_by_term("graph", entry.graph)
            record = tantivy.Document(doc="source", graph=entry.graph)
            for name, value in (("sha256", entry.sha256), ("fingerprint", entry.fingerprint)):
                if value is not None:
                    record.add_text(name, value)
            writer.add_document(record)
            for item in entry.items:
                writer.add_document(_row(entry.graph, item))
            n += 1
        return n

    # --- reading ------------------------------------------------------------------------------

    def _docs(self, doc: str, limit: int | None = None) -> list[dict[str, list[Any]]]:
        """The stored fields of every document of one ``doc`` kind (or the first ``limit``)."""
        searcher = self.index.searcher()
        n = limit or max(searcher.num_docs, 1)
        found = searcher.search(tantivy.Query.term_query(SCHEMA, "doc", doc), n, count=False)
        return [searcher.doc(address).to_dict() for _, address in found.hits]

    def _value(self, doc: str) -> str | None:
        """The value of the index's own record ``doc`` ("format")."""
        docs = self._docs(doc, 1)
        return docs[0]["value"][0] if docs else None

    def _stamp_file(self) -> Path | None:
        return self.path / STAMP_FILE if self.path is not None else None

    def _recorded_stamp(self) -> str | None:
        file = self._stamp_file()
        if file is None:
            return self._memory_stamp
        with suppress(OSError):
            return file.read_text(encoding="utf-8")
        return None

    def _record_stamp(self, stamp: str | None) -> None:
        """Record the store state the index is in step with (None: no state known). A file
        beside tantivy's, not a document: documents of their own would weigh in the BM25
        statistics, and differ between two indexes of the same rows."""
        file = self._stamp_file()
        if file is None:
            self._memory_stamp = stamp
        elif stamp is None:
            file.unlink(missing_ok=True)
        else:
            part = file.with_name(file.name + ".part")
            part.write_text(stamp, encoding="utf-8")
            part.replace(file)

    def state(self) -> dict[str, tuple[str | None, str | None]]:
        """Each indexed source's recorded (SHA-256, fingerprint)."""
        return {
            d["graph"][0]: (_first(d, "sha256"), _first(d, "fingerprint"))
            for d in self._docs("source")
        }

    def entries(self) -> list[SourceEntry]:
        """Everything the index holds, per source graph (sorted): what ``sync`` compares
        with the store, and a test with another index."""
        rows: dict[str, list[SearchItem]] = {}
        for d in self._docs("row"):
            rows.setdefault(d["graph"][0], []).append(_item(d))
        return [
            SourceEntry(graph, sha, fp, tuple(sorted(rows.get(graph, ()), key=_item_order)))
            for graph, (sha, fp) in sorted(self.state().items())
        ]

    def count(self) -> int:
        """Rows indexed (places a statement stands in a source)."""
        query = tantivy.Query.term_query(SCHEMA, "doc", "row")
        return self.index.searcher().search(query, 1, count=True).count

    # --- keeping in step ----------------------------------------------------------------------

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
        self.index.reload()  # another process may have written since this one opened it
        if stamp is not None:
            stamp = repr(stamp)
            if self._recorded_stamp() == stamp:
                self.rebuilt = False
                return report
        wanted = recorded_sources(store)
        held = self.state()
        stale = [g for g, st in wanted.items() if held.get(g) != st]
        gone = [g for g in held if g not in wanted]
        if stale or gone:
            with self._writer() as writer:
                for graph in gone:
                    writer.delete_documents_by_term("graph", graph)
                report.removed = len(gone)
                report.indexed = self._add(writer, entries_from_store(store, sorted(stale)))
        if stamp is not None:
            # in step: an index that cannot record the stamp (read-only) is still good
            with suppress(OSError):
                self._record_stamp(stamp)
        self.rebuilt = False
        return report

    def rebuild_from_store(self, store: ox.Store) -> SyncReport:
        """Make the whole index again from the store."""
        with self._writer(clear=True):
            pass
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
        parsed = parse_words(words)
        searcher = self.index.searcher()  # one state of the index for the whole search
        must: list[Any] = []  # the filters (only rows have a quote: no "doc" filter)
        if authority:
            must.append(_is("authority", resolve_authority(authority)))
        if from_year is not None or to_year is not None:
            must.append(
                tantivy.Query.range_query(
                    SCHEMA,
                    "year",
                    tantivy.FieldType.Integer,
                    int(from_year) if from_year is not None else None,
                    int(to_year) if to_year is not None else None,
                )
            )
        if kind:
            must.append(_is("kind", _checked_kind(kind)))
        if polarity:
            allowed = ("strength", "weakness", "neutral")
            must.append(_is("polarity", _checked(polarity, "polarity", allowed)))
        if statement:
            must.append(_is("statement_kind", _checked(statement, "statement", STATEMENTS)))
        if council_only:
            must.append(_is("body", "council"))
        if theme:
            must.append(_is("theme", resolve_theme(theme)))
        clauses = []
        for group in parsed.groups:
            queries = [_term_query(term, searcher) for term in group]
            query = queries[0] if len(queries) == 1 else tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, q) for q in queries])  # fmt: skip
            clauses.append((tantivy.Occur.Must, query))
        if must:  # they narrow, the words alone score
            narrow = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in must])
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(narrow, 0.0)))
        clauses += [
            (tantivy.Occur.MustNot, _term_query(term, searcher)) for term in parsed.excluded
        ]
        # One word alone stays a term query: tantivy then skips blocks that cannot make the top
        query = clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

        cut = int(limit) if limit else None
        # Ties on the score are ordered by file and offset, so fetch past the cut until the
        # score of the last hit fetched is below that of the last hit kept.
        n = cut + 1 if cut else max(searcher.num_docs, 1)
        while True:
            found = searcher.search(query, n, count=False).hits
            if cut is None or len(found) < n or found[-1][0] < found[cut - 1][0]:
                break
            n *= 4
        hits = [_hit(searcher.doc(address).to_dict(), score) for score, address in found]
        hits.sort(key=lambda h: (-h.score, h.file_name, h.start, h.end, h.statement))
        truncated = cut is not None and len(hits) > cut
        hits = hits[:cut] if cut is not None else hits
        return SearchResult([replace(h, score=round(h.score, 4)) for h in hits], truncated)


def _row(graph: str, item: SearchItem) -> Any:
    """The row document of one item of a source graph."""
    doc = tantivy.Document(doc="row", graph=graph, quote=item.quote, start=item.start,
                           end=item.end)  # fmt: skip
    for name in _RAW_FIELDS:
        value = getattr(item, name)
        if value is not None:
            doc.add_text(name, value)
    for theme in item.themes:
        doc.add_text("theme", theme)
    if item.date and item.date[:4].isdigit():
        doc.add_integer("year", int(item.date[:4]))
    return doc


def _first(doc: dict[str, list[Any]], name: str) -> Any:
    values = doc.get(name)
    return values[0] if values else None


def _item_fields(doc: dict[str, list[Any]]) -> dict[str, Any]:
    """A stored row's ``SearchItem`` fields."""
    fields = {name: _first(doc, name) for name in _RAW_FIELDS}
    return {
        **fields,
        "quote": doc["quote"][0],
        "start": doc["start"][0],
        "end": doc["end"][0],
        "themes": tuple(sorted(doc.get("theme", ()))),
    }


def _item(doc: dict[str, list[Any]]) -> SearchItem:
    return SearchItem(**_item_fields(doc))


def _hit(doc: dict[str, list[Any]], score: float) -> SearchHit:
    return SearchHit(**_item_fields(doc), score=score, graph=doc["graph"][0])


def _item_order(item: SearchItem) -> tuple[int, int, str]:
    return (item.start, item.end, item.statement)


def _is(name: str, value: str) -> Any:
    """Documents whose raw field ``name`` holds ``value``."""
    return tantivy.Query.term_query(SCHEMA, name, value)


def _words_query(stems: list[str]) -> Any:
    """One analysed word, or a phrase of several."""
    if len(stems) == 1:
        return tantivy.Query.term_query(SCHEMA, "quote", stems[0])
    words: list[str | tuple[int, str]] = list(stems)
    return tantivy.Query.phrase_query(SCHEMA, "quote", words)


def _term_query(term: Term, searcher: Any) -> Any:
    """The query of one term the user typed: its words analysed as the quote was (a phrase
    when there are several); a prefix matches the last word's beginning, as typed or
    stemmed. The user's text never reaches a query parser."""
    stems = _STEMMED.analyze(term.text)
    if not stems:
        return tantivy.Query.empty_query()
    if not term.prefix:
        return _words_query(stems)
    # A prefix: the words of the index it begins (as typed or stemmed), each searched as if
    # typed whole, so scored by BM25 (tantivy's regex and phrase-prefix queries give every
    # match one score); past PREFIX_WORDS of them (the commonest kept), the rest match unscored.
    plain = _PLAIN.analyze(term.text)[-1]  # letters and digits only: no regex syntax
    starts = sorted({plain, stems[-1]})
    counts: dict[str, int] = {}
    for start in starts:
        counts.update(searcher.terms_with_prefix("quote", start))
    ranked = sorted(counts, key=lambda w: (-counts[w], w))[:PREFIX_WORDS]
    queries = [_words_query([*stems[:-1], w]) for w in ranked]
    if len(counts) > PREFIX_WORDS:
        for start in starts:
            rest = (
                tantivy.Query.regex_query(SCHEMA, "quote", start + ".*")
                if len(stems) == 1
                else tantivy.Query.phrase_prefix_query(SCHEMA, "quote", [*stems[:-1], start])
            )
            queries.append(tantivy.Query.const_score_query(rest, 0.0))
    if not queries:
        return tantivy.Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


# --- the words and filters -----------------------------------------------------------------------

_TOKEN = re.compile(r'-?"[^"]*"?\*?|\S+')


@dataclass(frozen=True)
class Term:
    """One term a user typed: a word, or the words of a ``"phrase"``, taken literally."""

    text: str
    prefix: bool = False  # typed with a final ``*``


@dataclass(frozen=True)
class Words:
    """What a user typed, parsed: every group must match (one of its terms: ``a OR b``), no
    excluded term (``-word``) may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()


def parse_words(words: str) -> Words:
    """The terms of what a user typed. Only quotes, a final ``*``, ``OR`` and a leading ``-``
    mean anything; every other character is part of a term's text (which ``SearchIndex``
    analyses as it analysed the quotes: no query language is ever parsed)."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    for token in _TOKEN.findall(words or ""):
        if token == "OR":
            pending_or = bool(groups)
            continue
        negate = token.startswith("-") and len(token) > 1
        if negate:
            token = token[1:]
        prefix = token.endswith("*")
        text = token.rstrip("*").strip('"')
        if not re.search(r"\w", text):
            continue
        term = Term(text, prefix)
        if negate:
            excluded.append(term)
        elif pending_or and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if not groups:
        raise SearchError(f"search {quoted(words)}: give at least one word to find")
    return Words(tuple(tuple(group) for group in groups), tuple(excluded))


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
    except IndexUnwritable:
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
