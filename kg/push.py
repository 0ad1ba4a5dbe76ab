"""``kg push``: copy every named graph to another triple store (SPARQL 1.1 Graph Store Protocol).

Why per graph with ``PUT``: the store keeps one named graph per source file (plus ontology and
themes, authorities, the build record); ``PUT ?graph=IRI`` replaces exactly that graph on the
server, so pushing again after a rebuild leaves the server holding what the store holds, and
the same saved queries run there. Credentials come from the environment
(``KG_ENDPOINT_USER``/``KG_ENDPOINT_PASSWORD``), never from the command line, and work for
Basic or Digest authentication (Virtuoso's ``/sparql-graph-crud-auth`` wants Digest).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.errors import KgError, quoted

USER_ENV = "KG_ENDPOINT_USER"
PASSWORD_ENV = "KG_ENDPOINT_PASSWORD"


class PushError(KgError, RuntimeError):
    """The server refused a graph or could not be reached; the message names the graph."""


@dataclass
class PushResult:
    graphs: int = 0
    triples: int = 0
    seconds: float = 0.0
    pushed: list[str] = field(default_factory=list)


class _Credentials:
    """Preemptive Basic or Digest authentication (RFC 7616, MD5/qop=auth).

    Why not urllib's auth handlers: they send each PUT without credentials first and wait for
    the 401; Virtuoso answers that 401 before reading the body and closes the connection, so
    a large graph fails with a broken pipe. Here a cheap GET fetches the challenge once and
    every PUT carries its ``Authorization`` header from the start.
    """

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.scheme: str | None = None
        self.challenge: dict[str, str] = {}
        self.count = 0

    def learn(self, header: str | None) -> bool:
        """Take a ``WWW-Authenticate`` header; False if it is not Basic or Digest."""
        if not header:
            return False
        scheme, _, rest = header.strip().partition(" ")
        self.scheme = scheme.lower()
        self.challenge = {
            key.lower(): quoted or bare
            for key, quoted, bare in re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))', rest)
        }
        self.count = 0
        return self.scheme in ("basic", "digest")

    def header(self, method: str, url: str) -> str | None:
        if self.scheme == "basic":
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return f"Basic {token}"
        if self.scheme != "digest":
            return None
        c = self.challenge
        parts = urllib.parse.urlsplit(url)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{self.user}:{c.get('realm', '')}:{self.password}")
        ha2 = md5(f"{method}:{uri}")
        self.count += 1
        nc = f"{self.count:08x}"
        cnonce = secrets.token_hex(8)
        fields = {
            "username": self.user,
            "realm": c.get("realm", ""),
            "nonce": c.get("nonce", ""),
            "uri": uri,
        }
        if "auth" in [q.strip() for q in c.get("qop", "").split(",")]:
            fields["response"] = md5(f"{ha1}:{c.get('nonce', '')}:{nc}:{cnonce}:auth:{ha2}")
            text = ", ".join(f'{k}="{v}"' for k, v in fields.items())
            text += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            fields["response"] = md5(f"{ha1}:{c.get('nonce', '')}:{ha2}")
            text = ", ".join(f'{k}="{v}"' for k, v in fields.items())
        if "opaque" in c:
            text += f', opaque="{c["opaque"]}"'
        if "algorithm" in c:
            text += f", algorithm={c['algorithm']}"
        return f"Digest {text}"


# Loopback and intranet stores: never go through an environment proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _send(
    method: str,
    url: str,
    data: bytes | None,
    headers: dict[str, str],
    credentials: _Credentials | None,
    timeout: float,
) -> None:
    """One request; with credentials, a 401 or a dropped connection re-learns the challenge
    (a GET, no body) and retries once."""
    for attempt in (1, 2):
        sent = dict(headers)
        auth = credentials.header(method, url) if credentials else None
        if auth:
            sent["Authorization"] = auth
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                response.read()
            return
        except urllib.error.HTTPError as error:
            if (
                error.code == 401
                and credentials
                and attempt == 1
                and credentials.learn(error.headers.get("WWW-Authenticate"))
            ):
                error.read()
                continue
            raise
        except (ConnectionError, http.client.HTTPException):
            if credentials is None or attempt == 2:
                raise
            _probe(url, credentials, timeout)
    raise AssertionError("unreachable")  # pragma: no cover


def _probe(url: str, credentials: _Credentials, timeout: float) -> None:
    """Ask with a GET (no body) to learn the server's authentication challenge."""
    try:
        with _OPENER.open(urllib.request.Request(url, method="GET"), timeout=timeout) as r:
            r.read()
    except urllib.error.HTTPError as error:
        if error.code == 401:
            credentials.learn(error.headers.get("WWW-Authenticate"))
        error.read()


def graph_url(endpoint: str, graph: str, param: str = "graph") -> str:
    """``endpoint?graph=<IRI>`` (keeping any query string the endpoint URL already has)."""
    sep = "&" if urllib.parse.urlsplit(endpoint).query else "?"
    return f"{endpoint}{sep}{urllib.parse.urlencode({param: graph})}"


def push(
    store: ox.Store,
    endpoint: str,
    *,
    graph_param: str = "graph",
    user: str | None = None,
    password: str | None = None,
    timeout: float = 120.0,
    progress: Callable[[str, int], None] | None = None,
) -> PushResult:
    """PUT each named graph of ``store`` to the Graph Store endpoint, as N-Triples.

    ``user``/``password`` default to ``$KG_ENDPOINT_USER``/``$KG_ENDPOINT_PASSWORD``.
    """
    if not endpoint.startswith(("http://", "https://")):
        raise PushError(f"--endpoint must be an http(s) URL (got {quoted(endpoint)})")
    user = user if user is not None else os.environ.get(USER_ENV)
    password = password if password is not None else os.environ.get(PASSWORD_ENV)
    credentials = _Credentials(user, password or "") if user else None
    result = PushResult()
    started = time.perf_counter()
    graphs = sorted(
        (g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value
    )
    for graph in graphs:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        assert data is not None
        triples = data.count(b"\n")
        url = graph_url(endpoint, graph.value, graph_param)
        if credentials is not None and credentials.scheme is None:
            try:
                _probe(url, credentials, timeout)
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise PushError(f"{endpoint}: cannot reach the server: {reason}") from None
        try:
            _send("PUT", url, data, {"Content-Type": "application/n-triples"}, credentials, timeout)
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", errors="replace").strip()[:300]
            hint = (
                f" (set {USER_ENV} and {PASSWORD_ENV})"
                if error.code in (401, 403) and not user
                else ""
            )
            raise PushError(
                f"{endpoint}: HTTP {error.code} for graph <{graph.value}>"
                f"{hint}: {detail or error.reason}"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PushError(f"{endpoint}: cannot reach the server: {reason}") from None
        result.graphs += 1
        result.triples += triples
        result.pushed.append(graph.value)
        if progress is not None:
            progress(graph.value, triples)
    result.seconds = time.perf_counter() - started
    return result
