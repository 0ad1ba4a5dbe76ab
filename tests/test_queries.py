"""Saved queries on a graph built from the five seed texts, checked against the gold file."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import build
from kg.cli import app
from kg.queries import QueryError, execute, get_query, load_queries, prepare, run_saved
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
GOLD = json.loads((ROOT / "tests" / "data" / "gold_seeds.json").read_text())


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store")
    graph = KnowledgeGraph.open(path)
    result = build(sorted((ROOT / "seeds").glob("*.txt")), graph, workers=1)
    graph.close()
    assert result.failed == 0
    return path


@pytest.fixture(scope="module")
def store(store_dir: Path):  # noqa: ANN201 - a pyoxigraph Store
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


def test_recurring_issues_for_hartlepool_include_the_gold_themes(store) -> None:  # noqa: ANN001
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


def test_supervision_recurs_2010_to_2020(store) -> None:  # noqa: ANN001
    rows = run_saved(store, "recurring-issues", authority="Hartlepool").values()
    supervision = next(r for r in rows if r["theme"].endswith("/supervision"))
    assert (supervision["first_year"], supervision["last_year"]) == ("2010", "2020")


def test_window_and_threshold_parameters_narrow_the_answer(store) -> None:  # noqa: ANN001
    for params, window in (({"from_year": 2011}, (2011, 2022, 2)),
                           ({"min_visits": 3}, (2010, 2022, 3)),
                           ({"to_year": 2020}, (2010, 2020, 2))):
        rows = run_saved(store, "recurring-issues", authority="Hartlepool", **params).values()
        themes = {row["theme"].rsplit("/", 1)[1] for row in rows}
        assert gold_recurring("Hartlepool", *window) <= themes
        assert len(rows) < len(run_saved(store, "recurring-issues",
                                         authority="Hartlepool").rows)


def test_limit_says_when_rows_were_cut(store) -> None:  # noqa: ANN001
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


def test_injected_text_is_only_a_string(tmp_path: Path, store) -> None:  # noqa: ANN001
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


def test_update_is_refused(store) -> None:  # noqa: ANN001
    with pytest.raises(QueryError, match="not allowed"):
        execute(store, "DROP ALL")


def test_cli_query_formats(store_dir: Path) -> None:
    runner = CliRunner()
    args = ["query", "recurring-issues", "--param", "authority=Hartlepool",
            "--store", str(store_dir)]
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert "theme" in data["head"]["vars"]
    labels = {b["theme_label"]["value"] for b in data["results"]["bindings"]}
    assert "Supervision" in labels
    as_csv = runner.invoke(app, [*args, "--format", "csv"])
    assert as_csv.stdout.splitlines()[0].startswith("authority_name,theme,")
    missing = runner.invoke(app, ["query", "recurring-issues", "--param", "authority=Narnia",
                                  "--store", str(store_dir)])
    assert missing.exit_code == 1
    assert "Narnia" in missing.output
