"""Time saved queries as a git ref has them against the working tree's, on one store.

A change to a saved query's text is judged by the ratio to the same query before it, measured
in the same run: the two versions run interleaved (``--runs`` rounds of ref, then working
tree), so that the load of a shared machine falls on both alike. Parameters are given as the
user types them (``name`` or ``name:key=value,key=value``).

    python bench/query_change_bench.py --store bench/store-800 --ref main \\
        recurring-issues recurring-issues:authority=Hartlepool

Prints a Markdown table: query, parameters, median at the ref, median now, ratio, rows.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.queries import run_saved  # noqa: E402
from kg.store import KnowledgeGraph  # noqa: E402


def case(text: str) -> tuple[str, dict[str, str]]:
    """``name:key=value,key=value`` -> (name, parameters)."""
    name, _, given = text.partition(":")
    return name, dict(pair.split("=", 1) for pair in given.split(",") if pair)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=BENCH / "store-800")
    parser.add_argument("--ref", default="main", help="the git ref to compare with")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("cases", nargs="+", help="name or name:key=value,...")
    args = parser.parse_args()
    cases = [case(text) for text in args.cases]
    before = Path(tempfile.mkdtemp(prefix="query-change-"))
    for name in {name for name, _ in cases}:
        shown = subprocess.run(
            ["git", "show", f"{args.ref}:queries/{name}.rq"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        (before / f"{name}.rq").write_text(shown.stdout, encoding="utf-8")
    graph = KnowledgeGraph.open_read_only(args.store)
    try:
        print(f"| query | parameters | {args.ref} | now | ratio | rows |")
        print("|---|---|---:|---:|---:|---:|")
        for name, params in cases:
            times: dict[str, list[float]] = {"ref": [], "now": []}
            rows = 0
            for _ in range(args.runs):
                for label, directory in (("ref", before), ("now", None)):
                    start = time.perf_counter()
                    result = run_saved(graph.store, name, directory=directory, **params)
                    times[label].append(time.perf_counter() - start)
                    rows = len(result.rows)
            ref, now = (statistics.median(times[k]) for k in ("ref", "now"))
            shown_params = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
            print(
                f"| `{name}` | {shown_params} | {ref * 1000:.1f} ms | {now * 1000:.1f} ms"
                f" | {now / ref:.2f}x | {rows} |"
            )
    finally:
        graph.close()


if __name__ == "__main__":
    main()
