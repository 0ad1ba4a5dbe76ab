"""``kg serve`` as its users meet it: a real SPARQL client library, content negotiation, the
error statuses, the saved-query API and the browser page in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from programs import require

from kg.queries import execute, get_query, load_queries, prepare
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 2.0
# Three full scans joined: far longer than TIMEOUT on any store of the seeds.
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?a ?b ?c . ?d ?e ?f }"


@pytest.fixture(scope="module")
def store_dir(seed_texts_store: Path) -> Path:
    """The five seed texts' store (``conftest.py``), only ever read here."""
    return seed_texts_store


@pytest.fixture(scope="module")
def server(store_dir: Path) -> Iterator[str]:
    """``kg serve`` started as users start it, on a free port; yields its base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from kg.cli import app; app()",
            "serve",
            "--store",
            str(store_dir),
            "--port",
            "0",
            "--timeout",
            str(TIMEOUT),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_PROXY": "*"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"at (http://\S+/) ", line)
    if not match:
        process.kill()
        stderr = process.stderr.read() if process.stderr else ""
        pytest.fail(f"kg serve did not start: {line}{stderr}")
    url = match.group(1)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.stderr:
            process.stderr.close()
        process.stdout.close()


@pytest.fixture(scope="module")
def embedded(store_dir: Path) -> Iterator[ox.Store]:
    graph = KnowledgeGraph.open_read_only(store_dir)
    yield graph.store
    graph.close()


def http(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, str, bytes]:
    """(status, content type, body), also for error statuses."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


# --- a real client library -----------------------------------------------------------------


def test_sparqlwrapper_gets_the_same_answer_as_the_embedded_store(
    server: str, embedded: ox.Store
) -> None:
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    sparql = SPARQLWrapper(server + "sparql")
    sparql.setMethod(POST)
    sparql.setReturnFormat(JSON)
    sparql.setQuery(
        "PREFIX kg: <https://w3id.org/ofsted-kg/def#> "
        "SELECT ?kind (COUNT(DISTINCT ?v) AS ?n) "
        "WHERE { ?v a kg:Visit ; kg:kind ?kind } GROUP BY ?kind ORDER BY ?kind"
    )
    rows = sparql.queryAndConvert()["results"]["bindings"]
    remote = {(r["kind"]["value"], int(r["n"]["value"])) for r in rows}
    local = execute(
        embedded,
        "SELECT ?kind (COUNT(DISTINCT ?v) AS ?n) WHERE "
        "{ ?v a kg:Visit ; kg:kind ?kind } GROUP BY ?kind",
    ).values()
    assert remote == {(r["kind"], int(r["n"])) for r in local}
    assert sum(n for _, n in remote) == 5  # five seed texts, five visits


def test_rdflib_sparqlstore_runs_a_saved_query_with_bound_parameters(
    server: str, embedded: ox.Store
) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    query = prepare(get_query("recurring-issues"), {"authority": "Hartlepool"})
    remote_store = SPARQLStore(server + "sparql", returnFormat="json")
    remote = {str(row["theme"]) for row in remote_store.query(query)}
    local = {row["theme"] for row in execute(embedded, query).values()}
    assert remote == local
    assert "https://w3id.org/ofsted-kg/theme/supervision" in remote


# --- content negotiation ------------------------------------------------------------------

SELECT = (
    "SELECT ?v ?start WHERE { ?v a <https://w3id.org/ofsted-kg/def#Visit> ; "
    "<https://w3id.org/ofsted-kg/def#startDate> ?start } ORDER BY ?start"
)
CONSTRUCT = (
    "CONSTRUCT { ?v a <https://w3id.org/ofsted-kg/def#Visit> } WHERE "
    "{ ?v a <https://w3id.org/ofsted-kg/def#Visit> }"
)


@pytest.mark.parametrize(
    "accept,check",
    [
        (
            "application/sparql-results+json",
            lambda body: len(json.loads(body)["results"]["bindings"]) == 5,
        ),
        ("application/sparql-results+xml", lambda body: body.count(b"<result>") == 5),
        ("text/csv", lambda body: len(list(csv.reader(io.StringIO(body.decode())))) == 6),
        ("text/tab-separated-values", lambda body: len(body.decode().strip().splitlines()) == 6),
    ],
)
def test_select_results_by_accept_header(server: str, accept: str, check) -> None:
    status, kind, body = http(
        server + "sparql?" + urllib.parse.urlencode({"query": SELECT}), headers={"Accept": accept}
    )
    assert status == 200
    assert kind.startswith(accept)
    assert check(body)


@pytest.mark.parametrize(
    "accept,fmt",
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_construct_results_by_accept_header(server: str, accept: str, fmt: ox.RdfFormat) -> None:
    status, kind, body = http(
        server + "sparql", data=form(query=CONSTRUCT), headers={"Accept": accept}
    )
    assert status == 200 and kind.startswith(accept)
    triples = list(ox.parse(body, format=fmt))
    assert len(triples) == 5
    assert all(t.object.value == "https://w3id.org/ofsted-kg/def#Visit" for t in triples)


def test_post_with_sparql_query_body_and_format_parameter(server: str) -> None:
    status, kind, body = http(
        server + "query?format=csv",
        data=SELECT.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert status == 200 and kind.startswith("text/csv")
    assert body.decode().splitlines()[0].strip() == "v,start"


def test_service_description(server: str) -> None:
    status, kind, body = http(server + "sparql", headers={"Accept": "text/turtle"})
    assert status == 200
    graph = list(ox.parse(body, format=ox.RdfFormat.TURTLE, base_iri=server + "sparql"))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert any(t.object.value == sd + "Service" for t in graph)
    assert any(t.object.value == sd + "UnionDefaultGraph" for t in graph)
    # it names the public endpoint, not the engine's private port
    endpoints = {t.object.value for t in graph if t.predicate.value == sd + "endpoint"}
    assert endpoints == {server + "sparql"}


def test_no_cors_headers_unless_asked(server: str) -> None:
    request = urllib.request.Request(
        server + "sparql?" + urllib.parse.urlencode({"query": "ASK {}"}),
        headers={"Origin": "http://example.org"},
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request) as response:
        assert response.headers.get("Access-Control-Allow-Origin") is None


# --- errors: right status, readable message, server keeps serving ----------------------------


def test_malformed_sparql_is_400_with_the_parser_message(server: str) -> None:
    status, _, body = http(server + "sparql", data=form(query="SELECT ?x WHERE { ?x ?y }"))
    assert status == 400
    assert b"SPARQL syntax error" in body and b"1:" in body


@pytest.mark.parametrize("how", ["query-form", "update-form", "update-body", "update-path"])
def test_updates_are_refused_with_403(server: str, store_dir: Path, how: str) -> None:
    update = "INSERT DATA { <https://example.org/a> <https://example.org/b> 'c' }"
    if how == "query-form":
        status, _, body = http(server + "sparql", data=form(query="PREFIX ex: <x:>\n" + update))
    elif how == "update-form":
        status, _, body = http(server + "sparql", data=form(update=update))
    elif how == "update-body":
        status, _, body = http(
            server + "sparql",
            data=update.encode(),
            headers={"Content-Type": "application/sparql-update"},
        )
    else:
        status, _, body = http(server + "update", data=form(update=update))
    assert status == 403
    assert b"read-only" in body
    status, _, body = http(
        server + "sparql",
        data=form(query="ASK { <https://example.org/a> ?p ?o }"),
        headers={"Accept": "application/json"},
    )
    assert json.loads(body)["boolean"] is False


def test_query_over_the_timeout_is_504_and_the_server_keeps_serving(server: str) -> None:
    started = time.monotonic()
    status, _, body = http(server + "sparql", data=form(query=SLOW_QUERY))
    assert status == 504
    assert b"timeout" in body
    assert time.monotonic() - started < TIMEOUT + 3
    status, _, body = http(
        server + "sparql",
        data=form(query="ASK { ?s ?p ?o }"),
        headers={"Accept": "application/sparql-results+json"},
    )
    assert status == 200 and json.loads(body)["boolean"] is True


def test_unknown_paths_are_404(server: str) -> None:
    assert http(server + "nothing-here")[0] == 404
    assert http(server + "static/../../serve.py")[0] == 404


# --- the saved-query API -------------------------------------------------------------------


def test_queries_lists_every_saved_query_with_parameters(server: str) -> None:
    status, kind, body = http(server + "queries")
    assert status == 200 and kind.startswith("application/json")
    listed = {q["name"]: q for q in json.loads(body)}
    assert set(listed) == set(load_queries())
    recurring = {p["name"]: p for p in listed["recurring-issues"]["parameters"]}
    assert recurring["include"]["allowed"] == ["recommendations", "weaknesses"]
    assert recurring["from_year"]["default"] == "2010"
    assert listed["recurring-issues"]["summary"]


def test_saved_query_binds_parameters_as_on_the_command_line(
    server: str, embedded: ox.Store
) -> None:
    params = {"authority": "Hartlepool", "to_year": "2020"}
    status, kind, body = http(
        server + "queries/recurring-issues?" + urllib.parse.urlencode({**params, "format": "json"})
    )
    assert status == 200 and kind.startswith("application/sparql-results+json")
    remote = {
        (b["theme"]["value"], b["visits"]["value"]) for b in json.loads(body)["results"]["bindings"]
    }
    local = {
        (r["theme"], r["visits"])
        for r in execute(embedded, prepare(get_query("recurring-issues"), params)).values()
    }
    assert remote == local and remote
    # The same by Accept header, as CSV.
    status, kind, body = http(
        server + "queries/recurring-issues?authority=Hartlepool", headers={"Accept": "text/csv"}
    )
    assert status == 200 and kind.startswith("text/csv")
    assert body.decode().splitlines()[0].startswith("authority_name,theme,")


def test_inspector_parameters_are_looked_up_in_the_graph(server: str, embedded: ox.Store) -> None:
    import inspect

    taking = [
        q for q in load_queries().values() if any(p.type == "inspector" for p in q.parameters)
    ]
    assert taking, "inspector-history takes an inspector parameter"
    for query in taking:
        values = {next(p.name for p in query.parameters if p.type == "inspector"): "Martin Ayres"}
        status, _, body = http(
            server + f"queries/{query.name}?" + urllib.parse.urlencode({**values, "format": "csv"})
        )
        assert status == 200, body
        keyword = "source" if "source" in inspect.signature(prepare).parameters else "store"
        local = execute(embedded, prepare(query, values, **{keyword: embedded}))
        assert len(body.decode().strip().splitlines()) == len(local.rows) + 1


def test_saved_query_values_cannot_inject_sparql(server: str) -> None:
    status, _, body = http(
        server
        + "queries/recurring-issues?"
        + urllib.parse.urlencode({"include": 'weaknesses" } } # ', "format": "json"})
    )
    assert status == 400
    assert b"include must be one of" in body


@pytest.mark.parametrize(
    "path,status,message",
    [
        ("queries/no-such-query", 404, b"no saved query named"),
        ("queries/recurring-issues?colour=red", 400, b"unknown parameter(s) colour"),
        ("queries/recurring-issues?from_year=soon", 400, b"whole number"),
        ("queries/recurring-issues?authority=Atlantis", 400, b"Atlantis"),
        ("queries/recurring-issues?format=pdf", 400, b"unknown format"),
    ],
)
def test_bad_saved_query_requests(server: str, path: str, status: int, message: bytes) -> None:
    got, _, body = http(server + path)
    assert got == status
    assert message in body


# --- the browser page ------------------------------------------------------------------------


def chrome(tmp_path: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = "/usr/bin/chromium", "/usr/bin/chromedriver"
    for path in (binary, driver):
        require(path, path, "apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chrome-profile'}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def test_page_runs_a_saved_query_with_a_parameter(server: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver = chrome(tmp_path)
    try:
        driver.get(server + "#recurring-issues")
        wait = WebDriverWait(driver, 20)
        wait.until(ec.presence_of_element_located((By.ID, "param-authority")))
        listed = [
            b.get_attribute("data-query")
            for b in driver.find_elements(By.CSS_SELECTOR, "#query-list button")
        ]
        assert set(listed) == set(load_queries())
        # Defaults are filled, enumerated values are a select.
        assert driver.find_element(By.ID, "param-from_year").get_attribute("value") == "2010"
        include = Select(driver.find_element(By.ID, "param-include"))
        assert [o.text for o in include.options] == ["recommendations", "weaknesses"]
        driver.find_element(By.ID, "param-authority").send_keys("Hartlepool")
        driver.find_element(By.ID, "run-button").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#results-table tbody tr")))
        headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#results-table th")]
        assert headers[:3] == ["authority_name", "theme", "theme_label"]
        rows = [
            [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")
        ]
        assert rows and all(row[0] == "Hartlepool" for row in rows)
        assert "Supervision" in {row[2] for row in rows}
        assert (
            driver.find_element(By.ID, "download-csv").get_attribute("href").endswith("format=csv")
        )
        # The SPARQL editor started from the vendored assets (no network).
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#yasgui .CodeMirror")))
        driver.execute_script("document.getElementById('results').scrollIntoView()")
        driver.execute_script("window.scrollTo(0, 0)")
        shot = tmp_path / "serve.png"
        driver.save_screenshot(str(shot))
        # The editor's own example query runs on /sparql and YASR shows its table.
        run_button = driver.find_element(By.CSS_SELECTOR, "#yasgui .yasqe_queryButton")
        driver.execute_script("arguments[0].scrollIntoView()", run_button)
        run_button.click()
        wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "#yasgui .yasr table tbody tr"))
        )
        cells = driver.find_element(By.CSS_SELECTOR, "#yasgui .yasr table tbody").text
        assert "kind:focused-visit" in cells
    finally:
        driver.quit()
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000  # a blank page is a few KB
    if os.environ.get("KG_SAVE_SCREENSHOTS"):  # refresh the README's picture on request
        docs = ROOT / "docs" / "images"
        docs.mkdir(parents=True, exist_ok=True)
        (docs / "serve.png").write_bytes(png)


def test_page_search_box_shows_ranked_hits_with_quotes_and_links(
    server: str, tmp_path: Path
) -> None:
    """Type words and an authority in the search box, press Search: the hits are listed best
    first (the order of /search), each with its quote, where it stands and a working link to
    its statement in SPARQL; a bad authority shows the server's message."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    _, _, body = http(server + "search?" + urllib.parse.urlencode(
        {"q": "supervision", "authority": "Hartlepool"}))  # fmt: skip
    ranked = json.loads(body)["hits"]
    assert len(ranked) > 3
    driver = chrome(tmp_path)
    try:
        driver.get(server)
        wait = WebDriverWait(driver, 20)
        words = wait.until(ec.element_to_be_clickable((By.ID, "search-q")))
        words.send_keys("supervision")
        driver.find_element(By.ID, "search-authority").send_keys("Hartlepool")
        driver.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "search-status"), "hit(s)"))
        status = driver.find_element(By.ID, "search-status").text
        assert status.startswith(f"{len(ranked)} hit(s)")
        items = driver.find_elements(By.CSS_SELECTOR, "#search-hits > li")
        quotes = [li.find_element(By.TAG_NAME, "blockquote").text for li in items]
        assert quotes == [" ".join(hit["quote"].split()) for hit in ranked]  # best first
        assert all("supervis" in quote.lower() for quote in quotes)  # stemmed matches
        first = items[0].find_element(By.TAG_NAME, "p").text
        assert first.startswith("Hartlepool, ") and ranked[0]["file_name"] in first
        assert f"characters {ranked[0]['start']}-{ranked[0]['end']}" in first
        links = [li.find_element(By.TAG_NAME, "a") for li in items]
        assert all(link.text == "statement in SPARQL" for link in links)
        shot = tmp_path / "search.png"
        driver.save_screenshot(str(shot))
        href = links[0].get_attribute("href")
        assert href.startswith(server + "sparql?")
        # The link answers: the statement's own triples, its words among them.
        code, kind, answer = http(href)
        assert code == 200 and kind.startswith("application/sparql-results+json")
        values = {b["o"]["value"] for b in json.loads(answer)["results"]["bindings"]}
        assert ranked[0]["quote"] in values
        # A bad authority: no hits, the server's one-line message instead.
        authority = driver.find_element(By.ID, "search-authority")
        authority.clear()
        authority.send_keys("Atlantis")
        driver.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "search-status"), "Atlantis"))
        assert "not the name of an English" in driver.find_element(By.ID, "search-status").text
        assert driver.find_elements(By.CSS_SELECTOR, "#search-hits > li") == []
    finally:
        driver.quit()
    assert shot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("KG_SAVE_SCREENSHOTS"):
        (ROOT / "docs" / "images" / "search.png").write_bytes(shot.read_bytes())


def test_cors_headers_when_asked(store_dir: Path) -> None:
    from kg.serve import serving

    with serving(store_dir, port=0, cors=True, timeout=5) as running:
        status, _, _ = http(
            running.url + "sparql",
            method="OPTIONS",
            headers={"Origin": "http://example.org", "Access-Control-Request-Method": "POST"},
        )
        assert status == 204
        request = urllib.request.Request(
            running.url + "sparql?" + urllib.parse.urlencode({"query": "ASK {}"}),
            headers={"Origin": "http://example.org"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request) as response:
            assert response.headers.get("Access-Control-Allow-Origin") == "*"


def test_serve_without_a_store_is_one_clear_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "none"), "--port", "0"])
    assert result.exit_code == 1
    assert "run `kg build` first" in result.output


def test_a_runaway_query_does_not_keep_the_engine_busy(store_dir: Path) -> None:
    """Oxigraph does not stop a cross join at its own timeout; kg serve replaces the busy
    engine once nobody waits for it, and keeps answering."""
    from kg.serve import _busy, serving

    with serving(store_dir, port=0, timeout=1) as running:
        first = running.app.engine.process
        assert first is not None
        status, _, _ = http(running.url + "sparql", data=form(query=SLOW_QUERY))
        assert status == 504
        # Within seconds the engine is idle again: Oxigraph cancelled the query itself, or
        # (what happens with this cross join) kg serve replaced it.
        deadline = time.monotonic() + 20
        while _busy(running.app.engine.process) and time.monotonic() < deadline:
            pass
        assert not _busy(running.app.engine.process)
        assert first.poll() is not None or not _busy(first)
        status, _, body = http(
            running.url + "sparql",
            data=form(query="ASK { ?s ?p ?o }"),
            headers={"Accept": "application/sparql-results+json"},
        )
        assert status == 200 and json.loads(body)["boolean"] is True
