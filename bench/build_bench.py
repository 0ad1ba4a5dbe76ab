"""Benchmark ``kg build`` against just extracting text from the same PDFs with pypdfium2.

For each data set (``seeds/`` and the re-keyed corpus from ``bench/make_corpus.py``), every run
measures, each in a fresh Python process (so that memory figures are per measurement):

* ``extract-1``: the baseline, single process: for every PDF, open it with pypdfium2 and call
  ``page.get_textpage().get_text_range()`` on every page (text files: read and decode);
* ``extract-N``: the same baseline spread over N worker processes (the build's worker count,
  same start method as the build: forkserver);
* ``build``: ``kg.build.build(paths, store, force=True, workers=N)`` into a fresh temporary
  on-disk store (what ``kg build`` runs, without the progress bar);
* ``store-load`` (the write floor): the N-Quads the build writes for the same files are made
  first, off the clock; then only writing them into a fresh on-disk store is timed, in the
  build's own batches (``KnowledgeGraph.add_new_graphs``, ``kg.build.BATCH_QUADS`` quads
  each). No build of this graph in this store can be faster than this, whatever the
  extractor does, so ``store-load / extract-N`` is the lowest build/extraction ratio
  reachable (``--no-store-floor`` skips it).

The three measurements are interleaved and repeated (``--runs``, default 3); the tables give
medians, and ratios are taken between the medians of the same invocation, so that the shared,
noisy machine affects numerator and denominator alike. Peak memory is the highest sum of the
RSS of the measuring process and all its descendants (sampled every 20 ms from /proc;
shared pages count once per process, so it is an upper bound), with ``ru_maxrss`` of the
process and of its largest child (``getrusage``) for reference.

A last step runs the build once in a single process with timing hooks (and cProfile) to show
where the time goes: read_source (with the pypdfium2 part of it), extract, rdf, store writes.

    python bench/make_corpus.py && python bench/build_bench.py [--runs 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = BENCH / "results"
CORPUS = BENCH / "corpus"  # the realistic corpus: make_corpus.py from the real reports
TEES_CORPUS = BENCH / "corpus-tees"  # the old one: make_corpus.py --input seeds
GIB = 1024**3

# Issue 14, on the realistic 800-document corpus, in the same run: the whole `kg build`, its
# ratio to the 2-process text extraction, peak memory, and `kg build` again with nothing
# changed.
TARGETS = {"corpus_wall_s": 45.0, "peak_rss_bytes": GIB, "ratio": 2.5, "rebuild_wall_s": 3.0}
BATCH_ENV = "KG_BENCH_BATCH_QUADS"  # --batch-quads, handed to the measuring children


# ------------------------------------------------------------------------ the measurements
# (run in a child process: ``build_bench.py --measure KIND ...``)


class TreeMemory:
    """Samples the summed RSS of this process and its descendants in a background thread.

    On Linux it reads ``/proc/<pid>/task/<tid>/children``, ``statm`` and ``stat`` of the
    processes of the tree only: psutil's ``children()`` scans every process on the machine,
    which every 20 ms on a shared 2-core machine cost the measured build a large share of a
    core. Elsewhere it falls back to psutil. It also keeps each descendant's last seen CPU
    seconds (user + system), so runs report CPU time as well as wall time.
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0
        self.peak_processes = 0
        self.peak_self = 0  # the measuring (parent) process alone
        self.peak_other = 0  # the largest single child process (a worker)
        self.child_cpu: dict[int, float] = {}  # pid -> last seen user+system CPU seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._me = os.getpid()
        self._proc = Path(f"/proc/{self._me}/task/{self._me}/children").exists()
        self._page = os.sysconf("SC_PAGE_SIZE") if self._proc else 0
        self._tick = os.sysconf("SC_CLK_TCK") if self._proc else 0
        self._psutil = None
        if not self._proc:
            try:
                import psutil
            except ImportError:
                pass
            else:
                self._psutil = psutil

    @property
    def available(self) -> bool:
        return self._proc or self._psutil is not None

    def _tree(self) -> list[int]:
        """This process and its descendants, from the kernel's per-thread children lists."""
        found, todo = [], [self._me]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                        todo.extend(int(x) for x in f.read().split())
            except OSError:  # gone meanwhile
                continue
        return found

    def _sample_proc(self) -> None:
        total = 0
        pids = self._tree()
        for pid in pids:
            try:
                with open(f"/proc/{pid}/statm", "rb") as f:
                    rss = int(f.read().split()[1]) * self._page
                if pid != self._me:
                    with open(f"/proc/{pid}/stat", "rb") as f:
                        fields = f.read().rsplit(b")", 1)[1].split()
                    # utime and stime are fields 14 and 15 of stat (1-based; 12, 13 here)
                    self.child_cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick
            except (OSError, IndexError, ValueError):
                continue
            total += rss
            if pid == self._me:
                self.peak_self = max(self.peak_self, rss)
            else:
                self.peak_other = max(self.peak_other, rss)
        if total > self.peak:
            self.peak = total
            self.peak_processes = len(pids)

    def sample(self) -> None:
        if self._proc:
            self._sample_proc()
            return
        psutil = self._psutil
        if psutil is None:
            return
        me = psutil.Process()
        try:
            procs = [me, *me.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for p in procs:
            try:
                rss = p.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            if p is not me:
                try:
                    times = p.cpu_times()
                except psutil.Error:
                    pass
                else:
                    self.child_cpu[p.pid] = times.user + times.system
            if p is me:
                self.peak_self = max(self.peak_self, rss)
            else:
                self.peak_other = max(self.peak_other, rss)
        if total > self.peak:
            self.peak = total
            self.peak_processes = len(procs)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        if self.available:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.sample()


def _rss_kib_to_bytes(kib: int) -> int:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    return kib if sys.platform == "darwin" else kib * 1024


def extract_text_baseline(path: str) -> tuple[int, int]:
    """The baseline for one file: (pages, characters) of its raw pypdfium2 text."""
    data = Path(path).read_bytes()
    if b"%PDF-" not in data[:1024]:
        return 0, len(data.decode("utf-8", errors="replace"))
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    chars = 0
    try:
        n = len(pdf)
        for i in range(n):
            page = pdf[i]
            textpage = page.get_textpage()
            chars += len(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return n, chars


def _baseline_chunk(paths: list[str]) -> tuple[int, int]:
    pages = chars = 0
    for p in paths:
        n, c = extract_text_baseline(p)
        pages += n
        chars += c
    return pages, chars


def _pool(workers: int):
    """A process pool started the way kg.build starts its own (forkserver where available)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))


def measure_extract(paths: list[str], workers: int) -> dict:
    import pypdfium2  # noqa: F401 - imported before the clock starts, like kg in the build

    started = time.perf_counter()
    if workers <= 1:
        pages, chars = _baseline_chunk(paths)
    else:
        # Small chunks, in the same order as the build submits files, for load balance.
        chunks = [paths[i : i + 4] for i in range(0, len(paths), 4)]
        pages = chars = 0
        with _pool(workers) as pool:
            for n, c in pool.map(_baseline_chunk, chunks):
                pages += n
                chars += c
    wall = time.perf_counter() - started
    return {"wall_s": wall, "docs": len(paths), "pages": pages, "chars": chars}


def measure_build(paths: list[str], workers: int) -> dict:
    from kg.build import build
    from kg.shipped import import_default_datasets
    from kg.store import KnowledgeGraph

    where = Path(tempfile.mkdtemp(prefix="kg-bench-store-"))
    try:
        # What `kg build` runs: the build, then linking the shipped datasets.
        started = time.perf_counter()
        store = KnowledgeGraph.open(where / "store")
        try:
            result = build([Path(p) for p in paths], store, force=True, workers=workers)
            built = time.perf_counter()
            import_default_datasets(store)
        finally:
            store.close()
        wall = time.perf_counter() - started
        # `kg build` of the same files again, nothing changed (a new process would also pay
        # imports, ~1 s: see process_s).
        again = time.perf_counter()
        store = KnowledgeGraph.open(where / "store")
        try:
            second = build([Path(p) for p in paths], store, workers=workers)
            import_default_datasets(store)
        finally:
            store.close()
        rebuild = time.perf_counter() - again
        size = sum(f.stat().st_size for f in where.rglob("*") if f.is_file())
    finally:
        shutil.rmtree(where, ignore_errors=True)
    return {
        "wall_s": wall,
        "build_only_s": built - started,
        "datasets_s": wall - (built - started),
        "rebuild_wall_s": rebuild,
        "rebuild_unchanged": second.unchanged,
        "docs": len(paths),
        "built": result.built,
        "failed": result.failed,
        "unchanged": result.unchanged,
        "triples": result.triples,
        "store_bytes": size,
        "errors": result.errors[:20],
    }


def _nquads_of(path: str) -> bytes:
    """What a build worker sends the writer for one file (``b""`` for a failed file)."""
    from kg.build import _work, extract_file, extraction_fingerprint

    return _work(Path(path), extract_file, extraction_fingerprint()).nquads or b""


def measure_store_load(paths: list[str], workers: int) -> dict:
    """Time only the store writes of a build of ``paths``: the write floor (module doc)."""
    from kg.build import BATCH_QUADS
    from kg.store import KnowledgeGraph

    where = Path(tempfile.mkdtemp(prefix="kg-bench-load-"))
    try:
        batches: list[Path] = []
        batch: list[bytes] = []
        quads = size = 0

        def spill() -> None:
            nonlocal batch, size
            if batch:
                batches.append(where / f"batch-{len(batches)}.nq")
                batches[-1].write_bytes(b"".join(batch))
                batch, size = [], 0

        with _pool(workers) as pool:  # untimed: making the N-Quads
            for data in pool.map(_nquads_of, paths, chunksize=4):
                batch.append(data)
                n = data.count(b"\n")
                quads += n
                size += n
                if size >= BATCH_QUADS:
                    spill()
        spill()
        for f in batches:  # warm the page cache
            f.read_bytes()
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the bulk load
        store = KnowledgeGraph.open(where / "store")
        try:
            for f in batches:
                with f.open("rb") as handle:
                    store.add_new_graphs(handle, lenient=True)
        finally:
            store.close()
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        shutil.rmtree(where, ignore_errors=True)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "docs": len(paths),
        "quads": quads,
        "batches": len(batches),
    }


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that pools shut down and temporary stores go away."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def _apply_batch_quads() -> None:
    """``--batch-quads``: the driver passes it to its measuring children in the environment."""
    value = os.environ.get(BATCH_ENV)
    if value:
        import kg.build

        kg.build.BATCH_QUADS = int(value)


def child_main(kind: str, list_file: Path, workers: int) -> None:
    _exit_on_sigterm()
    _apply_batch_quads()
    paths = [line for line in list_file.read_text(encoding="utf-8").splitlines() if line]
    with TreeMemory() as memory:
        if kind == "build":
            out = measure_build(paths, workers)
        elif kind == "store-load":
            out = measure_store_load(paths, workers)
        else:
            out = measure_extract(paths, workers)
    out["workers"] = workers
    own = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds, not only wall time: the machine is shared, so wall time is noisy. Workers'
    # figures are the last sample of each descendant (up to 20 ms short of their total).
    out["cpu_parent_s"] = own.ru_utime + own.ru_stime
    out["cpu_children_s"] = sum(memory.child_cpu.values()) if memory.available else None
    out["peak_tree_rss_bytes"] = memory.peak if memory.available else None
    out["peak_tree_processes"] = memory.peak_processes
    out["peak_parent_rss_bytes"] = memory.peak_self if memory.available else None
    out["peak_worker_rss_bytes"] = memory.peak_other if memory.available else None
    out["maxrss_self_bytes"] = _rss_kib_to_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    out["maxrss_children_bytes"] = _rss_kib_to_bytes(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    print("RESULT " + json.dumps(out))


# ----------------------------------------------------------------------------- the driver


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a measuring child; if this process is stopped, stop the child too (it cleans up)."""
    child = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        out, err = child.communicate()
    except BaseException:
        child.terminate()
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
        raise
    return subprocess.CompletedProcess(cmd, child.returncode, out, err)


def run_child(kind: str, list_file: Path, workers: int) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        kind,
        "--list",
        str(list_file),
        "--workers",
        str(workers),
    ]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = _run(cmd)
    elapsed = time.perf_counter() - started
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"measurement {kind} (workers={workers}) failed ({proc.returncode})")
    out = json.loads(lines[-1][len("RESULT ") :])
    out["process_s"] = elapsed  # including interpreter start-up and imports
    out["loadavg_1min_before"] = load  # how busy the shared machine was
    return out


def dataset_files(directory: Path) -> list[Path]:
    from kg.build import expand_paths, is_report_file

    return [p for p in expand_paths([directory]) if is_report_file(p)]


def _median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarise(name: str, files: list[Path], runs: dict[str, list[dict]], workers: int) -> dict:
    build = runs["build"]
    b_wall = _median(build, "wall_s")
    e1 = _median(runs["extract-1"], "wall_s")
    extract_n = runs[f"extract-{workers}"]
    en = _median(extract_n, "wall_s")
    triples = build[-1]["triples"]
    peak = _median(build, "peak_tree_rss_bytes")
    return {
        "dataset": name,
        "docs": len(files),
        "pdfs": sum(p.suffix.lower() == ".pdf" for p in files),
        "pages": runs["extract-1"][-1]["pages"],
        "workers": workers,
        "runs": len(build),
        "build_wall_s": b_wall,
        "build_wall_s_all": [round(r["wall_s"], 3) for r in build],
        "build_only_s": _median(build, "build_only_s"),
        "datasets_s": _median(build, "datasets_s"),
        "rebuild_wall_s": _median(build, "rebuild_wall_s"),
        "rebuild_wall_s_all": [round(r.get("rebuild_wall_s", 0), 3) for r in build],
        "build_process_s": _median(build, "process_s"),
        # CPU seconds (user + system): steadier than wall time on a shared machine
        "build_cpu_parent_s": _median(build, "cpu_parent_s"),
        "build_cpu_workers_s": _median(build, "cpu_children_s"),
        "build_cpu_parent_s_all": [r.get("cpu_parent_s") for r in build],
        "build_cpu_workers_s_all": [r.get("cpu_children_s") for r in build],
        "batch_quads": _batch_quads(),
        "built": build[-1]["built"],
        "failed": build[-1]["failed"],
        "errors": build[-1]["errors"],
        "triples": triples,
        "store_bytes": build[-1]["store_bytes"],
        "docs_per_s": len(files) / b_wall,
        "triples_per_s": triples / b_wall,
        "peak_tree_rss_bytes": peak,
        "peak_parent_rss_bytes": _median(build, "peak_parent_rss_bytes"),
        "peak_worker_rss_bytes": _median(build, "peak_worker_rss_bytes"),
        "maxrss_parent_bytes": _median(build, "maxrss_self_bytes"),
        # getrusage only sees children that were waited for: kg.build's forkserver workers are
        # grandchildren reaped by the forkserver, so this is usually 0 (psutil figures above).
        "maxrss_children_bytes": _median(build, "maxrss_children_bytes"),
        "extract_1_wall_s": e1,
        "extract_1_wall_s_all": [round(r["wall_s"], 3) for r in runs["extract-1"]],
        f"extract_{workers}_wall_s": en,
        f"extract_{workers}_wall_s_all": [round(r["wall_s"], 3) for r in extract_n],
        "extract_n_peak_tree_rss_bytes": _median(extract_n, "peak_tree_rss_bytes"),
        "ratio_vs_extract_n": b_wall / en,
        "ratio_vs_extract_1": b_wall / e1,
        "other_builds": {},
        "raw": runs,
    }


def _batch_quads() -> int | None:
    """The build's bulk-load batch size in these measurements (``--batch-quads`` or default)."""
    if os.environ.get(BATCH_ENV):
        return int(os.environ[BATCH_ENV])
    try:
        from kg.build import BATCH_QUADS
    except ImportError:  # an older kg.build
        return None
    return BATCH_QUADS


def bench_dataset(
    name: str,
    files: list[Path],
    workers: int,
    n_runs: int,
    tmp: Path,
    extra_workers: list[int] | None = None,
    store_floor: bool = True,
) -> dict:
    list_file = tmp / f"{name}.list"
    list_file.write_text("\n".join(str(p) for p in files) + "\n", encoding="utf-8")
    for p in files:  # warm the page cache so the first run is not penalised
        p.read_bytes()
    kinds = [
        ("extract-1", "extract", 1),
        (f"extract-{workers}", "extract", workers),
        ("build", "build", workers),
    ]
    kinds += [(f"build-{w}", "build", w) for w in extra_workers or [] if w != workers]
    if store_floor:
        kinds.append(("store-load", "store-load", workers))
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in kinds}
    for i in range(n_runs):
        for label, kind, w in kinds:
            out = run_child(kind, list_file, w)
            runs[label].append(out)
            extra = ""
            if kind == "store-load":
                extra = f", {out['quads']} quads in {out['batches']} bulk loads"
            if kind == "build":
                extra = (
                    f", {out['triples']} triples, {out['failed']} failed, CPU s parent "
                    f"{_secs(out.get('cpu_parent_s'))} workers "
                    f"{_secs(out.get('cpu_children_s'))}"
                )
            print(
                f"  {name} run {i + 1}/{n_runs} {label:<10} {out['wall_s']:7.2f} s "
                f"peak {_gib(out['peak_tree_rss_bytes'])}{extra} "
                f"(load average before: {out['loadavg_1min_before']:.1f})",
                file=sys.stderr,
            )
    summary = summarise(name, files, runs, workers)
    if store_floor:
        floor = _median(runs["store-load"], "wall_s")
        summary["store_load_wall_s"] = floor
        summary["store_load_wall_s_all"] = [round(r["wall_s"], 3) for r in runs["store-load"]]
        summary["store_load_quads"] = runs["store-load"][-1]["quads"]
        summary["ratio_floor_vs_extract_n"] = floor / summary[f"extract_{workers}_wall_s"]
        summary["ratio_floor_vs_extract_1"] = floor / summary["extract_1_wall_s"]
        # The same floor in CPU seconds (the bulk load runs several threads): on a machine
        # this busy, what the build cannot do without plus what it adds is the whole story.
        store_cpu = _median(runs["store-load"], "cpu_s")
        extract_cpu = _median(runs["extract-1"], "cpu_parent_s")
        build_cpu = [
            (r.get("cpu_parent_s") or 0) + (r.get("cpu_children_s") or 0) for r in runs["build"]
        ]
        if store_cpu and extract_cpu and all(build_cpu):
            summary["store_load_cpu_s"] = store_cpu
            summary["extract_1_cpu_s"] = extract_cpu
            summary["build_cpu_total_s"] = statistics.median(build_cpu)
            summary["cpu_floor_wall_s"] = (store_cpu + extract_cpu) / workers
    for label, _, w in kinds[3:]:
        if label == "store-load":
            continue
        summary["other_builds"][str(w)] = {
            "workers": w,
            "build_wall_s": _median(runs[label], "wall_s"),
            "build_wall_s_all": [round(r["wall_s"], 3) for r in runs[label]],
            "peak_tree_rss_bytes": _median(runs[label], "peak_tree_rss_bytes"),
            "failed": runs[label][-1]["failed"],
        }
    return summary


# ------------------------------------------------------------------------- stage profile

STAGES = [
    # (label, module, attribute): wrapped with a timer when they exist (kg.build is being
    # reworked; a hook whose target is gone is skipped). "a > b" is part of a.
    ("worker side (_work: read, extract, rdf, serialise)", "kg.build", "_work"),
    ("worker side > read_source", "kg.text", "read_source"),
    ("worker side > read_source > pdf_text", "kg.text", "pdf_text"),
    (
        "worker side > read_source > pdf_text > pypdfium2 open/page/textpage/text",
        "pypdfium2",
        "PdfDocument.__init__",
    ),
    (
        "worker side > read_source > pdf_text > pypdfium2 open/page/textpage/text",
        "pypdfium2",
        "PdfDocument.get_page",
    ),
    (
        "worker side > read_source > pdf_text > pypdfium2 open/page/textpage/text",
        "pypdfium2",
        "PdfPage.get_textpage",
    ),
    (
        "worker side > read_source > pdf_text > pypdfium2 open/page/textpage/text",
        "pypdfium2",
        "PdfTextPage.get_text_range",
    ),
    (
        "worker side > read_source > pdf_text > pypdfium2 get_charbox",
        "pypdfium2",
        "PdfTextPage.get_charbox",
    ),
    ("worker side > extract", "kg.extract", "extract"),
    ("worker side > rdf.report_nquads", "kg.rdf", "report_nquads"),
    ("worker side > rdf.report_quads", "kg.rdf", "report_quads"),
    ("worker side > rdf.extraction_quads", "kg.rdf", "extraction_quads"),
    ("worker side > rdf.serialize_nquads", "kg.rdf", "serialize_nquads"),
    ("worker side > pyoxigraph.serialize", "pyoxigraph", "serialize"),
    (
        "parent > writer: store.add_new_graphs (bulk loads)",
        "kg.store",
        "KnowledgeGraph.add_new_graphs",
    ),
    (
        "parent > writer: store.replace_graph_nquads",
        "kg.store",
        "KnowledgeGraph.replace_graph_nquads",
    ),
    (
        "parent > writer: store.replace_graph_ntriples",
        "kg.store",
        "KnowledgeGraph.replace_graph_ntriples",
    ),
    (
        "parent > store.replace_graph (ontology, authorities, build graphs)",
        "kg.store",
        "KnowledgeGraph.replace_graph",
    ),
    ("parent > store.load_ontology", "kg.store", "KnowledgeGraph.load_ontology"),
    ("parent > store.count_triples", "kg.store", "KnowledgeGraph.count_triples"),
    ("parent > file sha256", "kg.build", "file_sha256"),
    ("parent > extraction fingerprint", "kg.build", "extraction_fingerprint"),
    ("parent > store.close (flush)", "kg.store", "KnowledgeGraph.close"),
]


def _install_timers() -> dict[str, list[float]]:
    import functools
    import importlib

    totals: dict[str, list[float]] = {}
    for label, module_name, attr in STAGES:
        module = importlib.import_module(module_name)
        owner: object = module
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            continue
        original = getattr(owner, name)
        cell = totals.setdefault(label, [0.0, 0])

        def timed(*args, __f=original, __cell=cell, **kwargs):
            t = time.perf_counter()
            try:
                return __f(*args, **kwargs)
            finally:
                __cell[0] += time.perf_counter() - t
                __cell[1] += 1

        try:
            functools.update_wrapper(timed, original)
        except AttributeError:
            pass
        try:
            setattr(owner, name, timed)
        except (AttributeError, TypeError):  # a built-in type's method cannot be replaced
            del totals[label]
    # kg.build imports serialize as ``ox.serialize``: the pyoxigraph module attribute is
    # what it calls, so the hook above sees it.
    return totals


def profile_main(list_file: Path, out_file: Path, use_cprofile: bool) -> None:
    """One single-process build with timing hooks, or under cProfile (in a child process)."""
    import cProfile
    import io
    import pstats

    paths = [Path(x) for x in list_file.read_text(encoding="utf-8").splitlines() if x]
    # The yardstick in the same machine state: the baseline extraction, in this process.
    baseline_s = None
    if not use_cprofile:
        t = time.perf_counter()
        _baseline_chunk([str(p) for p in paths])
        baseline_s = time.perf_counter() - t
    totals = _install_timers() if not use_cprofile else {}
    from kg.build import build
    from kg.store import KnowledgeGraph

    where = Path(tempfile.mkdtemp(prefix="kg-bench-profile-"))
    profiler = cProfile.Profile()
    try:
        with TreeMemory() as memory:
            started = time.perf_counter()
            store = KnowledgeGraph.open(where / "store")
            if use_cprofile:
                profiler.enable()
            try:
                result = build(paths, store, force=True, workers=1)
            finally:
                store.close()
                profiler.disable()
            wall = time.perf_counter() - started
    finally:
        shutil.rmtree(where, ignore_errors=True)
    out = {
        "wall_s": wall,
        "docs": len(paths),
        "built": result.built,
        "failed": result.failed,
        "triples": result.triples,
        "peak_rss_bytes": memory.peak if memory.available else None,
        "baseline_extract_s": baseline_s,
        "stages": {k: {"s": v[0], "calls": v[1]} for k, v in totals.items()},
    }
    if use_cprofile:
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("tottime").print_stats(30)
        out["cprofile_top_tottime"] = stream.getvalue()
    out_file.write_text(json.dumps(out, indent=1), encoding="utf-8")


def run_profile(files: list[Path], tmp: Path, use_cprofile: bool) -> dict:
    list_file = tmp / "profile.list"
    list_file.write_text("\n".join(str(p) for p in files) + "\n", encoding="utf-8")
    out_file = tmp / "profile.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--profile-child",
        "--list",
        str(list_file),
        "--out",
        str(out_file),
    ]
    if use_cprofile:
        cmd.append("--cprofile")
    proc = _run(cmd)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit("profile run failed")
    return json.loads(out_file.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------ reporting


def _gib(n: float | None) -> str:
    return "n/a" if n is None else f"{n / GIB:.2f} GiB"


def _secs(n: float | None) -> str:
    return "n/a" if n is None else f"{n:.1f}"


def _mib(n: float | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:.0f} MiB"


def _summary_tables(summaries: list[dict], workers: int) -> list[str]:
    lines = [
        f"| data set | docs (PDF) | pages | build wall (median) | docs/s | triples | triples/s "
        f"| peak RSS, all processes | extract 1 proc | extract {workers} proc "
        f"| ratio build / extract {workers} proc | ratio build / extract 1 proc |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        lines.append(
            f"| {s['dataset']} | {s['docs']} ({s['pdfs']}) | {s['pages']} "
            f"| {s['build_wall_s']:.2f} s | {s['docs_per_s']:.1f} | {s['triples']:,} "
            f"| {s['triples_per_s']:,.0f} | {_gib(s['peak_tree_rss_bytes'])} "
            f"| {s['extract_1_wall_s']:.2f} s | {s[f'extract_{workers}_wall_s']:.2f} s "
            f"| **{s['ratio_vs_extract_n']:.2f}** | {s['ratio_vs_extract_1']:.2f} |"
        )
    lines.append("")
    lines.append(
        "| data set | build runs (s) | extract 1 proc runs (s) "
        f"| extract {workers} proc runs (s) | build CPU s, parent (median) "
        "| build CPU s, workers (median) | peak RSS parent | peak RSS largest worker "
        "| ru_maxrss parent | failed |"
    )
    lines.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for s in summaries:
        lines.append(
            f"| {s['dataset']} | {', '.join(f'{x:.2f}' for x in s['build_wall_s_all'])} "
            f"| {', '.join(f'{x:.2f}' for x in s['extract_1_wall_s_all'])} "
            f"| {', '.join(f'{x:.2f}' for x in s[f'extract_{workers}_wall_s_all'])} "
            f"| {_secs(s.get('build_cpu_parent_s'))} | {_secs(s.get('build_cpu_workers_s'))} "
            f"| {_mib(s['peak_parent_rss_bytes'])} | {_mib(s['peak_worker_rss_bytes'])} "
            f"| {_mib(s['maxrss_parent_bytes'])} | {s['failed']} |"
        )
    floors = [s for s in summaries if s.get("store_load_wall_s")]
    if floors:
        lines += [
            "",
            "Write floor: only writing the build's N-Quads (made beforehand) into a "
            "fresh store, in the build's batches:",
            "",
            "| data set | quads | store load (median) | runs (s) | share of the build "
            f"| store load / extract {workers} proc | store load / extract 1 proc |",
            "|---|---:|---:|---|---:|---:|---:|",
        ]
        for s in floors:
            lines.append(
                f"| {s['dataset']} | {s['store_load_quads']:,} | {s['store_load_wall_s']:.2f} s "
                f"| {', '.join(f'{x:.2f}' for x in s['store_load_wall_s_all'])} "
                f"| {100 * s['store_load_wall_s'] / s['build_wall_s']:.0f}% "
                f"| {s['ratio_floor_vs_extract_n']:.2f} | {s['ratio_floor_vs_extract_1']:.2f} |"
            )
        cpu = [s for s in floors if s.get("cpu_floor_wall_s")]
        if cpu:
            lines += [
                "",
                "The same in CPU seconds (user + system, all threads and processes): what "
                f"no build can do without, spread over {workers} cores, against what the "
                "build uses:",
                "",
                "| data set | store load CPU s | text extraction CPU s (1 proc) "
                f"| floor on {workers} cores | build CPU s, all | build's own work CPU s |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for s in cpu:
                own = s["build_cpu_total_s"] - s["store_load_cpu_s"] - s["extract_1_cpu_s"]
                lines.append(
                    f"| {s['dataset']} | {s['store_load_cpu_s']:.1f} "
                    f"| {s['extract_1_cpu_s']:.1f} | {s['cpu_floor_wall_s']:.1f} s "
                    f"| {s['build_cpu_total_s']:.1f} | {own:.1f} |"
                )
    extra = [(s, o) for s in summaries for o in s["other_builds"].values()]
    if extra:
        lines += [
            "",
            "| data set | build workers | build wall (median) | runs (s) "
            "| peak RSS, all processes | vs extract 1 proc | vs the main build |",
            "|---|---:|---:|---|---:|---:|---:|",
        ]
        for s, o in extra:
            lines.append(
                f"| {s['dataset']} | {o['workers']} | {o['build_wall_s']:.2f} s "
                f"| {', '.join(f'{x:.2f}' for x in o['build_wall_s_all'])} "
                f"| {_gib(o['peak_tree_rss_bytes'])} "
                f"| {o['build_wall_s'] / s['extract_1_wall_s']:.2f} "
                f"| {o['build_wall_s'] / s['build_wall_s']:.2f} |"
            )
    return lines


def markdown(summaries: list[dict], profile: dict | None, workers: int) -> str:
    lines: list[str] = []
    if summaries:
        lines += _summary_tables(summaries, workers)

    if profile:
        lines += [
            "",
            f"Stage profile: one single-process build (workers=1) of "
            f"{profile['dataset']} with timing hooks ({profile['docs']} docs, "
            f"{profile['wall_s']:.1f} s wall, {profile['triples']:,} triples, "
            f"peak RSS {_gib(profile.get('peak_rss_bytes'))}, {profile['failed']} failed):",
            "",
            "| stage | seconds | share of wall | x baseline extraction | calls |",
            "|---|---:|---:|---:|---:|",
        ]
        base = profile.get("baseline_extract_s")
        if base:
            lines.append(
                f"| (baseline: pypdfium2 text of the same files, same process) "
                f"| {base:.2f} | | 1.00 | |"
            )
        for label, v in profile["stages"].items():
            if v["calls"]:
                times = f"{v['s'] / base:.2f}" if base else ""
                lines.append(
                    f"| {label} | {v['s']:.2f} | {100 * v['s'] / profile['wall_s']:.0f}% "
                    f"| {times} | {v['calls']} |"
                )
        split = parallel_split(profile)
        cores = os.cpu_count() or 1
        floor = max(
            split["worker_s"] / workers,
            split["parent_s"],
            (split["worker_s"] + split["parent_s"]) / cores,
        )
        lines += [
            f"| parent > other (unattributed) | {split['other_s']:.2f} "
            f"| {100 * split['other_s'] / profile['wall_s']:.0f}% | | |",
            "",
            f"Stages named 'writer' run in the build's writer thread, alongside the worker side "
            f"even in a single-process build, so shares can add up to more than 100%. In the "
            f"parallel build the workers do the worker side ({split['worker_s']:.1f} s here) "
            f"and the parent the rest ({split['parent_s']:.1f} s, of which writes "
            f"{split['writer_s']:.1f} s). With {workers} workers on {cores} cores the wall time "
            f"cannot go below about max({split['worker_s']:.1f} / {workers}, "
            f"{split['parent_s']:.1f}, all / {cores}) = {floor:.1f} s, before pool start-up "
            f"and machine noise.",
        ]
    return "\n".join(lines)


def parallel_split(profile: dict) -> dict:
    """Split a single-process profile into worker-side and parent-side seconds."""
    stages = {k: v["s"] for k, v in profile["stages"].items() if v["calls"]}
    worker_label = next((k for k in stages if k.startswith("worker side (")), None)
    if worker_label is not None:
        worker = stages[worker_label]
    else:
        worker = sum(
            v for k, v in stages.items() if k.count(">") == 1 and k.startswith("worker side")
        )
    writer = sum(v for k, v in stages.items() if k.startswith("parent > writer"))
    parent_known = sum(
        v
        for k, v in stages.items()
        if k.startswith("parent >") and "load_ontology" not in k and "writer" not in k
    )
    # The writer thread overlaps the worker side: what is left of the wall time after the
    # worker side and the known main-thread stages is not all "other".
    other = max(0.0, profile["wall_s"] - worker - parent_known - writer)
    parent = parent_known + writer + other
    return {"worker_s": worker, "parent_s": parent, "writer_s": writer, "other_s": other}


def target_rows(summaries: list[dict]) -> list[tuple[str, str, str, bool]]:
    """(what, figure, target, met) for the realistic corpus, the issue's targets."""
    corpus = next((s for s in summaries if s["dataset"] == "corpus"), None)
    if corpus is None:
        return []
    peak = (corpus["peak_tree_rss_bytes"] or 0) / GIB
    extract_n = corpus[f"extract_{corpus['workers']}_wall_s"]
    rows = [
        (
            f"whole `kg build`, {corpus['docs']} documents",
            f"{corpus['build_wall_s']:.1f} s",
            f"≤ {TARGETS['corpus_wall_s']:g} s",
            corpus["build_wall_s"] <= TARGETS["corpus_wall_s"],
        ),
        (
            f"build / text extraction ({corpus['workers']} processes, {extract_n:.1f} s)",
            f"{corpus['ratio_vs_extract_n']:.2f} x",
            f"≤ {TARGETS['ratio']:g} x",
            corpus["ratio_vs_extract_n"] <= TARGETS["ratio"],
        ),
        ("peak memory, all processes", f"{peak:.2f} GiB", "≤ 1 GiB", peak <= 1.0),
    ]
    if corpus.get("rebuild_wall_s") is not None:
        rows.append(
            (
                "`kg build` again, nothing changed",
                f"{corpus['rebuild_wall_s']:.2f} s",
                f"≤ {TARGETS['rebuild_wall_s']:g} s",
                corpus["rebuild_wall_s"] <= TARGETS["rebuild_wall_s"],
            )
        )
    return rows


def targets_table(summaries: list[dict]) -> list[str]:
    rows = target_rows(summaries)
    if not rows:
        return []
    lines = ["| target (realistic corpus) | figure | target | met |", "|---|---:|---:|---|"]
    for what, figure, target, met in rows:
        lines.append(f"| {what} | {figure} | {target} | {'yes' if met else '**no**'} |")
    return lines


def verdict(summaries: list[dict]) -> list[str]:
    notes = []
    corpus = next((s for s in summaries if s["dataset"] == "corpus"), None)
    if corpus is None:
        return notes
    for what, figure, target, met in target_rows(summaries):
        notes.append(f"- {what}: {figure} (target {target}): " + ("met" if met else "MISSED"))
    if corpus.get("store_load_wall_s"):
        notes.append(
            f"- write floor: storing the graph alone takes "
            f"{corpus['store_load_wall_s']:.2f} s, "
            f"{corpus['ratio_floor_vs_extract_n']:.2f} x the extraction: no build "
            f"into this store can get its ratio below that"
        )
    if corpus.get("cpu_floor_wall_s"):
        cores = corpus["workers"]
        own = corpus["build_cpu_total_s"] - corpus["store_load_cpu_s"] - corpus["extract_1_cpu_s"]
        notes.append(
            f"- CPU floor: writing the graph ({corpus['store_load_cpu_s']:.1f} CPU s) and "
            f"extracting the text ({corpus['extract_1_cpu_s']:.1f} CPU s) alone need "
            f"{corpus['cpu_floor_wall_s']:.1f} s on {cores} cores; the build uses "
            f"{corpus['build_cpu_total_s']:.1f} CPU s in all, {own:.1f} of them its own work "
            f"(reading the page layout, extraction, RDF, the text index, moving the data "
            f"between processes); {TARGETS['corpus_wall_s']:g} s on {cores} cores allows "
            f"{TARGETS['corpus_wall_s'] * cores:.0f} CPU s"
        )
    if corpus["docs"] < 800:
        notes.append(f"- note: the corpus has only {corpus['docs']} documents (target 800)")
    return notes


def results_markdown(summaries: list[dict], workers: int, started: datetime, out: Path) -> None:
    """The tables the README shows (``bench/readme_tables.py`` copies them in)."""
    load = os.getloadavg()[0]
    lines = [
        f"Measured {started.strftime('%Y-%m-%d %H:%M UTC')} by `python bench/build_bench.py` "
        f"on {os.cpu_count()} shared cores (load average {load:.1f} at the end): medians of "
        f"{summaries[0]['runs'] if summaries else 0} runs; ratios between medians of the "
        "same run. `tees`: 800 re-keyed copies of the 38 Tees Valley seeds; `corpus`: 800 "
        "re-keyed copies of the real national and Tees Valley reports.",
        "",
        *targets_table(summaries),
        "",
        *_summary_tables(summaries, workers),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions per measurement (3)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="build workers (default: CPU count)",
    )
    parser.add_argument(
        "--extra-workers",
        type=int,
        nargs="*",
        default=[1],
        help="also time the build with these worker counts (default: 1)",
    )
    parser.add_argument(
        "--datasets",
        default="tees,corpus",
        help="comma-separated: seeds, tees (the old corpus of Tees Valley copies), corpus "
        "(the realistic one; default: tees,corpus)",
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="realistic corpus directory")
    parser.add_argument(
        "--tees-corpus", type=Path, default=TEES_CORPUS, help="old corpus directory"
    )
    parser.add_argument(
        "--profile",
        choices=["corpus", "tees", "seeds", "none"],
        default="corpus",
        help="data set for the single-process stage profile (corpus)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument(
        "--no-store-floor",
        action="store_true",
        help="skip the store-load (write floor) measurement",
    )
    parser.add_argument(
        "--batch-quads",
        type=int,
        default=None,
        help="quads per bulk load in the builds (default: kg.build.BATCH_QUADS)",
    )
    # internal: one measurement in a child process
    parser.add_argument(
        "--measure", choices=["build", "extract", "store-load"], help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--cprofile-docs",
        type=int,
        default=120,
        help="documents for the cProfile run (a spread sample; 0: none)",
    )
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--list", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:
        child_main(args.measure, args.list, args.workers)
        return 0
    if args.profile_child:
        _exit_on_sigterm()
        _apply_batch_quads()
        profile_main(args.list, args.out, args.cprofile)
        return 0
    _exit_on_sigterm()
    if args.batch_quads:
        os.environ[BATCH_ENV] = str(args.batch_quads)

    names = [x.strip() for x in args.datasets.split(",") if x.strip()]
    dirs = {"seeds": ROOT / "seeds", "corpus": args.corpus, "tees": args.tees_corpus}
    for name in names:
        if name != "seeds" and not (dirs[name] / "MANIFEST.json").exists():
            raise SystemExit(
                f"no corpus at {dirs[name]}: run `python bench/make_corpus.py` first "
                "(the old one: --input seeds --out bench/corpus-tees)"
            )
    summaries = []
    profile = None
    started = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for name in names:
            files = dataset_files(dirs[name])
            print(
                f"{name}: {len(files)} documents, {args.runs} runs, {args.workers} workers",
                file=sys.stderr,
            )
            summaries.append(
                bench_dataset(
                    name,
                    files,
                    args.workers,
                    args.runs,
                    tmp,
                    args.extra_workers,
                    not args.no_store_floor,
                )
            )
        if args.profile != "none":
            files = dataset_files(dirs[args.profile])
            print(f"stage profile: single-process build of {args.profile}", file=sys.stderr)
            profile = run_profile(files, tmp, use_cprofile=False)
            profile["dataset"] = args.profile
            if args.cprofile_docs > 0:
                step = max(1, len(files) // args.cprofile_docs)
                sample = files[::step][: args.cprofile_docs]
                print(
                    f"cProfile: single-process build of {len(sample)} {args.profile} docs",
                    file=sys.stderr,
                )
                profiled = run_profile(sample, tmp, use_cprofile=True)
                profile["cprofile_docs"] = profiled["docs"]
                profile["cprofile_wall_s"] = profiled["wall_s"]
                profile["cprofile_top_tottime"] = profiled["cprofile_top_tottime"]

    table = markdown(summaries, profile, args.workers)
    notes = verdict(summaries)
    results_markdown(summaries, args.workers, started, args.out / "build.md")
    print(table)
    if notes:
        print("\n" + "\n".join(notes))
    if profile and profile.get("cprofile_top_tottime"):
        print(
            f"\ncProfile of a single-process build of {profile['cprofile_docs']} "
            f"{profile['dataset']} docs, top functions by own time:\n"
        )
        print(profile["cprofile_top_tottime"])
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        from kg.build import extraction_fingerprint

        code = extraction_fingerprint()
    except Exception:
        code = None
    record = {
        "started": started.isoformat(timespec="seconds"),
        "kg_code_fingerprint": code,  # kg.build.extraction_fingerprint(): code + data hash
        "load_average_at_end": os.getloadavg(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "targets": TARGETS,
        "summaries": summaries,
        "profile": profile,
        "verdict": notes,
        "markdown": table,
    }
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    for name in (f"build_bench-{stamp}.json", "latest.json"):
        (args.out / name).write_text(json.dumps(record, indent=1), encoding="utf-8")
    print(f"\nwritten {args.out / f'build_bench-{stamp}.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
