"""The notebook API: ``from kg import open_store, run_query, sparql``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kg
from kg import QueryError, QueryTimeout, open_store, run_query, saved_queries, sparql

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def store_dir(seed_texts_store: Path) -> Path:
    """The five seed texts' store (``conftest.py``), only ever read here."""
    return seed_texts_store


def test_run_a_saved_query_from_a_notebook(store_dir: Path) -> None:
    with open_store(store_dir) as graph:
        assert graph.read_only
        result = run_query(
            "recurring-issues", store=graph, authority="Hartlepool", from_year=2010, min_visits=2
        )
        themes = {row["theme"].rsplit("/", 1)[1] for row in result.values()}
        assert {"supervision", "written-plans", "care-leavers", "voice-of-child"} <= themes
        # a path works too (opened read-only for the call), and a params dict
        again = run_query("recurring-issues", store=store_dir, params={"authority": "Hartlepool"})
        assert again.rows == run_query("recurring-issues", store=graph, authority="Hartlepool").rows
        capped = run_query("recurring-issues", store=graph, authority="Hartlepool", limit=1)
        assert len(capped.rows) == 1 and capped.truncated


def test_dataframe_and_adhoc_sparql(store_dir: Path) -> None:
    pytest.importorskip("pandas")
    frame = run_query("recurring-issues", store=store_dir, authority="Hartlepool").to_dataframe()
    assert list(frame.columns)[:2] == ["authority_name", "theme"]
    assert set(frame["authority_name"]) == {"Hartlepool"}
    visits = sparql("SELECT (COUNT(DISTINCT ?v) AS ?n) WHERE { ?v a kg:Visit }", store=store_dir)
    gold = json.loads((ROOT / "tests" / "data" / "gold_seeds.json").read_text(encoding="utf-8"))
    expected = {(r["gss_code"], r["kind"], r["visit_start"]) for r in gold}  # one per visit
    assert visits.values() == [{"n": str(len(expected))}]


def test_api_errors_and_timeout(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(QueryError, match="closest valid names: Hartlepool"):
        run_query("recurring-issues", store=store_dir, authority="Hartlepol")
    with pytest.raises(QueryTimeout):
        sparql(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
            store=store_dir,
            timeout=0.5,
        )
    monkeypatch.setenv("KG_STORE", str(store_dir))
    assert sparql("ASK { ?v a kg:Visit }").boolean is True  # the default store
    assert "recurring-issues" in saved_queries()
    assert kg.run_query is run_query
    with pytest.raises(AttributeError):
        kg.no_such_thing  # noqa: B018
