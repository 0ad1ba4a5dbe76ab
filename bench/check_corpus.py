"""Check that re-keyed copies extract like their seeds, with the new authority and dates.

For a sample of copies (``--sample``, spread over the seeds; ``--all`` for every copy) this
extracts the copy and its seed with ``kg.extract`` and compares: the authority is the one the
copy was given (GSS code), the kind is the seed's, the visit start/end, letter and publication
dates are the seed's shifted by the copy's shift, and the numbers of inspectors,
recommendations, judgements and previous inspections are the seed's. It also reports how close
the copy's clean text is to the re-keyed seed text (PDF copies are typeset again, so paragraph
breaks at page ends can differ).

    python bench/check_corpus.py [--sample 40] [--all] [--corpus bench/corpus]
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
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
COUNT_FIELDS = ("inspectors", "recommendations", "judgements", "previous_inspections")


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
    if report.authority.gss_code != copy["gss_code"]:
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
    for name in COUNT_FIELDS:
        want, got = len(getattr(original, name)), len(getattr(report, name))
        if got != want:
            problems.append(f"{got} {name}, seed has {want}")
    if copy["file"].endswith(".pdf"):
        expected = rekey(
            read_source(seeds_by_name[copy["seed"]].path).text,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=BENCH / "corpus")
    parser.add_argument("--sample", type=int, default=40, help="copies to check (40)")
    parser.add_argument("--all", action="store_true", help="check every copy")
    args = parser.parse_args(argv)

    manifest = json.loads((args.corpus / "MANIFEST.json").read_text(encoding="utf-8"))
    copies = manifest["copies"]
    if not args.all:
        step = max(1, len(copies) // max(1, args.sample))
        # A step prime to the number of seeds visits every seed in turn.
        copies = copies[::step][: args.sample]
    inputs = [Path(p) for p in manifest["params"].get("inputs", [])] or None
    seeds_by_name = {s.path.name: s for s in load_seeds(load_authorities(), inputs)}
    seed_reports: dict = {}
    failed = 0
    for copy in copies:
        problems = check_copy(copy, args.corpus, seed_reports, seeds_by_name)
        status = "ok" if not problems else "FAIL"
        print(
            f"{status:4} {copy['file']}  (from {copy['seed']}, shift {copy['shift_years']:+d} y "
            f"{copy['shift_days']:+d} d)"
        )
        for p in problems:
            print(f"       {p}")
        failed += bool(problems)
    print(f"\n{len(copies) - failed}/{len(copies)} copies extract like their seeds")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
