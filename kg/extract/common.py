"""Reading tools shared by every document family: blocks, sections, sentences, dates.

They work on the clean text of ``kg.text`` (blocks separated by blank lines) and always
return character offsets into it, so that what an extractor keeps can be quoted exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
MONTH_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
# "4 March 2020", "04 June 2010", "4th March 2020"
DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_RE})\.?,?\s+(\d{{4}})\b",
                            re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """A block of clean text (paragraph, heading, bullet item, table row) and where it is."""

    text: str
    start: int
    end: int

    @property
    def is_bullet(self) -> bool:
        return self.text.startswith("- ")

    @property
    def body_start(self) -> int:
        """Offset of the block's words, after a bullet mark or a paragraph number."""
        m = re.match(r"(?:- |\d{1,3}\.\s+)", self.text)
        return self.start + (m.end() if m else 0)


def blocks(text: str, start: int = 0, end: int | None = None) -> list[Block]:
    """The blocks of ``text[start:end]`` with absolute offsets."""
    end = len(text) if end is None else end
    out = []
    for m in re.finditer(r"[^\n](?:.|\n(?!\n))*", text[start:end]):
        chunk = m.group()
        stripped = chunk.rstrip()
        if stripped.strip():
            out.append(Block(stripped, start + m.start(), start + m.start() + len(stripped)))
    return out


def parse_date(day: str | int, month: str, year: str | int) -> date | None:
    month_no = MONTHS.get(month.lower().rstrip("."))
    if month_no is None:
        return None
    try:
        return date(int(year), month_no, int(day))
    except ValueError:
        return None


def first_date(text: str) -> date | None:
    """The first full date written like "4 March 2020" in ``text``."""
    m = DAY_MONTH_YEAR.search(text)
    return parse_date(*m.groups()) if m else None


_RANGE = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+({MONTH_RE}))?(?:\s+(\d{{4}}))?"
    rf"\s*(?:to|and|-|–|—|until)\s*"
    rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_RE})\s+(\d{{4}})",
    re.IGNORECASE,
)


def date_range(text: str) -> tuple[date, date] | None:
    """The first date range: "4 and 5 March 2020", "07 June to 18 June 2010",
    "19 November 2013 – 11 December 2013", "30 September to 11 October 2019"."""
    m = _RANGE.search(text)
    if not m:
        single = first_date(text)
        return (single, single) if single else None
    d1, m1, y1, d2, m2, y2 = m.groups()
    end = parse_date(d2, m2, y2)
    start = parse_date(d1, m1 or m2, y1 or y2)
    if start and end and start > end and not y1:
        start = parse_date(d1, m1 or m2, int(y2) - 1)  # "30 December to 3 January 2020"
    if not start or not end:
        return None
    return start, end


# Sentence boundaries: ., ! or ? followed by space and a capital/quote/digit; not after
# common abbreviations.
_ABBREVIATIONS = ("e.g", "i.e", "etc", "Mr", "Mrs", "Ms", "Dr", "St", "No", "para", "Cllr",
                  "approx", "vs", "Prof")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])['\")]?\s+(?=['\"(]?[A-Z0-9])")


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Offsets (start, end) of each sentence in ``text[start:end]``, block by block."""
    for block in blocks(text, start, end):
        if block.is_bullet or re.match(r"\d{1,3}\.\s", block.text):
            origin = block.body_start
        else:
            origin = block.start
        body = text[origin:block.end]
        pos = 0
        for m in _SENTENCE_BREAK.finditer(body):
            before = body[:m.start()]
            word = re.search(r"(\S+)$", before)
            if word and word.group(1).rstrip(".!?'\")") in _ABBREVIATIONS:
                continue
            piece_end = m.start()
            yield from _trimmed(body, origin, pos, piece_end)
            pos = m.end()
        yield from _trimmed(body, origin, pos, len(body))


def _trimmed(body: str, origin: int, a: int, b: int) -> Iterator[tuple[int, int]]:
    piece = body[a:b]
    stripped = piece.strip()
    if len(stripped) < 2:
        return
    lead = len(piece) - len(piece.lstrip())
    yield origin + a + lead, origin + a + lead + len(stripped)


def one_line(text: str) -> str:
    """A block's text on one line (table cells and wrapped headings keep line breaks)."""
    return re.sub(r"\s*\n\s*", " ", text).strip()


def is_heading(block: Block, max_words: int = 14) -> bool:
    """A short block with no sentence-ending full stop: a heading or a table cell."""
    text = one_line(block.text)
    return (
        not block.is_bullet
        and len(text.split()) <= max_words
        and not text.endswith((".", ";", ","))
        and not re.match(r"\d{1,3}\.\s", text)
    )
