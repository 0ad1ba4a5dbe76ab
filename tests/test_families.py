"""The registry of report families: recognising a family from its title block, and the grade
scale in force on a date."""

from __future__ import annotations

import pytest

from kg import families
from kg.families import recognise, scale_on, spell_grade


@pytest.mark.parametrize(
    "text, kind",
    [
        (
            "Inspection of Barnsley local authority children's services\n\nInspection dates: ...",
            "ilacs-inspection",
        ),
        (
            "Inspection of Knowsley Council children's services\n\nInspection dates: ...",
            "ilacs-inspection",
        ),
        (
            "Cornwall Council\n\nInspection of children's social care services\n\nDates ...",
            "ilacs-inspection",
        ),
        # a title set in large type, its two lines spaced apart
        (
            "Inspection of Bournemouth, Christchurch and Poole local\n\n"
            "authority children's services",
            "ilacs-inspection",
        ),
        (
            "Wirral Metropolitan Borough Council Inspection of services for children in need "
            "of help and protection, children looked after and care leavers and Review of the "
            "effectiveness of the Local Safeguarding Children Board1",
            "sif-inspection",
        ),
        (
            "Surrey Safeguarding Children Board\n\nReview of the effectiveness of the Local "
            "Safeguarding Children Board\n\nInspection date: 15 June 2015 – 17 June 2015",
            "lscb-review",
        ),
        ("Inspection of looked after children services\nNorfolk County Council", "lac-inspection"),
        (
            "Ofsted\nPiccadilly Gate\n\n4 May 2021\n\nJane Doe\nDirector\n\nDear Jane\n\n"
            "Monitoring visit to Anytown children's services\n\nThis letter summarises ...",
            "monitoring-visit",
        ),
    ],
)
def test_the_family_comes_from_the_title_block(text: str, kind: str) -> None:
    title = recognise(text)
    assert title is not None and title.family.kind == kind


def test_a_phrase_below_the_title_block_decides_nothing() -> None:
    """An ILACS report that mentions a joint targeted area inspection is still ILACS."""
    text = (
        "Inspection of Anytown local authority children's services\n\n"
        "Inspection dates: 1 to 12 May 2023\n\n"
        "Since the last inspection, the local authority has been subject to a joint targeted "
        "area inspection of the multi-agency response to children living with domestic "
        "abuse, which found that partners work well together.\n\n"
        "Joint targeted area inspection\n\n"
    )
    assert recognise(text).family.kind == "ilacs-inspection"
    assert recognise("Minutes of a meeting\n\n" + "Some words of prose. " * 20) is None


def test_re_inspections_are_sif_inspections_marked_as_such() -> None:
    title = recognise(
        "Torbay Council\n\nRe-inspection of services for children in need of help "
        "and protection, children looked after and care leavers\n\n"
    )
    assert (title.family.kind, title.reinspection) == ("sif-inspection", True)


def test_the_scale_in_force_on_a_date() -> None:
    assert scale_on("2012-05") is families.SLAC
    assert scale_on("2015") is families.SIF
    assert scale_on("2019-03", "requires improvement") is families.ILACS
    # early 2018: SIF and ILACS both ran; only the words can tell
    assert scale_on("2018-03", "good") is None
    assert scale_on("2018-03", "requires improvement") is families.SIF
    assert scale_on("2018-03", "requires improvement to be good") is families.ILACS
    assert scale_on("2013", "good") is None and scale_on("2013", "adequate") is families.SLAC


def test_grades_are_spelled_on_their_own_scale() -> None:
    assert spell_grade("requires improvement", families.ILACS) == (
        "Requires improvement to be good"
    )
    assert spell_grade("Requires improvement to be good", families.SIF) == "Requires improvement"
    assert spell_grade("require improvement", None) == "Requires improvement"
    assert [f.kind for f in families.FAMILIES] == list(families.KINDS)
