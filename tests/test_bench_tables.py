"""The README's benchmark figures are the measured ones: copied from bench/results/ by
bench/readme_tables.py, never typed by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_benchmark_section_is_made_from_the_results() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "readme_tables.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_results_table_is_in_the_readme() -> None:
    """Every table readme_tables.py copies (the per-run ``query_bench-<time>.md`` files beside
    them are git-ignored records of single runs, not README tables)."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import readme_tables
    finally:
        sys.path.pop(0)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = ROOT / "bench" / "results"
    tables = [results / name for _, name in readme_tables.TABLES if (results / name).exists()]
    assert tables, "no results tables"
    for table in tables:
        first_row = next(
            line for line in table.read_text(encoding="utf-8").splitlines() if line.startswith("|")
        )
        assert first_row in readme, table.name
