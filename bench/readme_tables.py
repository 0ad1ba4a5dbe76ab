"""Copy the benchmark tables (``bench/results/build.md``, ``queries.md``, ``serve.md``) into
the README's benchmark section, so that the figures shown are the measured ones, never typed.

The section lies between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` in README.md;
``--check`` exits 1 when the README is not what the results would make it.

    python bench/build_bench.py && python bench/query_bench.py && python bench/readme_tables.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
README = BENCH.parent / "README.md"
RESULTS = BENCH / "results"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
TABLES = (
    ("Build (`python bench/build_bench.py`)", "build.md"),
    ("Saved queries on the 800-document graph (`python bench/query_bench.py`)", "queries.md"),
    ("`kg serve` under load (`python bench/serve_bench.py`)", "serve.md"),
    ("Full-text search (`python bench/search_bench.py`)", "search.md"),
)


def section(results: Path = RESULTS) -> str:
    """The README's benchmark section, made from the results files that exist."""
    parts = [START, "<!-- made by bench/readme_tables.py from bench/results/: do not edit -->"]
    for title, name in TABLES:
        path = results / name
        body = path.read_text(encoding="utf-8").strip() if path.exists() else "Not measured yet."
        parts += ["", f"#### {title}", "", body]
    parts.append(END)
    return "\n".join(parts)


def updated(readme: str, new_section: str) -> str:
    """``readme`` with its benchmark section replaced (added at the end when missing)."""
    if START in readme and END in readme:
        head, rest = readme.split(START, 1)
        _, tail = rest.split(END, 1)
        return head + new_section + tail
    return readme.rstrip("\n") + "\n\n" + new_section + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = updated(text, section())
    if args.check:
        if new != text:
            print(f"{README}: benchmark section is out of date (python bench/readme_tables.py)")
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"{README}: benchmark section updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
