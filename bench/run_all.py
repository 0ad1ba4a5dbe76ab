"""Every benchmark of issue 14 in one run, then the README's tables made from their results.

The steps, each a script of its own (run them alone to repeat one):

1. ``build_bench.py`` on the realistic corpus: the whole build against the 2-process text
   extraction, the store's write floor (wall and CPU), peak memory, the unchanged rebuild;
2. ``kg build`` of the same corpus into ``bench/store-800`` (the 800-document graph the next
   steps read), skipped when that store is complete (``store-800.ready``) unless
   ``--rebuild-store``: a store built by older code answers with older rows;
3. ``query_bench.py``: every saved query on that graph, against rdflib on a part of it;
4. ``search_bench.py``: ``kg search`` (tantivy) on the same graph, against the SQLite FTS5
   it replaced and ``find-text``;
5. ``serve_bench.py``: ``kg serve`` under concurrent clients on the same graph;
6. ``readme_tables.py``: the README's benchmark section from ``bench/results/``.

    python bench/run_all.py --corpus bench/corpus [--rebuild-store] [--runs 3]

The machine is shared: the figures are medians and ratios within each step's own run, and
each table says the load average it was measured at.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
STORE = BENCH / "store-800"
# What the benches import beyond the package: the ``bench`` extra.
BENCH_MODULES = ("psutil", "fpdf")


def _step(title: str, cmd: list[str]) -> None:
    print(f"== {title}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run(cmd, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"error: {title} failed (exit {done.returncode}) after {took:.0f} s")
    print(f"== {title}: done in {took:.0f} s", file=sys.stderr, flush=True)


def _kg() -> list[str]:
    """The ``kg`` of this interpreter's environment (the one the benches import)."""
    return [sys.executable, "-m", "kg.cli"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=BENCH / "corpus", help="bench/corpus")
    parser.add_argument("--store", type=Path, default=STORE, help="bench/store-800")
    parser.add_argument("--rebuild-store", action="store_true", help="build the store again")
    parser.add_argument("--runs", type=int, default=3, help="build bench repetitions (3)")
    parser.add_argument("--query-runs", type=int, default=5, help="query bench runs (5)")
    parser.add_argument("--skip", nargs="*", default=[], help="steps to leave out, by name")
    args = parser.parse_args(argv)
    missing = [m for m in BENCH_MODULES if importlib.util.find_spec(m) is None]
    if missing:  # found now, not when the serve bench starts half an hour in
        raise SystemExit(
            f"error: {', '.join(missing)} not installed: pip install -e '.[bench]' first"
        )
    if not args.corpus.is_dir():
        raise SystemExit(
            f"error: {args.corpus}: no corpus there (make it with python bench/make_corpus.py)"
        )
    py = sys.executable
    ready = args.store.with_name(args.store.name + ".ready")
    steps = {
        "build": [
            py,
            str(BENCH / "build_bench.py"),
            "--datasets",
            "corpus",
            "--corpus",
            str(args.corpus),
            "--runs",
            str(args.runs),
            "--profile",
            "none",
            "--cprofile-docs",
            "0",
        ],
        "queries": [
            py,
            str(BENCH / "query_bench.py"),
            "--store",
            str(args.store),
            "--runs",
            str(args.query_runs),
        ],
        "search": [py, str(BENCH / "search_bench.py"), "--store", str(args.store)],
        "serve": [
            py,
            str(BENCH / "serve_bench.py"),
            "--store",
            str(args.store),
            "--label",
            "800-document",
        ],
    }
    unknown = set(args.skip) - set(steps) - {"store"}
    if unknown:
        raise SystemExit(f"error: --skip {' '.join(sorted(unknown))}: no such step")
    if "build" not in args.skip:
        _step("build bench", steps["build"])
    if "store" not in args.skip and (args.rebuild_store or not ready.exists()):
        ready.unlink(missing_ok=True)
        shutil.rmtree(args.store, ignore_errors=True)
        _step("800-document store", [*_kg(), "build", str(args.corpus), "--store", str(args.store)])
        ready.touch()
    for name, title in (("queries", "query bench"), ("search", "search bench")):
        if name not in args.skip:
            _step(title, steps[name])
    if "serve" not in args.skip:
        _step("serve bench", steps["serve"])
    _step("README tables", [py, str(BENCH / "readme_tables.py")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
