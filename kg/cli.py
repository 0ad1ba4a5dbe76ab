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
from kg.store import KnowledgeGraph, StoreMissingError, StoreWriteError, default_store_path

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
        try:
            result = _run_build(paths, graph, force, workers, datasets)
            rows = graph.visits_by_authority()
        finally:
            graph.close()
    except StoreWriteError as error:  # disk full, read-only: what was stored is unchanged
        raise _fail(f"error: {error}") from None
    linked = result.linked
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


@app.command("extract")
def extract_command(
    file: Annotated[Path, typer.Argument(help="One report file (PDF or text).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Extract one report and print its record, without touching the store."""
    try:
        report = extract_file(file)
    except Exception as error:
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
    """Check the graph against the SHACL shapes and the data-quality checks in queries/checks/;
    exit 1 if anything breaks them."""
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
        raise _fail(f"{len(violations)} SHACL violation(s) in {groups} group(s)")


@app.command("version")
def version_command() -> None:
    """Print the software version."""
    print(__version__)


# ------------------------------------------------------------------------------- queries

queries_app = typer.Typer(help="The saved SPARQL queries in queries/.", invoke_without_command=True)
app.add_typer(queries_app, name="queries")

FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "nquads", "jsonld")
# Friendly flags of `kg query` and the query parameter names each may fill, in order.
FRIENDLY = {
    "authority": ("authority",),
    "theme": ("theme",),
    "inspector": ("inspector",),
    "from": ("from", "from_year", "from_date", "since"),
    "to": ("to", "to_year", "to_date", "until"),
}

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="table, csv, tsv, json or xml (W3C SPARQL results) for "
        "SELECT/ASK; turtle, ntriples, nquads or jsonld for CONSTRUCT/DESCRIBE.",
    ),
]
LimitOption = Annotated[
    int | None, typer.Option("--limit", min=0, help="At most this many rows (says if cut).")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]
TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", min=0, help="Stop the query after this many seconds (0: never)."),
]
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        help="Send the query to this SPARQL 1.1 endpoint instead of the "
        "store (credentials: $KG_ENDPOINT_USER, $KG_ENDPOINT_PASSWORD).",
        show_default=False,
    ),
]


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
            for p in query.parameters
        )
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


@queries_app.command("docs")
def queries_docs_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Directory for the Markdown pages (default: the repository's docs/queries).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write one Markdown page per saved query, and an index, from the .rq headers."""
    from kg.query_docs import docs_dir, write_docs

    output = output or docs_dir()
    written = write_docs(output)
    print(f"wrote {len(written)} page(s) to {output}")


def _parse_params(params: list[str]) -> dict[str, str]:
    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise _fail(f"error: --param takes name=value (got {item!r})")
        values[name.strip()] = value
    return values


def _friendly(query: Any, values: dict[str, str], flags: dict[str, str | None]) -> None:
    """Put --authority/--theme/--inspector/--from/--to onto the query's own parameters."""
    names = [p.name for p in query.parameters]
    for flag, value in flags.items():
        if value is None:
            continue
        target = next((n for n in FRIENDLY[flag] if n in names), None)
        if target is None:
            raise _fail(
                f"error: {query.name} has no {flag} parameter (--{flag}); it takes "
                f"{', '.join(names) or 'none'}"
            )
        if target in values:
            raise _fail(f"error: {target} given twice (--{flag} and --param {target}=...)")
        values[target] = value


def _source(store: Path | None, endpoint: str | None, timeout: float | None) -> Any:
    """The pyoxigraph store (read-only) or the remote endpoint to query."""
    if endpoint is not None:
        from kg.endpoint import Endpoint
        from kg.queries import QueryError

        try:
            return Endpoint.from_env(endpoint, timeout=timeout)
        except QueryError as error:
            raise _fail(f"error: {error}") from None
    return _open_read_only(store).store


def _run(
    source: Any,
    sparql: str,
    fmt: str,
    limit: int | None,
    timeout: float,
    output: Path | None,
    source_text: str | None = None,
) -> None:
    """Check the format against the query form, run, and emit (errors: one message, exit 1;
    a timeout exits 3)."""
    from kg.queries import QueryError, QueryTimeout, check_format, check_syntax, execute

    if fmt not in FORMATS:
        raise _fail(f"error: --format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    try:
        check_format(check_syntax(sparql, source_text), fmt)
        result = execute(
            source, sparql, limit=limit, timeout=timeout or None, source_text=source_text
        )
    except QueryTimeout as error:
        raise _fail(f"error: {error}", code=3) from None
    except QueryError as error:
        raise _fail(f"error: {error}") from None
    _emit(result, fmt, output)


def _emit(result: Any, fmt: str, output: Path | None) -> None:
    """Write a QueryResult as a table fitted to the terminal, or in a machine format; say on
    stderr (or under the table) when --limit cut the rows."""
    from kg.queries import QueryError

    note = None
    if result.truncated:
        note = f"note: output cut at --limit {len(result.rows)} rows; more rows exist"
    if fmt == "table":
        console = (
            out
            if output is None
            else Console(file=output.open("w", encoding="utf-8"), width=120, no_color=True)
        )
        try:
            _print_table(console, result, note)
        finally:
            if output is not None:
                console.file.close()
        return
    try:
        data = result.serialize(fmt)
    except QueryError as error:
        raise _fail(f"error: {error}") from None
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data if data.endswith(b"\n") or not data else data + b"\n")
        sys.stdout.flush()
    else:
        output.write_bytes(data)
    if note:
        print(note, file=sys.stderr)


def _print_table(console: Console, result: Any, note: str | None) -> None:
    if result.form == "ask":
        console.print(str(result.boolean).lower())
        return
    # An IRI column with a label column beside it (theme / theme_label) is noise on a
    # terminal: show the label; CSV and JSON keep both.
    shown = [
        c
        for c in result.columns
        if not (
            f"{c}_name" in result.columns
            or f"{c}_label" in result.columns
            or (c.endswith("_iri") and c[:-4] in result.columns)
        )
    ]
    cells = [[_short(row[c], 10_000) for c in shown] for row in result.values()]
    widths = _fit_widths(shown, cells, console.width)
    cut = 0
    for row in cells:
        for i, value in enumerate(row):
            if len(value) > widths[i]:
                row[i], shortened = _wrap(value, widths[i])
                cut += shortened
    what = "triple(s)" if result.form == "graph" else "row(s)"
    table = _table(f"{len(cells)} {what}", shown, cells)
    for column, width in zip(table.columns, widths, strict=True):
        column.max_width = width
        column.overflow = "ellipsis"
    console.print(table)
    if cut:
        console.print(
            f"note: {cut} long cell(s) shortened (…) to fit {console.width} columns; "
            "--format csv or json gives the full text",
            highlight=False,
        )
    if note:
        console.print(note, highlight=False)


TABLE_CELL_LINES = 3  # a long text cell wraps onto at most this many lines, then is cut


def _wrap(value: str, width: int) -> tuple[str, bool]:
    """A cell in ``width`` columns: text wraps onto a few lines, then is cut with "…";
    identifiers (no spaces) are cut. Returns the cell and whether it was shortened."""
    import textwrap

    if " " not in value:
        return value[: width - 1] + "…", True
    lines = textwrap.wrap(value, width) or [""]
    if len(lines) <= TABLE_CELL_LINES:
        return "\n".join(lines), False
    kept = lines[:TABLE_CELL_LINES]
    kept[-1] = kept[-1][: width - 1] + "…"
    return "\n".join(kept), True


def _fit_widths(columns: list[str], rows: list[list[str]], width: int) -> list[int]:
    """Column widths that fit ``width`` (rich adds 3 characters a column and 1 at the edge).

    Identifier columns (IRIs, numbers: no spaces) keep their width when the text columns can
    still have 20 characters each (text wraps); else short columns keep their size and the
    long ones share what is left.
    """
    natural = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    budget = max(width - 3 * len(columns) - 1, 8 * len(columns))
    keep = [i for i in range(len(columns)) if all(" " not in r[i] for r in rows)]
    texts = [i for i in range(len(columns)) if i not in keep]
    if texts and budget - sum(natural[i] for i in keep) >= 20 * len(texts):
        widths = list(natural)
        _share(widths, natural, texts, budget - sum(natural[i] for i in keep))
        return widths
    widths = list(natural)
    _share(widths, natural, list(range(len(columns))), budget)
    return widths


def _share(widths: list[int], natural: list[int], columns: list[int], budget: int) -> None:
    """Water-filling: columns narrower than an equal share keep their width, the rest split
    what is left equally."""
    remaining = sorted(columns, key=lambda i: natural[i])
    while remaining:
        share = budget // len(remaining)
        if natural[remaining[0]] <= share:
            i = remaining.pop(0)
            widths[i] = natural[i]
            budget -= natural[i]
            continue
        for i in remaining:
            widths[i] = max(share, min(8, natural[i]))
        return


def _short(value: str | None, width: int = 160) -> str:
    """Terminal-friendly cell: IRIs of the project shortened, long quotes cut."""
    if value is None:
        return ""
    from kg import vocab

    for prefix, iri in (("id:", vocab.ID), ("theme:", vocab.THEME), ("kg:", vocab.KG)):
        if value.startswith(iri):
            value = prefix + value[len(iri) :]
    value = " ".join(value.split())
    return value if len(value) <= width else value[: width - 1] + "…"


@app.command("query")
def query_command(
    name: Annotated[str, typer.Argument(help="A saved query (see `kg queries`).")],
    param: Annotated[list[str], typer.Option("--param", "-p", help="name=value (repeatable)")] = [],  # noqa: B006 - typer reads the default
    authority: Annotated[str | None, typer.Option(help="Authority name or GSS code.")] = None,
    theme: Annotated[str | None, typer.Option(help="Theme id or label.")] = None,
    inspector: Annotated[str | None, typer.Option(help="Inspector's name.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Start (year or date).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="End (year or date).")] = None,
    fmt: FormatOption = "table",
    limit: LimitOption = None,
    output: OutputOption = None,
    timeout: TimeoutOption = 30.0,
    endpoint: EndpointOption = None,
    store: StoreOption = None,
) -> None:
    """Run a saved query, e.g. `kg query recurring-issues --authority Hartlepool`."""
    from kg.queries import QueryError, get_query, prepare

    try:
        query = get_query(name)
    except QueryError as error:
        raise _fail(f"error: {error}") from None
    values = _parse_params(param)
    _friendly(
        query,
        values,
        {"authority": authority, "theme": theme, "inspector": inspector, "from": from_, "to": to},
    )
    source = _source(store, endpoint, timeout or None)
    try:
        sparql = prepare(query, values, source)
    except QueryError as error:
        raise _fail(f"error: {error}") from None
    _run(source, sparql, fmt, limit, timeout, output, source_text=query.sparql)


@app.command("sparql")
def sparql_command(
    query: Annotated[str, typer.Argument(help="SPARQL text, a .rq file, or - for stdin.")],
    fmt: FormatOption = "table",
    limit: LimitOption = None,
    output: OutputOption = None,
    timeout: TimeoutOption = 30.0,
    endpoint: EndpointOption = None,
    store: StoreOption = None,
) -> None:
    """Run your own SPARQL over all graphs, with the project's prefixes predeclared."""
    if query == "-":
        query = sys.stdin.read()
    elif query.endswith(".rq"):
        if not Path(query).is_file():
            raise _fail(f"error: no query file at {query}")
        query = Path(query).read_text(encoding="utf-8")
    source = _source(store, endpoint, timeout or None)
    _run(source, query, fmt, limit, timeout, output)


# Command groups defined in kg/commands/ (authorities and linking, serving, analytics).
from kg.commands import register_all  # noqa: E402

register_all(app)


if __name__ == "__main__":  # pragma: no cover
    app()
