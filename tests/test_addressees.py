"""Who a recommendation tells to act (``kg.extract.addressees``), against points checked by hand.

``tests/data/gold_addressees.json`` holds 91 recommendations of the national and Tees Valley
corpora (every family, 2010-2026), each read by a person: the organisations its sentence's
subject names, else its part's or lead-in's (``part``). They were chosen where the rule can go
wrong: every point whose subject names an organisation, and points naming a partner as the
object or in a noun phrase ("Work with partners ...", "The confidence of partners to ...").
Those whose report is in the repository (``seeds/``, ``tests/data/national/``) are also checked
end to end, so the part and the lead-in are read from the layout, not given.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kg.extract import extract
from kg.extract.addressees import addressed_to, subject_bodies
from kg.text import read_source

ROOT = Path(__file__).resolve().parent.parent
GOLD = json.loads((ROOT / "tests" / "data" / "gold_addressees.json").read_text(encoding="utf-8"))
PLACES = {"seeds": ROOT / "seeds", "national": ROOT / "tests" / "data" / "national"}


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_gold_spans_families_years_and_addressees() -> None:
    assert len(GOLD) >= 40
    assert {g["kind"] for g in GOLD} >= {
        "slac-inspection",
        "sif-inspection",
        "lscb-review",
        "ilacs-inspection",
        "focused-visit",
    }
    assert len({g["year"] for g in GOLD}) >= 10
    assert {"+".join(g["addressed_to"]) for g in GOLD} >= {"council", "board", "health+board"}


@pytest.mark.parametrize("gold", GOLD, ids=[f"{g['file']}:{g['text'][:30]}" for g in GOLD])
def test_the_subject_decides(gold: dict) -> None:
    assert addressed_to(gold["text"], gold["part"]) == (gold["addressed_to"], gold["addressed_as"])


@pytest.fixture(scope="module")
def extracted() -> dict[str, dict[str, list[str]]]:
    """File -> recommendation text -> who it is addressed to, for the gold files at hand."""
    out: dict[str, dict[str, list[str]]] = {}
    for name in sorted({(g["in"], g["file"]) for g in GOLD if g["in"]}):
        report = extract(read_source(PLACES[name[0]] / name[1]))
        points = report.recommendations + report.lscb_recommendations
        out[name[1]] = {_words(r.text): r.addressed_to for r in points}
    return out


def test_the_layout_gives_the_part_and_the_lead_in(extracted) -> None:
    checked = [g for g in GOLD if g["in"]]
    assert len(checked) >= 30
    for gold in checked:
        assert extracted[gold["file"]][gold["text"]] == gold["addressed_to"], gold["text"]


@pytest.mark.parametrize(
    ("sentence", "bodies"),
    [
        ("The council and NHS Hartlepool should agree a protocol.", ["council", "health"]),
        ("Cleveland Police should attend strategy meetings.", ["police"]),
        ("The police and the local authority must share information.", ["police", "council"]),
        ("The integrated care board should commission more therapists.", ["health"]),
        ("North Tees and Hartlepool NHS Foundation Trust should train staff.", ["health"]),
        ("The primary care trust (PCT) to ensure that health plans are up to date.", ["health"]),
        ("Clinical commissioning groups should review capacity.", ["health"]),
        ("The safeguarding partnership should evaluate multi-agency training.", ["board"]),
        ("The local safeguarding children board (LSCB) should audit practice.", ["board"]),
        ("Health partners, working with the council, should improve assessments.", None),
    ],
)
def test_subjects_the_corpus_rarely_has(sentence: str, bodies: list[str] | None) -> None:
    """Joint subjects and the bodies of every era (PCT, CCG, ICB, the partnership after 2019);
    a subject broken by an inserted clause is not read (the part decides)."""
    got, _ = subject_bodies(sentence)
    assert got == (bodies or [])


@pytest.mark.parametrize(
    "sentence",
    [
        "Ensure that the LSCB monitors the impact of training.",  # the board is the object
        "The LSCB annual report should say what the board found.",  # its report, not the board
        "Work with the police to reduce notifications.",
        "The confidence of partners to undertake the lead professional role.",
        "The board should review its governance.",  # which board? the part decides
        "Partnership arrangements to enable effective working together.",
    ],
)
def test_an_organisation_outside_the_subject_changes_nothing(sentence: str) -> None:
    assert addressed_to(sentence, ["council"]) == (["council"], None)
