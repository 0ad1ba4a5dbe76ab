"""Clean text -> ``kg.record.Report``: the second step of the pipeline.

The family of a report (``kg.families``) is recognised from its title block; the family's
reader (``kg.extract.inspections`` or ``kg.extract.letters``) reads the text into a
``Report``, because the families lay out the same facts differently. Shared work happens here:
resolving the authority, and giving the readers the theme tagger and polarity rules through
``Context``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import InputError
from kg.families import Family, Title, recognise
from kg.record import Report
from kg.text import SourceText

if TYPE_CHECKING:
    from kg.authorities import AuthorityIndex
    from kg.themes import ThemeTagger


class ExtractionError(InputError):
    """A file whose text is readable but is not a report we can extract; one line."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(problem, path)


@dataclass
class Context:
    """What every family reader needs besides the text: tagger, polarity, authorities."""

    tagger: ThemeTagger | None = None
    authorities: AuthorityIndex | None = None

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


def read(family: Family, text: str, context: Context) -> Report:
    """``text`` read by ``family``'s reader (``Family.reader``, "module:function" here)."""
    module, function = family.reader.split(":")
    reader = getattr(importlib.import_module(f"kg.extract.{module}"), function)
    report: Report = reader(text, family, context)
    return report


def extract(source: SourceText, context: Context | None = None) -> Report:
    """Read one report's clean text into a ``Report``; raise ``ExtractionError`` if we can't."""
    context = context or Context.default()
    text = source.text
    title = recognise(text)
    if title is None:
        raise ExtractionError(
            source.path,
            "not an Ofsted children's services report (no inspection, review or visit title "
            "at the top)",
        )
    kind = title.family.kind
    report = read(title.family, text, context)
    report.source, report.sha256 = source.name, source.sha256
    report.title = report.title or title.line
    report.reinspection = title.reinspection
    # The date matters for names reused across a reorganisation (Dorset before 2019).
    on = report.visit_start or report.letter_date or report.publication_date
    authority = None
    if context.authorities is not None:
        for region in (*_title_regions(text, title), text[:6000]):
            authority = context.authorities.find_in_text(region, on=on)
            if authority is not None:
                break
    if authority is None:
        raise ExtractionError(source.path, f"{kind}: no English local authority named in it")
    report.authority = authority.ref(on=report.visit_start)
    if not report.visit_start:
        raise ExtractionError(source.path, f"{kind}: no visit or inspection dates found")
    return report


def _title_regions(text: str, title: Title) -> tuple[str, ...]:
    """Where the authority is most likely named: the title line, then the text around it."""
    line_start = text.rfind("\n", 0, title.start) + 1
    line_end = text.find("\n", title.end)
    line_end = line_end if line_end > 0 else len(text)
    return text[line_start:line_end], text[max(0, line_start - 300) : line_end + 300]
