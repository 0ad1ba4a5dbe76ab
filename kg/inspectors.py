"""Inspector identity: one person, one node, whatever the spelling of a report.

Reports print one inspector's name many ways: "Fiona Millns", "Fiona J Millns", "FIONA MILLNS",
"Máire Atherton" / "Maire Atherton", "Paula Thomson- Jones" (a hyphen broken at a line end),
"Matt Reed" in one report and "Matthew Reed" in the next. ``identity`` maps a printed name to the
key its ``kg:Inspector`` node is minted from and the name the node is shown by; the spelling each
report printed is kept as well (``schema:alternateName``).

What is merged, and on what evidence:

* case, spacing, accents, a broken hyphen and middle initials: always the same person, shown
  by one spelling (accents folded, every part of the name capitalised: "McLaughlin",
  "Porter-Moore");
* a first name and its short form ("Matt" / "Matthew", "Andy" / "Andrew"), with the same surname:
  merged only for the short forms listed in ``SHORT_FORMS``, each of which stands for one full
  name. Short forms of several names ("Chris": Christine or Christopher; "Jo": Joanna, Joanne or
  Josephine; "Sam", "Alex", "Pat") are never merged, because nothing in one report says which.

Different surnames are never merged ("Porter-Moore" and "Porter Moore" are not the same
spelling: a hyphen is not spacing), and nothing here looks at dates: the key is computed from
one report alone, so every build mints the same nodes whatever order files come in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A short form -> the one full first name it stands for (only unambiguous ones).
SHORT_FORMS = {
    "andy": "andrew",
    "matt": "matthew",
    "mike": "michael",
    "mick": "michael",
    "nick": "nicholas",
    "pam": "pamela",
    "ken": "kenneth",
    "vicky": "victoria",
    "vicki": "victoria",
    "cath": "catherine",
    "pete": "peter",
    "rob": "robert",
    "bob": "robert",
    "jim": "james",
    "tom": "thomas",
    "tony": "anthony",
    "dave": "david",
    "ben": "benjamin",
    "jon": "jonathan",
    "tim": "timothy",
    "liz": "elizabeth",
    "sue": "susan",
    "jenny": "jennifer",
    "becky": "rebecca",
    "steph": "stephanie",
    "nicky": "nicola",
    "mandy": "amanda",
    "russ": "russell",
    "bill": "william",
    "will": "william",
    "greg": "gregory",
    "phil": "philip",
}


@dataclass(frozen=True)
class Identity:
    """Who a printed name is: ``key`` mints the node's IRI, ``name`` is the name shown."""

    key: str
    name: str


def identity(printed: str) -> Identity:
    """The identity of an inspector from the name one report prints."""
    words = _words(printed)
    if not words:
        return Identity("", printed.strip())
    given, *rest = words
    # middle initials ("Fiona J Millns") are dropped; a surname is never a lone initial
    rest = [w for w in rest[:-1] if len(w.rstrip(".")) > 1] + rest[-1:]
    full = SHORT_FORMS.get(_fold(given))
    shown_given = full.capitalize() if full else given
    name = " ".join([shown_given, *rest])
    # words joined by "-"; a hyphen inside a word is dropped, so "Porter-Moore" and "Porter
    # Moore" stay two spellings of two names (nothing says which is right)
    key = "-".join(re.sub(r"[^a-z0-9]+", "", _fold(w)) for w in [full or given, *rest])
    return Identity(key.strip("-"), name)


def _words(printed: str) -> list[str]:
    """The name's words in one spelling, whatever the report's: accents folded, each part
    capitalised ("Porter-moore" -> "Porter-Moore", "Mclaughlin" -> "McLaughlin", "FIONA" ->
    "Fiona"), so that every report gives the node the same name."""
    text = re.sub(r"(?<=\w)-\s+(?=\w)", "-", printed)  # "Thomson- Jones" (a broken hyphen)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    shouting = all(w.isupper() or w.islower() for w in text.split() if len(w) > 1)
    return [_capitalised(w, shouting) for w in text.split()]


def _capitalised(word: str, shouting: bool) -> str:
    def part(p: str) -> str:
        p = p.lower() if shouting else p
        p = p[:1].upper() + p[1:]
        return re.sub(r"^(Mc|O')([a-z])", lambda m: m.group(1) + m.group(2).upper(), p)

    return "-".join(part(p) for p in word.split("-"))


def _fold(word: str) -> str:
    ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return ascii_word.lower().strip(".")
