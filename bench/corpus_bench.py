"""Compare corpora as the build bench sees them: size, pages and text-extraction time.

Issue 14 asks for a build bench on files like the archive's; the build target is a ratio to
the text extraction of the same files, so a corpus whose PDFs are lighter than Ofsted's makes
the ratio meaningless. This measures, for each directory given, the files, their size, the
pages and the baseline extraction of ``bench/build_bench.py`` (pypdfium2 text of every page,
each measurement in a fresh process) with 1 and N processes, interleaved and repeated; the
table shows medians of the same run.

    python bench/corpus_bench.py real=bench/corpus-real typeset=bench/corpus \\
        originals=../shared/corpus/national,../shared/corpus/tees-valley [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from build_bench import RESULTS, dataset_files, run_child  # noqa: E402


def _files(spec: str) -> list[Path]:
    """The report files of one or more directories (comma-separated), as the build takes them."""
    return [f for d in spec.split(",") for f in dataset_files(Path(d))]


def _cpu(run: dict) -> float:
    """CPU seconds of the measuring process and its workers (steadier than wall time here)."""
    return run["cpu_parent_s"] + (run["cpu_children_s"] or 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="+", help="LABEL=DIR[,DIR...]")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=RESULTS / "corpus_extract.json")
    args = parser.parse_args(argv)

    corpora = dict(spec.split("=", 1) for spec in args.corpora)
    lists: dict[str, Path] = {}
    sizes: dict[str, tuple[int, int, int]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="corpus-bench-"))
    for label, spec in corpora.items():
        files = _files(spec)
        lists[label] = tmp / f"{label}.txt"
        lists[label].write_text("\n".join(str(f) for f in files), encoding="utf-8")
        pdfs = [f for f in files if f.read_bytes()[:1024].lstrip().startswith(b"%PDF")]
        sizes[label] = (len(files), len(pdfs), sum(f.stat().st_size for f in files))
    runs: dict[tuple[str, int], list[dict]] = {}
    for run in range(args.runs):
        for label in corpora:  # interleaved: a busy minute on the machine hits every corpus
            for workers in (1, args.workers):
                out = run_child("extract", lists[label], workers)
                runs.setdefault((label, workers), []).append(out)
                print(
                    f"run {run + 1}: {label} {workers} proc {out['wall_s']:.2f} s "
                    f"(load {out['loadavg_1min_before']:.1f})",
                    file=sys.stderr,
                )
    rows = []
    for label in corpora:
        one = statistics.median(r["wall_s"] for r in runs[(label, 1)])
        many = statistics.median(r["wall_s"] for r in runs[(label, args.workers)])
        files, pdfs, size = sizes[label]
        rows.append(
            {
                "corpus": label,
                "dirs": corpora[label],
                "files": files,
                "pdfs": pdfs,
                "mb": size / 1e6,
                "pages": runs[(label, 1)][0]["pages"],
                "chars": runs[(label, 1)][0]["chars"],
                "extract_1_s": one,
                f"extract_{args.workers}_s": many,
                "cpu_1_s": statistics.median(_cpu(r) for r in runs[(label, 1)]),
                f"cpu_{args.workers}_s": statistics.median(
                    _cpu(r) for r in runs[(label, args.workers)]
                ),
                "runs": {f"{k[0]}/{k[1]}": [r["wall_s"] for r in v] for k, v in runs.items()},
            }
        )
    n = args.workers
    print(
        f"| corpus | files (PDF) | MB | pages | extract 1 proc | extract {n} proc "
        f"| CPU s, 1 proc | CPU s, {n} proc |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['corpus']} | {r['files']} ({r['pdfs']}) | {r['mb']:.1f} | {r['pages']:,} | "
            f"{r['extract_1_s']:.1f} s | {r[f'extract_{n}_s']:.1f} s | {r['cpu_1_s']:.1f} | "
            f"{r[f'cpu_{n}_s']:.1f} |"
        )
    record = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
