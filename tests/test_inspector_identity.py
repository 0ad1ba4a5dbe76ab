"""One inspector, one node: the spellings reports print resolve to one identity."""

from __future__ import annotations

import pytest

from kg.inspectors import identity


@pytest.mark.parametrize(
    "a, b",
    [
        ("Fiona Millns", "Fiona J Millns"),
        ("Fiona Millns", "FIONA  MILLNS"),
        ("Máire Atherton", "Maire Atherton"),
        ("Paula Thomson- Jones", "Paula Thomson-Jones"),
        ("Matt Reed", "Matthew Reed"),
        ("Andy Waugh", "Andrew Waugh"),
        ("Vicky Metheringham", "Victoria Metheringham"),
    ],
)
def test_spellings_of_one_person_are_one_identity(a: str, b: str) -> None:
    assert identity(a).key == identity(b).key


@pytest.mark.parametrize(
    "a, b",
    [
        ("Lisa Walsh", "Caroline Walsh"),  # same surname, different people
        ("Chris Davies", "Christine Davies"),  # "Chris": Christine or Christopher, not known
        ("Jo Warburton", "Joanna Warburton"),  # "Jo": Joanna, Joanne or Josephine
        ("Matt Reed", "Matt Reeds"),
    ],
)
def test_different_or_undecidable_names_stay_apart(a: str, b: str) -> None:
    assert identity(a).key != identity(b).key


def test_the_name_shown_is_the_full_name_without_initials() -> None:
    assert identity("Matt Reed").name == "Matthew Reed"
    assert identity("Fiona J Millns").name == "Fiona Millns"
    assert identity("FIONA MILLNS").name == "Fiona Millns"
    assert identity("Anne-Marie Born").name == "Anne-Marie Born"


@pytest.mark.parametrize(
    "a, b",
    [
        ("Brenda McLaughlin", "Brenda Mclaughlin"),
        ("Dominic Porter-Moore", "Dominic Porter-moore"),
        ("Máire Atherton", "Maire Atherton"),
    ],
)
def test_case_and_accent_variants_are_shown_by_one_name(a: str, b: str) -> None:
    assert identity(a) == identity(b)
