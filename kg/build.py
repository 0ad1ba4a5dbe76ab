"""Build the knowledge graph from a batch of source files.

Workers (a process pool) read and extract files and map them to N-Quads; only the parent
writes, one named graph per file, so a failure or a kill mid-build never leaves a half-written
graph and never loses what earlier builds stored. The store is consistent at every instant:
the reference graphs (ontology, theme scheme, authorities, shipped datasets) go first in one
transaction, each source graph goes with its lines of the build record (``build``).
New graphs are written in batches of several files, each batch in one atomic bulk load
(all of its graphs or none); a graph that is already stored is replaced in a transaction of
its own. Writing happens in a thread of the parent while its main thread keeps the workers
fed. A file is skipped when its bytes and the extraction fingerprint (software version,
extraction code, theme scheme, reference table) match what its graph was built from, so
editing ``themes.ttl`` and rebuilding re-tags everything.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import queue
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import pyoxigraph as ox

from kg import rdf, search, terms, vocab
from kg.record import Report
from kg.resources import data_path
from kg.store import KnowledgeGraph, writing
from kg.version import __version__

if TYPE_CHECKING:
    from kg.datasets import ImportReport

# Modules of the kg package that cannot change what a source graph holds.
# The modules whose code shapes a source file's graph (relative to the kg package): reading the
# text, extracting the record, mapping it to RDF, and what those use. Editing anything else
# (the CLI, queries, the server, validation, the HTML report) leaves every file unchanged.
FINGERPRINT_CODE = (
    "text.py",
    "extract/*.py",
    "record.py",
    "rdf.py",
    "vocab.py",
    "families.py",
    "inspectors.py",
    "themes.py",
    "polarity.py",
    "authorities.py",
)

# Files that shape what extraction produces, besides that code.
FINGERPRINT_DATA = (
    "ontology/themes.ttl",
    "reference/english_local_authorities.csv",
    "reference/la_changes.csv",
    "reference/aliases.csv",
)

Extractor = Callable[[Path], Report]

# What a folder of reports also holds that is not a report by its extension: a corpus's
# MANIFEST.tsv, a table, a README. A build skips these with a note instead of failing them;
# every other file is read, and one that is not a report (an HTML page, a binary) fails with
# its own line.
NOT_REPORT_SUFFIXES = frozenset({".csv", ".tsv", ".json", ".md"})

# New graphs are written in bulk loads of about this many quads (some 130 reports). Each load
# adds table files that the store later merges (compaction, in background threads, after
# every few loads): fewer, bigger loads merge less, but the bulk loader holds about 0.95 KB
# per quad while it writes. Bulk-loading the 800-document benchmark corpus (3.27 M quads,
# bench/README.md) took 74 CPU seconds in 300 k-quad loads, 65 s in 500 k, 50 s in 600 k and
# 53 s in 1 M (and 1.8 GB); the build's peak memory (all processes) was 0.82-0.92 GiB with
# 600 k. Keep it well below 1 M: pyoxigraph's bulk loader splits a bigger load into several
# ingestions, and a batch would then no longer be stored all or nothing.
BATCH_QUADS = 600_000

# The first batch is smaller: the writing thread is the build's critical path, and it idles
# until the first batch is full (with 2 workers, ~140 reports for 600 k quads, ~6 s).
# So are the last ones (``_Writer``, ``expected``): once the files still to come would fit
# in one batch, batches of this size keep the writer loading while the workers finish,
# instead of one last full batch loaded after them with a core idle (5-7 s on the
# 800-document corpus).
FIRST_BATCH_QUADS = 150_000


# A build that wrote at least this share of the store's quads compacts the store at its end
# (``KnowledgeGraph.compact``): a first build, or one after the extractor changed, leaves
# many table files, which slow reads down; a build that adds or replaces a few files does not
# pay for a compaction of the whole store (10.7 s of an 88 s build of the 800-document corpus).
COMPACT_SHARE = 0.25


# Workers run this much nicer than the parent. The parent's single writing thread is the
# build's critical path (bulk loading costs about as much CPU as all the extraction): with as
# many workers as cores, equal priorities would leave it about 2/3 of a core; lower priority
# workers take what it leaves instead, and are paced by its back-pressure anyway.
WORKER_NICENESS = 5


class Progress(Protocol):
    """What ``build`` reports progress to (the CLI passes a rich progress bar adapter)."""

    def start(self, total: int) -> None: ...

    def advance(self, path: Path, outcome: str) -> None: ...


@dataclass
class BuildResult:
    """What a build did; ``errors`` holds one line per failed file: ``"<file>: <problem>"``."""

    built: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # not reports by their extension
    triples: int = 0
    run_iri: str | None = None
    linked: list[ImportReport] = field(default_factory=list)  # shipped datasets (``datasets``)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        line = (
            f"built {self.built}, unchanged {self.unchanged}, failed {self.failed} "
            f"({self.triples} triples)"
        )
        if self.skipped:
            names = ", ".join(p.name for p in self.skipped[:3])
            more = f" and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
            line += f"; skipped {len(self.skipped)} not a report by its extension: {names}{more}"
        return line


def extract_file(path: Path) -> Report:
    """Read and extract one file (raises ``SourceError`` or ``ExtractionError``)."""
    from kg.extract import extract
    from kg.text import read_source

    return extract(read_source(Path(path)))


def reference_authorities() -> list[rdf.AuthorityLike]:
    """Every English authority from the reference table (``kg.authorities``)."""
    from kg.authorities import AuthorityIndex

    return list(AuthorityIndex.load().all(include_predecessors=True))


def is_report_file(path: Path) -> bool:
    """False for a file that is not a report by its extension (``NOT_REPORT_SUFFIXES``)."""
    return path.suffix.lower() not in NOT_REPORT_SUFFIXES


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, plus every file under directories named (sorted; hidden files skipped).

    Any file is taken, whatever its extension, so that a mislabelled or unreadable one gets
    its own error line instead of being silently ignored (``build`` then skips, with a note,
    those that ``is_report_file`` says are not reports).
    """
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in p.relative_to(path).parts)
                if p.is_file() and not hidden:
                    found.append(p)
        else:
            found.append(path)
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def extraction_fingerprint(package: Path | None = None) -> str:
    """A hash of everything that shapes extraction output, to decide when a file is unchanged
    (``package``: the kg package directory, for tests)."""
    h = hashlib.sha256(__version__.encode())
    package = package or Path(__file__).resolve().parent
    sources = {p for pattern in FINGERPRINT_CODE for p in package.glob(pattern)}
    for source in sorted(sources):
        h.update(source.relative_to(package).as_posix().encode())
        h.update(source.read_bytes())
    from kg.themes import scheme_path

    for name in FINGERPRINT_DATA:
        try:
            path = scheme_path() if name == "ontology/themes.ttl" else data_path(name)
            h.update(path.read_bytes())
        except FileNotFoundError:
            h.update(b"-")
    return h.hexdigest()


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _error_line(path: Path, error: BaseException) -> str:
    """``"<file>: <problem>"``; errors from kg.text/kg.extract already name the file."""
    text = _one_line(error)
    if path.name in text:
        return text
    return f"{path}: {text}"


@dataclass
class _Outcome:
    """What a worker sends back: the file's graph as N-Quads, or one error line."""

    path: Path
    sha256: str | None = None
    nquads: bytes | None = None
    quads: int = 0
    error: str | None = None
    search: search.SourceEntry | None = None  # the graph's rows for the text index


def _input_errors() -> tuple[type[Exception], ...]:
    """The exceptions that mean "this file is bad", as opposed to a bug in the extractor."""
    from kg.extract import ExtractionError
    from kg.text import SourceError

    return (SourceError, ExtractionError)


def _internal_error(path: Path, error: BaseException) -> str:
    return f"{path}: internal error ({type(error).__name__}: {_one_line(error)})"


def _work(path: Path, extractor: Extractor, fingerprint: str) -> _Outcome:
    """Read, extract and map one file (in a worker). Never raises, so one bad file cannot
    break the pool; mapping here too keeps the single writing process free for writing."""
    try:
        report = extractor(path)
    except Exception as error:
        try:
            expected = isinstance(error, _input_errors())
        except Exception:
            expected = False
        if expected:
            return _Outcome(path, error=_error_line(path, error))
        return _Outcome(path, error=_internal_error(path, error))
    graph = vocab.source_graph_iri(path.name)
    try:
        data, triples = rdf.report_rows(report, graph, search.WANTED_PREDICATES)
    except ValueError as error:  # a record that cannot be identified or placed
        return _Outcome(path, error=_error_line(path, error))
    except Exception as error:
        return _Outcome(path, error=_internal_error(path, error))
    extraction = rdf.extraction_quads(graph, report.sha256, fingerprint, __version__)
    data += rdf.serialize_nquads(extraction)
    try:
        if triples is None:  # made the exact way: read the rows back from the N-Quads
            entry = search.source_entry(graph, data)
        else:  # the rows as mapped, not parsed again from the N-Quads (a fifth of the work)
            triples += (
                (terms.value(q.subject), q.predicate.value, terms.value(q.object))
                for q in extraction
                if q.predicate.value in search.WANTED_PREDICATES
            )
            entry = search.entry_from_triples(graph, triples)
    except Exception as error:
        return _Outcome(path, error=_internal_error(path, error))
    # distinct lines: the quads the store will hold (a line written twice is stored once), so
    # that a build into an empty store can count its quads without a scan (``_stored_quads``)
    quads = len(set(data.splitlines()))
    return _Outcome(path, sha256=report.sha256, nquads=data, quads=quads, search=entry)


def _lower_priority() -> None:
    """Run a worker at a lower CPU priority than the writing parent (``WORKER_NICENESS``)."""
    if WORKER_NICENESS and hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICENESS)
        except OSError:  # not allowed here: run at the same priority
            pass


def _pool(workers: int) -> ProcessPoolExecutor:
    """Forkserver workers: forking the parent would copy RocksDB's threads and locks.

    As with any non-fork start method, a script that calls ``build`` with workers > 1 needs
    the ``if __name__ == "__main__":`` guard (the ``kg`` command has it).
    """
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["kg.build", "kg.extract", "kg.text"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_lower_priority)


def _isolated(path: Path, extractor: Extractor, fingerprint: str) -> _Outcome:
    """Retry one file in a process of its own, to tell which file killed a worker."""
    with _pool(1) as pool:
        try:
            return pool.submit(_work, path, extractor, fingerprint).result()
        except BrokenProcessPool:
            return _Outcome(path, error=f"{path}: the process reading this file crashed")


def _outcomes(
    todo: list[Path], workers: int, extractor: Extractor, fingerprint: str
) -> Iterator[_Outcome]:
    """Outcomes in completion order.

    At most a few jobs per worker are in flight, so a big batch never holds every extracted
    report in memory at once. A worker that dies (a crash in the PDF library, the OOM killer)
    breaks the pool: the files it may have been reading are retried one by one in processes
    of their own and the rest of the batch goes on in a new pool.
    """
    if workers <= 1 or len(todo) <= 1:
        for path in todo:
            yield _work(path, extractor, fingerprint)
        return
    queue = deque(todo)
    while queue:
        suspects: list[Path] = []
        pool = _pool(min(workers, len(queue)))
        pending: dict[Future[_Outcome], Path] = {}
        try:
            while queue or pending:
                while queue and len(pending) < 4 * workers:
                    path = queue.popleft()
                    pending[pool.submit(_work, path, extractor, fingerprint)] = path
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    path = pending.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        suspects.append(path)
                    else:
                        yield outcome
                if suspects:
                    suspects.extend(pending.values())
                    pending.clear()
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for path in suspects:
            yield _isolated(path, extractor, fingerprint)


class _Writer:
    """Writes the graphs of extracted files to the store, in a thread of its own.

    The main thread hands over each outcome (``put``) and goes back to feeding the workers.
    The N-Quads of new graphs are appended to a spool file (an unnamed temporary file, gone
    with the process whatever happens); once it holds about ``BATCH_QUADS`` quads, this
    thread bulk-loads it as one atomic batch (``KnowledgeGraph.add_new_graphs``) while the
    main thread starts the next. A graph the store held before the build is replaced in a
    transaction of its own. ``put`` blocks while a batch waits for the one being written, so
    the workers pause instead of the spool growing. Outcomes come back from ``finished`` once
    stored; an error in this thread is raised in the main thread by the next ``put`` or
    ``finished``, or on leaving the ``with`` block.
    """

    def __init__(
        self,
        store: KnowledgeGraph,
        record: Callable[[list[_Outcome]], list[ox.Quad]],
        batch_quads: int | None = None,
        expected: int = 0,
    ) -> None:
        self.store = store
        self.record = record
        self.batch_quads = batch_quads or BATCH_QUADS
        self._small = min(self.batch_quads, FIRST_BATCH_QUADS)
        self._threshold = self._small
        self._expected = expected  # files the build will put (0: unknown)
        self._put = self._put_quads = 0
        self._stored_before = {g.value for g in store.store.named_graphs()}
        self._spool_dir = str(store.path.parent) if store.path is not None else None
        self._spool: IO[bytes] | None = None
        self._spooled: list[_Outcome] = []
        self._spooled_quads = 0
        self._jobs: queue.Queue[tuple[IO[bytes] | None, list[_Outcome]] | None]
        self._jobs = queue.Queue(maxsize=1)
        self._done: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kg-build-writer", daemon=True)
        self._thread.start()

    def put(self, outcome: _Outcome) -> None:
        assert outcome.nquads is not None
        self._check()
        if vocab.source_graph_iri(outcome.path.name) in self._stored_before:
            self._send((None, [outcome]))  # replaced on its own, from its N-Quads
            return
        with writing(self.store.path):  # the spool is beside the store, on its disk
            if self._spool is None:
                self._spool = tempfile.TemporaryFile(dir=self._spool_dir)
            self._spool.write(outcome.nquads)
        outcome.nquads = None  # the spool holds it now
        self._spooled.append(outcome)
        self._spooled_quads += outcome.quads
        self._put += 1
        self._put_quads += outcome.quads
        if self._spooled_quads >= self._threshold:
            self._threshold = self._small if self._near_end() else self.batch_quads
            self._send_spool()

    def _near_end(self) -> bool:
        """True once the files still to come (at the mean size so far) fit in one batch."""
        left = self._expected - self._put
        return left * self._put_quads < self.batch_quads * self._put

    def finished(self) -> list[_Outcome]:
        """Outcomes whose graphs are now stored (the main thread reports them)."""
        out = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                break
        self._check()
        return out

    def _send_spool(self) -> None:
        if self._spool is not None:
            with writing(self.store.path):
                self._spool.write(rdf.serialize_nquads(self.record(self._spooled)))
            job = (self._spool, self._spooled)
            self._spool, self._spooled, self._spooled_quads = None, [], 0
            self._send(job)

    def _send(self, job: tuple[IO[bytes] | None, list[_Outcome]] | None) -> None:
        while True:  # wait for room, but not forever on a thread that has died
            try:
                self._jobs.put(job, timeout=0.5)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    self._check()
                    return

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                spool, outcomes = job
                self._write(spool, outcomes)
                for outcome in outcomes:
                    outcome.nquads = None
                    self._done.put(outcome)
        except BaseException as error:
            self._error = error

    def _write(self, spool: IO[bytes] | None, outcomes: list[_Outcome]) -> None:
        """Store one job in ONE transaction: the source graphs of its files together with
        the build record's lines for them, so the record never names a file whose graph is
        not stored, nor misses one that is."""
        if spool is None:
            (outcome,) = outcomes
            assert outcome.nquads is not None
            graph = vocab.source_graph_iri(outcome.path.name)
            self.store.replace_graph_nquads(graph, outcome.nquads, add=self.record(outcomes))
        else:
            with spool:
                spool.seek(0)
                # report_nquads checked every IRI: no need to check them again
                self.store.add_new_graphs(spool, lenient=True)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if error is None:
            self._send_spool()
        elif self._spool is not None:
            self._spool.close()
        # The thread stops after the jobs already sent (after an error in the main thread
        # too: each is written whole or not at all, so stopping later is as safe as sooner).
        self._send(None)
        self._thread.join()
        if error is None:
            self._check()


def build(
    paths: Sequence[Path],
    store: KnowledgeGraph,
    *,
    force: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    extractor: Extractor | None = None,
    authorities: Iterable[rdf.AuthorityLike] | None = None,
    datasets: bool = False,
) -> BuildResult:
    """Extract every file under ``paths`` into ``store``, one atomic graph per file.

    Errors are per file and never stop the batch; a file that fails keeps whatever graph an
    earlier build stored for it. ``extractor`` (default ``extract_file``) must be picklable
    when ``workers`` > 1; ``authorities`` defaults to the reference table; ``datasets`` also
    links the shipped data files (``kg.shipped``).

    The store is consistent at every instant, so a build killed at any point leaves a store
    that validates and answers correctly (``tests/test_build_consistency.py``): the reference
    graphs (ontology and theme scheme, authorities, shipped datasets) and the start of the
    build record are written first, in one transaction; then each source graph (or batch of
    new ones) together with its lines of the build record; last, the record's end time.
    A changed ontology, theme scheme or reference table keeps what it no longer describes
    (a theme taken out, say) while graphs built from the old one still use it: that is
    dropped at the end, once no graph names it.
    """
    started = datetime.now(timezone.utc)
    result = BuildResult()
    files: list[Path] = []
    for path in expand_paths(paths):
        (files if is_report_file(path) else result.skipped).append(path)
    fingerprint = extraction_fingerprint()
    if progress is not None:
        progress.start(len(files))

    used: list[rdf.SourceRef] = []
    todo: list[Path] = []
    empty_before = store.is_empty()
    # What every stored source graph was built from, in one query (not two per file).
    recorded = {} if force else store.recorded_sources()
    names: dict[str, tuple[Path, str]] = {}
    for path in files:
        problem = None
        try:
            sha = file_sha256(path)
        except OSError as error:
            problem = f"{path}: cannot read: {error.strerror or error}"
        else:
            first = names.setdefault(path.name, (path, sha))
            if first[0] != path:
                if first[1] == sha:  # a copy of a file already in the batch: nothing new
                    result.unchanged += 1
                    if progress is not None:
                        progress.advance(path, "unchanged")
                    continue
                # Graphs are keyed by file name: a second file of that name would overwrite it.
                problem = f"{path}: another file in this batch has the same name ({first[0]})"
        if problem is not None:
            result.failed += 1
            result.errors.append(problem)
            if progress is not None:
                progress.advance(path, "failed")
            continue
        if recorded.get(vocab.source_graph_iri(path.name)) == (sha, fingerprint):
            result.unchanged += 1
            used.append(rdf.SourceRef(path.name, sha))
            if progress is not None:
                progress.advance(path, "unchanged")
            continue
        todo.append(path)

    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    run_iri = f"{vocab.ID}build/{started.strftime('%Y%m%dT%H%M%S%fZ')}"

    # 1. The reference graphs and the start of the build record, before any source graph.
    if authorities is None:
        authorities = reference_authorities()
    reference = {
        vocab.ONTOLOGY_GRAPH: store.ontology_quads(),
        vocab.AUTHORITIES_GRAPH: rdf.authority_quads(authorities),
    }
    shipped: dict[str, list[ox.Quad]] = {}
    if datasets:
        from kg.shipped import shipped_graphs

        shipped, result.linked = shipped_graphs(store, force=force)
    started_record = rdf.build_quads(run_iri, __version__, started, None, used)
    retired = {g: _retired(store, g, quads) for g, quads in reference.items()}
    store.replace_graphs(
        {
            **{g: quads + _quads_of(retired[g]) for g, quads in reference.items()},
            **shipped,
            vocab.BUILD_GRAPH: started_record,
        }
    )

    # 2. The source graphs, each with its lines of the build record.
    def record(outcomes: list[_Outcome]) -> list[ox.Quad]:
        sources = [rdf.SourceRef(o.path.name, o.sha256) for o in outcomes if o.sha256]
        return rdf.build_quads(run_iri, __version__, started, None, sources)

    # The text index follows the store: a graph's rows are written once the graph is stored,
    # and anything else out of step (a kill between the two) is mended by the sync below.
    index = search.SearchIndex.beside(store.path) if store.path is not None else None

    source_quads = 0  # quads of the source graphs written by this build

    def stored(batch: list[_Outcome]) -> None:
        """Count a batch the writer has stored, and index it (one index transaction)."""
        nonlocal source_quads
        result.built += len(batch)
        source_quads += sum(o.quads for o in batch)
        if index is not None and batch:
            index.replace_sources(o.search for o in batch if o.search is not None)

    with _Writer(store, record, expected=len(todo)) as writer:
        for outcome in _outcomes(todo, n_workers, extractor or extract_file, fingerprint):
            if outcome.nquads is None or outcome.sha256 is None:
                result.failed += 1
                result.errors.append(outcome.error or f"{outcome.path}: failed")
                status = "failed"
            else:
                writer.put(outcome)  # counted as built once stored; shown now
                status = "built"
            if progress is not None:
                progress.advance(outcome.path, status)
            stored(writer.finished())
    stored(writer.finished())
    result.errors.sort()

    # 3. The end of the build record; what the reference graphs kept for older graphs goes
    # once no graph names it.
    ended = datetime.now(timezone.utc)
    pruned = {
        g: quads + _quads_of(_in_use(store, g, retired[g]))
        for g, quads in reference.items()
        if retired[g]  # else the graph holds just ``quads`` since step 1
    }
    store.replace_graphs(pruned, add=rdf.build_quads(run_iri, __version__, started, ended, []))
    result.run_iri = run_iri
    result.triples = _stored_quads(store, source_quads) if empty_before else store.count_triples()
    if source_quads and source_quads >= COMPACT_SHARE * result.triples:
        store.compact()
    if index is not None:
        with index:
            index.sync(store.store)
    return result


def _stored_quads(store: KnowledgeGraph, source_quads: int) -> int:
    """``store.count_triples()`` after a build into an empty store, without scanning the
    source graphs (1-2 s for the 800-document corpus, on the build's serial tail): each was
    new, so it holds its distinct N-Quads lines (``_Outcome.quads``); the other graphs
    (reference, datasets, build record: a few thousand quads) are counted in the store."""
    prefix = vocab.GRAPH + "source/"
    others: list[ox.NamedNode | ox.DefaultGraph] = [
        g
        for g in store.store.named_graphs()
        if isinstance(g, ox.NamedNode) and not g.value.startswith(prefix)
    ]
    return source_quads + store.count_quads_in([*others, ox.DefaultGraph()])


def _retired(
    store: KnowledgeGraph, graph_iri: str, quads: list[ox.Quad]
) -> dict[ox.NamedNode, list[ox.Quad]]:
    """What the stored reference graph says about the IRIs that its new content ``quads`` no
    longer describes (a theme taken out of the scheme, an authority out of the table), by
    subject: kept while graphs built from the old content are not rebuilt, so that they stay
    valid (one scan of the stored graph)."""
    g = ox.NamedNode(graph_iri)
    described = {q.subject for q in quads}
    retired: dict[ox.NamedNode, list[ox.Quad]] = {}
    for q in store.store.quads_for_pattern(None, None, None, g):
        if (
            isinstance(q.subject, ox.NamedNode)
            and q.subject not in described
            and not isinstance(q.object, ox.BlankNode)
        ):
            retired.setdefault(q.subject, []).append(q)
    return retired


def _in_use(
    store: KnowledgeGraph, graph_iri: str, retired: dict[ox.NamedNode, list[ox.Quad]]
) -> dict[ox.NamedNode, list[ox.Quad]]:
    """The ``retired`` IRIs that a graph other than ``graph_iri`` still names."""
    g = ox.NamedNode(graph_iri)
    return {
        subject: old
        for subject, old in retired.items()
        if any(q.graph_name != g for q in store.store.quads_for_pattern(None, None, subject, None))
    }


def _quads_of(by_subject: dict[ox.NamedNode, list[ox.Quad]]) -> list[ox.Quad]:
    return [q for old in by_subject.values() for q in old]
