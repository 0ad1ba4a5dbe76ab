"""Report generation time: ``kg report`` over an existing store (target: under 10 s for the
800-document graph).

Opens the store read-only (it is never rebuilt here), renders the whole national report a few
times in this process, and prints the median with the stage times of one extra run (store
reads, analytics, quotes, HTML). Writes a JSON record to ``bench/results/``.

    python bench/report_bench.py [--store bench/store-800] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=HERE / "store-800")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-save", action="store_true", help="Do not write bench/results/.")
    args = parser.parse_args()
    if not (args.store / "CURRENT").exists():
        raise SystemExit(f"error: no store at {args.store} (build it first; see bench/README.md)")

    started = time.perf_counter()
    from kg import analytics, report
    from kg.store import KnowledgeGraph

    import_seconds = time.perf_counter() - started

    graph = KnowledgeGraph.open_read_only(args.store)
    out = Path(tempfile.mkdtemp(prefix="kg-report-bench-")) / "report.html"
    try:
        seconds, summary = [], None
        for run in range(args.runs):
            t0 = time.perf_counter()
            summary = report.write_report(graph.store, out)
            seconds.append(time.perf_counter() - t0)
            print(f"run {run + 1}: {seconds[-1]:.2f} s", flush=True)
        stages: dict[str, float] = {}
        t0 = time.perf_counter()
        data = analytics.load(graph.store)
        stages["store reads (load)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        chains = analytics.recurrence_chains(data)
        analytics.inspector_network(data)
        stages["chains + inspector network"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        analytics.quotes_for(
            graph.store, (report._pick(link.items).iri for chain in chains for link in chain.links)
        )
        stages["quotes (annotations)"] = time.perf_counter() - t0
    finally:
        graph.close()
    assert summary is not None
    median = statistics.median(seconds)
    stages["HTML (median - the above)"] = max(0.0, median - sum(stages.values()))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "store": str(args.store),
        "runs": [round(s, 3) for s in seconds],
        "median_seconds": round(median, 3),
        "target_seconds": 10,
        "met": median < 10,
        "import_seconds": round(import_seconds, 3),
        "authorities": summary.authorities,
        "visits": summary.visits,
        "recurring_chains": summary.chains,
        "html_bytes": summary.bytes,
        "stages_seconds": {k: round(v, 3) for k, v in stages.items()},
        "load_average_1min": load,
        "cpus": os.cpu_count(),
    }
    print(
        f"report: {summary.authorities} authorities, {summary.visits} visits, "
        f"{summary.chains} recurring chains, {summary.bytes / 1e6:.1f} MB"
    )
    print(
        f"median of {len(seconds)}: {median:.2f} s (target < 10 s: "
        f"{'met' if median < 10 else 'NOT met'}); load average {load}"
    )
    for name, value in stages.items():
        print(f"  {name}: {value:.2f} s")
    if not args.no_save:
        results = HERE / "results"
        results.mkdir(exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = results / f"report_bench-{stamp}.json"
        path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
