"""What every ``kg`` command shares: the ``--store`` option, opening the store, one-line
errors and the tables and lists it prints.

Errors go to stderr as one line each; results go to stdout. The command modules import
these from here (never from each other or from ``kg.cli``), so the package has no cycle.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kg.errors import quoted
from kg.store import KnowledgeGraph, StoreMissingError, default_store_path

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

LIST_FORMATS = ("table", "csv", "json")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` on stderr and return the exit to raise (``raise fail(...)``)."""
    print(message, file=sys.stderr)
    return typer.Exit(code)


def store_path(store: Path | None) -> Path:
    return store if store is not None else default_store_path()


def open_read_only(store: Path | None) -> KnowledgeGraph:
    """The store opened read-only, or a one-line error naming it (exit 1)."""
    try:
        return KnowledgeGraph.open_read_only(store_path(store))
    except StoreMissingError as error:
        raise fail(f"error: {error}") from None
    except OSError as error:
        raise fail(f"error: cannot open the store at {store_path(store)}: {error}") from None


def open_writable(store: Path | None) -> KnowledgeGraph:
    """The store opened for writing (made if new), or a one-line error naming it (exit 1):
    saying so when another process, such as a running build, holds it."""
    where = store_path(store)
    try:
        return KnowledgeGraph.open(where)
    except OSError as error:
        hint = (
            " (another process, such as a running build, holds it)" if "lock" in str(error) else ""
        )
        raise fail(f"error: cannot open the store at {where} for writing{hint}: {error}") from None


def check_choice(option: str, value: str, allowed: tuple[str, ...]) -> None:
    """Refuse an option value outside ``allowed``, listing the valid ones."""
    if value not in allowed:
        raise fail(f"error: {option} must be one of {', '.join(allowed)} (got {quoted(value)})")


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A rich table; numeric columns right-aligned, text left-aligned."""
    shown = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        numeric = bool(rows) and all(isinstance(r[i], int) or r[i] is None for r in rows)
        shown.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        shown.add_row(*("" if v is None else str(v) for v in row))
    return shown


def write(text: str, output: Path | None) -> None:
    """Text on stdout or into ``output``, ending with one newline."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def rows_out(
    title: str, columns: list[str], rows: list[list[Any]], fmt: str, output: Path | None = None
) -> None:
    """A list as a table on the terminal, or as CSV or JSON (a table sent to a file is CSV)."""
    if fmt not in LIST_FORMATS:
        raise fail(f"error: --format must be one of {', '.join(LIST_FORMATS)} (got {quoted(fmt)})")
    if fmt == "json":
        write(
            json.dumps(
                [dict(zip(columns, r, strict=True)) for r in rows], indent=2, ensure_ascii=False
            ),
            output,
        )
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in r] for r in rows])
        write(buffer.getvalue(), output)
    elif output is not None:
        rows_out(title, columns, rows, "csv", output)
    else:
        out.print(table(title, columns, rows))
