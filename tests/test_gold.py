"""The extractor against the hand-checked gold facts for the five seed texts.

``tests/data/gold_seeds.json`` is a copy of the project's gold file; each test compares one
field of ``kg extract`` output with it, so a failure names the field that went wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.extract import extract
from kg.text import read_source

ROOT = Path(__file__).resolve().parent.parent
GOLD = json.loads((ROOT / "tests" / "data" / "gold_seeds.json").read_text())
IDS = [g["file"] for g in GOLD]


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    return {g["file"]: extract(read_source(ROOT / "seeds" / g["file"])).to_json() for g in GOLD}


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_authority_and_codes(gold: dict, records: dict) -> None:
    authority = records[gold["file"]]["authority"]
    assert (authority["name"], authority["gss_code"], authority["dfe_la_code"]) == (
        gold["authority"],
        gold["gss_code"],
        gold["dfe_la_code"],
    )


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_kind_and_dates(gold: dict, records: dict) -> None:
    record = records[gold["file"]]
    fields = ("kind", "letter_date", "publication_date", "visit_start", "visit_end")
    assert {f: record[f] for f in fields} == {f: gold[f] for f in fields}


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_inspectors_and_lead(gold: dict, records: dict) -> None:
    record = records[gold["file"]]
    assert [i["name"] for i in record["inspectors"]] == gold["inspectors"]
    assert [i["name"] for i in record["inspectors"] if i["lead"]] == [gold["lead_inspector"]]


@pytest.mark.parametrize("gold", [g for g in GOLD if "addressees" in g], ids=lambda g: g["file"])
def test_addressees(gold: dict, records: dict) -> None:
    assert records[gold["file"]]["addressees"] == gold["addressees"]


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_scope(gold: dict, records: dict) -> None:
    assert records[gold["file"]]["scope"] == gold["scope"]


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_recommendations_verbatim_in_order(gold: dict, records: dict) -> None:
    got = records[gold["file"]]["recommendations"]
    assert [r["text"] for r in got] == [r["text"] for r in gold["recommendations"]]
    assert [r["timescale"] for r in got] == [r["timescale"] for r in gold["recommendations"]]
    sections = [r.get("section") for r in gold["recommendations"]]
    if any(sections):
        assert [r["section"] for r in got] == sections


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_recommendations_addressed_to(gold: dict, records: dict) -> None:
    """Who each point tells to act: Hartlepool 2010 gives the council and its partners jointly
    (the lead-in's subject), NHS Hartlepool with the HSCB, and the HSCB alone."""
    got = records[gold["file"]]["recommendations"]
    assert [r["addressed_to"] for r in got] == [r["addressed_to"] for r in gold["recommendations"]]


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_recommendation_quotes_are_exact(gold: dict, records: dict) -> None:
    source = read_source(ROOT / "seeds" / gold["file"])
    for rec in records[gold["file"]]["recommendations"]:
        assert source.text[rec["start"] : rec["end"]] == rec["text"]


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_judgements(gold: dict, records: dict) -> None:
    got: dict[str, dict[str, str]] = {}
    for j in records[gold["file"]]["judgements"]:
        got.setdefault(j["section"], {})[j["area"]] = j["grade"]
    assert got == gold["judgements"]


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_previous_inspections(gold: dict, records: dict) -> None:
    assert records[gold["file"]]["previous_inspections"] == gold["previous_inspections"]


def test_gold_themes_are_tagged_with_few_extras(records: dict) -> None:
    """Every gold theme is among the tags; at most one tag in five is not in gold."""
    given = extra = 0
    for gold in GOLD:
        for want, got in zip(
            gold["recommendations"], records[gold["file"]]["recommendations"], strict=True
        ):
            assert set(want["themes"]) <= set(got["themes"]), want["text"]
            given += len(got["themes"])
            extra += len(set(got["themes"]) - set(want["themes"]))
    assert extra <= given / 5, f"{extra} of {given} tags are not in gold"


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_findings_quote_their_source(gold: dict, records: dict) -> None:
    source = read_source(ROOT / "seeds" / gold["file"])
    findings = records[gold["file"]]["findings"]
    assert len(findings) >= 10
    for finding in findings:
        assert source.text[finding["start"] : finding["end"]] == finding["text"]
        assert finding["polarity"] in ("strength", "weakness", "neutral")
