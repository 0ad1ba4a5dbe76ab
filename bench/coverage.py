"""What the extractor reads from every report in some folders: fields per family, failures, and
agreement with Ofsted's official record of ILACS inspections.

    python bench/coverage.py DIR_OR_FILE... [--json] [--workers 2]

For every ``*.pdf`` and ``*.txt`` under the paths it runs ``kg.extract`` (as ``kg build`` does,
nothing stored) and prints:

- per family, how many files yield each field: kind, authority, visit dates, lead inspector,
  inspectors, recommendations (the council's and the safeguarding board's), judgements;
- per family, who the recommendations are addressed to (the council, the council jointly with
  a partner, or only the safeguarding board, NHS bodies, police or partner agencies) and how
  many findings are about the board (a review of the LSCB);
- each file that fails, one line (why), and the files that yield no recommendations (a letter
  without an improvement section is right to; anything else is worth a look);
- ILACS inspections against Ofsted's official record (``datasets/ofsted_ilacs_outcomes_history
  _2025.csv``, 2018 to March 2025): each report is matched to the record's inspection of the
  same authority in the same year; how many agree on the start date and on every grade, with
  each disagreement on a line of its own.

The table is markdown, for the README ("Extraction coverage").
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Who a recommendation is addressed to (kg.extract.addressees): the council alone, the council
# with a partner (joint), or only partner bodies, once for each body named ("NHS Hartlepool in
# conjunction with the HSCB": health and board); then the findings of a board review.
ADDRESSEES = ("council", "joint", "board", "health", "police", "partners", "board findings")

if TYPE_CHECKING:
    from kg.record import Report

FIELDS = ("kind", "authority", "visit dates", "lead", "inspectors", "recommendations", "judgements")


@dataclass
class Outcome:
    """What one file gave: its family and fields, or the one-line reason it failed."""

    path: str
    kind: str | None = None
    error: str | None = None
    fields: dict[str, bool] = field(default_factory=dict)
    gss: str | None = None
    start: str | None = None
    points: int = 0
    judgements: list[tuple[str, str]] = field(default_factory=list)  # (area, grade)
    # who the points tell to act (ADDRESSEES) and the findings about the board, counted
    addressed: dict[str, int] = field(default_factory=dict)


def read(path: str) -> Outcome:
    from kg.extract import extract
    from kg.text import read_source

    try:
        report = extract(read_source(Path(path)))
    except Exception as error:
        return Outcome(path, error=str(error).splitlines()[0])
    points = len(report.recommendations) + len(report.lscb_recommendations)
    return Outcome(
        path,
        kind=report.kind,
        fields={
            "kind": True,
            "authority": report.authority is not None,
            "visit dates": bool(report.visit_start and report.visit_end),
            "lead": report.lead_inspector is not None,
            "inspectors": bool(report.inspectors),
            "recommendations": points > 0,
            "judgements": bool(report.judgements),
        },
        gss=report.authority.gss_code if report.authority else None,
        start=report.visit_start,
        points=points,
        judgements=[(j.area, j.grade) for j in report.judgements],
        addressed=addressed(report),
    )


def addressed(report: Report) -> dict[str, int]:
    """The report's points counted by ``ADDRESSEES``."""
    counts: Counter[str] = Counter()
    for point in report.recommendations + report.lscb_recommendations:
        if point.for_council:
            counts["joint" if len(point.addressed_to) > 1 else "council"] += 1
        else:
            counts.update(point.addressed_to)
    counts["board findings"] = sum(f.about == "board" for f in report.findings)
    return dict(counts)


def addressee_table(outcomes: list[Outcome]) -> str:
    """The markdown table of who was told: one row per family."""
    from kg.families import KINDS

    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        if o.kind:
            by_kind[o.kind].update(o.addressed)
    lines = [
        "| family | " + " | ".join(ADDRESSEES) + " |",
        "|---|" + "---:|" * len(ADDRESSEES),
    ]
    totals: Counter[str] = Counter()
    for kind in [k for k in KINDS if k in by_kind]:
        totals.update(by_kind[kind])
        lines.append(f"| {kind} | " + " | ".join(str(by_kind[kind][a]) for a in ADDRESSEES) + " |")
    lines.append("| **all** | " + " | ".join(f"**{totals[a]}**" for a in ADDRESSEES) + " |")
    return "\n".join(lines)


def files_under(paths: list[Path]) -> list[Path]:
    """The files ``kg build`` would read from ``paths`` (manifests and READMEs left out)."""
    from kg.build import expand_paths, is_report_file

    return [p for p in expand_paths(paths) if is_report_file(p)]


def official_agreement(outcomes: list[Outcome]) -> dict[str, object]:
    """ILACS reports against the official record: matched, start dates and grades agreeing."""
    from kg.authorities import AuthorityIndex
    from kg.families import ILACS
    from kg.official_record import (
        AREA_COLUMN,
        DATE_COLUMN,
        FILE,
        JUDGEMENT_COLUMNS,
        judgement_subject,
    )
    from kg.resources import data_path

    index = AuthorityIndex.load()  # the record keeps some former codes (Barnsley, Sheffield)
    with data_path(FILE).open(newline="", encoding="utf-8-sig") as f:
        record = list(csv.DictReader(f))
    by_authority_year: dict[tuple[str, str], dict[str, str]] = {
        (index.by_gss(row[AREA_COLUMN]).gss_code, row[DATE_COLUMN][:4]): row for row in record
    }
    matched = dates = grades_checked = grades_agreed = reports_all_agree = 0
    problems: list[str] = []
    for o in outcomes:
        if o.kind != "ilacs-inspection" or not o.start or not o.gss:
            continue
        row = by_authority_year.get((o.gss, o.start[:4]))
        if row is None:
            continue
        matched += 1
        name = Path(o.path).name
        ok = o.start == row[DATE_COLUMN]
        dates += ok
        if not ok:
            problems.append(f"{name}: starts {o.start}, the record says {row[DATE_COLUMN]}")
        graded = {judgement_subject(area): grade for area, grade in o.judgements}
        for column in JUDGEMENT_COLUMNS:
            if not row[column]:
                continue
            grades_checked += 1
            want = ILACS.spell(row[column])
            got = graded.get(judgement_subject(column))
            if got == want:
                grades_agreed += 1
            else:
                ok = False
                problems.append(f"{name}: {column}: {got or 'no grade'}, the record says {want}")
        reports_all_agree += ok
    return {
        "matched": matched,
        "start_dates_agree": dates,
        "grades_checked": grades_checked,
        "grades_agree": grades_agreed,
        "reports_agreeing_on_everything": reports_all_agree,
        "disagreements": problems,
    }


def table(outcomes: list[Outcome]) -> str:
    """The markdown table: one row per family, then the failures."""
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.kind:
            by_kind[o.kind].append(o)
    from kg.families import KINDS

    lines = [
        "| family | files | " + " | ".join(FIELDS) + " |",
        "|---|---:|" + "---:|" * len(FIELDS),
    ]
    totals: Counter[str] = Counter()
    for kind in [k for k in KINDS if k in by_kind]:
        group = by_kind[kind]
        counts = [sum(o.fields[f] for o in group) for f in FIELDS]
        totals.update(dict(zip(FIELDS, counts, strict=True)))
        lines.append(f"| {kind} | {len(group)} | " + " | ".join(map(str, counts)) + " |")
    read_ok = sum(len(g) for g in by_kind.values())
    lines.append(
        f"| **all** | **{read_ok}** | " + " | ".join(f"**{totals[f]}**" for f in FIELDS) + " |"
    )
    failed = [o for o in outcomes if o.error]
    lines.append("")
    lines.append(f"{read_ok} of {len(outcomes)} files read; {len(failed)} refused:")
    lines.extend(f"- {o.error}" for o in failed)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    files = [str(p) for p in files_under(args.paths)]
    with ProcessPoolExecutor(max(1, args.workers)) as pool:
        outcomes = list(pool.map(read, files, chunksize=4))
    agreement = official_agreement(outcomes)
    empty = [Path(o.path).name for o in outcomes if o.kind and not o.points]
    if args.json:
        print(
            json.dumps(
                {
                    "files": len(outcomes),
                    "outcomes": [o.__dict__ for o in outcomes],
                    "official_record": agreement,
                    "no_recommendations": empty,
                },
                indent=1,
            )
        )
        return 0
    print(table(outcomes))
    print("\nWho was told (recommendations by addressee; findings of a board review):\n")
    print(addressee_table(outcomes))
    print(f"\nFiles read with no recommendations ({len(empty)}): {', '.join(empty) or 'none'}")
    a = agreement
    print(
        f"\nILACS reports in Ofsted's official record: {a['matched']} matched by authority and "
        f"year; start date agrees for {a['start_dates_agree']}; {a['grades_agree']} of "
        f"{a['grades_checked']} grades agree; {a['reports_agreeing_on_everything']} reports "
        "agree on everything."
    )
    for line in a["disagreements"]:  # type: ignore[union-attr]
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
