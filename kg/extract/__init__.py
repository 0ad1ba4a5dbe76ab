"""Clean text -> ``kg.record.Report``: the second step of the pipeline.

The family of a report (SLAC, SIF or ILACS inspection; focused, monitoring or JTAI letter) is
recognised from its title; each family has its own reader (``kg.extract.inspections`` and
``kg.extract.letters``) because the families lay out the same facts differently. Shared
work happens here: recognising the family, resolving the authority, and giving the readers
the theme tagger and polarity rules through ``Context``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kg.record import Report
from kg.text import SourceText


class ExtractionError(Exception):
    """A file whose text is readable but is not a report we can extract; one line."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


@dataclass
class Context:
    """What every family reader needs besides the text: tagger, polarity, authorities."""

    tagger: object = field(default=None)
    authorities: object = field(default=None)

    @classmethod
    def default(cls) -> Context:
        from kg.authorities import AuthorityIndex
        from kg.themes import ThemeTagger

        global _DEFAULT
        if _DEFAULT is None:
            _DEFAULT = cls(tagger=ThemeTagger.load(), authorities=AuthorityIndex.load())
        return _DEFAULT

    def themes(self, text: str) -> list[str]:
        return list(self.tagger.tag(text)) if self.tagger is not None else []

    def polarity(self, sentence: str) -> str:
        from kg.polarity import polarity

        return polarity(sentence)


_DEFAULT: Context | None = None

# Title phrases that identify each family, checked against the first part of the text in
# this order (a focused-visit letter can mention an "inspection", not the reverse).
_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("jtai", re.compile(r"joint targeted area inspection", re.I)),
    ("monitoring-visit", re.compile(r"^\s*monitoring visit (?:to|of)\b", re.I | re.M)),
    ("focused-visit", re.compile(r"^\s*focused visit (?:to|of)\b", re.I | re.M)),
    ("slac-inspection",
     re.compile(r"inspection of safeguarding and looked after children services", re.I)),
    ("sif-inspection", re.compile(
        r"inspection of services for children in need of help and\s+protection", re.I)),
    ("ilacs-inspection", re.compile(
        r"^\s*inspection of (?:.{2,80}?\s)?(?:local authority children's services"
        r"|children's social care services)", re.I | re.M)),
]


def detect_kind(text: str) -> str | None:
    """The visit kind of a report from its opening text, or None if it is not one."""
    head = text[:6000]
    for kind, pattern in _FAMILIES:
        if pattern.search(head):
            return kind
    return None


def extract(source: SourceText, context: Context | None = None) -> Report:
    """Read one report's clean text into a ``Report``; raise ``ExtractionError`` if we can't."""
    context = context or Context.default()
    text = source.text
    kind = detect_kind(text)
    if kind is None:
        raise ExtractionError(
            source.path,
            "not an Ofsted children's services report (no inspection or visit title found)",
        )
    if kind in ("focused-visit", "monitoring-visit", "jtai"):
        from kg.extract.letters import read_letter as reader
    else:
        from kg.extract.inspections import read_inspection as reader
    report = Report(source=source.name, sha256=source.sha256, kind=kind, authority=None,
                    text=text)
    reader(report, context)
    # The date matters for names reused across a reorganisation (Dorset before 2019).
    on = report.visit_start or report.letter_date or report.publication_date
    authority = None
    if context.authorities is not None:
        for region in (*_title_regions(text, kind), text[:6000]):
            authority = context.authorities.find_in_text(region, on=on)
            if authority is not None:
                break
    if authority is None:
        raise ExtractionError(source.path, f"{kind}: no English local authority named in it")
    report.authority = authority.ref()
    if not report.visit_start:
        raise ExtractionError(source.path, f"{kind}: no visit or inspection dates found")
    return report


def _title_regions(text: str, kind: str) -> tuple[str, ...]:
    """Where the authority is most likely named: the title line, then the text around it."""
    pattern = dict(_FAMILIES)[kind]
    m = pattern.search(text[:6000])
    if not m:
        return ()
    line_start = text.rfind("\n", 0, m.start()) + 1
    line_end = text.find("\n", m.end())
    line_end = line_end if line_end > 0 else len(text)
    return text[line_start:line_end], text[max(0, line_start - 300): line_end + 300]
