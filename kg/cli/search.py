"""``kg search``: full-text search over every finding and recommendation (``kg.search``).

Ranked hits (BM25, English stemming) with the quote, the source file and the offsets of the
quote in its clean text, and the IRI of the statement, to go on in SPARQL. The index (tantivy)
lives in the store directory and is brought in step with the store before each search.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from kg.cli.console import (
    LIST_FORMATS,
    StoreOption,
    check_choice,
    fail,
    open_read_only,
    out,
    rows_out,
    table,
)
from kg.search import SearchError, search

COLUMNS = ["score", "authority_name", "date", "kind", "statement_kind", "body", "polarity",
           "quote", "file_name", "start", "end", "statement"]  # fmt: skip
# What the terminal table shows (the rest is in CSV and JSON).
SHOWN = ["score", "authority_name", "date", "statement_kind", "body", "polarity", "quote",
         "file_name", "start", "end"]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``kg search`` to the ``kg`` app."""
    app.command("search")(search_command)


def search_command(
    words: Annotated[
        str,
        typer.Argument(
            help='Words to find (all of them, stemmed); "a phrase", prefix*, a OR b, -word.'
        ),
    ],
    authority: Annotated[
        str | None, typer.Option(help="Authority name, GSS code or DfE LA number.")
    ] = None,
    from_year: Annotated[int | None, typer.Option("--from", help="From this year.")] = None,
    to_year: Annotated[int | None, typer.Option("--to", help="Up to this year.")] = None,
    kind: Annotated[str | None, typer.Option(help="Visit kind, e.g. ilacs-inspection.")] = None,
    theme: Annotated[str | None, typer.Option(help="Theme id or label.")] = None,
    polarity: Annotated[
        str | None, typer.Option(help="Findings of this polarity: strength, weakness, neutral.")
    ] = None,
    statement: Annotated[
        str | None, typer.Option(help="Only findings or only recommendations.")
    ] = None,
    council_only: Annotated[
        bool,
        typer.Option(
            "--council-only",
            help="Only the council's points: leave out the safeguarding board's review and the"
            " recommendations addressed only to partners (shown by default, marked in `body`).",
        ),
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many hits (0: all).")] = 20,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    store: StoreOption = None,
) -> None:
    """Search the words of every finding and recommendation, best match first. Each hit says
    whose point it is (`body`): the council's, or the safeguarding board's (its review in a
    SIF report, its recommendations) or a partner's ("health", "police")."""
    check_choice("--format", fmt, LIST_FORMATS)
    graph = open_read_only(store)
    try:
        result = search(
            graph.store,
            graph.path,
            words,
            graph.stamp,
            authority=authority,
            from_year=from_year,
            to_year=to_year,
            kind=kind,
            theme=theme,
            polarity=polarity,
            statement=statement,
            council_only=council_only,
            limit=limit or None,
        )
    except SearchError as error:
        raise fail(f"error: {error}") from None
    finally:
        graph.close()
    if fmt == "json":
        print(json.dumps(result.values(), indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        rows_out("", COLUMNS, [[getattr(hit, c) for c in COLUMNS] for hit in result], "csv")
        return
    out.print(f"{len(result)} hit(s)")
    if len(result):
        out.print(table("", SHOWN, [[getattr(hit, c) for c in SHOWN] for hit in result]))
    if result.truncated:
        out.print(f"note: output cut at --limit {limit} hits; more exist")
