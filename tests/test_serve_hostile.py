"""``kg serve`` against clients that mean harm or are broken: federated calls it was not told
it may make, answers that fail half-way, hostile parameters and queries, oversized bodies,
odd methods and Accept headers, clients that send their request byte by byte. Each gets a
clear error with the right status, and the server keeps serving everyone else."""

from __future__ import annotations

import http.client
import json
import logging
import shutil
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.api import QueryError, run_query
from kg.cli import app as cli
from kg.serve import ANSWER_BUFFER, serving

REQUEST_TIMEOUT = 3.0


class FakeEndpoint:
    """A SPARQL endpoint on a local port that answers ``rows`` bindings and then, if
    ``break_off``, dies mid-answer (it promised more bytes than it sends); counts calls.
    With ``hold`` it answers only once that event is set (a query that takes long)."""

    def __init__(self, rows: int, break_off: bool, hold: threading.Event | None = None) -> None:
        self.rows = rows
        self.break_off = break_off
        self.hold = hold
        self.calls = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.calls += 1
                if self.hold is not None:
                    self.hold.wait(30)
                rows = b",".join(
                    b'{"x":{"type":"literal","value":"row %d"}}' % i for i in range(self.rows)
                )
                body = b'{"head":{"vars":["x"]},"results":{"bindings":[' + rows
                length = len(body) * 10 if self.break_off else len(body) + 3
                if not self.break_off:
                    body += b"]}}"
                head = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % length
                )
                with _suppress_os_errors():
                    conn.sendall(head + body)

    def close(self) -> None:
        self.sock.close()


class _suppress_os_errors:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, *_: object) -> bool:
        return isinstance(kind, type) and issubclass(kind, OSError)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FakeEndpoint]:
    fake = FakeEndpoint(rows=3, break_off=False)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def breaking() -> Iterator[FakeEndpoint]:
    """Sends far more than the front holds back before it breaks off."""
    fake = FakeEndpoint(rows=ANSWER_BUFFER // 20, break_off=True)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def server(
    seed_texts_store: Path, endpoint: FakeEndpoint, breaking: FakeEndpoint
) -> Iterator[tuple[str, int]]:
    """``kg serve`` in this process (so its log is captured), allowed to call the two fake
    endpoints only; yields (host, port)."""
    with serving(
        seed_texts_store,
        port=0,
        timeout=10,
        request_timeout=REQUEST_TIMEOUT,
        max_body=64 * 1024,
        allow_service=[endpoint.url, breaking.url],
    ) as running:
        host, port = running.httpd.server_address[:2]
        yield str(host), int(port)


@pytest.fixture(scope="module")
def closed_server(seed_texts_store: Path) -> Iterator[tuple[str, int]]:
    """``kg serve`` as started by default: no federation allowed."""
    with serving(seed_texts_store, port=0, timeout=10) as running:
        host, port = running.httpd.server_address[:2]
        yield str(host), int(port)


def request(
    where: tuple[str, int],
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(*where, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def sparql(where: tuple[str, int], query: str, accept: str = "application/sparql-results+json"):
    return request(
        where,
        "POST",
        "/sparql",
        query.encode(),
        {"Content-Type": "application/sparql-query", "Accept": accept},
    )


def still_serving(where: tuple[str, int]) -> None:
    status, _, body = sparql(where, "ASK { ?s ?p ?o }")
    assert status == 200 and json.loads(body)["boolean"] is True


# --- 2. federation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <{url}> { ?x ?y ?z } }",
        "select * where { service silent <{url}> { ?x ?y ?z } }",
        "PREFIX e: <{base}> SELECT * WHERE { SeRvIcE e:sparql { ?x ?y ?z } }",
        "SELECT * WHERE { BIND(1 AS ?a) FILTER(?a<'x>') SERVICE <{url}> { ?x ?y ?z "
        "FILTER(?z='q') } }",
        "SELECT * WHERE { SERVICE ?where { ?x ?y ?z } VALUES ?where { <{url}> } }",
    ],
)
def test_service_is_refused_by_default_and_no_call_is_made(
    closed_server: tuple[str, int], endpoint: FakeEndpoint, query: str
) -> None:
    before = endpoint.calls
    text = query.replace("{url}", endpoint.url).replace("{base}", endpoint.url[: -len("sparql")])
    status, headers, body = sparql(closed_server, text)
    assert status == 400, body
    assert headers["Content-Type"].startswith("text/plain")
    assert b"refused" in body and b"--allow-service" in body
    time.sleep(0.2)
    assert endpoint.calls == before


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # SERVICE <http://127.0.0.1:9/x> { }",
        "SELECT ?service WHERE { BIND('SERVICE <http://127.0.0.1:9/x> {}' AS ?service) }",
        'SELECT * WHERE { BIND("""a\nservice <http://127.0.0.1:9/> {}""" AS ?x) }',
    ],
)
def test_service_in_a_comment_or_a_string_is_not_a_call(
    closed_server: tuple[str, int], query: str
) -> None:
    status, _, body = sparql(closed_server, query)
    assert status == 200, body


def test_allowed_endpoints_are_called_and_others_refused(
    server: tuple[str, int], endpoint: FakeEndpoint
) -> None:
    before = endpoint.calls
    status, _, body = sparql(
        server, f"SELECT ?x WHERE {{ SERVICE <{endpoint.url}> {{ ?x ?y ?z }} }}"
    )
    assert status == 200, body
    assert [b["x"]["value"] for b in json.loads(body)["results"]["bindings"]] == [
        "row 0",
        "row 1",
        "row 2",
    ]
    assert endpoint.calls == before + 1
    status, _, body = sparql(
        server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?x ?y ?z } }"
    )
    assert status == 400 and b"may only call" in body


def test_allow_service_must_be_a_url(seed_texts_store: Path) -> None:
    result = CliRunner().invoke(
        cli, ["serve", "--store", str(seed_texts_store), "--port", "0", "--allow-service", "x"]
    )
    assert result.exit_code == 1
    assert "--allow-service must be an http://" in result.output


# --- 3. no 200 with a broken body -------------------------------------------------------------


def test_a_query_failing_before_its_first_rows_gets_an_error_status(
    server: tuple[str, int], seed_texts_store: Path
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with serving(seed_texts_store, port=0, allow_service=[f"http://127.0.0.1:{port}/"]) as running:
        host, front = running.httpd.server_address[:2]
        status, _, body = sparql(
            (str(host), int(front)),
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?x ?y ?z }} }}",
            accept="text/csv",
        )
    assert status == 502
    assert b"the query failed while it ran" in body and b"refused" in body.lower()


def test_a_stream_that_fails_late_is_cut_not_completed(
    server: tuple[str, int], breaking: FakeEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    """More than the held-back start arrives, then the federated call breaks: the client sees
    a 200 whose chunked body never ends (an incomplete read), never error text in the JSON."""
    conn = http.client.HTTPConnection(*server, timeout=30)
    query = f"SELECT ?x WHERE {{ SERVICE <{breaking.url}> {{ ?x ?y ?z }} }}"
    with caplog.at_level(logging.WARNING, logger="kg.serve"):
        conn.request(
            "POST",
            "/sparql",
            body=query.encode(),
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json",
            },
        )
        response = conn.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        conn.close()
        time.sleep(0.2)
    partial = cut.value.partial
    assert len(partial) > ANSWER_BUFFER
    assert b"expected" not in partial and b"body" not in partial  # no spliced error text
    assert any("answer cut after" in r.getMessage() for r in caplog.records)
    still_serving(server)


# --- 7. hostile input -------------------------------------------------------------------------

HOSTILE_VALUES = [
    'Hartlepool" } } ; DROP ALL ; SELECT * { ?s ?p ?o } #',
    "Hartlepool> <http://evil/> .\n} SERVICE <http://127.0.0.1:9/> {",
    "line one\nline two\r\n\t",
    "\u202eloopeltraH\u0000 \U0001f984 \u200b",
    "x" * 900,
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_parameters_over_http_are_a_clear_400(server: tuple[str, int], value: str) -> None:
    path = "/queries/recurring-issues?" + urllib.parse.urlencode({"authority": value})
    status, headers, body = request(server, "GET", path)
    assert status == 400
    assert headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert text.count("\n") == 1 and "not the name of an English" in text
    still_serving(server)


def test_very_long_and_undecodable_parameters_over_http(server: tuple[str, int]) -> None:
    status, _, body = request(server, "GET", "/queries/recurring-issues?authority=" + "x" * 20000)
    assert status == 400 and b"at most 1000" in body and len(body) < 300
    status, _, body = request(server, "GET", "/queries/recurring-issues?authority=%ED%A0%80%FF%00")
    assert status == 400 and b"not the name of an English" in body
    status, _, body = request(server, "GET", "/queries/recurring-issues?authority=" + "x" * 70000)
    assert status == 414 and body.startswith(b"414")


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_parameters_on_the_command_line(seed_texts_store: Path, value: str) -> None:
    result = CliRunner().invoke(
        cli, ["query", "recurring-issues", "--store", str(seed_texts_store), "--authority", value]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: recurring-issues:")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_parameters_through_the_python_api(seed_texts_store: Path, value: str) -> None:
    with pytest.raises(QueryError, match="not the name of an English"):
        run_query("recurring-issues", store=seed_texts_store, authority=value)


# A bad value far longer than any name: every message shows its start and its length, never
# the whole of it (the server refuses values over 1000 characters outright).
LONG_VALUE = "Hartlepool " + "x" * 980


def _shown_briefly(message: str) -> None:
    assert f"({len(LONG_VALUE)} characters)" in message, message
    assert len(message) < 400, message


def test_a_long_bad_value_is_not_echoed_whole_over_http(server: tuple[str, int]) -> None:
    for path in (
        "/queries/recurring-issues?" + urllib.parse.urlencode({"authority": LONG_VALUE}),
        "/queries/recurring-issues?" + urllib.parse.urlencode({"from_year": LONG_VALUE}),
        "/search?" + urllib.parse.urlencode({"q": "care", "theme": LONG_VALUE}),
        "/search?" + urllib.parse.urlencode({"q": "care", "polarity": LONG_VALUE}),
    ):
        status, _, body = request(server, "GET", path)
        assert status == 400
        _shown_briefly(body.decode())


def test_a_long_bad_value_is_not_echoed_whole_on_the_command_line(seed_texts_store: Path) -> None:
    store = ["--store", str(seed_texts_store)]
    for args in (
        ["query", "recurring-issues", "--authority", LONG_VALUE],
        ["query", "recurring-issues", "--param", f"include={LONG_VALUE}"],
        ["search", "care", "--theme", LONG_VALUE],
        ["search", "care", "--format", LONG_VALUE],
    ):
        result = CliRunner().invoke(cli, args + store)
        assert result.exit_code == 1
        _shown_briefly(result.output)


def test_a_long_bad_value_is_not_echoed_whole_through_the_python_api(
    seed_texts_store: Path,
) -> None:
    from kg.api import search

    with pytest.raises(QueryError) as error:
        run_query("recurring-issues", store=seed_texts_store, authority=LONG_VALUE)
    _shown_briefly(str(error.value))
    with pytest.raises(ValueError) as error:
        search("care", store=seed_texts_store, kind=LONG_VALUE)
    _shown_briefly(str(error.value))


def test_malformed_and_deeply_nested_queries_are_400(server: tuple[str, int]) -> None:
    status, _, body = sparql(server, "SELECT * WHERE { ?s ?p }")
    assert status == 400 and body.startswith(b"SPARQL syntax error")
    deep = "SELECT * WHERE " + "{" * 10000 + "?s ?p ?o" + "}" * 10000
    status, _, body = sparql(server, deep)
    assert status == 400 and b"nests brackets" in body
    still_serving(server)  # the engine did not crash on it


def test_a_query_that_crashes_the_engine_is_502_and_the_engine_comes_back(
    server: tuple[str, int],
) -> None:
    """A long chain of operators overflows the engine parser's stack (it dies): that query is
    a 502 and the next one is answered by a new engine."""
    status, _, body = sparql(server, "ASK { FILTER(" + "!" * 30000 + "true) }")
    assert status == 502 and b"restarted" in body
    still_serving(server)


def test_oversized_bodies_are_413_without_being_read(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 50000000\r\n\r\nSELECT"
        )
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b"at most 65536" in answer
    huge = "SELECT * WHERE { VALUES ?x { " + "'a' " * 40000 + "} }"
    status, _, body = sparql(server, huge)
    assert status == 413
    status, _, body = request(
        server,
        "POST",
        "/sparql",
        iter([b"query=ASK{}"]),  # type: ignore[arg-type]
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Transfer-Encoding": "chunked",
        },
    )
    assert status == 411
    still_serving(server)


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_unsupported_methods_are_405(server: tuple[str, int], method: str) -> None:
    status, headers, body = request(server, method, "/sparql")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    assert body.decode().startswith(f"method {method} is not allowed")


def test_unsupported_accept_headers_are_406(server: tuple[str, int]) -> None:
    status, headers, body = sparql(server, "ASK {}", accept="image/png")
    assert status == 406 and headers["Content-Type"].startswith("text/plain")
    assert b"application/sparql-results+json" in body
    status, _, body = sparql(server, "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", accept="text/csv")
    assert status == 406 and b"CONSTRUCT" in body
    status, _, body = sparql(server, "ASK {}", accept="text/turtle, text/csv;q=0.5")
    assert status == 200 and body.strip() == b"true"


def test_a_client_sending_headers_byte_by_byte_is_cut_and_blocks_no_one(
    server: tuple[str, int],
) -> None:
    answer: list[bytes] = []

    def slow_client() -> None:
        """One byte every 50 ms, listening for the server's answer in between."""
        request_bytes = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 400
        with socket.create_connection(server, timeout=0.05) as sock:
            for byte in request_bytes:
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    pass
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError as error:
                    answer.append(repr(error).encode())
                    return
                answer.append(data)
                return

    started = time.monotonic()
    thread = threading.Thread(target=slow_client)
    thread.start()
    time.sleep(0.3)
    quick = time.monotonic()
    still_serving(server)  # answered while the slow client dribbles
    assert time.monotonic() - quick < REQUEST_TIMEOUT
    thread.join(REQUEST_TIMEOUT * 4)
    assert answer and answer[0].startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < REQUEST_TIMEOUT * 3.5


# --- engines replaced while they answer -------------------------------------------------------


def test_an_engine_replaced_while_it_answers_stops_only_after_its_answers(
    seed_texts_store: Path, tmp_path: Path
) -> None:
    """A long query in flight (its engine waits on a slow federated endpoint) when the engine
    is replaced, by the move to the store's next state after a build or by a restart, gets
    its whole answer from the engine it started on; that engine stops afterwards."""
    from kg.store import KnowledgeGraph

    store = tmp_path / "store"
    shutil.copytree(seed_texts_store, store)
    release = threading.Event()
    slow = FakeEndpoint(rows=3, break_off=False, hold=release)
    query = f"SELECT ?x WHERE {{ SERVICE <{slow.url}> {{ ?x ?y ?z }} }}"

    def next_state() -> None:
        with KnowledgeGraph.open(store) as graph:  # a write, as a build's
            graph.replace_graph(
                "http://example.org/graph/new",
                [
                    ox.Quad(
                        ox.NamedNode("http://example.org/s"),
                        ox.NamedNode("http://example.org/p"),
                        ox.Literal("o"),
                    )
                ],
            )

    try:
        with serving(store, port=0, timeout=20, allow_service=[slow.url]) as running:
            app = running.app
            where = running.httpd.server_address[:2]
            for replace in (next_state, app._restart):
                release.clear()
                calls, first = slow.calls, app.engine
                answers: list[tuple[int, dict[str, str], bytes]] = []
                asking = threading.Thread(
                    target=lambda out: out.append(sparql(where, query)), args=(answers,)
                )
                asking.start()
                deadline = time.monotonic() + 20
                while slow.calls == calls and time.monotonic() < deadline:
                    time.sleep(0.02)  # until the engine is waiting on the slow endpoint
                replace()
                while app.engine is first and time.monotonic() < deadline:
                    time.sleep(0.05)  # the store is followed within a second
                assert app.engine is not first, replace
                time.sleep(0.5)
                assert first.process is not None  # still running: it has a request
                release.set()
                asking.join(30)
                status, _, body = answers[0]
                assert status == 200, (replace, body)
                rows = json.loads(body)["results"]["bindings"]
                assert [r["x"]["value"] for r in rows] == ["row 0", "row 1", "row 2"]
                while first.process is not None and time.monotonic() < deadline + 10:
                    time.sleep(0.05)
                assert first.process is None  # stopped once its answer was read
            status, _, body = sparql(
                where, "ASK { GRAPH <http://example.org/graph/new> { ?s ?p ?o } }"
            )
            assert status == 200 and json.loads(body)["boolean"] is True  # the next state
    finally:
        release.set()
        slow.close()
