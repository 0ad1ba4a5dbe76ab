"""``kg serve`` under load: 1, 4, 8 and 16 concurrent clients running a mix of requests.

A benchmark, not a test. It starts ``kg serve`` (a separate process, as users run it) on a
built store, warms it up, then for each concurrency level has N client threads (keep-alive
connections, stdlib ``http.client``) send requests drawn in turn from the mix for a bounded
time, and reports per level: throughput, median and p99 latency (overall and for the
one-authority saved queries), errors (any status but 200, or a broken connection) and the
memory (RSS) of the server (front and Oxigraph engine together) sampled over the run.
Targets: zero errors and no memory growth at every level; one-authority saved queries p99
<= 1 s under 16 clients. For comparison, one client also sends the first saved query straight
to an ``oxigraph serve-read-only`` on the same store (what the front layer costs).

The mix is configurable (``--request``, repeatable), so routes added later (``/search``) can
be measured: ``saved:NAME?k=v&...`` (a saved query), ``sparql:QUERY`` (raw SPARQL), ``get:PATH``
(any GET, e.g. ``get:/search?q=supervision``). By default: four one-authority saved queries on
the authorities with most visits in the store, and two raw SPARQL queries.

    python bench/make_corpus.py && kg build bench/corpus --store bench/store-800
    python bench/serve_bench.py --store bench/store-800          # writes bench/results/serve.md
    python bench/serve_bench.py                                  # seeds/ graph (a temp store)
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.queries import get_query, prepare  # noqa: E402
from kg.serve import free_port, oxigraph_binary  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "serve.md"
SAVED_PER_AUTHORITY = ("recurring-issues", "judgement-history", "authority-profile")
_KG = "PREFIX kg: <https://w3id.org/ofsted-kg/def#> PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
RAW_SPARQL = (
    _KG + "SELECT ?kind (COUNT(?v) AS ?n) WHERE { ?v a kg:Visit ; kg:kind ?kind } GROUP BY ?kind",
    _KG + "SELECT ?name (COUNT(?v) AS ?visits) WHERE { ?v a kg:Visit ; kg:authority ?a . "
    "?a foaf:name ?name } GROUP BY ?name ORDER BY DESC(?visits) LIMIT 20",
)


@dataclass(frozen=True)
class Request:
    """One request of the mix: a label (its kind, for the per-kind latencies) and the call."""

    kind: str  # "saved", "sparql" or "get"
    label: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]


def parse_request(spec: str) -> Request:
    kind, _, rest = spec.partition(":")
    json_accept = {"Accept": "application/sparql-results+json"}
    if kind == "saved":
        name, _, query = rest.partition("?")
        return Request("saved", spec, "GET", f"/queries/{name}?{query}", None, json_accept)
    if kind == "sparql":
        return Request(
            "sparql",
            spec[:60],
            "POST",
            "/sparql",
            rest.encode(),
            {**json_accept, "Content-Type": "application/sparql-query"},
        )
    if kind == "get":
        return Request("get", spec, "GET", rest, None, {})
    raise SystemExit(f"--request {spec!r}: start it with saved:, sparql: or get:")


def build_seeds(where: Path) -> Path:
    from kg.build import build
    from kg.store import KnowledgeGraph

    graph = KnowledgeGraph.open(where)
    try:
        result = build([ROOT / "seeds"], graph)
    finally:
        graph.close()
    print(f"built seeds/ into {where}: {result.summary()}", file=sys.stderr)
    return where


def busiest_authorities(store: Path, n: int = 4) -> list[str]:
    """The authorities with most visits in the store: the one-authority queries' values."""
    from kg.queries import execute
    from kg.store import KnowledgeGraph

    graph = KnowledgeGraph.open_read_only(store)
    try:
        result = execute(
            graph.store,
            "SELECT ?name (COUNT(?v) AS ?n) WHERE { ?v a kg:Visit ; kg:authority ?a . "
            "?a foaf:name ?name } GROUP BY ?name ORDER BY DESC(?n) ?name LIMIT " + str(n),
        )
    finally:
        graph.close()
    return [row["name"] for row in result.values() if row["name"]]


def default_mix(store: Path) -> list[str]:
    specs = []
    for i, name in enumerate(busiest_authorities(store)):
        query = SAVED_PER_AUTHORITY[i % len(SAVED_PER_AUTHORITY)]
        specs.append(f"saved:{query}?" + urllib.parse.urlencode({"authority": name}))
    return specs + [f"sparql:{q}" for q in RAW_SPARQL]


class Memory:
    """RSS of the server process and its children, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> float:
        return sum(self.split_mb())

    def split_mb(self) -> tuple[float, float]:
        """(front, engine) RSS in MB: which of the two holds any growth."""
        engine = 0
        for p in self.process.children(recursive=True):
            try:
                engine += p.memory_info().rss
            except Exception:  # a child replaced meanwhile
                pass
        return self.process.memory_info().rss / 2**20, engine / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.rss_mb())
            self._stop.wait(self.every)

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(self.rss_mb())


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def load(
    port: int, mix: list[Request], clients: int, seconds: float, memory: Memory | None
) -> dict[str, object]:
    """``clients`` threads, each on one keep-alive connection, for ``seconds``; client i
    starts at request i of the mix and goes round it."""
    timings: list[list[tuple[str, float]]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    stop_at = time.perf_counter() + seconds
    barrier = threading.Barrier(clients)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        barrier.wait()
        k = i
        while time.perf_counter() < stop_at:
            request = mix[k % len(mix)]
            k += 1
            started = time.perf_counter()
            try:
                conn.request(
                    request.method, request.path, body=request.body, headers=request.headers
                )
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    errors[i].append(f"{request.label}: {response.status} {body[:100]!r}")
            except (OSError, http.client.HTTPException) as error:
                errors[i].append(f"{request.label}: {type(error).__name__} {error}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            timings[i].append((request.kind, time.perf_counter() - started))
        conn.close()

    before = memory.rss_mb() if memory else float("nan")
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    samples_from = len(memory.samples) if memory else 0
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    after = memory.rss_mb() if memory else float("nan")
    front, engine = memory.split_mb() if memory else (float("nan"), float("nan"))
    level_samples = memory.samples[samples_from:] if memory else []
    every = sorted(x for per in timings for _, x in per)
    saved = sorted(x for per in timings for kind, x in per if kind == "saved")
    flat_errors = [e for per in errors for e in per]
    return {
        "clients": clients,
        "requests": len(every),
        "errors": len(flat_errors),
        "error_examples": flat_errors[:3],
        "seconds": round(elapsed, 1),
        "rps": round(len(every) / elapsed, 1),
        "median_ms": round(statistics.median(every) * 1000, 1) if every else None,
        "p99_ms": round(percentile(every, 0.99) * 1000, 1),
        "saved_median_ms": round(statistics.median(saved) * 1000, 1) if saved else None,
        "saved_p99_ms": round(percentile(saved, 0.99) * 1000, 1),
        "rss_before_mb": round(before, 1),
        "rss_max_mb": round(max(level_samples, default=after), 1),
        "rss_after_mb": round(after, 1),
        "front_after_mb": round(front, 1),
        "engine_after_mb": round(engine, 1),
    }


def direct_oxigraph(store: Path, request: Request, seconds: float) -> dict[str, object]:
    """The first saved query, bound as the front binds it, straight to Oxigraph (1 client)."""
    name, _, query = request.path[len("/queries/") :].partition("?")
    params = dict(urllib.parse.parse_qsl(query))
    body = urllib.parse.urlencode({"query": prepare(get_query(name), params)}).encode()
    port = free_port()
    oxi = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve-read-only",
            "--location",
            str(store),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    direct = Request(
        "saved",
        "direct",
        "POST",
        "/query",
        body,
        {
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        for _ in range(400):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.05)
        load(port, [direct], 1, 2.0, None)
        return load(port, [direct], 1, seconds, None)
    finally:
        oxi.terminate()
        oxi.wait(10)


def table(label: str, levels: list[dict[str, object]], direct: dict[str, object] | None) -> str:
    lines = [
        f"`kg serve` on the {label} graph, each level run for {levels[0]['seconds']} s "
        "(requests drawn in turn from the mix; RSS is the front plus its Oxigraph engine):",
        "",
        "| clients | requests | req/s | median ms | p99 ms | one-authority saved p99 ms "
        "| errors | RSS start → max → end MB | end: front + engine MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in levels:
        lines.append(
            f"| {r['clients']} | {r['requests']} | {r['rps']} | {r['median_ms']} | {r['p99_ms']} "
            f"| {r['saved_p99_ms']} | {r['errors']} "
            f"| {r['rss_before_mb']} → {r['rss_max_mb']} → {r['rss_after_mb']} "
            f"| {r['front_after_mb']} + {r['engine_after_mb']} |"
        )
    if direct is not None:
        first = levels[0]
        lines += [
            "",
            f"One client, first saved query alone: straight to Oxigraph median "
            f"{direct['median_ms']} ms; through `kg serve` (whole mix) saved median "
            f"{first['saved_median_ms']} ms.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="a built store (default: build seeds/)")
    parser.add_argument("--label", default=None, help="the graph's name in the table")
    parser.add_argument("--levels", default="1,4,8,16", help="client counts (1,4,8,16)")
    parser.add_argument("--seconds", type=float, default=20.0, help="per level (20)")
    parser.add_argument(
        "--request",
        action="append",
        default=None,
        metavar="SPEC",
        help="saved:NAME?k=v, sparql:QUERY or get:PATH (repeatable; replaces the default mix)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown table file")
    parser.add_argument("--json", type=Path, help="also append the raw results (JSON) here")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or build_seeds(Path(tmp) / "store")
        label = args.label or ("seeds" if args.store is None else store.name)
        specs = args.request or default_mix(store)
        mix = [parse_request(s) for s in specs]
        print("mix:\n  " + "\n  ".join(specs), file=sys.stderr)
        serve = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from kg.cli import app; app()",
                "serve",
                "--store",
                str(store),
                "--port",
                "0",
                "--timeout",
                "60",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert serve.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", serve.stdout.readline())
        if not match:
            serve.kill()
            raise SystemExit("kg serve did not start")
        port = int(match.group(1))
        results: list[dict[str, Any]] = []
        try:
            load(port, mix, 1, 3.0, None)  # warm up
            with Memory(serve.pid) as memory:
                # The last level twice: memory that keeps rising under the same load is a
                # leak; a higher plateau at more clients is their threads and caches.
                for clients in [*levels, levels[-1]]:
                    result = load(port, mix, clients, args.seconds, memory)
                    print(json.dumps(result), file=sys.stderr)
                    results.append(result)
                results[-1]["clients"] = f"{levels[-1]} again"
        finally:
            serve.terminate()
            serve.wait(10)
        saved = next((r for r in mix if r.kind == "saved"), None)
        direct = direct_oxigraph(store, saved, args.seconds / 2) if saved else None

    text = table(label, results, direct)
    text += "\nMix: " + "; ".join(f"`{s[:90]}`" for s in specs) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    if args.json:
        with args.json.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"label": label, "levels": results, "direct": direct}) + "\n")


if __name__ == "__main__":
    main()
