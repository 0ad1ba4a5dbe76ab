"""The extractor against facts checked by hand on 72 reports of the national corpus.

``tests/data/gold_national.json`` holds what a person reading each report found (how it was
recorded: ``tests/data/gold_national.md``); the PDFs are beside it in ``tests/data/national/``.
They span every family and template: a 2013 looked after children inspection, SIF inspections
and re-inspections of 2014-2018 (the 2014 priority layout, later "Recommendations", with and
without the LSCB review), a standalone LSCB review, ILACS inspections from 2018 to 2026 (three,
four and five judgements), and focused-visit letters of 2018-2025, the 2020-21 ones included.
Each test compares one field, so a failure names the field and the report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kg.extract import extract
from kg.text import read_source

DATA = Path(__file__).resolve().parent / "data"
GOLD = json.loads((DATA / "gold_national.json").read_text(encoding="utf-8"))
IDS = [g["file"] for g in GOLD]


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    return {g["file"]: extract(read_source(DATA / "national" / g["file"])).to_json() for g in GOLD}


def _words(text: str) -> str:
    """Text compared with runs of white space as one space (line breaks inside an item)."""
    return re.sub(r"\s+", " ", text).strip()


def _points(items: list[dict]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(_words(i["text"]), i["section"], i["timescale"], i["priority"]) for i in items]


def test_the_gold_covers_every_family_and_template() -> None:
    kinds = [g["kind"] for g in GOLD]
    assert len(GOLD) >= 40
    assert kinds.count("sif-inspection") >= 8 and kinds.count("ilacs-inspection") >= 10
    assert kinds.count("focused-visit") >= 12
    assert {"lac-inspection", "lscb-review"} <= set(kinds)
    assert any(g.get("reinspection") for g in GOLD)
    years = {g["visit_start"][:4] for g in GOLD}
    assert {"2013", "2014", "2018", "2020", "2021", "2023", "2025"} <= years


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_authority(gold: dict, records: dict) -> None:
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
    if "reinspection" in gold:
        assert record["reinspection"] is gold["reinspection"]


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_inspectors_and_lead(gold: dict, records: dict) -> None:
    inspectors = records[gold["file"]]["inspectors"]
    assert [i["name"] for i in inspectors] == gold["inspectors"]
    assert [i["name"] for i in inspectors if i["lead"]] == [gold["lead_inspector"]]


@pytest.mark.parametrize("gold", [g for g in GOLD if "addressees" in g], ids=lambda g: g["file"])
def test_addressees(gold: dict, records: dict) -> None:
    """Everyone each letter is addressed to: Northumberland 2022's two interim joint directors,
    named on one line and sharing the title line below, are two addressees."""
    assert records[gold["file"]]["addressees"] == gold["addressees"]


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_judgements(gold: dict, records: dict) -> None:
    def table(items: list[dict]) -> set[tuple[str | None, str, str]]:
        return {(j["section"], j["area"], j["grade"]) for j in items}

    assert table(records[gold["file"]]["judgements"]) == table(gold["judgements"])


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_recommendations_verbatim_in_order(gold: dict, records: dict) -> None:
    assert _points(records[gold["file"]]["recommendations"]) == _points(gold["recommendations"])


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_lscb_recommendations_kept_apart(gold: dict, records: dict) -> None:
    assert _points(records[gold["file"]]["lscb_recommendations"]) == _points(
        gold["lscb_recommendations"]
    )


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_finding_sections_are_heading_names(gold: dict, records: dict) -> None:
    """A finding's section names the heading it sits under, not the sentence the heading makes
    with its grade ("The experiences and progress of ... is: inadequate" -> the area)."""
    sections = {f["section"] for f in records[gold["file"]]["findings"]}
    assert not [s for s in sections if re.search(r"(?:\s(?:is|are|that)|[:?])$", s)]
    if gold["kind"] == "ilacs-inspection" and "(sic" not in gold["notes"]:
        areas = {j["area"] for j in gold["judgements"]} | {"Overall effectiveness"}
        assert sections <= areas


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_no_finding_starts_with_a_heading(gold: dict, records: dict) -> None:
    """A heading set with no gap above its paragraph ("Summary" / "Early help ...") is not part
    of the first sentence, and a heading after a paragraph is never run into it."""
    texts = [f["text"] for f in records[gold["file"]]["findings"]]
    assert not [t for t in texts if re.match(r"[^\n.;:,]{1,60}\n[A-Z]", t)]
    assert not [
        t for t in texts if re.search(r"What needs to improve|Areas for priority action", t)
    ]


# The framework's fixed definitions of the grades, printed under "What the inspection
# judgements mean" with sub-headings "The local authority" / "The LSCB", or (SIF 2015) under
# the LSCB's own judgement, after its grade: not findings.
_GLOSSARY = re.compile(
    r"^(?:An outstanding (?:local authority|LSCB) (?:leads|is)|A good local authority leads"
    r"|In a local authority that requires improvement|A local authority that is inadequate"
    r"|An LSCB (?:that is \w+|requires improvement if)\b)",
    re.IGNORECASE,
)


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_the_grade_glossary_is_no_finding(gold: dict, records: dict) -> None:
    texts = [f["text"] for f in records[gold["file"]]["findings"]]
    assert not [t for t in texts if _GLOSSARY.match(t)]


# Words no sentence ends on: a finding that ends in one was cut where its paragraph broke
# (Northumberland 2022's "... reflections discussed. in" is a slip of the report's own).
_CUT = re.compile(
    r"(?<![.!?] )\b(?:and|or|of|the|a|an|in|to|for|with|by|from|that|than|between)$", re.I
)


@pytest.mark.parametrize("gold", GOLD, ids=IDS)
def test_no_finding_is_cut_at_a_page_end(gold: dict, records: dict) -> None:
    """A sentence broken over a page ("... in comparison with 17 in" / "2014 and nine in
    2013.", "... taken into care, a" / "'together or apart' assessment ...") is one finding."""
    texts = [f["text"] for f in records[gold["file"]]["findings"]]
    assert not [t for t in texts if _CUT.search(t.rstrip())]
