"""``kg serve``, ``kg export`` and ``kg push``: the graph for other tools and other engines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kg.cli.console import StoreOption, fail, open_read_only, store_path
from kg.errors import quoted


def register(app: typer.Typer) -> None:
    """Add ``kg serve``, ``kg export`` and ``kg push`` to the ``kg`` app."""
    app.command("serve")(serve_command)
    app.command("export")(export_command)
    app.command("push")(push_command)


def serve_command(
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 7878,
    cors: Annotated[
        bool,
        typer.Option(
            "--cors", help="Allow cross-origin requests (Access-Control-Allow-Origin: *)."
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds a query may run before the answer is 504.")
    ] = 30.0,
    allow_service: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-service",
            metavar="URL",
            help="An endpoint queries may call with SERVICE (repeatable); "
            "without it federated queries are refused with 400.",
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Serve the graph read-only over the SPARQL 1.1 Protocol, with a query page at /."""
    from kg.serve import ServeError, Server

    try:
        server = Server(
            store_path(store),
            host=host,
            port=port,
            timeout=timeout,
            cors=cors,
            allow_service=allow_service or (),
        )
    except ServeError as error:
        raise fail(f"error: {error}") from None
    print(
        f"Serving {server.store} at {server.url} (SPARQL endpoint {server.url}sparql; "
        f"saved queries {server.url}queries); Ctrl-C stops",
        flush=True,
    )
    import signal

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except ServeError as error:
        raise fail(f"error: {error}") from None
    except KeyboardInterrupt:
        server.close()
        print("stopped", file=sys.stderr)


def export_command(
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="nquads, trig (named graphs kept), turtle or jsonld."),
    ] = "nquads",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (default: stdout)."),
    ] = None,
    description: Annotated[
        Path | None,
        typer.Option("--description", help="Also write the VoID/DCAT description alone (Turtle)."),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Dump the whole graph (ontology and themes included) with a VoID/DCAT description."""
    from kg.export import EXPORT_FORMATS, export, write_description

    if fmt not in EXPORT_FORMATS:
        raise fail(
            f"error: --format must be one of {', '.join(EXPORT_FORMATS)} (got {quoted(fmt)})"
        )
    graph = open_read_only(store)
    try:
        try:
            if output is None:
                summary = export(graph.store, sys.stdout.buffer, fmt)
                sys.stdout.buffer.flush()
            else:
                with output.open("wb") as handle:
                    summary = export(graph.store, handle, fmt)
            if description is not None:
                with description.open("wb") as handle:
                    write_description(graph.store, handle)
        except BrokenPipeError:
            # The reader stopped early (`kg export | head`): not an error.
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as error:
            raise fail(
                f"error: cannot write {error.filename or output}: {error.strerror or error}"
            ) from None
    finally:
        graph.close()
    print(
        f"exported {summary.quads} quads in {summary.graphs} graphs "
        f"({summary.distinct_triples} distinct triples, {summary.sources} source files) "
        f"as {fmt}" + (f" to {output}" if output else ""),
        file=sys.stderr,
    )


def push_command(
    endpoint: Annotated[
        str,
        typer.Option(
            help="Graph Store Protocol URL, e.g. http://localhost:7878/store or "
            "http://localhost:8890/sparql-graph-crud-auth"
        ),
    ],
    graph_param: Annotated[
        str,
        typer.Option(
            help="Query parameter naming the graph (graph; Virtuoso also takes graph-uri)."
        ),
    ] = "graph",
    store: StoreOption = None,
) -> None:
    """Upload every named graph (PUT ?graph=IRI, replacing it); credentials from
    $KG_ENDPOINT_USER and $KG_ENDPOINT_PASSWORD."""
    from kg.push import PushError, push

    graph = open_read_only(store)
    try:
        result = push(graph.store, endpoint, graph_param=graph_param)
    except PushError as error:
        raise fail(f"error: {error}") from None
    finally:
        graph.close()
    print(
        f"pushed {result.graphs} graphs ({result.triples} triples) to {endpoint} "
        f"in {result.seconds:.1f} s"
    )
