"""Check that re-keyed copies extract like their seeds, with the new authority and dates.

For a sample of copies (``--sample``, spread over the seeds; ``--all`` for every copy) this
extracts the copy and its seed with ``kg.extract`` and compares: the authority is the one the
copy was given (GSS code), the kind is the seed's, the visit start/end, letter and publication
dates are the seed's shifted by the copy's shift, the judgements (section, area, grade) are the
seed's, and the numbers of inspectors, findings, recommendations (the council's and the LSCB's)
and earlier inspections are the seed's. It also reports how close the copy's clean text is to
the re-keyed seed text (a PDF edited in place reads as its seed re-keyed, with at most a space
more before punctuation; one typeset again can differ in paragraph breaks at page ends).

    python bench/check_corpus.py [--sample 40] [--all] [--corpus bench/corpus] [--workers 2]
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for p in (str(ROOT), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

from make_corpus import (  # noqa: E402
    Shift,
    load_authorities,
    load_seeds,
    rekey,
)

DATE_FIELDS = ("visit_start", "visit_end", "letter_date", "publication_date")
COUNT_FIELDS = (
    "inspectors",
    "findings",
    "recommendations",
    "lscb_recommendations",
    "previous_inspections",
)


def _shifted(value: str | None, shift: Shift) -> str | None:
    return None if value is None else shift(date.fromisoformat(value)).isoformat()


def check_copy(copy: dict, corpus: Path, seed_reports: dict, seeds_by_name: dict) -> list[str]:
    from kg.extract import extract
    from kg.text import read_source

    problems: list[str] = []
    seed = seeds_by_name[copy["seed"]]
    shift = Shift(copy["shift_years"], copy["shift_days"])
    if copy["seed"] not in seed_reports:
        try:
            seed_reports[copy["seed"]] = extract(read_source(seed.path))
        except Exception as error:
            seed_reports[copy["seed"]] = error
    original = seed_reports[copy["seed"]]
    if isinstance(original, Exception):
        return [f"the seed itself does not extract: {original}"]
    source = read_source(corpus / copy["file"])
    try:
        report = extract(source)
    except Exception as error:
        return [f"extraction failed: {error}"]
    if report.authority is None:
        problems.append(f"no authority, expected {copy['authority']} ({copy['gss_code']})")
    elif report.authority.gss_code != copy["gss_code"]:
        problems.append(
            f"authority {report.authority.name} ({report.authority.gss_code}), "
            f"expected {copy['authority']} ({copy['gss_code']})"
        )
    if report.kind != original.kind:
        problems.append(f"kind {report.kind}, seed gives {original.kind}")
    for name in DATE_FIELDS:
        want = _shifted(getattr(original, name), shift)
        got = getattr(report, name)
        if got != want:
            problems.append(f"{name} {got}, expected {want} (seed {getattr(original, name)})")
    grades = [(j.section, j.area, j.grade) for j in report.judgements]
    if grades != [(j.section, j.area, j.grade) for j in original.judgements]:
        problems.append(f"judgements {grades}, seed gives {original.judgements}")
    for name in COUNT_FIELDS:
        want, got = len(getattr(original, name)), len(getattr(report, name))
        if got != want:
            problems.append(f"{got} {name}, seed has {want}")
    if copy["file"].endswith(".pdf"):
        expected = rekey(
            original.text,
            seed.authority,
            copy["authority"],
            shift,
            seed.date.year,
        )
        # Words compared in order (a paragraph split or joined at a page end costs nothing).
        ratio = difflib.SequenceMatcher(None, expected.split(), source.text.split()).ratio()
        blocks_want, blocks_got = expected.count("\n\n"), source.text.count("\n\n")
        if ratio < 0.98 or abs(blocks_got - blocks_want) > max(3, blocks_want // 50):
            problems.append(
                f"clean text differs from the re-keyed seed: similarity {ratio:.3f}, "
                f"{blocks_got} blocks vs {blocks_want}"
            )
    return problems


def _check_group(job: tuple[list[dict], Path, dict]) -> list[tuple[dict, list[str]]]:
    """Check the copies of one seed (the seed is extracted once)."""
    copies, corpus, seeds_by_name = job
    seed_reports: dict = {}
    return [(c, check_copy(c, corpus, seed_reports, seeds_by_name)) for c in copies]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=BENCH / "corpus")
    parser.add_argument("--sample", type=int, default=40, help="copies to check (40)")
    parser.add_argument("--all", action="store_true", help="check every copy")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    manifest = json.loads((args.corpus / "MANIFEST.json").read_text(encoding="utf-8"))
    copies = manifest["copies"]
    if not args.all:
        step = max(1, len(copies) // max(1, args.sample))
        # A step prime to the number of seeds visits every seed in turn.
        copies = copies[::step][: args.sample]
    inputs = [Path(p) for p in manifest["params"].get("inputs", [])] or None
    seeds_by_name = {s.path.name: s for s in load_seeds(load_authorities(), inputs)}
    groups: dict[str, list[dict]] = {}
    for copy in copies:
        groups.setdefault(copy["seed"], []).append(copy)
    jobs = [(group, args.corpus, seeds_by_name) for group in groups.values()]
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            results = [r for batch in pool.map(_check_group, jobs) for r in batch]
    else:
        results = [r for job in jobs for r in _check_group(job)]
    failed = 0
    for copy, problems in sorted(results, key=lambda r: r[0]["file"]):
        status = "ok" if not problems else "FAIL"
        print(
            f"{status:4} {copy['file']}  ({copy.get('how', '?')}, from {copy['seed']}, shift "
            f"{copy['shift_years']:+d} y {copy['shift_days']:+d} d)"
        )
        for p in problems:
            print(f"       {p}")
        failed += bool(problems)
    print(f"\n{len(copies) - failed}/{len(copies)} copies extract like their seeds")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
