"""``kg authorities`` and ``kg link``: the authorities and the statistics linked to them.

``kg authorities`` lists every English authority with its codes and how many visits the store
holds for it; ``kg authorities show NAME`` gives one authority's identifiers, history and
visits. ``kg link import`` brings a statistics table keyed by authority into its own named
graph (``kg.datasets``), ``kg link import-defaults`` the two DfE tables shipped in
``datasets/``, ``kg link list`` lists what was imported, and ``kg link export`` writes the
authority crosswalk for other tools.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kg.cli.console import (
    StoreOption,
    fail,
    open_read_only,
    open_writable,
    rows_out,
    store_path,
    write,
)
from kg.errors import quoted

if TYPE_CHECKING:
    from kg.authorities import Authority
    from kg.store import KnowledgeGraph


def _maybe_open(store: Path | None) -> KnowledgeGraph | None:
    """The store read-only, or None (with a note) when there is none yet."""
    if not (store_path(store) / "CURRENT").exists():
        print(
            f"note: no store at {store_path(store)} (run `kg build`): visits not counted",
            file=sys.stderr,
        )
        return None
    return open_read_only(store)


def _resolve(name: str) -> Authority:
    from kg.authorities import AuthorityError, AuthorityIndex

    try:
        return AuthorityIndex.load().lookup(name)
    except AuthorityError as error:
        raise fail(f"error: {error}") from None


def register(app: typer.Typer) -> None:
    """Add ``kg authorities`` and ``kg link`` to the main app."""
    authorities_app = typer.Typer(
        help="Every English children's services authority: codes, history, visits.",
        invoke_without_command=True,
    )
    app.add_typer(authorities_app, name="authorities")
    link_app = typer.Typer(
        help="Link statistics tables keyed by authority (RDF Data Cube) "
        "and export the authority crosswalk.",
        no_args_is_help=True,
    )
    app.add_typer(link_app, name="link")
    authorities_app.callback()(authorities_command)
    authorities_app.command("show")(authorities_show_command)
    link_app.command("import")(link_import_command)
    link_app.command("import-defaults")(link_import_defaults_command)
    link_app.command("list")(link_list_command)
    link_app.command("export")(link_export_command)


def authorities_command(
    ctx: typer.Context,
    include_all: Annotated[
        bool, typer.Option("--all", help="Include abolished councils (predecessors).")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
    store: StoreOption = None,
) -> None:
    """List the authorities: name, GSS code, DfE number, region, visits in the store."""
    if ctx.invoked_subcommand is not None:
        return
    from kg import vocab
    from kg.authorities import AuthorityIndex
    from kg.queries import authority_visit_counts

    graph = _maybe_open(store)
    counts = authority_visit_counts(graph.store) if graph is not None else None
    rows = []
    for a in AuthorityIndex.load().all(include_predecessors=include_all):
        visits = counts.get(vocab.authority_iri(a.gss_code), 0) if counts is not None else None
        row: list[Any] = [a.name, a.gss_code, a.dfe_la_code, a.region_name, visits]
        if include_all:
            row.append(a.abolished)
        rows.append(row)
    columns = ["name", "gss_code", "dfe_la_code", "region", "visits"]
    if include_all:
        columns.append("abolished")
    rows_out(f"{len(rows)} authorities", columns, rows, fmt)


def authorities_show_command(
    name: Annotated[
        str, typer.Argument(help="A name as reports write it, a GSS code or a DfE LA number.")
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
    store: StoreOption = None,
) -> None:
    """One authority: codes, Wikidata, area, predecessors/successors, visits."""
    from kg import vocab

    if fmt not in ("text", "json"):
        raise fail(f"error: --format must be text or json (got {quoted(fmt)})")
    from kg.queries import authority_visits

    a = _resolve(name)
    graph = _maybe_open(store)
    iri = vocab.authority_iri(a.gss_code)
    visits = authority_visits(graph.store, iri) if graph is not None else []
    info: dict[str, Any] = {
        "name": a.name,
        "iri": iri,
        "gss_code": a.gss_code,
        "former_gss_codes": list(a.former_gss_codes),
        "dfe_la_code": a.dfe_la_code,
        "region": a.region_name,
        "region_gss_code": a.region_gss_code,
        "wikidata": vocab.WD + a.wikidata_qid if a.wikidata_qid else None,
        "area": vocab.area_iri(a.gss_code),
        "established": a.established,
        "abolished": a.abolished,
        "predecessors": [
            {
                "name": p.name,
                "gss_code": p.gss_code,
                "dfe_la_code": p.dfe_la_code,
                "date": p.effective_date,
            }
            for p in a.predecessors
        ],
        "successors": [
            {
                "name": s.name,
                "gss_code": s.gss_code,
                "dfe_la_code": s.dfe_la_code,
                "date": s.effective_date,
            }
            for s in a.successors
        ],
        "code_changes": [
            {"from": r.old_gss_code, "to": r.new_gss_code, "date": r.effective_date}
            for r in a.recodes
        ],
        "visits": visits if graph is not None else None,
    }
    if fmt == "json":
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return
    lines = [
        f"{a.name}" + (f" (abolished {a.abolished})" if a.abolished else ""),
        f"  IRI          {iri}",
        f"  GSS code     {a.gss_code}"
        + (f" (formerly {', '.join(a.former_gss_codes)})" if a.former_gss_codes else ""),
        f"  DfE LA no.   {a.dfe_la_code or '-'}",
        f"  region       {a.region_name or '-'}"
        + (f" ({a.region_gss_code})" if a.region_gss_code else ""),
        f"  Wikidata     {info['wikidata'] or '-'}",
        f"  area         {info['area']}",
    ]
    for r in a.recodes:
        lines.append(f"  code change  {r.old_gss_code} -> {r.new_gss_code} on {r.effective_date}")
    for p in a.predecessors:
        lines.append(
            f"  predecessor  {p.name} ({p.gss_code}, DfE {p.dfe_la_code or '-'}),"
            f" replaced on {p.effective_date}"
        )
    for s in a.successors:
        lines.append(
            f"  successor    {s.name} ({s.gss_code}, DfE {s.dfe_la_code or '-'}),"
            f" from {s.effective_date}"
        )
    if graph is None:
        lines.append("  visits       (no store)")
    else:
        lines.append(f"  visits       {len(visits)}")
        for v in visits:
            lines.append(f"    {v['start'] or '?':10}  {v['kind'] or '?':18}  {v['sources']}")
    print("\n".join(lines))


def link_import_command(
    file: Annotated[Path, typer.Argument(help="A CSV table keyed by authority.")],
    dataset: Annotated[
        str,
        typer.Option("--dataset", "-d", help="Short name (its graph: .../graph/dataset/NAME)."),
    ],
    area_column: Annotated[
        str | None,
        typer.Option(help="Column holding GSS codes, DfE LA numbers or names (default: detected)."),
    ] = None,
    period_column: Annotated[
        str | None,
        typer.Option(help="Column holding the period, e.g. time_period (default: detected)."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="A title for the dataset.")] = None,
    store: StoreOption = None,
) -> None:
    """Import a statistics CSV as RDF Data Cube; re-importing replaces the dataset."""
    from kg.datasets import DatasetError, dataset_graph_iri, dataset_quads

    try:
        quads, report = dataset_quads(
            file, dataset, area_column=area_column, period_column=period_column, title=title
        )
    except DatasetError as error:
        raise fail(f"error: {error}") from None
    graph = open_writable(store)
    try:
        graph.replace_graph(dataset_graph_iri(dataset), quads)
    finally:
        graph.close()
    _print_report(report)


def link_import_defaults_command(
    force: Annotated[bool, typer.Option("--force", help="Re-import unchanged files too.")] = False,
    store: StoreOption = None,
) -> None:
    """Link the data shipped in datasets/ (DfE tables, Ofsted's ILACS record): what
    `kg build` links by default."""
    from kg.datasets import DatasetError
    from kg.shipped import import_default_datasets

    graph = open_writable(store)
    try:
        reports = import_default_datasets(graph, force=force)
    except DatasetError as error:
        raise fail(f"error: {error}") from None
    finally:
        graph.close()
    for report in reports:
        _print_report(report)


def link_list_command(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
    store: StoreOption = None,
) -> None:
    """List the imported datasets."""
    from kg.datasets import list_datasets

    graph = open_read_only(store)
    rows = list_datasets(graph.store)
    columns = ["dataset", "title", "file", "observations", "measures", "graph"]
    rows_out(f"{len(rows)} dataset(s)", columns, [[r[c] for c in columns] for r in rows], fmt)


def link_export_command(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or turtle")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
) -> None:
    """Write the authority crosswalk: our IRI, name, GSS, DfE, Wikidata, area, region,
    predecessors/successors (every authority, abolished ones included)."""
    from kg.datasets import crosswalk_csv, crosswalk_rows, crosswalk_turtle

    if fmt == "csv":
        write(crosswalk_csv(crosswalk_rows()), output)
    elif fmt in ("turtle", "ttl"):
        write(crosswalk_turtle(), output)
    else:
        raise fail(f"error: --format must be csv or turtle (got {quoted(fmt)})")


def _print_report(report: Any) -> None:
    """The summary on stdout; each row not imported (and odd marker) on stderr."""
    if report.unchanged:
        print(f"{report.dataset}: unchanged ({report.file} already imported)")
        return
    for problem in report.problems:
        print(problem.message, file=sys.stderr)
    print(report.summary())
