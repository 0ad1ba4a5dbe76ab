"""``kg build``, ``kg extract``, ``kg stats``, ``kg validate`` and ``kg version``: the
pipeline's own commands, a thin layer over ``kg.build``, ``kg.store`` and ``kg.validate``.

A progress bar is shown only when stderr is a terminal, so that scripts stay quiet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from kg.build import BuildResult, build, extract_file
from kg.cli.console import (
    StoreOption,
    err,
    fail,
    open_read_only,
    open_writable,
    out,
    table,
)
from kg.store import KnowledgeGraph, StoreWriteError
from kg.version import __version__


def register(app: typer.Typer) -> None:
    """Add the pipeline's commands to the ``kg`` app."""
    app.command("build")(build_command)
    app.command("extract")(extract_command)
    app.command("stats")(stats_command)
    app.command("validate")(validate_command)
    app.command("version")(version_command)


def seeds_dir() -> Path:
    """The repository's ``seeds/`` beside the package (a wheel ships no seeds)."""
    return Path(__file__).resolve().parents[2] / "seeds"


class _Bar:
    """Adapts a rich progress bar to ``kg.build.Progress``."""

    def __init__(self, bar: RichProgress) -> None:
        self.bar = bar
        self.task = bar.add_task("building", total=None)

    def start(self, total: int) -> None:
        self.bar.update(self.task, total=total)

    def advance(self, path: Path, outcome: str) -> None:
        self.bar.update(self.task, advance=1, description=f"{outcome}: {path.name}")


def build_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or directories (default: the project's seeds/); .csv, .tsv, .json"
            " and .md files in them are skipped with a note.",
            show_default=False,
        ),
    ] = None,
    store: StoreOption = None,
    force: Annotated[bool, typer.Option("--force", help="Re-extract unchanged files too.")] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes (default: CPU count; 1 = none)."),
    ] = None,
    datasets: Annotated[
        bool,
        typer.Option(
            "--datasets/--no-datasets",
            help="Also link the DfE statistics shipped in datasets/ (skipped when unchanged).",
        ),
    ] = True,
) -> None:
    """Build (or update) the graph from report files (one graph per file), and link the data
    in datasets/ (DfE statistics, Ofsted's record of ILACS inspections)."""
    if not paths:
        seeds = seeds_dir()
        if not seeds.is_dir():
            raise fail(
                f"error: no seeds/ directory at {seeds} (installed without the repository?); "
                "pass the files or directories to build"
            )
        paths = [seeds]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise fail("\n".join(f"{p}: no such file or directory" for p in missing))
    graph = open_writable(store)
    try:
        try:
            result = _run_build(paths, graph, force, workers, datasets)
            rows = graph.visits_by_authority()
        finally:
            graph.close()
    except StoreWriteError as error:  # disk full, read-only: what was stored is unchanged
        raise fail(f"error: {error}") from None
    linked = result.linked
    for line in result.errors:
        print(line, file=sys.stderr)
    if rows:
        out.print(
            table(
                "Visits by authority",
                ["authority", "GSS", "visits", "recommendations", "first", "last"],
                [
                    [
                        r["authority"],
                        r["gss_code"],
                        r["visits"],
                        r["recommendations"],
                        r["first"],
                        r["last"],
                    ]
                    for r in rows
                ],
            )
        )
    for report in linked:
        print(
            f"{report.dataset}: unchanged"
            if report.unchanged
            else f"{report.dataset}: {report.observations} observations linked from {report.file}"
        )
    print(result.summary())
    raise typer.Exit(0 if result.ok else 1)


def _run_build(
    paths: list[Path], graph: KnowledgeGraph, force: bool, workers: int | None, datasets: bool
) -> BuildResult:
    if not err.is_terminal:
        return build(paths, graph, force=force, workers=workers, datasets=datasets)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=err, transient=True) as bar:
        return build(
            paths, graph, force=force, workers=workers, datasets=datasets, progress=_Bar(bar)
        )


def extract_command(
    file: Annotated[Path, typer.Argument(help="One report file (PDF or text).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Extract one report and print its record, without touching the store."""
    from kg.errors import InputError

    try:
        report = extract_file(file)
    except InputError as error:  # a file that cannot be read or extracted; bugs surface
        text = " ".join(str(error).split()) or type(error).__name__
        raise fail(text if file.name in text else f"{file}: {text}") from None
    record = report.to_json()
    if as_json:
        print(json.dumps(record, indent=2, ensure_ascii=False))
        return
    authority = record["authority"] or {}
    facts = [
        ["source", record["source"]],
        ["kind", record["kind"]],
        [
            "authority",
            f"{authority.get('name')} ({authority.get('gss_code')}, "
            f"LA {authority.get('dfe_la_code')})",
        ],
        ["visit", f"{record['visit_start']} to {record['visit_end']}"],
        ["letter date", record["letter_date"]],
        ["publication date", record["publication_date"]],
        [
            "inspectors",
            ", ".join(i["name"] + (" (lead)" if i["lead"] else "") for i in record["inspectors"]),
        ],
        ["scope", "; ".join(record["scope"])],
        ["findings", len(record["findings"])],
    ]
    if report.addressees:  # a letter: everyone it is addressed to, in one cell
        facts.insert(-2, ["addressees", "; ".join(a.label for a in report.addressees)])
    out.print(table("Report", ["field", "value"], facts))
    if record["recommendations"]:
        out.print(
            table(
                "Recommendations",
                ["#", "text", "group", "themes"],
                [
                    [
                        i,
                        r["text"],
                        r["timescale"] or r["priority"] or r["section"],
                        ", ".join(r["themes"]),
                    ]
                    for i, r in enumerate(record["recommendations"], start=1)
                ],
            )
        )
    if record["judgements"]:
        out.print(
            table(
                "Judgements",
                ["area", "grade", "section"],
                [[j["area"], j["grade"], j["section"]] for j in record["judgements"]],
            )
        )
    for earlier in record["previous_inspections"]:
        print(f"earlier inspection: {earlier['date']} ({earlier['overall_effectiveness']})")


def stats_command(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Count what the graph holds (distinct over all source graphs)."""
    graph = open_read_only(store)
    try:
        stats = graph.stats()
    finally:
        graph.close()
    if as_json:
        print(json.dumps(stats.to_json(), indent=2))
        return
    out.print(
        table(
            "Knowledge graph",
            ["what", "count"],
            [
                ["visits", stats.visits],
                ["authorities with visits", stats.authorities_with_visits],
                ["authorities (reference table)", stats.authorities],
                ["inspectors", stats.inspectors],
                ["recommendations", stats.recommendations],
                ["findings", stats.findings],
                ["judgements", stats.judgements],
                ["source files", stats.source_files],
                ["triples (distinct)", stats.triples],
                ["quads stored", stats.quads],
            ],
        )
    )
    out.print(
        table(
            "Visits by kind and year",
            ["kind", "year", "visits"],
            [[k, y, n] for k, y, n in stats.visits_by_kind_year],
        )
    )


def validate_command(
    store: StoreOption = None,
    shapes: Annotated[
        Path | None,
        typer.Option("--shapes", help="SHACL shapes file (default: ontology/shapes.ttl)."),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every violation, not a summary per rule.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report (every violation) as JSON.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="Processes to use (default: 2 if a core is idle, else 1)."
        ),
    ] = None,
) -> None:
    """Check the graph against the SHACL shapes and the data-quality checks in queries/checks/;
    exit 1 if anything breaks them."""
    from kg.resources import data_path
    from kg.store import SHAPES_FILE
    from kg.validate import format_report, group, validate_store

    if shapes is not None and not shapes.is_file():
        raise fail(f"error: no shapes file at {shapes}")
    graph = open_read_only(store)
    try:
        report = validate_store(
            graph.store, shapes or data_path(SHAPES_FILE), path=graph.path, workers=workers
        )
    finally:
        graph.close()
    violations = report.violations
    if as_json:
        data = {
            "conforms": report.conforms,
            "violations": [v.to_json() for v in violations],
            "groups": [
                {
                    "severity": g.severity,
                    "message": g.message,
                    "shape": g.shape,
                    "path": g.path,
                    "component": g.component,
                    "count": len(g.violations),
                }
                for g in group(violations)
            ],
            "graphs_checked": report.graphs,
            "checks": report.checks,
            "data_checks": report.data_checks,
            "seconds": round(report.seconds.get("total", 0.0), 2),
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif report.conforms:
        passed = len(report.data_checks)
        print(
            f"conforms: no SHACL violations ({report.graphs} graphs and their union checked)"
            + (f"; all {passed} data-quality checks pass" if passed else "")
        )
    else:
        for line in format_report(violations, show_all=show_all):
            print(line)
    if not report.conforms:
        groups = len(group(violations))
        raise fail(f"{len(violations)} SHACL violation(s) in {groups} group(s)")


def version_command() -> None:
    """Print the software version."""
    print(__version__)
