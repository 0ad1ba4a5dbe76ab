"""The theme tagger: measured against the hand-checked seed recommendations, driven only by
the synonyms of themes.ttl, and fast enough for a national build."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from kg.resources import data_path
from kg.themes import ThemeTagger

GOLD = Path(__file__).parent / "data" / "gold_seeds.json"
DOMAIN_THEME_IDS = [
    "supervision",
    "management-oversight",
    "written-plans",
    "pre-proceedings",
    "assessment-quality",
    "recording",
    "voice-of-child",
    "care-leavers",
    "health",
    "training",
    "governance",
    "reviews",
    "connected-carers",
    "disabled-children",
    "thresholds",
    "partnership",
    "front-door",
    "workforce-capacity",
    "quality-assurance",
    "private-fostering",
]


@pytest.fixture(scope="module")
def tagger() -> ThemeTagger:
    return ThemeTagger.load()


def _gold_recommendations() -> list[dict]:
    return [rec for report in json.loads(GOLD.read_text()) for rec in report["recommendations"]]


def test_gold_recall_and_precision(tagger: ThemeTagger) -> None:
    """Every gold theme is tagged; at most one tag in five is not in gold."""
    recs = _gold_recommendations()
    assert len(recs) >= 20
    gold_total = tagged_total = missed = extra = 0
    misses = []
    for rec in recs:
        gold, tags = set(rec["themes"]), set(tagger.tag(rec["text"]))
        gold_total += len(gold)
        tagged_total += len(tags)
        missed += len(gold - tags)
        extra += len(tags - gold)
        if gold - tags:
            misses.append((rec["text"], sorted(gold - tags)))
    assert missed == 0, misses
    assert extra / tagged_total <= 0.2, f"{extra} of {tagged_total} tags are not in gold"
    assert gold_total == tagged_total - extra


def test_scheme_has_domain_ids_in_order(tagger: ThemeTagger) -> None:
    labels = tagger.labels()
    assert list(labels)[: len(DOMAIN_THEME_IDS)] == DOMAIN_THEME_IDS
    assert labels["voice-of-child"] == "Voice of the child"
    assert tagger.ids == list(labels)


def test_tags_come_in_scheme_order(tagger: ThemeTagger) -> None:
    text = "Supervision records and management oversight are not linked to the care plan."
    tags = tagger.tag(text)
    assert tags == sorted(tags, key=tagger.ids.index)
    assert tags[:3] == ["supervision", "management-oversight", "written-plans"]


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        # plurals and possessives of a singular label
        ("Care plans are not specific.", ["written-plans"], []),
        ("The child's plan is clear.", ["written-plans"], []),
        # excluded phrases: organisational plans are not children's plans
        ("Senior managers have firm plans in place.", ["governance"], ["written-plans"]),
        ("The improvement plan is monitored by the board.", ["governance"], ["written-plans"]),
        ("Leaders have plans to recruit more social workers.", [], ["written-plans"]),
        # only the plural of "contacts" means the front door
        ("Children keep in contact with their brothers.", [], ["front-door"]),
        ("Repeat contacts are screened quickly.", ["front-door"], []),
        # an acronym matches only in capitals
        ("Children with SEND are well supported.", ["disabled-children"], []),
        ("Workers send letters to parents.", [], ["disabled-children"]),
        ("IROs challenge drift.", ["reviews", "pre-proceedings"], []),
        # hyphens, curly quotes and PDF line-break artefacts
        ("Multi\ufffeagency working is strong.", ["partnership"], []),
        ("Children\u2019s plans are SMART.", ["written-plans"], []),
        # a label that is another theme's exclusion wins
        ("Initial health assessments are timely.", ["health"], ["assessment-quality"]),
        (
            "Training for foster carers is good; education, employment and training is not.",
            ["training", "placement-sufficiency", "education"],
            [],
        ),
        ("Nothing here concerns any theme.", [], DOMAIN_THEME_IDS),
    ],
)
def test_matching_rules(
    tagger: ThemeTagger, text: str, present: list[str], absent: list[str]
) -> None:
    tags = tagger.tag(text)
    for theme in present:
        assert theme in tags, (text, tags, tagger.matches(text))
    for theme in absent:
        assert theme not in tags, (text, tags, tagger.matches(text))


def _copy_with(tmp_path: Path, extra: str) -> Path:
    copy = tmp_path / "themes.ttl"
    copy.write_text(data_path("ontology/themes.ttl").read_text() + "\n" + extra + "\n")
    return copy


def test_adding_a_synonym_changes_the_tags(tmp_path: Path) -> None:
    text = "Team huddles are held every morning."
    assert ThemeTagger.load().tag(text) == []
    copy = _copy_with(tmp_path, 'theme:supervision skos:hiddenLabel "huddle" .')
    assert ThemeTagger.load(copy).tag(text) == ["supervision"]


def test_adding_an_exclusion_and_a_theme(tmp_path: Path) -> None:
    extra = """
theme:supervision kg:excludedLabel "supervision order" .
theme:online-safety a skos:Concept , kg:Theme ; skos:inScheme kg:themeScheme ;
    kg:position 99 ; skos:prefLabel "Online safety"@en ;
    skos:definition "Keeping children safe online."@en ;
    skos:altLabel "online safety"@en , "e-safety"@en .
"""
    tagger = ThemeTagger.load(_copy_with(tmp_path, extra))
    assert tagger.tag("A supervision order was made.") == []
    assert tagger.tag("E-safety work is strong.") == ["online-safety"]
    assert tagger.labels()["online-safety"] == "Online safety"


def test_env_var_names_the_scheme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _copy_with(tmp_path, 'theme:health skos:hiddenLabel "orthodontist" .')
    monkeypatch.setenv("KG_THEMES", str(copy))
    assert ThemeTagger.load().tag("They see an orthodontist.") == ["health"]


def test_fast_enough_for_a_national_build(tagger: ThemeTagger) -> None:
    """~100k sentences nationally: 10k must take well under a second (generous bound here
    so a busy test machine does not fail it; typically ~0.2-0.3 s)."""
    sentences = [rec["text"] for rec in _gold_recommendations()]
    sentences = (sentences * (10_000 // len(sentences) + 1))[:10_000]
    start = time.perf_counter()
    for sentence in sentences:
        tagger.tag(sentence)
    assert time.perf_counter() - start < 3.0


def test_shared_tagger_is_reused_until_the_file_changes(tmp_path: Path) -> None:
    copy = _copy_with(tmp_path, "")
    first = ThemeTagger.shared(copy)
    assert ThemeTagger.shared(copy) is first
    copy.write_text(copy.read_text() + '\ntheme:health skos:hiddenLabel "optician" .\n')
    os.utime(copy, ns=(0, copy.stat().st_mtime_ns + 1_000_000_000))
    again = ThemeTagger.shared(copy)
    assert again is not first
    assert again.tag("An optician visit.") == ["health"]


THEMES_GOLD = Path(__file__).resolve().parent / "data" / "themes_gold.json"


def _precision_recall(tagger: ThemeTagger, items: list[dict]) -> tuple[float, float]:
    right = tagged = wanted = 0
    for item in items:
        gold, tags = set(item["themes"]), set(tagger.tag(item["text"]))
        right += len(gold & tags)
        tagged += len(tags)
        wanted += len(gold)
    return right / tagged, right / wanted


def test_tagger_on_hand_tagged_national_recommendations(tagger: ThemeTagger) -> None:
    """Precision >= 85% and recall >= 90% (micro, over item-theme pairs) on the 423
    recommendations of the national corpus tagged by hand by docs/theme-tagging.md."""
    items = json.loads(THEMES_GOLD.read_text(encoding="utf-8"))
    assert len(items) >= 300 and len({i["file"] for i in items}) >= 50
    precision, recall = _precision_recall(tagger, items)
    assert precision >= 0.85, f"precision {precision:.3f}"
    assert recall >= 0.90, f"recall {recall:.3f}"


def test_tagger_on_recommendations_tagged_blind_after_it_was_tuned(tagger: ThemeTagger) -> None:
    """137 recommendations of 46 other national reports, tagged by the same rules after the
    vocabulary was revised (a held-out set): 83% precision and 86% recall when measured; this
    guards against falling back."""
    items = json.loads((THEMES_GOLD.parent / "themes_heldout.json").read_text(encoding="utf-8"))
    assert not {i["file"] for i in items} & {
        i["file"] for i in json.loads(THEMES_GOLD.read_text(encoding="utf-8"))
    }
    precision, recall = _precision_recall(tagger, items)
    assert precision >= 0.80 and recall >= 0.83, (precision, recall)


def test_a_purpose_clause_adds_no_theme_but_the_group_of_children_it_names(
    tagger: ThemeTagger,
) -> None:
    assert tagger.tag("The quality of supervision so that plans progress.") == ["supervision"]
    assert "disabled-children" in tagger.tag(
        "The quality of assessments so that the needs of disabled children are explored."
    )
    # nothing before the clause: the whole point is read
    assert tagger.tag("Better so that plans for children progress.") == ["written-plans"]


def test_a_cross_reference_to_the_national_framework_is_not_read(tagger: ThemeTagger) -> None:
    assert tagger.tag(
        "Quality of management oversight (enabler: leaders drive conditions for "
        "effective practice, national framework)"
    ) == ["management-oversight"]
