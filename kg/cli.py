"""The ``kg`` command: a thin layer over ``kg.build`` and ``kg.store``.

Errors go to stderr as one line each; results go to stdout; a progress bar is shown only when
stderr is a terminal so that scripts stay quiet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from kg import __version__
from kg.build import BuildResult, build, extract_file
from kg.store import KnowledgeGraph, StoreMissingError, default_store_path

app = typer.Typer(
    help="A knowledge graph of Ofsted inspections of English local authority children's services.",
    no_args_is_help=True,
    add_completion=False,
)
# Wide enough for the tables when piped (rich assumes 80 columns off a terminal).
out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store directory (default: ./kg-store, or $KG_STORE if set).",
        show_default=False,
    ),
]


def seeds_dir() -> Path:
    """The repository's ``seeds/`` beside the package (a wheel ships no seeds)."""
    return Path(__file__).resolve().parent.parent / "seeds"


def _fail(message: str, code: int = 1) -> typer.Exit:
    print(message, file=sys.stderr)
    return typer.Exit(code)


def _store_path(store: Path | None) -> Path:
    return store if store is not None else default_store_path()


def _open_read_only(store: Path | None) -> KnowledgeGraph:
    try:
        return KnowledgeGraph.open_read_only(_store_path(store))
    except StoreMissingError as error:
        raise _fail(f"error: {error}") from None
    except OSError as error:
        raise _fail(f"error: cannot open the store at {_store_path(store)}: {error}") from None


class _Bar:
    """Adapts a rich progress bar to ``kg.build.Progress``."""

    def __init__(self, bar: RichProgress) -> None:
        self.bar = bar
        self.task = bar.add_task("building", total=None)

    def start(self, total: int) -> None:
        self.bar.update(self.task, total=total)

    def advance(self, path: Path, outcome: str) -> None:
        self.bar.update(self.task, advance=1, description=f"{outcome}: {path.name}")


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A rich table; numeric columns right-aligned, text left-aligned."""
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        numeric = bool(rows) and all(isinstance(r[i], int) or r[i] is None for r in rows)
        table.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


@app.command("build")
def build_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or directories (default: the project's seeds/).", show_default=False
        ),
    ] = None,
    store: StoreOption = None,
    force: Annotated[bool, typer.Option("--force", help="Re-extract unchanged files too.")] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes (default: CPU count; 1 = none)."),
    ] = None,
) -> None:
    """Build (or update) the knowledge graph from report files; one graph per file."""
    if not paths:
        seeds = seeds_dir()
        if not seeds.is_dir():
            raise _fail(
                f"error: no seeds/ directory at {seeds} (installed without the repository?); "
                "pass the files or directories to build"
            )
        paths = [seeds]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise _fail("\n".join(f"{p}: no such file or directory" for p in missing))
    where = _store_path(store)
    try:
        graph = KnowledgeGraph.open(where)
    except OSError as error:
        hint = (
            " (another process, such as a running build, holds it)" if "lock" in str(error) else ""
        )
        raise _fail(f"error: cannot open the store at {where} for writing{hint}: {error}") from None
    try:
        result = _run_build(paths, graph, force, workers)
        rows = graph.visits_by_authority()
    finally:
        graph.close()
    for line in result.errors:
        print(line, file=sys.stderr)
    if rows:
        out.print(
            _table(
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
    print(result.summary())
    raise typer.Exit(0 if result.ok else 1)


def _run_build(
    paths: list[Path], graph: KnowledgeGraph, force: bool, workers: int | None
) -> BuildResult:
    if not err.is_terminal:
        return build(paths, graph, force=force, workers=workers)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=err, transient=True) as bar:
        return build(paths, graph, force=force, workers=workers, progress=_Bar(bar))


@app.command("extract")
def extract_command(
    file: Annotated[Path, typer.Argument(help="One report file (PDF or text).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Extract one report and print its record, without touching the store."""
    try:
        report = extract_file(file)
    except Exception as error:  # noqa: BLE001 - any failure: one line, exit 1
        text = " ".join(str(error).split()) or type(error).__name__
        raise _fail(text if file.name in text else f"{file}: {text}") from None
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
    out.print(_table("Report", ["field", "value"], facts))
    if record["recommendations"]:
        out.print(
            _table(
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
            _table(
                "Judgements",
                ["area", "grade", "section"],
                [[j["area"], j["grade"], j["section"]] for j in record["judgements"]],
            )
        )
    for earlier in record["previous_inspections"]:
        print(f"earlier inspection: {earlier['date']} ({earlier['overall_effectiveness']})")


@app.command("stats")
def stats_command(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Count what the graph holds (distinct over all source graphs)."""
    graph = _open_read_only(store)
    try:
        stats = graph.stats()
    finally:
        graph.close()
    if as_json:
        print(json.dumps(stats.to_json(), indent=2))
        return
    out.print(
        _table(
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
        _table(
            "Visits by kind and year",
            ["kind", "year", "visits"],
            [[k, y, n] for k, y, n in stats.visits_by_kind_year],
        )
    )


@app.command("validate")
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
    """Check every source graph, with the ontology and authorities, and their union against
    the SHACL shapes; exit 1 if anything breaks them."""
    from kg.resources import data_path
    from kg.store import SHAPES_FILE
    from kg.validate import format_report, group, validate_store

    if shapes is not None and not shapes.is_file():
        raise _fail(f"error: no shapes file at {shapes}")
    graph = _open_read_only(store)
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
            "seconds": round(report.seconds.get("total", 0.0), 2),
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif report.conforms:
        print(f"conforms: no SHACL violations ({report.graphs} graphs and their union checked)")
    else:
        for line in format_report(violations, show_all=show_all):
            print(line)
    if not report.conforms:
        groups = len(group(violations))
        raise _fail(f"{len(violations)} SHACL violation(s) in {groups} group(s)")


@app.command("version")
def version_command() -> None:
    """Print the software version."""
    print(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()


# ------------------------------------------------------------------------------- queries

queries_app = typer.Typer(help="The saved SPARQL queries in queries/.", invoke_without_command=True)
app.add_typer(queries_app, name="queries")

FORMATS = ("table", "csv", "tsv", "json")


@queries_app.callback()
def queries_command(ctx: typer.Context) -> None:
    """List every saved query with its summary and parameters."""
    if ctx.invoked_subcommand is not None:
        return
    from kg.queries import load_queries

    rows = []
    for query in load_queries().values():
        params = ", ".join(
            f"{p.name}{'' if p.required else '?'}" + (f"={p.default}" if p.default else "")
            for p in query.parameters)
        rows.append([query.name, query.summary, params])
    out.print(_table("Saved queries", ["name", "summary", "parameters (?=optional)"], rows))


@queries_app.command("show")
def queries_show_command(name: str) -> None:
    """Print a saved query's description, parameters and SPARQL."""
    from kg.queries import QueryError, get_query

    try:
        query = get_query(name)
    except QueryError as error:
        raise _fail(f"error: {error}") from None
    print(f"{query.name}: {query.summary}\n")
    if query.description:
        print(query.description + "\n")
    for p in query.parameters:
        allowed = f", one of {', '.join(p.allowed)}" if p.allowed else ""
        default = f", default {p.default}" if p.default is not None else ""
        need = "required" if p.required else "optional"
        print(f"  --param {p.name}=...  ({p.type}, {need}{default}{allowed})")
    print()
    print(query.sparql)


def _parse_params(params: list[str]) -> dict[str, str]:
    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise _fail(f"error: --param takes name=value (got {item!r})")
        values[name.strip()] = value
    return values


def _emit(result: Any, fmt: str, output: Path | None) -> None:
    """Write a QueryResult as a table, CSV, TSV or W3C SPARQL JSON results."""
    import csv
    import io

    if fmt not in FORMATS:
        raise _fail(f"error: --format must be one of {', '.join(FORMATS)}")
    if result.boolean is not None:
        text = (json.dumps({"head": {}, "boolean": result.boolean}) if fmt == "json"
                else str(result.boolean).lower())
    elif fmt == "json":
        bindings = []
        for row in result.rows:
            binding = {}
            for column, term in zip(result.columns, row, strict=True):
                if term is None:
                    continue
                if hasattr(term, "datatype"):
                    item = {"type": "literal", "value": term.value}
                    if term.language:
                        item["xml:lang"] = term.language
                    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
                        item["datatype"] = term.datatype.value
                else:
                    item = {"type": "uri" if hasattr(term, "value") and not str(term).startswith(
                        "_:") else "bnode", "value": term.value}
                binding[column] = item
            bindings.append(binding)
        text = json.dumps({"head": {"vars": result.columns}, "results": {"bindings": bindings}},
                          indent=2, ensure_ascii=False)
    elif fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.values():
            writer.writerow(["" if row[c] is None else row[c] for c in result.columns])
        text = buffer.getvalue().rstrip("\n")
    else:
        # An IRI column with a label column beside it (theme / theme_label) is noise on a
        # terminal: show the label; CSV and JSON keep both.
        shown = [c for c in result.columns
                 if not (f"{c}_name" in result.columns or f"{c}_label" in result.columns)]
        rows = [[_short(row[c], 70) for c in shown] for row in result.values()]
        table = _table(f"{len(rows)} row(s)", shown, rows)
        if output is None:
            out.print(table)
            text = None
        else:
            text = "\n".join(",".join(r) for r in rows)
    if text is not None:
        if output is None:
            print(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
    if result.truncated:
        print(f"note: output cut at --limit {len(result.rows)} rows; more rows exist",
              file=sys.stderr)


def _short(value: str | None, width: int = 160) -> str:
    """Terminal-friendly cell: IRIs of the project shortened, long quotes cut."""
    if value is None:
        return ""
    from kg import vocab

    for prefix, iri in (("id:", vocab.ID), ("theme:", vocab.THEME), ("kg:", vocab.KG)):
        if value.startswith(iri):
            value = prefix + value[len(iri):]
    return value if len(value) <= width else value[: width - 1] + "…"


@app.command("query")
def query_command(
    name: Annotated[str, typer.Argument(help="A saved query (see `kg queries`).")],
    param: Annotated[list[str], typer.Option("--param", "-p", help="name=value (repeatable)")]
    = [],  # noqa: B006 - typer reads the default
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, tsv or json")]
    = "table",
    limit: Annotated[int | None, typer.Option(help="At most this many rows (says if cut).")]
    = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")]
    = None,
    store: StoreOption = None,
) -> None:
    """Run a saved query, e.g. `kg query recurring-issues --param authority=Hartlepool`."""
    from kg.queries import QueryError, run_saved

    graph = _open_read_only(store)
    try:
        result = run_saved(graph.store, name, limit=limit, **_parse_params(param))
    except QueryError as error:
        raise _fail(f"error: {error}") from None
    _emit(result, fmt, output)


@app.command("sparql")
def sparql_command(
    query: Annotated[str, typer.Argument(help="SPARQL text, a .rq file, or - for stdin.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, tsv or json")]
    = "table",
    limit: Annotated[int | None, typer.Option(help="At most this many rows (says if cut).")]
    = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")]
    = None,
    store: StoreOption = None,
) -> None:
    """Run your own SPARQL over all graphs, with the project's prefixes predeclared."""
    from kg.queries import QueryError, execute

    if query == "-":
        query = sys.stdin.read()
    elif query.endswith(".rq") and Path(query).is_file():
        query = Path(query).read_text(encoding="utf-8")
    graph = _open_read_only(store)
    try:
        result = execute(graph.store, query, limit=limit)
    except QueryError as error:
        raise _fail(f"error: {error}") from None
    _emit(result, fmt, output)


# Command groups defined in kg/commands/ (authorities and linking, serving, analytics).
from kg.commands import register_all  # noqa: E402

register_all(app)
