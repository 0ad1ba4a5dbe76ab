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
* no federation unless allowed: a query whose SERVICE names an endpoint not given with
  ``--allow-service URL`` is a ``400`` (``kg.query_guard`` reads the query's tokens), so the
  endpoint cannot be made to call hosts on its network;
* no ``200`` with a broken body: Oxigraph answers ``200`` and then, if the query fails while
  its results stream (a federated call that fails), splices the error text into the body. The
  front asks it for SPARQL JSON or N-Triples, parses that with pyoxigraph as it arrives and
  writes the client's format itself, holding back the first ``ANSWER_BUFFER`` bytes: a failure
  found there is a proper ``5xx`` with the engine's message; one found later ends the chunked
  response without its last chunk (every HTTP client reports an incomplete read) and is logged;
* hostile clients bounded: request bodies over ``max_body`` bytes are ``413``, a request whose
  line, headers and body do not all arrive within ``request_timeout`` seconds (a client
  sending them byte by byte) is ``408``, brackets nested past ``query_guard.MAX_NESTING`` are
  ``400``, an unsupported method ``405``, an Accept header no format fits ``406``; an engine
  that dies (a query that crashes its parser) is restarted;
* CORS headers only when asked for.
"""

from __future__ import annotations

import ctypes
import functools
import http.client
import io
import json
import logging
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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg import query_guard, vocab
from kg.errors import KgError, quoted
from kg.store import KnowledgeGraph, store_state, writer_active

log = logging.getLogger(__name__)

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
# What a browser's default Accept gets instead of HTML: JSON results, Turtle for graphs.
DEFAULT_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9, */*;q=0.1"
# What the front asks Oxigraph for: formats pyoxigraph parses as they stream.
_ENGINE_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"
# The start of every answer is held back until this many bytes (or the whole answer): an
# error found within it gets its own status.
ANSWER_BUFFER = 256 * 1024
# Request body limit (bytes) and the seconds a client has to send a whole request.
MAX_BODY = 1 << 20
REQUEST_TIMEOUT = 10.0
# A saved-query parameter value longer than this is refused (no name is that long).
MAX_VALUE = 1000

RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/n3": ox.RdfFormat.N3,
}

_UPDATE = re.compile(
    r"^\s*(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE | re.MULTILINE,
)


class ServeError(KgError, RuntimeError):
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
        self.in_flight = 0  # requests it is answering (``App`` counts them under its lock)

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


class UpstreamTimeout(KgError):
    """Oxigraph did not answer (completely) within the time limit (not ``kg.queries.QueryTimeout``,
    which is a query of the local store stopped at its deadline)."""

    def __init__(self, problem: str = "the SPARQL server did not answer in time") -> None:
        super().__init__(problem)


class EngineDown(Exception):
    """The engine did not answer; ``restarted`` if it had died and a new one was started."""

    def __init__(self, restarted: bool, error: Exception) -> None:
        super().__init__(str(error))
        self.restarted = restarted


@dataclass(frozen=True)
class Negotiated:
    """The format each form of answer is written in (``None``: the client accepts none)."""

    results: ox.QueryResultsFormat | None
    graph: ox.RdfFormat | None


def negotiate(accept: str) -> Negotiated:
    """The client's preferred results and graph formats from an Accept header (q values and
    wildcards honoured; ``q=0`` excludes)."""
    ranges: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        media, *options = (x.strip() for x in part.split(";"))
        q = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranges.append((-q, i, media.lower()))
    ranges.sort()

    def best(table: dict[str, Any], default: str) -> Any:
        for _, _, media in ranges:
            if media in table:
                return table[media]
            kind, _, sub = media.partition("/")
            if sub == "*" and (kind == "*" or default.startswith(kind + "/")):
                return table[default]
            if kind == "*" or sub == "*":
                wanted = next((m for m in table if m.startswith(kind + "/")), None)
                if wanted:
                    return table[wanted]
        return None

    return Negotiated(
        best(RESULT_FORMATS, "application/sparql-results+json"),
        best(GRAPH_FORMATS, "text/turtle"),
    )


def _media_type(fmt: ox.QueryResultsFormat | ox.RdfFormat) -> str:
    media = fmt.media_type
    return media + "; charset=utf-8" if media.startswith("text/") else media


class _EngineStream(io.RawIOBase):
    """The body of Oxigraph's answer as a file pyoxigraph reads, cut at the deadline; ``url``
    is the engine's that answered."""

    def __init__(
        self, conn: http.client.HTTPConnection, response: Any, deadline: float, url: str
    ) -> None:
        self.conn = conn
        self.url = url
        self.response = response
        self.deadline = deadline
        self.head = bytearray()  # the first ANSWER_BUFFER bytes, to find an error message in

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise UpstreamTimeout
        if self.conn.sock is not None:
            self.conn.sock.settimeout(left)
        try:
            n = self.response.readinto(buffer)
        except TimeoutError:
            raise UpstreamTimeout from None
        if len(self.head) < ANSWER_BUFFER:
            self.head += bytes(memoryview(buffer)[:n])
        return n

    def close(self) -> None:
        self.conn.close()
        super().close()


class _ClientStream(io.RawIOBase):
    """The client's socket as a file whose reads fail with ``TimeoutError`` at a deadline
    (the stdlib's socket timeout is per read: a byte a second would never trip it)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline: float | None = None
        self.received = 0  # bytes since the deadline was set

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive in time")
            self.sock.settimeout(left)
        n = self.sock.recv_into(buffer)
        self.received += n
        return n


class _AnswerWriter:
    """Writes an answer to the client: held back until ``ANSWER_BUFFER`` bytes, then streamed
    as chunks; ``abort`` ends a started stream without its last chunk."""

    def __init__(self, handler: Handler, content_type: str, limit: int) -> None:
        self.handler = handler
        self.content_type = content_type
        self.limit = limit
        self.held: list[bytes] = []
        self.size = 0
        self.started = False
        self.sent = 0

    def write(self, data: bytes) -> int:
        if self.started:
            self._chunk(bytes(data))
        else:
            self.held.append(bytes(data))
            self.size += len(data)
            if self.size > self.limit:
                self._start()
        return len(data)

    def flush(self) -> None:
        pass

    def _start(self) -> None:
        handler = self.handler
        handler.send_response(200)
        handler.send_header("Content-Type", self.content_type)
        handler.send_header("Transfer-Encoding", "chunked")
        handler._cors()
        handler.end_headers()
        self.started = True
        held, self.held = b"".join(self.held), []
        self._chunk(held)

    def _chunk(self, data: bytes) -> None:
        if data and self.handler.command != "HEAD":
            self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.sent += len(data)

    def finish(self) -> None:
        if self.started:
            if self.handler.command != "HEAD":
                self.handler.wfile.write(b"0\r\n\r\n")
        else:
            self.handler._send(200, b"".join(self.held), self.content_type)

    def abort(self) -> None:
        """Close the connection mid-stream: no terminating chunk, so the client cannot take
        the cut answer for a whole one."""
        handler = self.handler
        handler.close_connection = True
        with suppress(OSError):
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)


def _engine_message(raw: bytes, error: SyntaxError) -> str:
    """The text Oxigraph spliced where the answer broke (its error message), if it can be
    found from the parser's position; else the parser's message."""
    text = raw.decode("utf-8", errors="replace")
    if isinstance(error.lineno, int) and isinstance(error.offset, int):
        lines = text.split("\n")
        if 0 < error.lineno <= len(lines):
            at = sum(len(line) + 1 for line in lines[: error.lineno - 1]) + error.offset - 1
            tail = " ".join(text[at:].split())[:500]
            if tail:
                return tail
    return " ".join(str(error).split())


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


class Snapshot:
    """One state of the store as the front reads it: a read-only handle, the store's stamp
    taken just before it was opened (``KnowledgeGraph.stamp``: ``kg.search`` trusts an index
    recorded at it) and, once a search asks for it, the text index brought in step with that
    state. It is opened once and shared by the request threads; ``App.follow_store`` replaces
    it as a whole with the store's next state, and a request still holding this one finishes
    on it (nothing here is closed under it: the handle and the index go when the last
    request lets go of them).
    """

    def __init__(self, path: Path) -> None:
        graph = KnowledgeGraph.open_read_only(path)
        self.path = path
        self.store = graph.store
        self.stamp = graph.stamp
        self._index: Any = None
        # The first search opens and syncs the index, which a read-only store directory
        # turns into indexing the whole store in memory: once per state, not per search;
        # the searches then run side by side (a tantivy index is for many readers).
        self._index_lock = threading.Lock()

    def search(self, words: str, **filters: Any) -> Any:
        """``kg.search.SearchIndex.search`` on this state's index (``kg.search.SearchResult``)."""
        from kg.search import open_index

        with self._index_lock:
            if self._index is None:
                self._index, _ = open_index(self.store, self.path, self.stamp)
            index = self._index
        return index.search(words, **filters)


class App:
    """What the request handlers share: the upstream server, the options, the store path."""

    def __init__(
        self,
        store: Path,
        engine: Oxigraph,
        *,
        timeout: float,
        cors: bool,
        allow_service: frozenset[str] = frozenset(),
        request_timeout: float = REQUEST_TIMEOUT,
        max_body: int = MAX_BODY,
    ) -> None:
        self.store = store
        self.engine = engine
        self.timeout = timeout
        self.cors = cors
        self.allow_service = allow_service
        self.request_timeout = request_timeout
        self.max_body = max_body
        self.restarts = 0
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()  # opening one is slow: not under _lock
        self._lock = threading.Lock()
        self._queries: tuple[tuple[tuple[str, float], ...], dict[str, Any]] | None = None
        self._wake = threading.Event()
        self._runaway = threading.Event()
        self._dead: list[tuple[Oxigraph, threading.Event]] = []
        self._watcher: threading.Thread | None = None
        self._served_state = store_state(store)

    @contextmanager
    def answer(
        self, form: bytes | None, accept: str = _ENGINE_ACCEPT
    ) -> Iterator[tuple[int, str, _EngineStream]]:
        """Oxigraph's answer as it streams: (status, media type, body stream). ``form`` is
        the urlencoded query (``None``: the service description, in ``accept``).

        The one way the front talks to its engine: the whole answer must be read within
        ``timeout`` seconds (else ``UpstreamTimeout``, and the runaway watch starts); an
        engine found dead (a query crashed it) is replaced before ``EngineDown`` is raised.
        """
        with self._lock:
            engine = self.engine
            engine.in_flight += 1  # it is not stopped before this answer is read (_retire)
        parsed = urllib.parse.urlsplit(engine.url)
        deadline = time.monotonic() + self.timeout
        conn = http.client.HTTPConnection(
            parsed.hostname or "127.0.0.1", parsed.port, timeout=self.timeout
        )
        timed_out = False
        try:
            try:
                conn.connect()
                if conn.sock is not None:
                    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if form is None:
                    conn.request("GET", "/query", headers={"Accept": accept})
                else:
                    content = "application/x-www-form-urlencoded"
                    headers = {"Accept": accept, "Content-Type": content}
                    conn.request("POST", "/query", body=form, headers=headers)
                response = conn.getresponse()
            except TimeoutError:
                raise UpstreamTimeout from None
            except (OSError, http.client.HTTPException) as error:
                raise EngineDown(self.replace_if_dead(engine), error) from None
            stream = _EngineStream(conn, response, deadline, engine.url)
            yield response.status, response.getheader("Content-Type", ""), stream
        except UpstreamTimeout:
            timed_out = True
            raise
        finally:
            conn.close()
            with self._lock:
                engine.in_flight -= 1
            if timed_out:
                self._watch_runaway()

    def replace_if_dead(self, engine: Oxigraph) -> bool:
        """If ``engine`` has exited (a query crashed it), have the keeper thread start a new
        one and wait for it; True if it had exited."""
        if engine.process is None:
            return False
        try:
            engine.process.wait(1.0)  # a crashed engine takes a moment to be reaped
        except subprocess.TimeoutExpired:
            return False
        done = threading.Event()
        with self._lock:
            self._dead.append((engine, done))
        self._wake_keeper()
        done.wait(30)
        return True

    def _watch_runaway(self) -> None:
        self._runaway.set()
        self._wake_keeper()

    def _wake_keeper(self) -> None:
        with self._lock:
            if self._watcher is None:
                # One long-lived thread starts every new engine: an engine started from a
                # thread that then ends would get the parent-death signal (it is per thread
                # on Linux).
                self._watcher = threading.Thread(
                    target=self._keep_forever, daemon=True, name="engine-keeper"
                )
                self._watcher.start()
        self._wake.set()

    def _keep_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with suppress(Exception):
                self._replace_dead()
                if self._runaway.is_set():
                    self._runaway.clear()
                    self._watch()

    def _replace_dead(self) -> None:
        with self._lock:
            dead, self._dead = self._dead, []
        for engine, done in dead:
            try:
                if engine is self.engine and engine.process is not None:
                    log.warning(
                        "kg serve: the SPARQL engine stopped (exit %s) while running a query; "
                        "starting a new one",
                        engine.process.poll(),
                    )
                    self._restart()
            finally:
                done.set()

    def _watch(self) -> None:
        """Oxigraph does not stop every query at its own timeout (a cross join of full scans
        ran for minutes after it): once no request is waiting for an answer, an engine still
        busy is working for nobody, so it is replaced by a fresh one."""
        time.sleep(1.0)  # Oxigraph's own timeout (timeout + 1 s) gets its chance first
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            self._replace_dead()
            with self._lock:
                idle = self.engine.in_flight == 0
            if idle:
                if _busy(self.engine.process):
                    self._restart()
                return
            time.sleep(0.5)

    def _restart(self) -> None:
        """A new engine in place of the current one (dead, or busy for nobody)."""
        old = self.engine
        new = Oxigraph(self.store, self.timeout)
        try:
            new.start()
        except ServeError:
            return  # keep the busy one rather than none
        if self._swap(old, new):
            self.restarts += 1

    def _swap(self, old: Oxigraph, new: Oxigraph) -> bool:
        """Make ``new`` the engine in place of ``old`` and retire ``old`` in the background;
        False (``new`` stopped) if another thread replaced ``old`` first (a restart and a
        move to the store's next state can meet)."""
        with self._lock:
            if self.engine is not old:
                swapped = False
            else:
                self.engine, swapped = new, True
        if not swapped:
            new.stop()
            return False
        threading.Thread(target=self._retire, args=(old,), daemon=True).start()
        return True

    def _retire(self, engine: Oxigraph) -> None:
        """Stop a replaced engine once the requests it was answering have their answers:
        each has to be read within ``timeout`` seconds of its start, so none waits longer
        (a dead engine's requests are failing already and end at once)."""
        deadline = time.monotonic() + self.timeout + 2
        while time.monotonic() < deadline:
            with self._lock:
                if engine.in_flight == 0:
                    break
            time.sleep(0.05)
        engine.stop()

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
        old = self.engine
        new = Oxigraph(self.store, self.timeout)
        try:
            new.start()
        except ServeError:
            return  # keep serving the state it has; tried again next time
        if store_state(self.store) != state or writer_active(self.store):
            new.stop()  # a write began meanwhile: wait for it to end
            return
        if not self._swap(old, new):
            return  # restarted meanwhile: tried again next time
        with self._snapshot_lock:
            self._snapshot = None  # the next request opens the new state
        self._served_state = state

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

    def snapshot(self) -> Snapshot:
        """The store's state the front reads (for parameter types that look names up in the
        graph, and for searches), opened on first use and after each new state."""
        with self._snapshot_lock:
            if self._snapshot is None:
                self._snapshot = Snapshot(self.store)
            return self._snapshot

    def saved_query(self, name: str) -> Any:
        """The saved query ``name`` (``reference/NAME`` too), or ``QueryError`` saying there
        is none and which names are close."""
        from kg.queries import get_query

        return self.queries().get(name) or get_query(name)

    def prepare(self, query: Any, values: dict[str, str]) -> str:
        """The saved query with its parameters bound by ``kg.queries.prepare``, the binding
        step of ``kg.queries.run_saved`` (the answer is then streamed from the engine in the
        format the client asked for)."""
        from kg import queries

        source = self.snapshot().store if queries.needs_source(query) else None
        return queries.prepare(query, values, source)


class Handler(BaseHTTPRequestHandler):
    """Routes: ``/`` page, ``/static/*``, ``/queries[/NAME]``, ``/sparql`` and ``/query``."""

    protocol_version = "HTTP/1.1"
    server_version = "ofsted-kg"
    error_content_type = "text/plain; charset=utf-8"
    error_message_format = "%(code)d %(message)s: %(explain)s\n"
    app: App  # set on the subclass built by make_server

    # --- plumbing --------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes: without NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every answer.
        with suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Reads from the client give up at a deadline set per request (``_expect``), so a
        # client sending its request byte by byte holds a thread for a bounded time only.
        self._reader = _ClientStream(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def _expect(self, seconds: float | None) -> None:
        """Reads must be done within ``seconds`` (``None``: the request is in; the socket
        timeout then bounds how long a client that does not read the answer holds us)."""
        self._reader.deadline = None if seconds is None else time.monotonic() + seconds
        self._reader.received = 0
        if seconds is None:
            self.connection.settimeout(max(30.0, self.app.request_timeout))

    def handle_one_request(self) -> None:
        """The stdlib's, with a deadline on the request, ``408`` when it passes and ``405``
        (not ``501``) for a method the endpoint does not take."""
        self._expect(self.app.request_timeout)
        self.raw_requestline = b""
        self.command, self.requestline, self.request_version = "", "", "HTTP/1.1"
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.close_connection = True
                self._text(
                    405,
                    f"method {self.command} is not allowed: use GET, POST, HEAD or OPTIONS",
                    {"Allow": "GET, HEAD, POST, OPTIONS"},
                )
                return
            method()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if self._reader.received:  # not an idle keep-alive connection: say why it ends
                with suppress(OSError):
                    self.connection.settimeout(1.0)
                    self._text(
                        408,
                        f"the request did not arrive within {self.app.request_timeout:g} s",
                    )

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("KG_SERVE_LOG"):
            super().log_message(format, *args)

    def _cors(self) -> None:
        if self.app.cors:
            self.send_header("Access-Control-Allow-Origin", "*")

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self._cors()
        if self.close_connection:
            self.send_header("Connection", "close")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        # Headers and body in one write: one packet for a small answer.
        if not hasattr(self, "_headers_buffer"):  # an HTTP/0.9 request: no headers
            self._headers_buffer = []
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def _text(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        body = (message.rstrip("\n") + "\n").encode()
        self._send(status, body, "text/plain; charset=utf-8", extra)

    def _json(self, data: Any, status: int = 200) -> None:
        body = json.dumps(data, indent=2, ensure_ascii=False).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` once a ``411``/``413`` has been sent for it."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._text(411, "send the request body with a Content-Length (no chunked bodies)")
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._text(400, "Content-Length must be a whole number of bytes")
            return None
        if length > self.app.max_body:
            self.close_connection = True  # the body is not read: the connection cannot go on
            self._text(
                413,
                f"the request body is {length} bytes; at most {self.app.max_body} are accepted",
            )
            return None
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
            body = self._read_body() if self.command == "POST" else b""
            self._expect(None)
            if body is not None:
                self._route(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except TimeoutError:
            raise  # the client was too slow sending its request: 408
        except Exception as error:
            log.exception("kg serve: %s %s failed", self.command, self.path[:200])
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
        elif path == "/search":
            self._search(params)
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
        long = [k for k, v in values.items() if len(v) > MAX_VALUE]
        if long:
            self._text(
                400,
                f"{name}: parameter {long[0]} is {len(values[long[0]])} characters long; "
                f"at most {MAX_VALUE} are accepted",
            )
            return
        try:
            query = self.app.saved_query(name)
        except QueryError as error:
            self._text(404, str(error))
            return
        try:
            sparql = self.app.prepare(query, values)
        except QueryError as error:
            self._text(400, str(error))
            return
        self._forward(sparql, accept, guarded=query.sparql)

    def _search(self, params: dict[str, list[str]]) -> None:
        """Full-text search (``kg.search``): ``?q=words`` and the filters of ``kg search``;
        JSON hits, best first, each with its quote, source, offsets and statement IRI."""
        from kg.search import SearchError, filters_from_params

        values = {k: v[0] for k, v in params.items()}
        words = values.pop("q", "")
        values.pop("format", None)
        try:
            result = self.app.snapshot().search(words, **filters_from_params(values))
        except SearchError as error:
            self._text(400, str(error))
            return
        self._json({"hits": result.values(), "truncated": result.truncated})

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
                    f"unsupported Content-Type {quoted(kind)}: send "
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
            with self.app.answer(None, accept) as (status, media, stream):
                body, engine = stream.read(), stream.url
        except UpstreamTimeout:
            self._text(504, "the service description timed out")
            return
        except (EngineDown, http.client.HTTPException, ConnectionError) as error:
            self._text(502, self._engine_failure(error))
            return
        address = self.server.server_address
        assert isinstance(address, tuple)  # an AF_INET(6) server
        host = self.headers.get("Host") or f"{address[0]}:{address[1]}"
        body = body.replace(
            f"{engine}/query".encode(),
            f"http://{host}{urllib.parse.urlsplit(self.path).path}".encode(),
        )
        self._send(status, body, media or "text/turtle")

    def _forward(
        self,
        sparql: str,
        accept: str,
        extra: dict[str, list[str]] | None = None,
        *,
        guarded: str | None = None,
    ) -> None:
        """Run the query on the engine and write its answer in the negotiated format.

        ``guarded``: the saved query's own text, checked once (its bound values are RDF
        terms, which cannot add a SERVICE); raw SPARQL is checked every time.
        """
        try:
            if guarded is not None:
                _check_saved(guarded, self.app.allow_service)
            else:
                query_guard.check(sparql, self.app.allow_service)
        except query_guard.Refused as refusal:
            self._text(400, f"refused: {refusal}")
            return
        wanted = negotiate(accept)
        if wanted.results is None and wanted.graph is None:
            self._not_acceptable(accept)
            return
        form = urllib.parse.urlencode(
            [("query", sparql)] + [(k, v) for k, values in (extra or {}).items() for v in values]
        )
        writer: _AnswerWriter | None = None
        try:
            with self.app.answer(form.encode()) as (status, media, stream):
                if status >= 400:
                    body = stream.read(64 * 1024)
                    self._engine_refused(status, body, sparql)
                    return
                graph = media.split(";")[0].strip() == "application/n-triples"
                fmt = wanted.graph if graph else wanted.results
                if fmt is None:
                    self._not_acceptable(accept, "CONSTRUCT/DESCRIBE" if graph else "SELECT/ASK")
                    return
                limit = ANSWER_BUFFER if self.request_version != "HTTP/1.0" else 1 << 62
                writer = _AnswerWriter(self, _media_type(fmt), limit)
                try:
                    _transcode(stream, graph, fmt, writer)
                except SyntaxError as error:
                    raise _BrokenAnswer(_engine_message(bytes(stream.head), error)) from None
                writer.finish()
        except UpstreamTimeout:
            message = (
                f"the query did not finish within the {self.app.timeout:g} s "
                "timeout (kg serve --timeout S); narrow it or add a LIMIT"
            )
            self._fail(writer, 504, message)
        except _BrokenAnswer as error:
            status = 502 if query_guard.scan(sparql).services else 500
            self._fail(writer, status, f"the query failed while it ran: {error}")
        except (EngineDown, http.client.HTTPException, ConnectionError) as error:
            self._fail(writer, 502, self._engine_failure(error))

    def _engine_failure(self, error: Exception) -> str:
        """What to say when the engine did not answer (a dead one is restarted first)."""
        restarted = (
            error.restarted
            if isinstance(error, EngineDown)
            else self.app.replace_if_dead(self.app.engine)
        )
        if restarted:
            return "the SPARQL engine stopped while running this query; it was restarted"
        return f"the SPARQL engine is not answering: {error}"

    def _fail(self, writer: _AnswerWriter | None, status: int, message: str) -> None:
        """A proper status while nothing is sent; a cut connection (logged) once it is."""
        if writer is not None and writer.started:
            log.warning(
                "kg serve: %s %s: answer cut after %d bytes: %s",
                self.command,
                self.path[:200],
                writer.sent,
                message,
            )
            writer.abort()
            return
        self._text(status, message)

    def _engine_refused(self, status: int, body: bytes, sparql: str) -> None:
        if status == 400 and looks_like_update(sparql):
            self._refuse_update()
            return
        message = body.decode("utf-8", errors="replace").strip()
        prefix = "SPARQL syntax error: " if status == 400 else ""
        self._text(status, prefix + message)

    def _not_acceptable(self, accept: str, form: str | None = None) -> None:
        results = ", ".join(dict.fromkeys(f.media_type for f in RESULT_FORMATS.values()))
        graphs = ", ".join(dict.fromkeys(f.media_type for f in GRAPH_FORMATS.values()))
        if form == "SELECT/ASK":
            offer = f"a SELECT or ASK answer can be sent as {results}"
        elif form:
            offer = f"a CONSTRUCT or DESCRIBE answer can be sent as {graphs}"
        else:
            offer = f"answers can be sent as {results} (SELECT, ASK) or {graphs} (graphs)"
        self._text(406, f"no format fits Accept: {accept[:200]}; {offer} (or ?format=...)")


class _BrokenAnswer(Exception):
    """The engine's answer broke off: its own message, as far as it can be found."""


@functools.lru_cache(maxsize=512)
def _check_saved(sparql: str, allowed: frozenset[str]) -> None:
    """``query_guard.check`` for a saved query's text, once per text (raises ``Refused``)."""
    query_guard.check(sparql, allowed)


def _transcode(stream: _EngineStream, graph: bool, fmt: Any, writer: _AnswerWriter) -> None:
    """Parse the engine's answer as it arrives and write it in ``fmt``: a break in it raises
    ``SyntaxError`` rather than reaching the client."""
    # pyoxigraph reads and writes any object with read()/write(); its stubs name IO[bytes]
    source: IO[bytes] = stream  # type: ignore[assignment]
    target: IO[bytes] = writer  # type: ignore[assignment]
    if graph:
        triples = (quad.triple for quad in ox.parse(source, format=ox.RdfFormat.N_TRIPLES))
        prefixes = vocab.PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        ox.serialize(triples, target, fmt, prefixes=prefixes)
    else:
        ox.parse_query_results(source, format=ox.QueryResultsFormat.JSON).serialize(target, fmt)


class _Listener(ThreadingHTTPServer):
    """The stdlib server with a longer accept queue than its 5: 16 clients connecting at once
    must not find it full."""

    request_queue_size = 128
    daemon_threads = True


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
        allow_service: Iterable[str] = (),
        request_timeout: float = REQUEST_TIMEOUT,
        max_body: int = MAX_BODY,
    ) -> None:
        self.store = Path(store)
        if not (self.store / "CURRENT").exists():
            raise ServeError(f"no knowledge graph store at {self.store}: run `kg build` first")
        if timeout <= 0:
            raise ServeError(f"--timeout must be more than 0 seconds (got {timeout:g})")
        allowed = frozenset(allow_service)
        for url in allowed:
            if not url.startswith(("http://", "https://")):
                raise ServeError(
                    f"--allow-service must be an http:// or https:// URL (got {quoted(url)})"
                )
        self.app = App(
            self.store,
            Oxigraph(self.store, timeout),
            timeout=timeout,
            cors=cors,
            allow_service=allowed,
            request_timeout=request_timeout,
            max_body=max_body,
        )
        handler = type("BoundHandler", (Handler,), {"app": self.app})
        try:
            self.httpd = _Listener((host, port), handler)
        except OSError as error:
            raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        assert isinstance(host, str)  # an AF_INET(6) server: (host, port, ...)
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
