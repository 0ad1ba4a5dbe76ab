"""Requests per second and latency of a saved query through ``kg serve``, 8 concurrent clients.

A benchmark, not a test. It starts ``kg serve`` (a separate process, as users run it) on a
store, warms it up, then has N client threads (keep-alive connections, stdlib ``http.client``)
ask the same saved query for a fixed time, and reports requests/s and latency percentiles. For
comparison it runs the same bound SPARQL straight against an ``oxigraph serve-read-only`` on the
same store: the difference is what the front layer (parameter binding, reading the whole
answer for the timeout, copying it) costs.

    python bench/serve_bench.py                      # seeds/ graph (built into a temp dir)
    python bench/serve_bench.py --store bench/store-800 --label corpus-800
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.queries import get_query, prepare  # noqa: E402
from kg.serve import free_port, oxigraph_binary  # noqa: E402


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


def load(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    clients: int,
    seconds: float,
) -> dict[str, float]:
    """``clients`` threads, each on one keep-alive connection, for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = time.perf_counter() + seconds
    barrier = threading.Barrier(clients)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        barrier.wait()
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[i].append(time.perf_counter() - started)
            if response.status != 200:
                errors[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    flat = sorted(x for per in latencies for x in per)
    return {
        "requests": len(flat),
        "errors": sum(errors),
        "seconds": round(elapsed, 2),
        "rps": round(len(flat) / elapsed, 1),
        "median_ms": round(statistics.median(flat) * 1000, 1),
        "p90_ms": round(flat[int(len(flat) * 0.9)] * 1000, 1),
        "max_ms": round(flat[-1] * 1000, 1),
    }


def wait_port(port: int, process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    for _ in range(400):
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="a built store (default: build seeds/)")
    parser.add_argument("--label", default=None)
    parser.add_argument("--query", default="recurring-issues")
    parser.add_argument("--param", action="append", default=["authority=Hartlepool"])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--output", type=Path, help="append the result (JSON) to this file")
    args = parser.parse_args()
    params = dict(p.split("=", 1) for p in args.param)

    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or build_seeds(Path(tmp) / "store")
        label = args.label or ("seeds" if args.store is None else store.name)
        results: dict[str, object] = {
            "label": label,
            "store": str(store),
            "query": args.query,
            "params": params,
            "clients": args.clients,
        }

        # 1. kg serve: the saved-query API.
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
        path = f"/queries/{args.query}?" + urllib.parse.urlencode(params)
        json_accept = {"Accept": "application/sparql-results+json"}
        try:
            load("127.0.0.1", port, "GET", path, None, json_accept, 1, 2.0)  # warm up
            results["kg_serve_saved_query"] = load(
                "127.0.0.1", port, "GET", path, None, json_accept, args.clients, args.seconds
            )
            results["kg_serve_one_client"] = load(
                "127.0.0.1", port, "GET", path, None, json_accept, 1, args.seconds / 2
            )
        finally:
            serve.terminate()
            serve.wait(10)

        # 2. The same bound SPARQL straight to Oxigraph (no front layer).
        sparql = prepare(get_query(args.query), params)
        body = urllib.parse.urlencode({"query": sparql}).encode()
        form = {**json_accept, "Content-Type": "application/x-www-form-urlencoded"}
        oxi_port = free_port()
        oxi = subprocess.Popen(
            [
                oxigraph_binary(),
                "serve-read-only",
                "--location",
                str(store),
                "--bind",
                f"127.0.0.1:{oxi_port}",
                "--union-default-graph",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(oxi_port, oxi)
            load("127.0.0.1", oxi_port, "POST", "/query", body, form, 1, 2.0)
            results["oxigraph_direct"] = load(
                "127.0.0.1", oxi_port, "POST", "/query", body, form, args.clients, args.seconds
            )
        finally:
            oxi.terminate()
            oxi.wait(10)

    text = json.dumps(results, indent=2)
    print(text)
    if args.output:
        with args.output.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
