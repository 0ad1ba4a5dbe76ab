"""Who a recommendation tells to act: the organisations named as the subject of its sentence.

Every family writes a recommendation one of three ways, whatever the year:

* an imperative ("Ensure that ...", "Improve ...") or a noun phrase ("The quality of plans."):
  no subject of its own, so it is addressed to whoever its part or its lead-in names (the
  council; a SIF review of the Local Safeguarding Children Board: the board; "the local
  authority and its partners should take the following action:": both);
* a sentence whose grammatical subject names one or more organisations before its verb of
  obligation ("The LSCB should ...", "HSCB to ensure ...", "NHS Hartlepool in conjunction with
  the HSCB should ...", "The local authority and partners need to ..."): those organisations;
* a sentence whose subject is something else ("The LSCB annual report should ...", "The
  confidence of partners to ...", "Social workers should ..."): the part's addressee again.

So the rule reads only the *subject*: the words before the first verb of obligation (should,
must, to, need(s) to, is/are to, is/are required to, will, may wish/want to, ought to), and
only when those words are nothing but organisation names joined by "and", commas, "in
conjunction / together / working / partnership with", or "supported by". One word outside a
name ("report", "confidence", "arrangements") and the subject is not an organisation, so an
organisation named later in the sentence (the object: "Ensure that the LSCB ...") never moves
the point. Bare "the board" is not read as the safeguarding board (an improvement board or a
corporate parenting board is one too); a named board or its initials ("HSCB", "the Local
Safeguarding Children Board") is.

The kinds (``kg.vocab.BODIES``): ``council`` (the authority, its leaders, managers and services),
``board`` (the Local Safeguarding Children Board, or the safeguarding partnership that
replaced it in 2019), ``health`` (NHS bodies: primary care trusts, clinical commissioning
groups, integrated care boards, NHS and foundation trusts, health partners), ``police``,
``partners`` (partner agencies not named by kind). A joint subject ("The council and NHS
Hartlepool should") is addressed to each of them; the council counts it as its own.
"""

from __future__ import annotations

import re

# A run of capitalised words before a body's type word: "NHS Hartlepool", "Cleveland Police",
# "North Tees and Hartlepool NHS Foundation Trust", "Hartlepool Safeguarding Children Board".
_NAME = r"(?-i:(?:[A-Z][\w'’&.-]*\s+(?:(?:and|of|&)\s+)?){0,6})"
# Words that may open or qualify an organisation's name without changing what it is.
_QUALIFIER = (
    r"(?:(?:the|its|their|all|key|relevant|statutory|local|other|wider|multi-agency|senior"
    r"|strategic|the\s+local\s+authority's|the\s+council's)\s+)*"
)
# Initials in brackets after a name: "the Local Safeguarding Children Board (LSCB)".
_INITIALS = r"(?:\s*\([A-Z][A-Za-z]{1,8}\))?"

_BODIES: tuple[tuple[str, str], ...] = (
    # health first: "integrated care board" is not the safeguarding board
    (
        "health",
        rf"{_NAME}(?-i:NHS(?:\s+[A-Z][\w'’&-]*)*)"
        r"|(?:primary\s+care|NHS|health|hospital|foundation|mental\s+health|community)"
        r"\s+trusts?"
        rf"|{_NAME}(?:NHS\s+)?(?:Foundation\s+)?Trusts?"
        r"|(?:the\s+)?PCTs?|clinical\s+commissioning\s+groups?|CCGs?|integrated\s+care"
        r"\s+(?:boards?|systems?)|ICBs?|health(?:\s+service)?\s+(?:partners|commissioners|"
        r"agencies|providers|services|colleagues|bodies)|health",
    ),
    (
        "board",
        rf"{_NAME}(?:Local\s+)?Safeguarding\s+Children(?:'s|’s)?\s+(?:Board|Partnership)"
        r"|[A-Z]{0,4}SC[BP]s?|(?:local\s+)?safeguarding\s+children(?:'s|’s)?\s+"
        r"(?:boards?|partnerships?)|(?:local\s+)?safeguarding\s+(?:partnership|partners)"
        r"|(?:chair|independent\s+chair)\s+of\s+the\s+(?:[A-Z]{0,4}SCB|board)",
    ),
    ("police", rf"{_NAME}(?:Police|Constabulary)(?:\s+force)?|police(?:\s+force)?"),
    (
        "council",
        rf"{_NAME}(?:Borough\s+|County\s+|City\s+|Metropolitan\s+)*Council"
        r"|(?:local\s+)?authority(?:\s+(?:leaders|managers|officers))?|council|councils"
        r"|(?:senior\s+)?(?:leaders|managers|leadership\s+team)|director\s+of\s+children's"
        r"\s+services|(?:lead\s+)?elected\s+members|corporate\s+parents"
        r"|children's\s+(?:social\s+care|services)",
    ),
    (
        "partners",
        r"partners|partner\s+(?:agencies|organisations)|agencies|partnership|"
        r"(?:the\s+)?(?:local\s+authority|council)'s\s+partners",
    ),
)
_BODY = re.compile(
    "|".join(
        f"(?P<{kind}>{_QUALIFIER}(?:{pattern}){_INITIALS})(?![\\w'’])" for kind, pattern in _BODIES
    ),
    re.I,
)
# What joins two organisations in one subject.
_JOIN = re.compile(
    r"\s*(?:,\s*(?:and\s+)?|\s+(?:and|with|&)\s+(?:(?:with|its|their)\s+)?|\s+(?:in\s+"
    r"(?:conjunction|partnership|collaboration)|together|jointly|working|along)\s+with\s+"
    r"|\s+supported\s+by\s+)",
    re.I,
)
# The verb of obligation that ends the subject.
_OBLIGATION = re.compile(
    r"\s+(?:should|must|shall|ought\s+to|needs?\s+to|is\s+to|are\s+to|(?:is|are)\s+required"
    r"\s+to|will(?:\s+need\s+to)?|may\s+(?:wish|want)\s+to|to)\b",
    re.I,
)

# A paragraph number, and an opening clause before the subject ("In order to improve the
# quality of provision in Hartlepool, ...").
_NUMBER = re.compile(r"^\d{1,3}\.\s*")
_OPENING = re.compile(
    r"^(?:in\s+order\s+to|to|in|for|as|by|when|where|within|with)\b[^,]{0,200},\s*", re.I
)


def subject_bodies(sentence: str) -> tuple[list[str], str | None]:
    """The kinds of organisation the sentence's subject names, and the subject's words;
    ``([], None)`` when the subject is not made of organisations (or there is none)."""
    text = _NUMBER.sub("", " ".join(sentence.split()))
    kinds, subject = _subject(text)
    if not kinds:  # "In order to improve ..., the local authority and its partners should"
        opening = _OPENING.match(text)
        if opening:
            kinds, subject = _subject(text[opening.end() :])
    return kinds, subject


def _subject(text: str) -> tuple[list[str], str | None]:
    verb = _OBLIGATION.search(text)
    if verb is None or verb.start() == 0:
        return [], None
    subject = text[: verb.start()].strip(" ,")
    kinds: list[str] = []
    at = 0
    while True:
        body = _BODY.match(subject, at)
        if body is None or body.end() == at:
            return [], None
        kind = body.lastgroup or ""
        if kind not in kinds:
            kinds.append(kind)
        at = body.end()
        if at == len(subject):
            return kinds, subject
        join = _JOIN.match(subject, at)
        if join is None:
            return [], None
        at = join.end()


def addressed_to(sentence: str, default: list[str]) -> tuple[list[str], str | None]:
    """Who ``sentence`` (a recommendation, or a lead-in to some) tells to act: the kinds its
    subject names, else ``default`` (its part's or lead-in's); and the subject's words."""
    kinds, subject = subject_bodies(sentence)
    return (kinds, subject) if kinds else (list(default), None)
