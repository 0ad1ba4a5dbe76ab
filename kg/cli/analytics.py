"""``kg graph export`` and ``kg report``: the analytics (``kg.analytics``) as files for Gephi,
Cytoscape and d3, and the self-contained HTML report (``kg.report``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kg.analytics import GRAPH_FORMATS, GRAPH_KINDS, INCLUDES
from kg.cli.console import StoreOption, check_choice, fail, open_read_only

FromOption = Annotated[
    int | None,
    typer.Option("--from", help="First year (visit start), inclusive.", show_default=False),
]
ToOption = Annotated[
    int | None, typer.Option("--to", help="Last year (visit start), inclusive.", show_default=False)
]
IncludeOption = Annotated[
    str,
    typer.Option(
        "--include",
        help="What counts as being told: recommendations, or "
        "weaknesses (recommendations and weakness findings).",
    ),
]
AuthorityOption = Annotated[
    str | None,
    typer.Option(
        "--authority", help="One authority (name, GSS code or DfE number).", show_default=False
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``kg graph export`` and ``kg report`` to the ``kg`` app."""
    graph_app = typer.Typer(
        help="Graph analytics exported for network tools.", no_args_is_help=True
    )
    app.add_typer(graph_app, name="graph")
    graph_app.command("export")(graph_export_command)
    app.command("report")(report_command)


def graph_export_command(
    kind: Annotated[str, typer.Option("--kind", help="recurrence, inspectors or themes.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="graphml, gexf or json (d3 node-link); default: from the "
            "--output suffix, else graphml.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file (default: stdout).")
    ] = None,
    authority: AuthorityOption = None,
    from_year: FromOption = None,
    to_year: ToOption = None,
    include: IncludeOption = "recommendations",
    store: StoreOption = None,
) -> None:
    """Export the recurrence, inspector or theme co-occurrence graph for network tools.

    Node ids and ``iri`` attributes are the knowledge graph's IRIs."""
    from kg.analytics import (
        AnalyticsError,
        export_graph,
        include_of,
        load,
        resolve_authority,
        write_graph,
    )

    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output is not None else ""
        fmt = suffix if suffix in GRAPH_FORMATS else "graphml"
    check_choice("--kind", kind, GRAPH_KINDS)
    check_choice("--format", fmt, GRAPH_FORMATS)
    check_choice("--include", include, INCLUDES)
    graph = open_read_only(store)
    try:
        selected = resolve_authority(authority) if authority else None
        data = load(
            graph.store,
            authority=selected,
            from_year=from_year,
            to_year=to_year,
            include=include_of(include),
        )
        result = export_graph(data, kind, include_of(include))
        if output is None:
            write_graph(result, fmt, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            write_graph(result, fmt, output)
    except AnalyticsError as error:
        raise fail(f"error: {error}") from None
    except OSError as error:
        raise fail(f"error: {output}: cannot write ({error.strerror or error})") from None
    finally:
        graph.close()
    if output is not None:
        print(
            f"wrote {output}: {result.number_of_nodes()} nodes, "
            f"{result.number_of_edges()} edges ({kind}, {fmt})",
            file=sys.stderr,
        )


def report_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    authority: AuthorityOption = None,
    from_year: FromOption = None,
    to_year: ToOption = None,
    include: IncludeOption = "recommendations",
    top: Annotated[
        int,
        typer.Option("--top", min=1, help="Rows per chart or table before the rest is summarised."),
    ] = 15,
    store: StoreOption = None,
) -> None:
    """Write a self-contained HTML report of recurring issues (no network needed).

    Inline CSS and SVG charts: a national section and one section per authority."""
    from kg.analytics import AnalyticsError, include_of
    from kg.report import write_report

    check_choice("--include", include, INCLUDES)
    if output.is_dir():
        raise fail(f"error: --output {output} is a directory; give a file name")
    graph = open_read_only(store)
    try:
        summary = write_report(
            graph.store,
            output,
            authority=authority,
            from_year=from_year,
            to_year=to_year,
            include=include_of(include),
            top=top,
        )
    except AnalyticsError as error:
        raise fail(f"error: {error}") from None
    finally:
        graph.close()
    authorities = "authority" if summary.authorities == 1 else "authorities"
    print(
        f"wrote {output}: {summary.authorities} {authorities}, {summary.visits} visits, "
        f"{summary.chains} recurring themes, {summary.bytes / 1024:.0f} KiB in "
        f"{summary.seconds:.1f} s"
    )
