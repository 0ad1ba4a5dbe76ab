"""Reading tools shared by every document family: blocks, sections, sentences, dates.

They work on the clean text of ``kg.text`` (blocks separated by blank lines) and always
return character offsets into it, so that what an extractor keeps can be quoted exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from kg.families import GRADE_WORDS, scale_on, spell_grade

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Every spelling a report uses for a month, lower case -> its number: the name, its first three
# letters, and "Sept" for September.
MONTHS: dict[str, int] = {
    spelling.lower(): number
    for number, name in enumerate(MONTH_NAMES, start=1)
    for spelling in (name, name[:3], *(("Sept",) if name == "September" else ()))
}
# Those spellings as a pattern, longest first (so "Sept" is not read as "Sep").
MONTH_RE = (
    "(?:" + "|".join(sorted((m.capitalize() for m in MONTHS), key=lambda m: (-len(m), m))) + ")"
)
# "4 March 2020", "04 June 2010", "4th March 2020"
DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_RE})\.?,?\s+(\d{{4}})\b", re.IGNORECASE
)


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
    def is_sub_bullet(self) -> bool:
        """A sub-point of the bullet point above it ("-- " in the clean text)."""
        return self.text.startswith("-- ")

    @property
    def is_sub_point(self) -> bool:
        """A sub-point of the point above it: a second-level bullet, or "(i)", "(a)", "ii)"."""
        return self.is_sub_bullet or _SUB_POINT.match(self.text) is not None

    @property
    def body_start(self) -> int:
        """Offset of the block's words, after a bullet mark or a paragraph number."""
        m = re.match(r"(?:-- |- |\d{1,3}\.(?:\s+|(?=[A-Z])))", self.text)
        return self.start + (m.end() if m else 0)

    @property
    def words_start(self) -> int:
        """Offset of the block's sentences: after a bullet mark or paragraph number, and after
        a heading the layout ran into the paragraph with no gap ("Summary" / "Early help
        ..."): a first line of a few words, with no closing punctuation and not cut after a
        joining word, followed by a line that starts with a capital."""
        first, sep, rest = self.text.partition("\n")
        if (
            sep
            and rest[:1].isupper()
            and len(first.split()) <= 6
            and not first.rstrip().endswith((".", ";", ":", ",", "!", "?", "-"))
            and not JOINING_WORD_END.search(first)
        ):
            return self.start + len(first) + 1
        return self.body_start


# A line or heading cut after a word no heading ends on: the words go on.
JOINING_WORD_END = re.compile(
    r"\b(?:and|or|of|the|to|in|for|with|a|an|by|on|at|from|that)$", re.IGNORECASE
)
_BLOCK_GAP = re.compile(r"\n\n+")
_SUB_POINT = re.compile(r"\(?(?:[ivx]{1,5}|[a-h])\)\s")


def point_with_sub_points(items: list[Block], index: int) -> tuple[int, int]:
    """Where the point ``items[index]`` ends once the sub-points under it are taken in, and
    the index of the block after them: "... where" / "(i) ..." / "(ii) ..." is one point."""
    end = items[index].end
    index += 1
    while index < len(items) and items[index].is_sub_point:
        end = items[index].end
        index += 1
    return end, index


def blocks(text: str, start: int = 0, end: int | None = None) -> list[Block]:
    """The blocks of ``text[start:end]`` with absolute offsets."""
    end = len(text) if end is None else end
    out: list[Block] = []
    pos = start
    # Cut at blank lines (a literal search: a per-character regex was the slowest step).
    for gap in _BLOCK_GAP.finditer(text, start, end):
        _add_block(out, text, pos, gap.start())
        pos = gap.end()
    _add_block(out, text, pos, end)
    return out


def _add_block(out: list[Block], text: str, a: int, b: int) -> None:
    while a < b and text[a] == "\n":
        a += 1
    stripped = text[a:b].rstrip()
    if stripped.strip():
        out.append(Block(stripped, a, a + len(stripped)))


def parse_date(day: str | int, month: str, year: str | int) -> date | None:
    month_no = MONTHS.get(month.lower().rstrip("."))
    if month_no is None:
        return None
    try:
        return date(int(year), month_no, int(day))
    except ValueError:
        return None


_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def dates_in_words(text: str) -> str:
    """``text`` with dates printed as numbers ("12/09/2016", day first as in England) written
    in words ("12 September 2016"), so that one set of date patterns reads both."""
    if "/" not in text:
        return text

    def words(m: re.Match[str]) -> str:
        day, month, year = (int(g) for g in m.groups())
        return f"{day} {MONTH_NAMES[month - 1]} {year}" if 1 <= month <= 12 else m.group()

    return _NUMERIC_DATE.sub(words, text)


def first_date(text: str) -> date | None:
    """The first full date written like "4 March 2020" (or "04/03/2020") in ``text``."""
    m = DAY_MONTH_YEAR.search(dates_in_words(text))
    return parse_date(*m.groups()) if m else None


_RANGE = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+({MONTH_RE}))?(?:\s+(\d{{4}}))?"
    rf"\s*(?:to|and|-|–|—|until)\s*"
    rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_RE})\s+(\d{{4}})",
    re.IGNORECASE,
)


def date_range(text: str) -> tuple[date, date] | None:
    """The first date range: "4 and 5 March 2020", "07 June to 18 June 2010",
    "19 November 2013 – 11 December 2013", "30 September to 11 October 2019",
    "12/09/2016 to 06/10/2016"."""
    text = dates_in_words(text)
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
_ABBREVIATIONS = (
    "e.g",
    "i.e",
    "etc",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "St",
    "No",
    "para",
    "Cllr",
    "approx",
    "vs",
    "Prof",
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])['\")]?\s+(?=['\"(]?[A-Z0-9])")
# The same break, found from its punctuation mark (group 1 is the break itself): a pattern that
# starts with a lookbehind is tried at every character and made sentences() slow.
_SENTENCE_BREAK_AT = re.compile(r"[.!?](['\")]?\s+)(?=['\"(]?[A-Z0-9])")


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Offsets (start, end) of each sentence in ``text[start:end]``, block by block."""
    for block in blocks(text, start, end):
        if block.is_bullet or block.is_sub_bullet or re.match(r"\d{1,3}\.\s", block.text):
            origin = block.body_start
        else:
            origin = block.start
        body = text[origin : block.end]
        pos = 0
        for m in _SENTENCE_BREAK_AT.finditer(body):
            # the word before the break, from a short tail (slicing the whole prefix was
            # quadratic); the tail ends in . ! or ? so it never ends in a space
            word = body[max(0, m.start(1) - 200) : m.start(1)].rsplit(None, 1)[-1]
            if word.rstrip(".!?'\")") in _ABBREVIATIONS:
                continue
            piece_end = m.start(1)
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


def heading_name(text: str) -> str:
    """A heading as a section name: on one line, without a trailing "?" or ":" or a footnote
    mark ("What needs to improve?1" -> "What needs to improve")."""
    name = re.sub(r"(?:(?<=[a-z])|[?:]\s*)\d{1,2}$", "", one_line(text))
    return name.rstrip("?: ")


def is_heading(block: Block, max_words: int = 14) -> bool:
    """A short block with no sentence-ending full stop: a heading or a table cell."""
    text = one_line(block.text)
    return (
        not block.is_bullet
        and len(text.split()) <= max_words
        and not text.endswith((".", ";", ","))
        and not re.match(r"\d{1,3}\.\s", text)
    )


# --------------------------------------------------------------------------- inspections
# Grade labels and references to earlier inspections: inspection reports and letters both
# name earlier judgements ("were last inspected in July 2018, when ... judged to be good").

_EARLIER_TRIGGER = re.compile(
    r"\b(?:last|previous|prior(?!\s+to\b)|earlier|most\s+recent)\s+(?:[\w-]+\s+){0,3}?inspection\b"
    r"|\b(?:last|previously)\s+inspected\b|\binspected\s+(?:last|previously)\b",
    re.IGNORECASE,
)
# Inspections of one service or setting, or visits that give no overall judgement: not an
# inspection of the authority's children's services.
_NOT_SERVICES_INSPECTION = re.compile(
    r"adoption|fostering|children's homes?\b|\bhomes?\b|contact|referral|school|setting"
    r"|provider|youth offending|residential|secure|cafcass|unannounced|annual|focused"
    r"|monitoring|joint targeted|\bjtai\b|area review|\bjar\b|nursery|college|academy"
    r"|\byot\b|youth justice|probation|police|health|\bcqc\b|care quality|\bsend\b"
    r"|special educational",
    re.IGNORECASE,
)
_NEAR_TRIGGER = re.compile(r"(?i:last|previous|prior|earlier|recent)")
_MONTH_YEAR = re.compile(rf"\b(?:(\d{{1,2}})\s+)?({MONTH_RE})\s+(\d{{4}})\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\d/-])((?:19|20)\d\d)(?![\d/-])")
_EARLIER_GRADE = re.compile(
    rf"(?<!now )\b(?:judged|rated|graded|found)\s+(?:to\s+be\s+|as\s+(?:being\s+)?|to\s+)?"
    rf"({GRADE_WORDS})\b"
    rf"|\boverall\s+effectiveness\s*(?::|(?:was|were|is)\b)?\s*(?:judged\s+)?"
    rf"(?:to\s+be\s+|as\s+)?({GRADE_WORDS})\b",
    re.IGNORECASE,
)
_OVERALL_GRADE = re.compile(
    rf"^\s*(?:- )?overall\s+effectiveness\s*:?\s*({GRADE_WORDS})\b", re.IGNORECASE
)


def _earlier_date(sentence: str, trigger: re.Match[str]) -> str | None:
    """The date of the inspection a trigger names: "in January 2013", "in 2019" near it."""
    after = sentence[trigger.start() : trigger.end() + 160]
    before = sentence[max(0, trigger.start() - 90) : trigger.start()]
    for region in (after, before):
        m = _MONTH_YEAR.search(region)
        if m:
            month = MONTHS[m.group(2).lower().rstrip(".")]
            return f"{int(m.group(3)):04d}-{month:02d}"
        m = _YEAR.search(region)
        if m:
            return m.group(1)
    return None


def earlier_inspections(
    text: str, before: str | None = None, start: int = 0, end: int | None = None
) -> list[tuple[str, str | None, int, int]]:
    """Earlier inspections of the authority's children's services that ``text`` mentions.

    Returns ``(date, overall_effectiveness, start, end)`` in text order, ``date`` as precise as
    the text ("2013-01", "2019"), the grade on the earlier framework's scale (or None) and the
    offsets of the sentence quoted. A sentence counts when it names a last/previous/earlier
    inspection with a date; inspections of one service or setting (adoption agency, fostering
    service, children's home, contact and referral unit, annual unannounced visit), focused and
    monitoring visits, and anything dated on or after ``before`` (ISO) are not the authority's
    earlier full inspection. The grade is the one the sentence (or the next sentence, "The local
    authority was judged to be adequate.", or a following "Overall effectiveness: good" line)
    states with "judged/rated ..."; a grade said to be "now" is the current one, not the earlier.
    Mentions of the same inspection (same month, or a bare year with a dated mention) merge.
    """
    end = len(text) if end is None else end
    found: list[tuple[str, str | None, int, int, bool]] = []
    seen: set[int] = set()
    # Only blocks that say "inspect" can name an earlier inspection: a literal search finds
    # them fast; each is then read sentence by sentence (with the block after it, for a
    # grade stated on the next lines).
    for hit in re.finditer(r"inspect", text[start:end], re.IGNORECASE):
        at = start + hit.start()
        if not _NEAR_TRIGGER.search(text, max(start, at - 60), min(end, at + 30)):
            continue
        gap = text.rfind("\n\n", start, at)
        block_start = start if gap < 0 else gap + 2
        if block_start in seen:
            continue
        seen.add(block_start)
        block_end = text.find("\n\n", at, end)
        block_end = end if block_end < 0 else block_end
        next_end = text.find("\n\n", block_end + 2, end) if block_end < end else -1
        spans = list(sentences(text, block_start, end if next_end < 0 else next_end))
        for index, (a, b) in enumerate(spans):
            if a >= block_end:
                break
            if "nspect" not in text[a:b]:
                continue
            entry = _earlier_mention(text, spans, index, before)
            if entry:
                found.append(entry)
    return _merge_earlier(found)


def _earlier_mention(
    text: str, spans: list[tuple[int, int]], index: int, before: str | None
) -> tuple[str, str | None, int, int, bool] | None:
    """The earlier inspection sentence ``index`` names, if it names one: (date, grade, ...)."""
    a, b = spans[index]
    sentence = text[a:b]
    trigger = _EARLIER_TRIGGER.search(sentence)
    if not trigger:
        return None
    tail = sentence[trigger.end() : trigger.end() + 80]
    subject = re.match(r"\s*(?:report\s+)?of\s+(.{0,80}?)(?:\s+(?:was|were|in|on)\b|[,.]|$)", tail)
    qualifier = sentence[trigger.start() : trigger.end()]
    if _NOT_SERVICES_INSPECTION.search(qualifier) or (
        subject and _NOT_SERVICES_INSPECTION.search(subject.group(1))
    ):
        return None
    when = _earlier_date(sentence, trigger)
    if (
        when is None
        or (before and when > before[: len(when)])
        or (before and when == before[: len(when)] and len(when) > 4)
    ):
        return None
    grade, explicit, quote_end = _earlier_grade(text, spans, index)
    label = spell_grade(grade, scale_on(when, grade)) if grade else None
    return when, label, a, max(b, quote_end), explicit


def _earlier_grade(
    text: str, spans: list[tuple[int, int]], index: int
) -> tuple[str | None, bool, int]:
    """The grade stated for the earlier inspection in sentence ``index`` or just after it,
    whether it was stated as overall effectiveness, and where the words stating it end."""
    a, b = spans[index]
    m = _EARLIER_GRADE.search(text[a:b])
    if m:
        return m.group(1) or m.group(2), bool(m.group(2)), b
    if index + 1 < len(spans):
        na, nb = spans[index + 1]
        following = text[na:nb]
        if _EARLIER_TRIGGER.search(following) or _YEAR.search(following):
            return None, False, b
        if re.match(r"(?:The|This|That|It|Its|Overall)\b", following):
            m = _EARLIER_GRADE.search(following)
            if m:
                return m.group(1) or m.group(2), bool(m.group(2)), nb
        if following.rstrip().endswith(":"):
            for block in blocks(text, nb, min(len(text), nb + 1500))[:8]:
                m = _OVERALL_GRADE.match(block.text)
                if m:
                    return m.group(1), True, block.end
    return None, False, b


def _merge_earlier(
    found: list[tuple[str, str | None, int, int, bool]],
) -> list[tuple[str, str | None, int, int]]:
    """One entry per earlier inspection: same date and grade, or a bare year of a dated one."""
    merged: list[list] = []
    for when, grade, a, b, explicit in found:
        target = None
        for entry in merged:
            same_date = entry[0] == when
            same_year = entry[0][:4] == when[:4] and (len(entry[0]) == 4 or len(when) == 4)
            if not (same_date or same_year):
                continue
            if (
                grade is None
                or entry[1] is None
                or grade == entry[1]
                or (same_year and not same_date)
                or explicit
                or entry[4]
            ):
                target = entry
                break
        if target is None:
            merged.append([when, grade, a, b, explicit])
            continue
        if len(when) > len(target[0]):
            target[0], target[2], target[3] = when, a, b
        if grade and (target[1] is None or (explicit and not target[4])):
            target[1], target[4] = grade, explicit
            if len(when) >= len(target[0]):
                target[2], target[3] = a, b
    return [(w, g, a, b) for w, g, a, b, _ in merged]
