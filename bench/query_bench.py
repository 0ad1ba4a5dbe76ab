"""Benchmark every saved query on the 800-document graph, against rdflib on the same data.

For each saved query in ``queries/`` (checks included), with its default parameters (required
ones get sensible values from the graph: the authority with most visits, the theme raised most
often, the inspector with most visits), the same bound SPARQL text is timed:

* ``oxigraph``: ``kg.queries.execute`` in this process over the read-only on-disk store
  (what ``kg.api.run_query`` does without a timeout); one warm-up, then ``--runs`` runs
  (or as many as fit in ``--budget`` seconds), median;
* ``CLI path``: the same with ``timeout=`` set, i.e. evaluated in a forked child that sends
  the rows back (what ``kg query`` does by default), median of 3 runs, for queries under 1 s
  (measured before rdflib is loaded: forking a process of several GB costs ~300 ms);
* ``rdflib``: on a smaller graph, since loading all 4.4 M quads into rdflib took ~5 minutes
  and most queries then ran past any cap: an even spread of ``--rdflib-sources`` source
  graphs (every k-th by file name) and all the shared graphs (ontology, themes, authorities,
  datasets, build record), copied into an in-memory Oxigraph store and into an
  ``rdflib.Dataset(default_union=True)`` (the default graph is the union, as in the store).
  Each query is bound again with values chosen from that graph, timed on the small Oxigraph
  store (median) and run once on rdflib in a forked child killed after ``--rdflib-cap``
  seconds (``>cap``); the ratio is between the two engines on the same small graph.

Row counts of both engines on the small graph are compared as a sanity check.
``recurring-issues`` is also timed for the authority with most visits (the headline
question). Targets (issue 14): a saved query for one authority, theme or inspector ≤ 100 ms
median, one over the whole country ≤ 300 ms, the checks together ≤ 10 s.

    python bench/query_bench.py [--store bench/store-800] [--runs 7] [--rdflib-cap 60]
        [--rdflib-sources 40 | --no-rdflib]

Writes ``bench/results/query_bench-<UTC time>.json`` and ``.md`` (git-ignored) and prints the
Markdown table. The store must be complete (``bench/store-800.ready``); it is opened read-only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import select
import signal
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg import vocab  # noqa: E402
from kg.queries import QueryTimeout, SavedQuery, execute, load_queries, prepare  # noqa: E402
from kg.store import KnowledgeGraph  # noqa: E402

RESULTS = BENCH / "results"
TARGET_MS = 100.0  # issue 14: a saved query for one authority, theme or inspector
TARGET_COUNTRY_MS = 300.0  # one over the whole country
TARGET_CHECKS_S = 10.0  # the checks (queries/checks/) together
TARGET_RATIO = 50.0
SCOPED = ("authority", "theme", "inspector")

# Why a query misses its target on the 800-document graph (measured: bench/README.md, "Where
# the targets are missed"); shown under the table when it does.
WHY_MISSED = {
    "find-text": (
        "plain SPARQL by design (issue 14; `kg search` is the fast path): with no text index, "
        "every one of the ~217 k texts is decoded from the store and lower-cased (~0.8 s: a "
        "bare CONTAINS with no LCASE costs as much, and a REGEX on the bound words is compiled "
        "again for every text, ~60 s), then ~3 k matches are joined to their annotation, "
        "visit and file."
    ),
    "unresolved-recommendations": (
        "for all authorities it returns ~8 k rows of 12 columns. Measured in one run "
        "(2026-12-07, store of 4.41 M quads, CPU time): whole query 1.05 s; the same without "
        "ORDER BY 0.83x; its work alone (wrapped in COUNT) 0.65x, of which the first later date "
        "per node ~95 ms and the later node's lead item and text, packed and MIN-ed, ~200 ms; "
        "so decoding the rows and sorting them cost ~0.4 s before any matching. Sorting on one "
        "computed key instead of the four columns: no change. Under 300 ms needs a smaller "
        "answer or the pairing stored at build time, which per-file graphs cannot hold (it "
        "spans visits: a derived graph per authority, rebuilt with its source graphs)."
    ),
    "checks": (
        "the two annotation checks (`selector-span-mismatch`, `statement-without-source-quote`) "
        "are ~96 % of the sum: each scans every annotation's ~436 k selectors and ~218 k quotes "
        "and positions and hash-joins them (2026-12-07 16:40 UTC, load average 3-5: 12.6 s and "
        "11.8 s of a 25.3 s sum, while `unresolved-recommendations` ran 2.7x its quiet time, "
        "so ~9-10 s quiet: at the target, not under it with any margin)."
    ),
}
# Any other miss: the last quiet run (bench/results/queries.md) met that target.
LOADED = "met in the last quiet run: over it here only if the machine was loaded (see uptime)."


def scope(name: str, params: dict[str, str]) -> str:
    """``check``, ``one`` (bound to one authority, theme or inspector) or ``country``."""
    if name.startswith("checks/"):
        return "check"
    return "one" if any(k in params for k in SCOPED) else "country"


def target_ms(name: str, params: dict[str, str]) -> float | None:
    """The median a query must stay under (None for a check: they count together)."""
    kind = scope(name, params)
    return None if kind == "check" else TARGET_MS if kind == "one" else TARGET_COUNTRY_MS


TOP_AUTHORITY = """SELECT ?gss (COUNT(DISTINCT ?v) AS ?n) WHERE {
  ?v a kg:Visit ; kg:authority ?a . ?a kg:gssCode ?gss } GROUP BY ?gss ORDER BY DESC(?n) ?gss
  LIMIT 1"""
TOP_THEME = """SELECT ?theme (COUNT(DISTINCT ?r) AS ?n) WHERE {
  ?r a kg:Recommendation ; kg:theme ?theme } GROUP BY ?theme ORDER BY DESC(?n) ?theme LIMIT 1"""
TOP_INSPECTOR = """SELECT ?name (COUNT(DISTINCT ?v) AS ?n) WHERE {
  ?v a kg:Visit ; kg:inspector ?i . ?i foaf:name ?name } GROUP BY ?name
  ORDER BY DESC(?n) ?name LIMIT 1"""


def sensible_values(store: Any) -> dict[str, str]:
    """Values for required parameters, by parameter type, chosen from the graph itself."""

    def first(sparql: str, column: str) -> str:
        rows = execute(store, sparql).values()
        return rows[0][column] if rows else ""

    theme = first(TOP_THEME, "theme")
    return {
        "authority": first(TOP_AUTHORITY, "gss"),
        "theme": theme.rsplit("/", 1)[-1],
        "inspector": first(TOP_INSPECTOR, "name"),
        "integer": "2020",
        "decimal": "1",
        "date": "2020-01-01",
        "boolean": "true",
        "string": "supervision",
        "iri": theme,
    }


def parameters_for(query: SavedQuery, values: dict[str, str]) -> dict[str, str]:
    """Defaults stay defaults; required parameters without one get a sensible value."""
    chosen = {}
    for p in query.parameters:
        if p.required and p.default is None:
            chosen[p.name] = p.allowed[0] if p.allowed else values[p.type]
    return chosen


def time_oxigraph(
    store: Any, sparql: str, runs: int, budget: float, cap: float, timeout: float | None = None
) -> tuple[float | None, int, int]:
    """(median seconds, rows, runs): a first run (capped at ``cap`` seconds: ``None`` past it)
    warms up; if it took longer than ``budget`` it is the only sample."""
    started = time.perf_counter()
    try:
        result = execute(store, sparql, timeout=cap if timeout is None else timeout)
    except QueryTimeout:
        return None, -1, 0
    first = time.perf_counter() - started
    if first > budget:
        return first, len(result.rows), 1
    times = []
    stop = time.perf_counter() + budget
    for _ in range(runs):
        started = time.perf_counter()
        execute(store, sparql, timeout=timeout)
        times.append(time.perf_counter() - started)
        if time.perf_counter() > stop:
            break
    return statistics.median(times), len(result.rows), len(times)


def small_graph(store: Any, sources: int) -> Any:
    """An in-memory Oxigraph store with about ``sources`` source graphs, all the files of an
    even spread of authorities (every k-th by name: the recurrence questions need several
    visits of one authority), and every graph that is not a source file's (ontology, themes,
    authorities, datasets, build record)."""
    import pyoxigraph as ox

    prefix = vocab.GRAPH + "source/"
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    by_authority: dict[str, list[str]] = {}
    for graph in graphs:
        if graph.startswith(prefix):  # source/<authority>-<yyyy-mm-dd>-<kind>...
            authority = re.split(r"-\d{4}-", graph[len(prefix) :], maxsplit=1)[0]
            by_authority.setdefault(authority, []).append(graph)
    per_authority = sum(map(len, by_authority.values())) / max(1, len(by_authority))
    wanted = max(1, round(sources / per_authority))
    step = max(1, len(by_authority) // wanted)
    chosen = {g for g in graphs if not g.startswith(prefix)}
    for authority in sorted(by_authority)[::step][:wanted]:
        chosen.update(by_authority[authority])
    small = ox.Store()
    for graph in sorted(chosen):
        small.extend(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    return small


def load_rdflib(store: Any) -> Any:
    """The store's quads in an rdflib Dataset whose default graph is the union."""
    import pyoxigraph as ox
    import rdflib

    data = store.dump(format=ox.RdfFormat.N_QUADS)
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(data=data, format="nquads")
    return dataset


def time_rdflib(
    dataset: Any, sparql: str, cap: float
) -> tuple[float | None, int | None, str | None]:
    """(seconds, rows, error) of one rdflib run in a forked child; seconds None past ``cap``
    or on an error."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            started = time.perf_counter()
            result = dataset.query(sparql, initNs=vocab.PREFIXES)
            rows = len(list(result)) if result.type != "ASK" else 1
            message = {"seconds": time.perf_counter() - started, "rows": rows}
        except BaseException as error:
            message = {"error": f"{type(error).__name__}: {error}"}
        os.write(write_end, json.dumps(message).encode())
        os._exit(0)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], cap)
    data = b""
    if ready:
        while chunk := os.read(read_end, 65536):
            data += chunk
    else:
        os.kill(pid, signal.SIGKILL)
    os.close(read_end)
    os.waitpid(pid, 0)
    if not data:
        return None, None, None
    message = json.loads(data)
    if "error" in message:
        return None, None, message["error"][:300]
    return message["seconds"], message["rows"], None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=BENCH / "store-800")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--budget",
        type=float,
        default=10.0,
        help="seconds of timed oxigraph runs per query at most",
    )
    parser.add_argument("--rdflib-cap", type=float, default=60.0)
    parser.add_argument(
        "--rdflib-sources",
        type=int,
        default=40,
        help="about how many source graphs (whole authorities) the smaller graph that rdflib "
        "and Oxigraph are compared on has",
    )
    parser.add_argument(
        "--ox-cap",
        type=float,
        default=60.0,
        help="seconds after which an oxigraph run is stopped (>cap)",
    )
    parser.add_argument("--no-rdflib", action="store_true")
    parser.add_argument("--only", nargs="*", help="query names to run (default: all)")
    args = parser.parse_args(argv)
    ready = args.store.with_name(args.store.name + ".ready")
    if not args.store.is_dir() or (args.store == BENCH / "store-800" and not ready.exists()):
        print(
            f"error: {args.store} is missing or not complete ({ready} not there yet)",
            file=sys.stderr,
        )
        return 1
    graph = KnowledgeGraph.open_read_only(args.store)
    store = graph.store
    quads = len(store)
    values = sensible_values(store)
    print(
        f"store {args.store}: {quads} quads; required parameters: "
        f"authority={values['authority']}, theme={values['theme']}, "
        f"inspector={values['inspector']}",
        file=sys.stderr,
    )

    cases: list[tuple[str, SavedQuery, dict[str, str]]] = []
    for name, query in load_queries().items():
        if args.only and name not in args.only:
            continue
        cases.append((name, query, parameters_for(query, values)))
        if name == "recurring-issues":
            cases.append((name, query, {"authority": values["authority"]}))

    # oxigraph first, in a process that is still small: a fork copies the page tables, so
    # with rdflib's multi-GB dataset loaded the "CLI path" would measure the bench, not kg.
    rows = []
    bound = []
    for name, query, params in cases:
        sparql = prepare(query, params, store)
        bound.append(sparql)
        label = name + "".join(f" {k}={v}" for k, v in params.items())
        print(f"{label} ...", file=sys.stderr, flush=True)
        median, count, runs = time_oxigraph(store, sparql, args.runs, args.budget, args.ox_cap)
        row: dict[str, Any] = {
            "query": name,
            "parameters": params,
            "rows": count,
            "runs": runs,
            "oxigraph_ms": None,
            "cli_path_ms": None,
            "target_met": False,
            "scope": scope(name, params),
            "target_ms": target_ms(name, params),
        }
        if median is not None:
            limit = target_ms(name, params)
            row.update(
                oxigraph_ms=median * 1000,
                target_met=True if limit is None else median * 1000 <= limit,
            )
            if median < 1:  # the fork's overhead shows on the quick ones
                forked, _, _ = time_oxigraph(
                    store, sparql, 3, args.budget, args.ox_cap, timeout=600
                )
                row["cli_path_ms"] = forked * 1000 if forked is not None else None
        rows.append(row)
        print(f"  {json.dumps(row)}", file=sys.stderr, flush=True)

    load_seconds = None
    small_quads = small_sources = None
    if not args.no_rdflib:
        started = time.perf_counter()
        small = small_graph(store, args.rdflib_sources)
        small_quads = len(small)
        small_sources = sum(
            1 for g in small.named_graphs() if g.value.startswith(vocab.GRAPH + "source/")
        )
        dataset = load_rdflib(small)
        load_seconds = time.perf_counter() - started
        small_values = sensible_values(small)
        print(
            f"rdflib: {small_quads} quads ({small_sources} source graphs) loaded in "
            f"{load_seconds:.1f} s; authority={small_values['authority']}",
            file=sys.stderr,
        )
        for row, (name, query, _) in zip(rows, cases, strict=True):
            params = dict(row["parameters"])
            for key in SCOPED:  # the graph's own authority, theme, inspector
                if key in params:
                    params[key] = small_values[key]
            sparql = prepare(query, params, small)
            small_median, small_rows, _ = time_oxigraph(
                small, sparql, args.runs, args.budget, args.ox_cap
            )
            seconds, rdflib_rows, error = time_rdflib(dataset, sparql, args.rdflib_cap)
            row.update(
                small_parameters=params,
                small_oxigraph_ms=None if small_median is None else small_median * 1000,
                small_rows=small_rows,
                rdflib_ms=None if seconds is None else seconds * 1000,
                rdflib_rows=rdflib_rows,
                rdflib_error=error,
            )
            if small_median is not None:
                row.update(
                    ratio=None if seconds is None else seconds / small_median,
                    ratio_at_least=args.rdflib_cap / small_median if seconds is None else None,
                )
            print(f"  rdflib {name}: {json.dumps(row)}", file=sys.stderr, flush=True)
    graph.close()

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    summary = {
        "when": stamp,
        "store": str(args.store),
        "quads": quads,
        "runs": args.runs,
        "rdflib_cap_s": args.rdflib_cap,
        "rdflib_load_s": load_seconds,
        "rdflib_sources": None if args.no_rdflib else small_sources,
        "rdflib_quads": small_quads,
        "ox_cap_s": args.ox_cap,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "targets": {
            "one_ms": TARGET_MS,
            "country_ms": TARGET_COUNTRY_MS,
            "checks_s": TARGET_CHECKS_S,
            "recurring_issues_ratio": TARGET_RATIO,
        },
        "queries": rows,
    }
    table = markdown(summary)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"query_bench-{stamp}.json").write_text(json.dumps(summary, indent=2))
    (RESULTS / f"query_bench-{stamp}.md").write_text(table)
    (RESULTS / "queries.md").write_text(table)  # what bench/readme_tables.py shows
    print(table)
    return 0


def markdown(summary: dict[str, Any]) -> str:
    cap = summary["rdflib_cap_s"]
    lines = [
        f"Saved queries on {summary['store']} ({summary['quads']:,} quads); oxigraph: "
        f"median of up to {summary['runs']} runs after a warm-up run (a run over the "
        f"budget is the only sample; stopped at {summary['ox_cap_s']:g} s); "
        + (
            f"rdflib on a smaller graph ({summary['rdflib_sources']} source graphs, whole "
            f"authorities, and the shared ones: {summary['rdflib_quads']:,} quads, loaded in "
            f"{summary['rdflib_load_s']:.0f} s; parameters chosen from it): one run, "
            f"stopped at {cap:g} s, against Oxigraph's median on the same graph."
            if summary["rdflib_load_s"] is not None
            else "rdflib not run (--no-rdflib)."
        ),
        "",
        "| query | parameters | rows | oxigraph median | CLI path (fork) | "
        "small graph: oxigraph | rdflib | rdflib / oxigraph | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary["queries"]:
        params = ", ".join(f"{k}={v}" for k, v in r["parameters"].items()) or "defaults"
        ox_ms = (
            f"{r['oxigraph_ms']:,.1f} ms"
            if r["oxigraph_ms"] is not None
            else f">{summary['ox_cap_s']:g} s"
        )
        fork_ms = f"{r['cli_path_ms']:,.1f} ms" if r["cli_path_ms"] is not None else "—"
        small = "—" if r.get("small_oxigraph_ms") is None else f"{r['small_oxigraph_ms']:,.1f} ms"
        if "rdflib_ms" not in r:
            rdflib = ratio = "—"
        else:
            rdflib = f">{cap:g} s" if r["rdflib_ms"] is None else f"{r['rdflib_ms'] / 1000:,.2f} s"
            if r.get("small_oxigraph_ms") is None or r.get("rdflib_error"):
                ratio = "—"
            elif r["rdflib_ms"] is None:
                ratio = f">{r['ratio_at_least']:,.1f}×"
            else:
                ratio = f"{r['ratio']:,.1f}×"
                if r["rdflib_rows"] != r["small_rows"]:
                    ratio += f" (rdflib: {r['rdflib_rows']} rows)"
            if r.get("rdflib_error"):
                rdflib = "error"
        lines.append(
            f"| `{r['query']}` | {params} | {r['rows'] if r['rows'] >= 0 else '?'} | "
            f"{ox_ms} | {fork_ms} | {small} | {rdflib} | {ratio} | {_target(r)} | "
            f"{'yes' if r['target_met'] else '**no**'} |"
        )
    checks = [r for r in summary["queries"] if r.get("scope") == "check"]
    if checks:
        known = [r["oxigraph_ms"] for r in checks if r["oxigraph_ms"] is not None]
        total = sum(known) / 1000
        capped = len(known) < len(checks)
        met = not capped and total <= TARGET_CHECKS_S
        lines += [
            "",
            "| target | figure | target | met |",
            "|---|---:|---:|---|",
            f"| the {len(checks)} checks together (sum of medians) | "
            f"{'>' if capped else ''}{total:.2f} s | ≤ {TARGET_CHECKS_S:g} s | "
            f"{'yes' if met else '**no**'} |",
        ]
        for kind, limit in (("one", TARGET_MS), ("country", TARGET_COUNTRY_MS)):
            rows = [r for r in summary["queries"] if r.get("scope") == kind]
            missed = [r["query"] for r in rows if not r["target_met"]]
            label = "one authority, theme or inspector" if kind == "one" else "whole country"
            which = ", ".join(f"`{m}`" for m in missed) + " missed" if missed else "none missed"
            lines.append(
                f"| saved queries, {label}: {len(rows) - len(missed)} of {len(rows)} met "
                f"| {which} "
                f"| ≤ {limit:g} ms each | {'yes' if not missed else '**no**'} |"
            )
    missed = sorted(
        {r["query"] for r in summary["queries"] if not r["target_met"] and r["scope"] != "check"}
    )
    if checks and not met:
        missed = ["checks", *missed]
    if missed:
        lines += ["", "Why a target is missed:", ""]
        lines += [
            f"- {'the checks together' if name == 'checks' else f'`{name}`'}: "
            f"{WHY_MISSED.get(name, LOADED)}"
            for name in missed
        ]
    return "\n".join(lines) + "\n"


def _target(row: dict[str, Any]) -> str:
    limit = row.get("target_ms")
    return "(sum ≤ 10 s)" if limit is None else f"≤ {limit:g} ms"


if __name__ == "__main__":
    sys.exit(main())
