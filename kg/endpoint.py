"""A client for remote SPARQL 1.1 endpoints (Oxigraph server, Virtuoso, Fuseki, ...).

``kg query --endpoint URL`` and ``kg sparql --endpoint URL`` send the same bound query they
would run locally over the SPARQL 1.1 Protocol: an HTTP ``POST`` with the query as the body
(``Content-Type: application/sparql-query``), asking for W3C SPARQL JSON results (SELECT/ASK)
or N-Triples (CONSTRUCT/DESCRIBE). Only the standard library is used (``urllib``).

Credentials come from the environment, never from the command line (where ``ps`` would show
them): ``KG_ENDPOINT_USER`` and ``KG_ENDPOINT_PASSWORD`` (HTTP basic authentication).

The project's prefixes are declared at the top of the query text sent, so saved and ad-hoc
queries can write ``kg:Visit`` against any engine. What the *default graph* is depends on the
server: the local store queries the union of all named graphs; configure the server the same
way (``oxigraph serve --union-default-graph``; Virtuoso's default graph is the union already).
"""

from __future__ import annotations

import base64
import os
import time
import urllib.error
import urllib.request
from typing import Any

import pyoxigraph as ox

from kg import vocab
from kg.errors import quoted
from kg.queries import QueryError, QueryResult, QueryTimeout, check_syntax, from_pyoxigraph
from kg.version import __version__

USER_VARIABLE = "KG_ENDPOINT_USER"
PASSWORD_VARIABLE = "KG_ENDPOINT_PASSWORD"

_RESULTS = "application/sparql-results+json"
_GRAPH = "application/n-triples, text/turtle;q=0.8, text/plain;q=0.5"


class Endpoint:
    """A SPARQL 1.1 query endpoint: a ``kg.queries.QuerySource``, so it goes wherever a
    store is taken (``execute``, ``run_saved``, ``kg.api.run_query``)."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise QueryError(f"--endpoint must be an http:// or https:// URL (got {quoted(url)})")
        self.url = url
        self.user = user
        self.password = password
        self.timeout = timeout

    @classmethod
    def from_env(cls, url: str, *, timeout: float | None = None) -> Endpoint:
        """The endpoint at ``url`` with credentials from $KG_ENDPOINT_USER/PASSWORD."""
        return cls(
            url,
            user=os.environ.get(USER_VARIABLE) or None,
            password=os.environ.get(PASSWORD_VARIABLE) or None,
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"Endpoint({self.url!r})"

    def query(
        self,
        sparql: str,
        *,
        form: str | None = None,
        limit: int | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """Send a query, wait at most ``timeout`` seconds in all, and parse the answer."""
        form = form or check_syntax(sparql)
        timeout = timeout if timeout is not None else self.timeout
        body = (vocab.sparql_prefixes() + sparql).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/sparql-query; charset=utf-8",
                "Accept": _GRAPH if form == "graph" else _RESULTS,
                "User-Agent": f"ofsted-kg/{__version__}",
            },
        )
        if self.user is not None:
            token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                media_type = response.headers.get_content_type()
                data = _read(response, deadline, timeout)
        except urllib.error.HTTPError as error:
            detail = " ".join(error.read(400).decode("utf-8", "replace").split())
            hint = (
                f" (set {USER_VARIABLE} and {PASSWORD_VARIABLE})"
                if error.code in (401, 403)
                else ""
            )
            raise QueryError(
                f"endpoint {self.url} answered HTTP {error.code} {error.reason}{hint}: {detail}"
            ) from None
        except TimeoutError:
            raise self._timed_out(timeout) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise self._timed_out(timeout) from None
            raise QueryError(f"cannot reach the endpoint {self.url}: {error.reason}") from None
        return _parse(data, media_type, form, limit, self.url)

    def _timed_out(self, timeout: float | None) -> QueryTimeout:
        return QueryTimeout(
            f"query stopped after {timeout or 0:g} s waiting for {self.url} "
            "(time limit; raise it with --timeout)"
        )


def _read(response: Any, deadline: float | None, timeout: float | None) -> bytes:
    """The whole body, giving up at the deadline (the socket timeout is per read)."""
    chunks: list[bytes] = []
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{timeout} s")
        chunk = response.read(1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _parse(data: bytes, media_type: str, form: str, limit: int | None, url: str) -> QueryResult:
    try:
        if form == "graph":
            rdf_syntax = (
                ox.RdfFormat.N_TRIPLES
                if media_type == "text/plain"
                else ox.RdfFormat.from_media_type(media_type)
            )
            if rdf_syntax is None:
                raise QueryError(f"endpoint {url} sent {media_type}, not an RDF syntax")
            triples = (
                q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(data, format=rdf_syntax)
            )
            return from_pyoxigraph(triples, limit)
        syntax = ox.QueryResultsFormat.from_media_type(media_type)
        if syntax is None:
            raise QueryError(f"endpoint {url} sent {media_type}, not SPARQL results")
        return from_pyoxigraph(ox.parse_query_results(data, format=syntax), limit)
    except SyntaxError as error:
        raise QueryError(
            f"endpoint {url} sent an answer that does not parse as "
            f"{media_type}: {' '.join(str(error).split())}"
        ) from None
