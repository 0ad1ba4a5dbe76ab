"""Saved queries on a graph built from the five seed texts, checked against the gold file."""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.queries import (
    LocalStore,
    Parameter,
    QueryError,
    QueryResult,
    QueryTimeout,
    execute,
    get_query,
    load_queries,
    prepare,
    run_saved,
    to_term,
)
from kg.store import KnowledgeGraph
from kg.vocab import authority_iri

ROOT = Path(__file__).resolve().parent.parent
GOLD = json.loads((ROOT / "tests" / "data" / "gold_seeds.json").read_text())


@pytest.fixture(scope="module")
def store_dir(seed_texts_store: Path) -> Path:
    """The five seed texts' store (``conftest.py``), only ever read here."""
    return seed_texts_store


@pytest.fixture(scope="module")
def store(store_dir: Path):
    graph = KnowledgeGraph.open_read_only(store_dir)
    yield graph.store
    graph.close()


def gold_recurring(authority: str, first: int, last: int, min_visits: int) -> set[str]:
    """Themes the gold file's recommendations raise in >= min_visits visits in the window."""
    visits: dict[str, set[str]] = defaultdict(set)
    for report in GOLD:
        year = int(report["visit_start"][:4])
        if report["authority"] == authority and first <= year <= last:
            for rec in report["recommendations"]:
                for theme in rec["themes"]:
                    visits[theme].add(report["visit_start"])
    return {theme for theme, seen in visits.items() if len(seen) >= min_visits}


def test_recurring_issues_for_hartlepool_include_the_gold_themes(store) -> None:
    result = run_saved(store, "recurring-issues", authority="Hartlepool")
    rows = result.values()
    themes = {row["theme"].rsplit("/", 1)[1] for row in rows}
    expected = gold_recurring("Hartlepool", 2010, 2022, 2)
    assert {"supervision", "written-plans", "care-leavers", "voice-of-child"} <= expected
    assert expected <= themes
    for row in rows:
        assert row["authority_name"] == "Hartlepool"
        assert int(row["visits"]) >= 2
        assert 2010 <= int(row["first_year"]) <= int(row["last_year"]) <= 2022
        # one "year: quote" per visit
        assert len(row["quotes"].split(" | ")) == int(row["visits"])


def test_supervision_recurs_2010_to_2020(store) -> None:
    rows = run_saved(store, "recurring-issues", authority="Hartlepool").values()
    supervision = next(r for r in rows if r["theme"].endswith("/supervision"))
    assert (supervision["first_year"], supervision["last_year"]) == ("2010", "2020")


def test_window_and_threshold_parameters_narrow_the_answer(store) -> None:
    for params, window in (
        ({"from_year": 2011}, (2011, 2022, 2)),
        ({"min_visits": 3}, (2010, 2022, 3)),
        ({"to_year": 2020}, (2010, 2020, 2)),
    ):
        rows = run_saved(store, "recurring-issues", authority="Hartlepool", **params).values()
        themes = {row["theme"].rsplit("/", 1)[1] for row in rows}
        assert gold_recurring("Hartlepool", *window) <= themes
        assert len(rows) < len(run_saved(store, "recurring-issues", authority="Hartlepool").rows)


def test_limit_says_when_rows_were_cut(store) -> None:
    result = run_saved(store, "recurring-issues", authority="Hartlepool", limit=2)
    assert len(result.rows) == 2 and result.truncated
    full = run_saved(store, "recurring-issues", authority="Hartlepool")
    assert not full.truncated


def test_unknown_authority_suggests_names() -> None:
    with pytest.raises(QueryError, match="Hartlepool"):
        prepare(get_query("recurring-issues"), {"authority": "Hartlepol"})


def test_bad_values_are_refused() -> None:
    query = get_query("recurring-issues")
    with pytest.raises(QueryError, match="whole number"):
        prepare(query, {"from_year": "2010 } DROP ALL"})
    with pytest.raises(QueryError, match="one of"):
        prepare(query, {"include": "everything"})
    with pytest.raises(QueryError, match="unknown parameter"):
        prepare(query, {"colour": "red"})


def test_injected_text_is_only_a_string(tmp_path: Path, store) -> None:
    (tmp_path / "by-text.rq").write_text(
        "#+ summary: recommendations with this exact text\n"
        "PREFIX kg: <https://w3id.org/ofsted-kg/def#>\n"
        "SELECT ?r WHERE { ?r kg:text ?_text }\n"
    )
    query = load_queries(tmp_path)["by-text"]
    hostile = 'x" } ; DROP ALL ; #'
    sparql = prepare(query, {"text": hostile})
    assert execute(store, sparql).rows == []
    before = execute(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").values()
    assert before[0]["n"] != "0"


def test_update_is_refused(store) -> None:
    with pytest.raises(QueryError, match="not allowed"):
        execute(store, "DROP ALL")


def test_cli_query_formats(store_dir: Path) -> None:
    runner = CliRunner()
    args = [
        "query",
        "recurring-issues",
        "--param",
        "authority=Hartlepool",
        "--store",
        str(store_dir),
    ]
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert "theme" in data["head"]["vars"]
    labels = {b["theme_label"]["value"] for b in data["results"]["bindings"]}
    assert "Supervision" in labels
    as_csv = runner.invoke(app, [*args, "--format", "csv"])
    assert as_csv.stdout.splitlines()[0].startswith("authority_name,theme,")
    missing = runner.invoke(
        app, ["query", "recurring-issues", "--param", "authority=Narnia", "--store", str(store_dir)]
    )
    assert missing.exit_code == 1
    assert "Narnia" in missing.output


@pytest.mark.parametrize(
    "flag", [["--param", "authority={}"], ["--authority", "{}"]], ids=["param", "flag"]
)
def test_cli_query_takes_any_way_of_naming_an_authority(store_dir: Path, flag: list[str]) -> None:
    """A DfE number, a GSS code in either case, the council's full name or its short name:
    the same rows, the way `kg authorities show` already took them."""
    runner = CliRunner()
    outputs = set()
    for text in ("805", "E06000001", "e06000001", "Hartlepool Borough Council", "Hartlepool"):
        args = [flag[0], flag[1].format(text), "--format", "csv", "--store", str(store_dir)]
        result = runner.invoke(app, ["query", "recurring-issues", *args])
        assert result.exit_code == 0, (text, result.stderr)
        outputs.add(result.stdout)
    (only,) = outputs
    assert "Supervision" in only and len(only.splitlines()) > 1


def test_cli_query_miss_names_the_closest_authorities(store_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["query", "recurring-issues", "--authority", "Hartlepol", "--store", str(store_dir)]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: recurring-issues: 'Hartlepol' is not the name")
    assert "closest valid names: Hartlepool" in result.stderr


class Recording:
    """A ``QuerySource`` that runs on the local store and keeps the SPARQL it was sent."""

    def __init__(self, store: ox.Store) -> None:
        self.local = LocalStore(store)
        self.sent: list[str] = []

    def query(self, sparql: str, **options) -> QueryResult:
        self.sent.append(sparql)
        return self.local.query(sparql, **options)


def test_the_cli_and_the_api_run_a_saved_query_through_run_saved(store, store_dir: Path) -> None:
    """One front door: the notebook API hands run_saved any QuerySource and sends exactly
    the bound text run_saved sends; `kg query` prints what run_saved answers."""
    import kg.api

    direct, via_api = Recording(store), Recording(store)
    expected = run_saved(direct, "recurring-issues", authority="Hartlepool")
    result = kg.api.run_query("recurring-issues", store=via_api, params={"authority": "805"})
    assert via_api.sent == direct.sent and len(direct.sent) == 1
    assert f"<{authority_iri('E06000001')}>" in direct.sent[0] and "805" not in direct.sent[0]
    assert result.rows == expected.rows
    args = ["recurring-issues", "--authority", "E06000001", "-f", "csv", "--store", str(store_dir)]
    shown = CliRunner().invoke(app, ["query", *args])
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.encode() == expected.serialize("csv")


def test_run_saved_checks_the_output_format_before_running(store) -> None:
    source = Recording(store)
    with pytest.raises(QueryError, match="does not fit a SELECT query"):
        run_saved(source, "recurring-issues", authority="Hartlepool", output_format="turtle")
    with pytest.raises(QueryError, match="--format must be one of table, csv"):
        run_saved(source, "recurring-issues", authority="Hartlepool", output_format="png")
    assert source.sent == []


# ----------------------------------------------------------------- parameters, errors, timeouts


def _saved(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / f"{name}.rq").write_text(text, encoding="utf-8")
    return tmp_path


BY_INSPECTOR = (
    "#+ summary: visits an inspector made\n"
    "SELECT DISTINCT ?visit WHERE { ?visit a kg:Visit ; kg:inspector ?_inspector }\n"
)


def gold_visits(inspector: str) -> set[str]:
    return {r["visit_start"] for r in GOLD if inspector in r["inspectors"]}


def test_inspector_parameter_resolves_a_name_in_the_store(tmp_path: Path, store) -> None:
    directory = _saved(tmp_path, "by-inspector", BY_INSPECTOR)
    assert "inspector" == load_queries(directory)["by-inspector"].parameters[0].type
    expected = gold_visits("Lisa Summers")
    assert expected
    rows = run_saved(
        store, "by-inspector", directory=directory, inspector="  lisa   SUMMERS "
    ).values()
    starts = {row["visit"].rsplit("/", 1)[1] for row in rows}
    assert starts == expected
    with pytest.raises(QueryError, match=r"unknown inspector 'Lisa Sumers'.*Lisa Summers"):
        run_saved(store, "by-inspector", directory=directory, inspector="Lisa Sumers")
    with pytest.raises(QueryError, match="needs the store"):
        prepare(load_queries(directory)["by-inspector"], {"inspector": "Lisa Summers"})


def test_unknown_theme_lists_the_closest_names() -> None:
    query = load_queries()["recurring-issues"]
    theme = Parameter("theme", "_theme", "theme", True)
    with pytest.raises(
        QueryError,
        match=r"unknown theme 'supervison'.*closest valid names: "
        r"supervision",
    ):
        to_term(query.name, theme, "supervison")
    assert to_term(query.name, theme, "Care Leavers").value.endswith("/theme/care-leavers")


def test_syntax_error_points_at_the_users_line_and_column(tmp_path: Path, store) -> None:
    line = "SELECT ?v WHERE { ?v kg:startDate ?_since_date ; kg:kind FILTER(true) }"
    directory = _saved(tmp_path, "broken", f"#+ summary: broken\n#+ tags: [x]\n{line}\n")
    query = load_queries(directory)["broken"]
    bound = prepare(query, {"since": "2020-01-01"})
    assert "VALUES" in bound  # the text sent to the engine is not the user's
    with pytest.raises(QueryError) as caught:
        run_saved(store, "broken", directory=directory, since="2020-01-01")
    message = str(caught.value)
    column = line.index("(true)") + 1
    assert f"line 3, column {column}" in message
    shown, caret = message.splitlines()[1:3]
    assert shown == "  " + line
    assert caret.index("^") - 2 == column - 1
    adhoc = "SELECT ?v WHERE {\n  ?v a kg:Visit .\n  ?v kg:kind FILTER(true)\n}"
    with pytest.raises(QueryError, match="line 3, column 20"):
        execute(store, adhoc)


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _children() -> list[int]:
    """Live (not zombie) child processes of this process."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.append(int(status.parent.name))
    return found


def test_timeout_stops_a_runaway_query_and_leaves_no_process(store) -> None:
    before = _children()
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="stopped after 1 s"):
        execute(store, SLOW, timeout=1)
    assert time.monotonic() - started < 5
    assert _children() == before


def test_timed_queries_give_the_same_answers(store) -> None:
    plain = run_saved(store, "recurring-issues", authority="Hartlepool")
    timed = run_saved(store, "recurring-issues", authority="Hartlepool", timeout=30)
    assert timed.columns == plain.columns and timed.rows == plain.rows
    cut = run_saved(store, "recurring-issues", authority="Hartlepool", timeout=30, limit=1)
    assert len(cut.rows) == 1 and cut.truncated
    graph = execute(store, "CONSTRUCT { ?v a kg:Visit } WHERE { ?v a kg:Visit }", timeout=30)
    assert graph.form == "graph" and len(graph.rows) == len(
        execute(store, "SELECT DISTINCT ?v WHERE { ?v a kg:Visit }").rows
    )
    assert execute(store, "ASK { ?v a kg:Visit }", timeout=30).boolean is True
    with pytest.raises(QueryError, match="not allowed"):
        execute(store, "INSERT DATA { <urn:a> <urn:b> <urn:c> }", timeout=30)


def test_w3c_results_are_pyoxigraphs_own(store) -> None:
    result = run_saved(store, "recurring-issues", authority="Hartlepool")
    data = json.loads(result.serialize("json"))
    assert data["head"]["vars"] == result.columns
    first = data["results"]["bindings"][0]
    assert first["visits"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert first["theme"]["type"] == "uri"
    xml = result.serialize("xml").decode()
    assert xml.startswith(
        '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
    )
    back = ox.parse_query_results(xml, format=ox.QueryResultsFormat.XML)
    assert [[s[c] for c in result.columns] for s in back] == result.rows
    ask = execute(store, "ASK { ?v a kg:Visit }")
    assert json.loads(ask.serialize("json")) == {"head": {}, "boolean": True}
    with pytest.raises(QueryError, match="does not fit a SELECT query"):
        result.serialize("turtle")
    graph = execute(store, "CONSTRUCT { ?v a kg:Visit } WHERE { ?v a kg:Visit }")
    with pytest.raises(QueryError, match="does not fit a CONSTRUCT/DESCRIBE query"):
        graph.serialize("json")
    turtle = graph.serialize("turtle").decode()
    assert "a kg:Visit" in turtle
    assert len(list(ox.parse(graph.serialize("nquads"), format=ox.RdfFormat.N_QUADS))) == len(
        graph.rows
    )
    assert json.loads(graph.serialize("jsonld"))
