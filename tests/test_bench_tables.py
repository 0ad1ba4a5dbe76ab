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
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for table in sorted((ROOT / "bench" / "results").glob("*.md")):
        first_row = next(
            line for line in table.read_text(encoding="utf-8").splitlines() if line.startswith("|")
        )
        assert first_row in readme, table.name
