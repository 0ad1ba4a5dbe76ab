"""The saved queries run unchanged on other engines: a real Oxigraph server and Virtuoso Open
Source, started on loopback, loaded with ``kg push`` (Graph Store Protocol), and compared row
for row with the embedded store.

A server that cannot start FAILS the test with the reason (CI installs both: the ``oxigraph``
package comes with the test extra, ``virtuoso-t`` from the Debian package
``virtuoso-opensource``).
"""

from __future__ import annotations

import collections
import inspect
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from programs import require
from typer.testing import CliRunner

from kg.build import build
from kg.cli import app
from kg.push import push
from kg.queries import Parameter, SavedQuery, execute, load_queries, prepare
from kg.serve import free_port, oxigraph_binary
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
NUMERIC = (
    "integer",
    "decimal",
    "double",
    "float",
    "int",
    "long",
    "short",
    "nonNegativeInteger",
    "positiveInteger",
)
XSD = "http://www.w3.org/2001/XMLSchema#"
SEPARATORS = (" | ", "; ")  # the GROUP_CONCAT separators of the saved queries


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("engines-store")
    graph = KnowledgeGraph.open(path)
    result = build(sorted((ROOT / "seeds").glob("*.txt")), graph, workers=1)
    graph.close()
    assert result.failed == 0
    # The statistics tables too, so the queries that join them return rows.
    linked = CliRunner().invoke(app, ["link", "import-defaults", "--store", str(path)])
    assert linked.exit_code == 0, linked.output
    return path


@pytest.fixture(scope="module")
def embedded(store_dir: Path) -> Iterator[ox.Store]:
    graph = KnowledgeGraph.open_read_only(store_dir)
    yield graph.store
    graph.close()


@pytest.fixture(scope="module")
def graphs(embedded: ox.Store) -> list[str]:
    return sorted(g.value for g in embedded.named_graphs() if isinstance(g, ox.NamedNode))


def _wait_http(
    url: str, process: subprocess.Popen[bytes], seconds: float, log: Path | None, what: str
) -> None:
    deadline = time.monotonic() + seconds
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            pytest.fail(f"{what} exited at start (code {process.returncode}):\n{tail}")
        try:
            with opener.open(url, timeout=2) as response:
                response.read()
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    process.kill()
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    pytest.fail(f"{what} did not answer at {url} within {seconds:.0f} s:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def oxigraph_server(embedded: ox.Store) -> Iterator[dict[str, Any]]:
    """``oxigraph serve`` (read-write, in memory), loaded with ``kg.push.push``."""
    try:
        binary = oxigraph_binary()
    except Exception as error:
        pytest.fail(f"cannot start the Oxigraph server: {error}")
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(base + "/query?query=ASK%7B%7D", process, 20, None, "the Oxigraph server")
        push(embedded, base + "/store")
        yield {"query": base + "/query", "store": base + "/store", "dataset": {}}
    finally:
        _stop(process)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 4
MaxClientConnections = 4
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 0
"""


@pytest.fixture(scope="module", autouse=True)
def virtuoso_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Virtuoso Open Source with its own database in a temporary directory. Started first
    (autouse) so that it initialises its database while the store is being built."""
    binary = shutil.which("virtuoso-t")
    require(binary, "virtuoso-t", "apt-get install virtuoso-opensource")
    assert binary is not None
    directory = tmp_path_factory.mktemp("virtuoso")
    ini = directory / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            dir=directory, sql_port=free_port(), http_port=(http_port := free_port())
        )
    )
    process = subprocess.Popen(
        [binary, "+foreground", "+configfile", str(ini)],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield {
            "process": process,
            "base": f"http://127.0.0.1:{http_port}",
            "log": directory / "virtuoso.log",
        }
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def virtuoso_server(
    virtuoso_process: dict[str, Any], store_dir: Path, graphs: list[str]
) -> dict[str, Any]:
    """The Virtuoso server loaded with ``kg push`` (Digest authentication as the fresh
    database's dba)."""
    base = virtuoso_process["base"]
    _wait_http(
        base + "/sparql?query=ASK%7B%7D",
        virtuoso_process["process"],
        90,
        virtuoso_process["log"],
        "Virtuoso (virtuoso-t)",
    )
    result = CliRunner().invoke(
        app,
        ["push", "--endpoint", base + "/sparql-graph-crud-auth", "--store", str(store_dir)],
        env={"KG_ENDPOINT_USER": "dba", "KG_ENDPOINT_PASSWORD": "dba"},
    )
    assert result.exit_code == 0, result.output
    assert f"pushed {len(graphs)} graphs" in result.output
    # Virtuoso's default graph, without a dataset in the request, is every graph it holds,
    # its own system graphs included. The SPARQL protocol's dataset parameters make it the
    # union (a bag, like Oxigraph's union default graph) of exactly the pushed graphs.
    dataset = {"default-graph-uri": graphs, "named-graph-uri": graphs}
    return {"query": base + "/sparql", "dataset": dataset}


def sample_values(query: SavedQuery) -> list[dict[str, str]]:
    """Parameter sets each saved query is run with: the required ones filled in, then every
    parameter given a value from the seeds."""

    def sample(p: Parameter) -> str | None:
        if p.allowed:
            return p.allowed[-1]
        return {
            "authority": "Hartlepool",
            "theme": "supervision",
            "integer": None,
            "date": "2015-01-01",
            "inspector": "Martin Ayres",
            "string": p.default or "supervision",
        }.get(p.type, p.default)

    required = {
        p.name: sample(p) or p.default for p in query.parameters if p.required and p.default is None
    }
    everything = {
        **required,
        **{p.name: v for p in query.parameters if (v := sample(p)) is not None},
    }
    sets = [required]
    if everything != required:
        sets.append(everything)
    return [{k: v for k, v in s.items() if v is not None} for s in sets]


def run_remote(endpoint: dict[str, Any], sparql: str) -> collections.Counter[tuple[str, ...]]:
    fields: list[tuple[str, str]] = [("query", sparql)]
    for key, values in endpoint["dataset"].items():
        fields += [(key, v) for v in values]
    request = urllib.request.Request(
        endpoint["query"],
        data=urllib.parse.urlencode(fields).encode(),
        headers={
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=60) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(
            f"{endpoint['query']}: HTTP {error.code}: {error.read().decode(errors='replace')[:500]}"
        ) from None
    columns = data["head"]["vars"]
    return collections.Counter(
        tuple(normalise(b.get(c)) for c in columns) for b in data["results"]["bindings"]
    )


def run_embedded(store: ox.Store, sparql: str) -> collections.Counter[tuple[str, ...]]:
    result = execute(store, sparql)
    rows = []
    for row in result.rows:
        cells = []
        for term in row:
            if term is None:
                cells.append(normalise(None))
            elif isinstance(term, ox.Literal):
                cells.append(
                    normalise(
                        {
                            "type": "literal",
                            "value": term.value,
                            "datatype": term.datatype.value,
                            "xml:lang": term.language,
                        }
                    )
                )
            else:
                cells.append(normalise({"type": "uri", "value": term.value}))
        rows.append(tuple(cells))
    return collections.Counter(rows)


def normalise(term: dict[str, Any] | None) -> str:
    """One cell as a comparable string: numbers by value (``2`` = ``2.0`` = ``"2"^^xsd:int``),
    language tags lower-case, GROUP_CONCAT lists as sorted parts (engines concatenate in
    their own order), and an empty plain string the same as unbound (GROUP_CONCAT over only
    unbound values is ``""`` on Virtuoso and unbound on Oxigraph; both are an empty cell in
    CSV)."""
    if term is None or (
        term["type"] in ("literal", "typed-literal")
        and term["value"] == ""
        and not term.get("xml:lang")
        and term.get("datatype") in (None, XSD + "string")
    ):
        return "UNBOUND"
    value = term["value"]
    if term["type"] in ("uri", "bnode"):
        return f"<{value}>" if term["type"] == "uri" else "_:b"
    datatype = term.get("datatype") or ""
    if datatype.startswith(XSD) and datatype[len(XSD) :] in NUMERIC:
        try:
            number = Decimal(value).normalize()
            return f"{number:f}"
        except InvalidOperation:
            return value
    for separator in SEPARATORS:
        if separator in value:
            value = separator.join(sorted(value.split(separator)))
            break
    lang = term.get("xml:lang")
    return f'"{value}"@{lang.lower()}' if lang else f'"{value}"'


def _cases() -> list[tuple[str, dict[str, str]]]:
    return [
        (query.name, values) for query in load_queries().values() for values in sample_values(query)
    ]


CASES = _cases()


def test_every_saved_query_has_a_case() -> None:
    assert {name for name, _ in CASES} == set(load_queries())


def test_push_replaces_graphs_on_the_oxigraph_server(
    oxigraph_server: dict[str, Any], embedded: ox.Store
) -> None:
    # Pushing again must replace, not add: the server holds exactly the store's quads.
    push(embedded, oxigraph_server["store"])
    count = run_remote(oxigraph_server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert count == collections.Counter({(str(len(embedded)),): 1})


def test_push_to_virtuoso_holds_every_graph(
    virtuoso_server: dict[str, Any], embedded: ox.Store, graphs: list[str]
) -> None:
    rows = run_remote(
        virtuoso_server, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    local = run_embedded(
        embedded, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    assert rows == local
    assert len(rows) == len(graphs)


# Saved-query constructs Virtuoso 7.2 evaluates differently, with the fix for the query author.
# Each applies only while the query still contains the pattern, so a fixed query is tested.
# (find-text once needed one: Virtuoso says CONTAINS("abc", "") is false; the query now
# guards each unused word with (?w2 = "" || CONTAINS(?lower, ?w2)).)
VIRTUOSO_DIFFERENCES: dict[str | tuple[str, ...], str] = {
    "(MIN(?q) AS ?quote)": (
        "Virtuoso 7.2 stores long strings as 'RDF boxes': MIN over them is not by code point "
        "(a different quote is picked), and CONCAT of the aggregate fails with SR066 "
        "'incomplete RDF box -> VARCHAR'; MIN(STR(?q)) gives the same rows on both engines"
    ),
    'IF(COUNT(?lead) > 0, "lead", "team")': (
        "Virtuoso 7.2 fails to compile an aggregate inside IF in a sub-select's projection "
        "(SQ156 'Bad dfe in sqlo_place_exp'): project COUNT(?lead) AS ?leads and BIND the IF "
        "outside"
    ),
    '(GROUP_CONCAT(DISTINCT ?text; separator=" | ") AS ?recommendations)': (
        "Virtuoso 7.2 cannot hold the concatenated recommendation texts of a visit in a "
        "temporary column (SR319 'Max row length is exceeded'); return the texts as rows, "
        "or fewer characters per visit"
    ),
    ("oa:hasBody ?focus", "ORDER BY ?focus"): (
        "Virtuoso 7.2 gets the exclusion (FILTER NOT EXISTS or MINUS) wrong when the query "
        "also has ORDER BY ?focus: every statement passes it; the same query without the "
        "ORDER BY gives the same rows as Oxigraph (leave the order to the caller)"
    ),
}


@pytest.mark.parametrize("engine", ["oxigraph_server", "virtuoso_server"])
@pytest.mark.parametrize(
    "name,values", CASES, ids=[f"{n}-{'-'.join(v) or 'required'}" for n, v in CASES]
)
def test_saved_query_gives_the_same_rows_as_the_embedded_store(
    engine: str,
    name: str,
    values: dict[str, str],
    embedded: ox.Store,
    request: pytest.FixtureRequest,
) -> None:
    endpoint = request.getfixturevalue(engine)
    query = load_queries()[name]
    # kg.queries.prepare takes the store for parameter types looked up in the graph.
    takes_source = "source" in inspect.signature(prepare).parameters
    sparql = prepare(query, values, source=embedded) if takes_source else prepare(query, values)
    if engine == "virtuoso_server":
        for pattern, reason in VIRTUOSO_DIFFERENCES.items():
            if all(
                part in sparql for part in ((pattern,) if isinstance(pattern, str) else pattern)
            ):
                request.applymarker(pytest.mark.xfail(reason=f"{name}: {reason}", strict=False))
    local = run_embedded(embedded, sparql)
    remote = run_remote(endpoint, sparql)
    missing, extra = local - remote, remote - local
    assert not missing and not extra, (
        f"{name} {values} differs on {engine}: "
        f"{sum(missing.values())} row(s) only in the embedded store, e.g. {list(missing)[:2]}; "
        f"{sum(extra.values())} only on the server, e.g. {list(extra)[:2]}"
    )
