"""``kg serve``: the built store over the SPARQL 1.1 Protocol, plus a query page.

Why this shape: the SPARQL protocol itself is served by the Oxigraph server (the ``oxigraph``
PyPI package: a well-kept Rust server that opens the same RocksDB directory read-only, with
content negotiation for every result format, a service description, and the union default
graph our saved queries are written for). It listens on a private loopback port; this module
is a thin stdlib ``ThreadingHTTPServer`` in front of it that adds only what it lacks:

* the page at ``/`` (saved queries with forms; a vendored YASGUI editor; works offline);
* the saved-query API: ``/queries`` and ``/queries/NAME?param=...``, parameters bound as RDF
  terms by ``kg.queries.prepare`` exactly as on the command line;
* a hard query timeout: Oxigraph's own ``--timeout-s`` answers ``200`` and then cuts the body
  (and does not stop every query in time), so the front waits at most ``timeout`` seconds for a
  complete answer and otherwise says ``504`` with a message;
* ``403`` for SPARQL UPDATE (whatever way it is sent) and readable ``400``/``404`` messages;
* CORS headers only when asked for.
"""

from __future__ import annotations

import ctypes
import http.client
import inspect
import json
import mimetypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kg import vocab
from kg.store import store_state, writer_active

WEB_DIR = Path(__file__).resolve().parent / "web"
STATIC_DIR = WEB_DIR / "static"

# ?format= values and the media type each asks Oxigraph for.
FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
# What a browser's default Accept gets instead of HTML: JSON results (RDF for graphs is
# negotiated by Oxigraph from the same header).
DEFAULT_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9, */*;q=0.1"

_UPDATE = re.compile(
    r"^\s*(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE | re.MULTILINE,
)


class ServeError(RuntimeError):
    """The server could not start (no store, no oxigraph binary, port in use...)."""


def looks_like_update(sparql: str) -> bool:
    """True if the text is a SPARQL UPDATE request (checked after comments and prologue)."""
    body = re.sub(r"#[^\n]*", " ", sparql)
    body = re.sub(r"(?is)^(?:\s|(?:PREFIX|BASE)\s+[^\n<]*<[^>]*>)*", "", body)
    return bool(_UPDATE.match(body))


def oxigraph_binary() -> str:
    """The Oxigraph server installed with the ``oxigraph`` package (the venv's ``bin/``)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        raise ServeError(
            "the Oxigraph server is not installed: pip install oxigraph "
            "(it comes with the test extra: pip install -e '.[test]')"
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the Oxigraph child gets SIGTERM if ``kg serve`` dies, so no server is orphaned."""
    with suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Oxigraph:
    """An ``oxigraph serve-read-only`` child process on a private loopback port."""

    def __init__(self, store: Path, timeout: float, port: int | None = None) -> None:
        self.store = store
        self.timeout = timeout
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 20.0) -> None:
        cmd = [
            oxigraph_binary(),
            "serve-read-only",
            "--location",
            str(self.store),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--union-default-graph",
            # Oxigraph's own timeout cancels runaway queries eventually; the front enforces
            # the user-visible one.
            "--timeout-s",
            str(max(1, int(self.timeout + 1))),
        ]
        self.process = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = (
                    (self.process.stderr.read() if self.process.stderr else b"")
                    .decode(errors="replace")
                    .strip()
                )
                raise ServeError(f"the Oxigraph server stopped at start: {message or cmd}")
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        self.stop()
        raise ServeError(f"the Oxigraph server did not answer on port {self.port} in {wait} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None


@dataclass
class Upstream:
    """One complete answer from Oxigraph (status, media type, body)."""

    status: int
    content_type: str
    body: bytes


class QueryTimeout(Exception):
    pass


def _fetch(
    base: str,
    method: str,
    path: str,
    *,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float,
) -> Upstream:
    """Ask Oxigraph and read the WHOLE answer within ``timeout`` seconds.

    Reading everything first is what lets a timeout or a failure half-way through become a
    proper status instead of a ``200`` with a cut body.
    """
    deadline = time.monotonic() + timeout
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        chunks = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimeout
            if conn.sock is not None:
                conn.sock.settimeout(left)
            chunk = response.read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return Upstream(response.status, response.getheader("Content-Type", ""), b"".join(chunks))
    except TimeoutError:
        raise QueryTimeout from None
    except http.client.IncompleteRead:
        # Oxigraph cut the body: its own timeout cancelled the query while streaming.
        raise QueryTimeout from None
    finally:
        conn.close()


def _describe(q: Any) -> dict[str, Any]:
    return {
        "name": q.name,
        "summary": q.summary,
        "description": q.description,
        "tags": q.tags,
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "required": p.required,
                "default": p.default,
                "allowed": p.allowed,
            }
            for p in q.parameters
        ],
        "sparql": q.sparql,
    }


def _busy(process: subprocess.Popen[bytes] | None, sample: float = 1.0) -> bool:
    """True if the process used over a tenth of a core during ``sample`` seconds (Linux
    /proc; an idle Oxigraph uses none, a runaway query all it can get on a loaded machine)."""
    if process is None or process.poll() is not None:
        return False
    stat = Path(f"/proc/{process.pid}/stat")

    def cpu() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        before = cpu()
        time.sleep(sample)
        return cpu() - before > sample / 10
    except (OSError, ValueError, IndexError):
        return False


class App:
    """What the request handlers share: the upstream server, the options, the store path."""

    def __init__(self, store: Path, engine: Oxigraph, *, timeout: float, cors: bool) -> None:
        self.store = store
        self.engine = engine
        self.timeout = timeout
        self.cors = cors
        self.restarts = 0
        self._ro_store: Any = None
        self._lock = threading.Lock()
        self._queries: tuple[tuple[tuple[str, float], ...], dict[str, Any]] | None = None
        self._in_flight = 0
        self._wake = threading.Event()
        self._watcher: threading.Thread | None = None
        self._served_state = store_state(store)

    @property
    def upstream(self) -> str:
        return self.engine.url

    def fetch(
        self, method: str, path: str, *, body: bytes | None, headers: dict[str, str]
    ) -> Upstream:
        """``_fetch`` from the current engine; a timeout starts the runaway watch."""
        with self._lock:
            self._in_flight += 1
        try:
            return _fetch(
                self.upstream, method, path, body=body, headers=headers, timeout=self.timeout
            )
        except QueryTimeout:
            self._watch_runaway()
            raise
        finally:
            with self._lock:
                self._in_flight -= 1

    def _watch_runaway(self) -> None:
        with self._lock:
            if self._watcher is None:
                # One long-lived thread: an engine started from a thread that then ends would
                # get the parent-death signal (it is per thread on Linux).
                self._watcher = threading.Thread(
                    target=self._watch_forever, daemon=True, name="runaway-watch"
                )
                self._watcher.start()
        self._wake.set()

    def _watch_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with suppress(Exception):
                self._watch()

    def _watch(self) -> None:
        """Oxigraph does not stop every query at its own timeout (a cross join of full scans
        ran for minutes after it): once no request is waiting for an answer, an engine still
        busy is working for nobody, so it is replaced by a fresh one."""
        time.sleep(1.0)  # Oxigraph's own timeout (timeout + 1 s) gets its chance first
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with self._lock:
                idle = self._in_flight == 0
            if idle:
                if _busy(self.engine.process):
                    self._restart()
                return
            time.sleep(0.5)

    def _restart(self) -> None:
        old = self.engine
        new = Oxigraph(self.store, self.timeout)
        try:
            new.start()
        except ServeError:
            return  # keep the busy one rather than none
        self.engine = new
        self.restarts += 1
        old.stop()

    def follow_store(self, every: float = 0.5) -> None:
        """Serve each new state of the store once the build writing it ends.

        The engine opens the store read-only, which sees the state it opened for as long as
        it runs: while a build writes, queries keep that last complete state (never half a
        file's graph: every write is one transaction). When the store has changed and no
        process holds it for writing any more, a new engine is opened on the new state and
        takes the next requests; the old one stops once the requests it had have finished.
        """

        def loop() -> None:
            while True:
                time.sleep(every)
                with suppress(Exception):
                    self._follow()

        threading.Thread(target=loop, daemon=True, name="store-follow").start()

    def _follow(self) -> None:
        state = store_state(self.store)
        if state == self._served_state or writer_active(self.store):
            return
        new = Oxigraph(self.store, self.timeout)
        try:
            new.start()
        except ServeError:
            return  # keep serving the state it has; tried again next time
        if store_state(self.store) != state or writer_active(self.store):
            new.stop()  # a write began meanwhile: wait for it to end
            return
        with self._lock:
            old, self.engine = self.engine, new
            self._ro_store = None
        self._served_state = state
        deadline = time.monotonic() + self.timeout + 2
        while time.monotonic() < deadline:
            with self._lock:
                if self._in_flight == 0:
                    break
            time.sleep(0.05)
        old.stop()

    def queries(self) -> dict[str, Any]:
        """The saved queries, parsed again only when a ``.rq`` file is added, changed or
        removed (parsing them all costs ~15 ms: too much per request)."""
        from kg.queries import load_queries, queries_dir

        directory = queries_dir()
        stamp = tuple(sorted((str(p), p.stat().st_mtime) for p in directory.rglob("*.rq")))
        with self._lock:
            if self._queries is None or self._queries[0] != stamp:
                self._queries = (stamp, load_queries(directory))
            return self._queries[1]

    def read_only_store(self) -> Any:
        """A pyoxigraph read-only handle, opened once, for parameter types that look names up
        in the graph (``kg.queries.prepare(..., source=store)``)."""
        with self._lock:
            if self._ro_store is None:
                import pyoxigraph as ox

                self._ro_store = ox.Store.read_only(str(self.store))
            return self._ro_store

    def prepare(self, name: str, values: dict[str, str]) -> str:
        """The saved query with its parameters bound, as ``kg query`` binds them."""
        from kg import queries

        query = self.queries().get(name) or queries.get_query(name)  # unknown: its message
        if any(p.type == "inspector" for p in query.parameters):
            # Inspector names are looked up in the graph itself.
            accepts = inspect.signature(queries.prepare).parameters
            for keyword in ("source", "store"):
                if keyword in accepts:
                    return queries.prepare(query, values, **{keyword: self.read_only_store()})
        return queries.prepare(query, values)


class Handler(BaseHTTPRequestHandler):
    """Routes: ``/`` page, ``/static/*``, ``/queries[/NAME]``, ``/sparql`` and ``/query``."""

    protocol_version = "HTTP/1.1"
    server_version = "ofsted-kg"
    app: App  # set on the subclass built by make_server

    # --- plumbing --------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("KG_SERVE_LOG"):
            super().log_message(format, *args)

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.app.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _text(self, status: int, message: str) -> None:
        self._send(status, (message.rstrip("\n") + "\n").encode(), "text/plain; charset=utf-8")

    def _json(self, data: Any, status: int = 200) -> None:
        body = json.dumps(data, indent=2, ensure_ascii=False).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _accept(self, params: dict[str, list[str]]) -> str | None:
        """``?format=`` wins over ``Accept``; ``None`` means the format is unknown."""
        fmt = (params.pop("format", [""])[0] or "").strip().lower()
        if fmt:
            return FORMATS.get(fmt) or (fmt if "/" in fmt else None)
        accept = self.headers.get("Accept") or ""
        if not accept or accept.startswith("text/html") or accept.strip() == "*/*":
            return DEFAULT_ACCEPT
        return accept

    # --- verbs -----------------------------------------------------------------------------

    def do_OPTIONS(self) -> None:
        if not self.app.cors:
            self._text(405, "cross-origin requests are not enabled (start with kg serve --cors)")
            return
        self._send(
            204,
            b"",
            "text/plain",
            {
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Accept, Content-Type",
                "Access-Control-Max-Age": "86400",
            },
        )

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        try:
            self._route(self._read_body() if self.command == "POST" else b"")
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as error:
            with suppress(Exception):
                self._text(500, f"internal error: {type(error).__name__}: {error}")

    def do_POST(self) -> None:
        self.do_GET()

    def do_PUT(self) -> None:
        self._text(403, "this endpoint is read-only: the graph is changed with `kg build`")

    do_DELETE = do_PUT
    do_PATCH = do_PUT

    # --- routes ----------------------------------------------------------------------------

    def _route(self, body: bytes) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if path in ("/", "/index.html"):
            self._static(WEB_DIR / "index.html")
        elif path.startswith("/static/"):
            target = (STATIC_DIR / path[len("/static/") :]).resolve()
            if STATIC_DIR.resolve() not in target.parents:
                self._text(404, f"not found: {path}")
            else:
                self._static(target)
        elif path in ("/queries", "/queries/"):
            self._json([_describe(q) for q in self.app.queries().values()])
        elif path == "/prefixes":
            self._json(vocab.PREFIXES)
        elif path.startswith("/queries/"):
            self._saved(path[len("/queries/") :], params)
        elif path in ("/sparql", "/query"):
            self._sparql(params, body)
        elif path in ("/update", "/store"):
            self._text(
                403,
                "this endpoint is read-only: SPARQL UPDATE and Graph Store writes "
                "are refused (the graph is changed with `kg build`)",
            )
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        else:
            self._text(404, f"not found: {path} (try /, /sparql, /queries)")

    def _static(self, target: Path) -> None:
        if not target.is_file():
            self._text(404, f"not found: {self.path}")
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith(("javascript", "json")):
            kind += "; charset=utf-8"
        self._send(200, target.read_bytes(), kind, {"Cache-Control": "max-age=3600"})

    def _saved(self, name: str, params: dict[str, list[str]]) -> None:
        from kg.queries import QueryError

        accept = self._accept(params)
        if accept is None:
            self._text(400, f"unknown format; use one of {', '.join(FORMATS)}")
            return
        repeated = [k for k, v in params.items() if len(v) > 1]
        if repeated:
            self._text(400, f"{name}: parameter(s) given more than once: {', '.join(repeated)}")
            return
        values = {k: v[0] for k, v in params.items()}
        try:
            sparql = self.app.prepare(name, values)
        except QueryError as error:
            status = 404 if str(error).startswith("no saved query") else 400
            self._text(status, str(error))
            return
        self._forward(sparql, accept)

    def _sparql(self, params: dict[str, list[str]], body: bytes) -> None:
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if self.command == "POST":
            if kind == "application/sparql-update":
                self._refuse_update()
                return
            if kind == "application/sparql-query":
                params.setdefault("query", [body.decode("utf-8", errors="replace")])
            elif kind in ("application/x-www-form-urlencoded", ""):
                for key, values in urllib.parse.parse_qs(
                    body.decode("utf-8", errors="replace"), keep_blank_values=True
                ).items():
                    params.setdefault(key, []).extend(values)
            else:
                self._text(
                    415,
                    f"unsupported Content-Type {kind!r}: send "
                    "application/sparql-query or a form with query=",
                )
                return
        if "update" in params:
            self._refuse_update()
            return
        accept = self._accept(params)
        if accept is None:
            self._text(400, f"unknown format; use one of {', '.join(FORMATS)}")
            return
        queries = params.get("query")
        if not queries:
            self._service_description()
            return
        if len(queries) > 1:
            self._text(400, "give exactly one query= parameter")
            return
        extra = {k: v for k, v in params.items() if k in ("default-graph-uri", "named-graph-uri")}
        self._forward(queries[0], accept, extra)

    def _refuse_update(self) -> None:
        self._text(
            403,
            "SPARQL UPDATE is refused: this endpoint is read-only "
            "(the graph is changed with `kg build`)",
        )

    def _service_description(self) -> None:
        """Oxigraph's description, with its private address replaced by the public one."""
        accept = self.headers.get("Accept") or "text/turtle"
        if accept.startswith("text/html") or "*/*" == accept.strip():
            accept = "text/turtle"
        try:
            answer = self.app.fetch("GET", "/query", body=None, headers={"Accept": accept})
        except QueryTimeout:
            self._text(504, "the service description timed out")
            return
        host = (
            self.headers.get("Host")
            or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        )
        body = answer.body.replace(
            f"{self.app.upstream}/query".encode(),
            f"http://{host}{urllib.parse.urlsplit(self.path).path}".encode(),
        )
        self._send(answer.status, body, answer.content_type or "text/turtle")

    def _forward(self, sparql: str, accept: str, extra: dict[str, list[str]] | None = None) -> None:
        form = urllib.parse.urlencode(
            [("query", sparql)] + [(k, v) for k, values in (extra or {}).items() for v in values]
        )
        try:
            answer = self.app.fetch(
                "POST",
                "/query",
                body=form.encode(),
                headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            )
        except QueryTimeout:
            self._text(
                504,
                f"the query did not finish within the {self.app.timeout:g} s "
                "timeout (kg serve --timeout S); narrow it or add a LIMIT",
            )
            return
        except OSError as error:
            self._text(502, f"the SPARQL engine is not answering: {error}")
            return
        if answer.status == 400 and looks_like_update(sparql):
            self._refuse_update()
            return
        if answer.status >= 400:
            message = answer.body.decode("utf-8", errors="replace").strip()
            prefix = "SPARQL syntax error: " if answer.status == 400 else ""
            self._text(answer.status, prefix + message)
            return
        self._send(answer.status, answer.body, answer.content_type or "application/octet-stream")


class Server:
    """The running pair: Oxigraph on a private port and the front on ``host:port``."""

    def __init__(
        self,
        store: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 7878,
        timeout: float = 30.0,
        cors: bool = False,
    ) -> None:
        self.store = Path(store)
        if not (self.store / "CURRENT").exists():
            raise ServeError(f"no knowledge graph store at {self.store}: run `kg build` first")
        if timeout <= 0:
            raise ServeError(f"--timeout must be more than 0 seconds (got {timeout:g})")
        self.app = App(self.store, Oxigraph(self.store, timeout), timeout=timeout, cors=cors)
        handler = type("BoundHandler", (Handler,), {"app": self.app})
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError as error:
            raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> Server:
        """Start Oxigraph, then serve in a background thread (tests, benchmarks)."""
        try:
            self.app.engine.start()
        except ServeError:
            self.httpd.server_close()
            raise
        self.app.follow_store()
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Start Oxigraph and serve in this thread until interrupted (``kg serve``)."""
        try:
            self.app.engine.start()
        except ServeError:
            self.httpd.server_close()
            raise
        self.app.follow_store()
        try:
            self.httpd.serve_forever()
        finally:
            self.close()

    def close(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self.httpd.server_close()
        self.app.engine.stop()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def serving(store: Path | str, **options: Any) -> Iterator[Server]:
    """``with serving(store, port=0) as server: ... server.url``."""
    server = Server(store, **options)
    with server:
        yield server
