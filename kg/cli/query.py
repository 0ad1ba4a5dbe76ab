"""``kg queries``, ``kg query`` and ``kg sparql``: the saved queries and ad-hoc SPARQL,
run through ``kg.queries`` (``run_saved``, ``execute``) on the store or an endpoint, and the
answer printed as a table fitted to the terminal or in a W3C/RDF format.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from kg.cli.console import StoreOption, fail, open_read_only, out, table
from kg.errors import quoted


def register(app: typer.Typer) -> None:
    """Add ``kg queries`` (with ``show`` and ``docs``), ``kg query`` and ``kg sparql``."""
    queries_app = typer.Typer(
        help="The saved SPARQL queries in queries/.", invoke_without_command=True
    )
    app.add_typer(queries_app, name="queries")
    queries_app.callback()(queries_command)
    queries_app.command("show")(queries_show_command)
    queries_app.command("docs")(queries_docs_command)
    app.command("query")(query_command)
    app.command("sparql")(sparql_command)


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
    out.print(table("Saved queries", ["name", "summary", "parameters (?=optional)"], rows))


def queries_show_command(name: str) -> None:
    """Print a saved query's description, parameters and SPARQL."""
    from kg.queries import get_query

    with _query_errors():
        query = get_query(name)
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
            raise fail(f"error: --param takes name=value (got {quoted(item)})")
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
            raise fail(
                f"error: {query.name} has no {flag} parameter (--{flag}); it takes "
                f"{', '.join(names) or 'none'}"
            )
        if target in values:
            raise fail(f"error: {target} given twice (--{flag} and --param {target}=...)")
        values[target] = value


def _source(store: Path | None, endpoint: str | None, timeout: float | None) -> Any:
    """The store (read-only) or the remote endpoint to query."""
    from kg.queries import LocalStore

    if endpoint is not None:
        from kg.endpoint import Endpoint

        with _query_errors():
            return Endpoint.from_env(endpoint, timeout=timeout)
    return LocalStore(open_read_only(store).store)


@contextmanager
def _query_errors() -> Iterator[None]:
    """A ``QueryError`` raised inside (a bad name, value, query or format) becomes its one
    line on stderr and exit 1; a ``QueryTimeout`` exits 3."""
    from kg.queries import QueryError, QueryTimeout

    try:
        yield
    except QueryTimeout as error:
        raise fail(f"error: {error}", code=3) from None
    except QueryError as error:
        raise fail(f"error: {error}") from None


def _run(answer: Callable[[], Any], fmt: str, output: Path | None) -> None:
    """Check ``fmt``, get the answer (``answer()`` checks it against the query form before
    the query runs) and emit it; errors as ``_query_errors`` says."""
    from kg.queries import FORMATS

    if fmt not in FORMATS:  # before the syntax: a bad --format is the first thing said
        raise fail(f"error: --format must be one of {', '.join(FORMATS)} (got {quoted(fmt)})")
    with _query_errors():
        result = answer()
    _emit(result, fmt, output)


def _emit(result: Any, fmt: str, output: Path | None) -> None:
    """Write a QueryResult as a table fitted to the terminal, or in a machine format; say on
    stderr (or under the table) when --limit cut the rows."""
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
    with _query_errors():
        data = result.serialize(fmt)
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
    shown_table = table(f"{len(cells)} {what}", shown, cells)
    for column, width in zip(shown_table.columns, widths, strict=True):
        column.max_width = width
        column.overflow = "ellipsis"
    console.print(shown_table)
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


def query_command(
    name: Annotated[str, typer.Argument(help="A saved query (see `kg queries`).")],
    param: Annotated[list[str], typer.Option("--param", "-p", help="name=value (repeatable)")] = [],  # noqa: B006 - typer reads the default
    authority: Annotated[
        str | None, typer.Option(help="Authority name, GSS code or DfE number.")
    ] = None,
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
    from kg.queries import get_query, run_saved

    with _query_errors():
        query = get_query(name)
    values = _parse_params(param)
    _friendly(
        query,
        values,
        {"authority": authority, "theme": theme, "inspector": inspector, "from": from_, "to": to},
    )
    source = _source(store, endpoint, timeout or None)
    _run(
        lambda: run_saved(
            source, query, params=values, limit=limit, timeout=timeout or None, output_format=fmt
        ),
        fmt,
        output,
    )


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
            raise fail(f"error: no query file at {query}")
        query = Path(query).read_text(encoding="utf-8")
    from kg.queries import execute

    source = _source(store, endpoint, timeout or None)
    _run(
        lambda: execute(source, query, limit=limit, timeout=timeout or None, output_format=fmt),
        fmt,
        output,
    )
