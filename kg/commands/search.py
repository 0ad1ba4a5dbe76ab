"""``kg search``: full-text search over every finding and recommendation (``kg.search``).

Ranked hits (BM25, English stemming) with the quote, the source file and the offsets of the
quote in its clean text, and the IRI of the statement, to go on in SPARQL. The index lives
in the store directory and is brought in step with the store before each search.
"""

# No ``from __future__ import annotations``: typer reads the annotations of the commands
# defined inside ``register`` at definition time, where StoreOption is a local name.

import json
from typing import Annotated

import typer

FORMATS = ("table", "csv", "json")
COLUMNS = ["score", "authority_name", "date", "kind", "statement_kind", "polarity", "quote",
           "file_name", "start", "end", "statement"]  # fmt: skip


def register(app: typer.Typer) -> None:
    from kg.cli import StoreOption, _fail, _open_read_only, _table, out

    @app.command("search")
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
        limit: Annotated[int, typer.Option(help="At most this many hits (0: all).")] = 20,
        fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
        store: StoreOption = None,
    ) -> None:
        """Search the words of every finding and recommendation, best match first."""
        from kg.commands.link import _rows_out
        from kg.search import SearchError, search

        if fmt not in FORMATS:
            raise _fail(f"error: --format must be one of {', '.join(FORMATS)} (got {fmt!r})")
        graph = _open_read_only(store)
        try:
            result = search(
                graph.store,
                graph.path,
                words,
                authority=authority,
                from_year=from_year,
                to_year=to_year,
                kind=kind,
                theme=theme,
                polarity=polarity,
                statement=statement,
                limit=limit or None,
            )
        except SearchError as error:
            raise _fail(f"error: {error}") from None
        finally:
            graph.close()
        if fmt == "json":
            print(json.dumps(result.values(), indent=2, ensure_ascii=False))
            return
        rows = [[getattr(hit, c) for c in COLUMNS] for hit in result]
        if fmt == "csv":
            _rows_out("", COLUMNS, rows, "csv")
            return
        out.print(f"{len(rows)} hit(s)")
        if rows:
            shown = [c for c in COLUMNS if c not in ("statement", "kind")]
            keep = [COLUMNS.index(c) for c in shown]
            out.print(_table("", shown, [[r[i] for i in keep] for r in rows]))
        if result.truncated:
            out.print(f"note: output cut at --limit {limit} hits; more exist")
