"""``--endpoint``: the same queries sent over the SPARQL 1.1 Protocol to a server.

The server here is a tiny ``http.server`` on 127.0.0.1 answering from a pyoxigraph store
built from the three Hartlepool seeds; real Oxigraph and Virtuoso servers are tested elsewhere.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.endpoint import Endpoint
from kg.queries import QueryError, QueryTimeout, execute, run_saved

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the timeout test) closes the socket: not an error


class Server:
    """Records what it was sent; answers like a SPARQL 1.1 query service."""

    def __init__(self, store: ox.Store, credentials: tuple[str, str] | None = None) -> None:
        self.store = store
        self.credentials = credentials
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                outer.requests.append({"body": body, **dict(self.headers.items())})
                if outer.credentials is not None:
                    token = base64.b64encode(":".join(outer.credentials).encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {token}":
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", 'Basic realm="kg"')
                        self.end_headers()
                        self.wfile.write(b"who are you?")
                        return
                if "#slow" in body:
                    time.sleep(3)
                if self.headers.get("Content-Type", "").split(";")[0] != "application/sparql-query":
                    self.send_response(415)
                    self.end_headers()
                    return
                try:
                    result = outer.store.query(body, use_default_graph_as_union=True)
                except SyntaxError as error:
                    self.send_response(400)
                    self.end_headers()
                    self.wfile.write(str(error).encode())
                    return
                if isinstance(result, ox.QueryTriples):
                    data = ox.serialize(list(result), format=ox.RdfFormat.N_TRIPLES)
                    media_type = "application/n-triples"
                else:
                    data = result.serialize(format=ox.QueryResultsFormat.JSON)
                    media_type = "application/sparql-results+json"
                self.send_response(200)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/query"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def store(seed_texts_graph: ox.Store) -> ox.Store:
    return seed_texts_graph


@pytest.fixture
def server(store: ox.Store) -> Iterator[Server]:
    with Server(store) as running:
        yield running


def test_saved_query_over_the_protocol_gives_the_local_answer(
    server: Server, store: ox.Store
) -> None:
    local = run_saved(store, "recurring-issues", authority="Hartlepool")
    remote = run_saved(Endpoint(server.url), "recurring-issues", authority="Hartlepool")
    assert local.rows and remote.columns == local.columns and remote.rows == local.rows
    sent = server.requests[-1]
    assert sent["Content-Type"].startswith("application/sparql-query")
    assert sent["Accept"] == "application/sparql-results+json"
    assert "PREFIX kg: <https://w3id.org/ofsted-kg/def#>" in sent["body"]
    assert "VALUES (?__authority" in sent["body"]  # bound, not spliced


def test_ask_construct_limit_and_inspector_lookup_remote(server: Server) -> None:
    endpoint = Endpoint(server.url)
    assert execute(endpoint, "ASK { ?v a kg:Visit }").boolean is True
    graph = execute(endpoint, "CONSTRUCT { ?v a kg:Visit } WHERE { ?v a kg:Visit }", limit=2)
    assert graph.form == "graph" and len(graph.rows) == 2 and graph.truncated
    assert server.requests[-1]["Accept"].startswith("application/n-triples")
    # the inspector's name is resolved by asking the endpoint itself
    from kg.queries import Parameter, to_term

    inspector = Parameter("inspector", "_inspector", "inspector", True)
    term = to_term("q", inspector, "lisa summers", endpoint)
    assert term.value.endswith("/inspector/lisa-summers")


def test_errors_from_the_endpoint_are_clear(server: Server) -> None:
    with pytest.raises(QueryTimeout, match="stopped after 1 s"):
        execute(Endpoint(server.url), "ASK { ?s ?p ?o } #slow\n", timeout=1)
    with pytest.raises(QueryError, match="syntax error at line 1"):
        execute(Endpoint(server.url), "SELECT ?x WHERE { ?x kg:kind FILTER(1) }")
    assert all("FILTER(1)" not in r["body"] for r in server.requests)  # caught locally
    with pytest.raises(QueryError, match="cannot reach the endpoint"):
        execute(Endpoint("http://127.0.0.1:9/query"), "ASK { ?s ?p ?o }", timeout=5)
    with pytest.raises(QueryError, match="http:// or https://"):
        Endpoint("ftp://example.org/sparql")


def test_cli_endpoint_with_credentials_from_the_environment(
    store: ox.Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KG_STORE", str(tmp_path / "no-store-needed"))
    with Server(store, credentials=("analyst", "s3cret")) as server:
        args = [
            "query",
            "recurring-issues",
            "--authority",
            "Hartlepool",
            "--endpoint",
            server.url,
            "--format",
            "json",
        ]
        refused = runner.invoke(app, args)
        assert refused.exit_code == 1
        assert "HTTP 401" in refused.stderr and "KG_ENDPOINT_USER" in refused.stderr
        monkeypatch.setenv("KG_ENDPOINT_USER", "analyst")
        monkeypatch.setenv("KG_ENDPOINT_PASSWORD", "s3cret")
        answered = runner.invoke(app, args)
        assert answered.exit_code == 0, answered.stderr
        labels = {
            b["theme_label"]["value"] for b in json.loads(answered.stdout)["results"]["bindings"]
        }
        assert "Supervision" in labels
        turtle = runner.invoke(
            app,
            [
                "sparql",
                "DESCRIBE ?v WHERE { ?v a kg:Visit } LIMIT 1",
                "--endpoint",
                server.url,
                "--format",
                "turtle",
            ],
        )
        assert turtle.exit_code == 0 and "kg:Visit" in turtle.stdout
        slow = runner.invoke(
            app, ["sparql", "ASK { ?s ?p ?o } #slow\n", "--endpoint", server.url, "--timeout", "1"]
        )
        assert slow.exit_code == 3 and "stopped after 1 s" in slow.stderr
