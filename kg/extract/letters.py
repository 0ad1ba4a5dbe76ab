"""Read a letter (focused visit, monitoring visit, JTAI) into a ``kg.record.Report``.

Ofsted letters share one layout, whatever the year or the visit kind, and every rule here
rests on it rather than on the wording of particular letters:

    letterhead (Ofsted address, phones)       -> skipped
    date line                                 -> letter_date
    addressee block(s)                        -> addressees [{name, role}], one a person
    "Dear ..."                                -> confirms the addressees' names
    subject line ("Focused visit to ...")     -> title
    intro: visit-dates sentence, inspectors   -> visit_start/visit_end, inspectors
           sentence, "Inspectors looked at    -> scope
           ..." sentence, method boilerplate
    sections under short headings             -> findings (one per sentence), or
                                                 recommendations (improvement headings)
    "Yours sincerely" + signature             -> the signatory leads (unless one is named)

Offsets always index ``report.text`` so every quote can be checked against its source.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from kg.extract.addressees import addressed_to
from kg.extract.common import (
    MONTH_NAMES,
    MONTH_RE,
    MONTHS,
    Block,
    blocks,
    earlier_inspections,
    first_date,
    heading_name,
    is_heading,
    one_line,
    parse_date,
    point_with_sub_points,
    sentences,
)
from kg.families import GRADE_WORDS, Family, scale_on, spell_grade
from kg.record import (
    PRIORITIES,
    Addressee,
    EarlierInspection,
    Finding,
    Inspector,
    Recommendation,
    Report,
)

if TYPE_CHECKING:
    from kg.extract import Context

# --------------------------------------------------------------------------- layout

_DEAR = re.compile(r"^Dear\b", re.I)
_SIGN_OFF = re.compile(
    r"^(?:Yours?\s+(?:sincerely|faithfully|truly)|Kind\s+regards|With\s+best"
    r"\s+wishes|Best\s+wishes)\b",
    re.I,
)
# A signature with no sign-off above it: a name line, then the signatory's title.
_SIGNATURE = re.compile(
    r"^[A-Z][\w'.-]+(?: [A-Z][\w'.-]+){1,3}\n(?:Senior )?(?:Her|His) Majesty's"
    r" Inspector|^[A-Z][\w'.-]+(?: [A-Z][\w'.-]+){1,3},? (?:S?HMI)$"
)
# Ofsted's own letterhead (address, phone, web): never the addressee, never a heading.
_LETTERHEAD = re.compile(r"\bOfsted\b|Piccadilly|gov\.uk|@|Textphone|\b0300\s*123", re.I)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_FULL_DATE = re.compile(
    rf"^(?:\w+day,?\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH_RE}\.?,?\s+\d{{4}}\.?$", re.I
)

# Section headings that hold improvement points, in any wording Ofsted has used.
_IMPROVE_HEADING = re.compile(
    r"^(?:what\s+(?:.{0,60}\s)?needs?\s+to\s+(?:improve|be\s+improved|happen|do)"
    r"|what\s+(?:does|do|should)\b.{0,80}\b(?:improve|do)\b"
    r"|areas?\s+(?:for|of|requiring|needing|that\s+need|which\s+need)\s+"
    r"(?:priority\s+|further\s+|immediate\s+)?(?:action|improvement|development|attention)"
    r"|(?:areas\s+for\s+)?priority\s+(?:and\s+immediate\s+)?actions?"
    r"|recommendations?\b|improvements?\s+(?:needed|required)|key\s+areas\s+for\s+improvement"
    r"|areas?\s+to\s+improve)",
    re.I,
)
_PRIORITY_HEADING = re.compile(r"\bpriority\b|\bimmediate\b", re.I)
# Sections that are neither findings nor improvements (JTAI "Next steps" is boilerplate).
_SKIP_HEADING = re.compile(r"^(?:next\s+steps|annex|appendix|contact|about\s+this)", re.I)
# An "Areas covered by the visit" section (monitoring visits) holds the scope sentence and
# the method: it is read with the opening paragraphs, and only its other sentences are findings.
_SCOPE_HEADING = re.compile(r"^(?:areas?\s+covered|scope|focus\s+of\s+the\s+visit)", re.I)

# Sentences that describe the visit or close the letter, not findings.
_BOILERPLATE = re.compile(
    r"^(?:Ofsted\s+will\s+(?:take|use)"
    r"|(?:Specifically,\s+)?Inspectors?\s+(?:also\s+)?(?:looked\s+at|considered|reviewed"
    r"|scrutinised|examined|evaluated|sampled)\s+(?:a\s+(?:wide\s+)?range\s+of"
    r"|a\s+sample\s+of\s+(?:case|children's\s+case)|evidence|the\s+(?:local\s+authority's|"
    r"council's|authority's)\s+(?:arrangements|practice|progress|response)|the\s+progress"
    r"|(?:a\s+)?(?:range|variety))"
    r"|They\s+also\s+(?:looked\s+at|considered|reviewed|spoke|met|scrutinised|evaluated)"
    r"|(?:This|The)\s+(?:focused\s+|monitoring\s+)?(?:visit|inspection)\s+was\s+(?:carried\s+out"
    r"|conducted|undertaken|completed)"
    r"|(?:The\s+)?methodology\b|Inspectors\s+were\s+on\s+site|The\s+lead\s+inspector\s+and\b"
    r"|I\s+am\s+copying|A\s+copy\s+of\s+this\s+letter|This\s+letter\s+(?:will|is\s+being)\s+"
    r"|A\s+(?:wide\s+)?range\s+of\s+evidence|(?:In\s+addition,\s+)?(?:we|inspectors)\s+(?:also\s+)?"
    r"spoke\s+(?:to|with)\s+a\s+(?:wide\s+)?range\b"
    r"|This\s+letter\s+summarises|(?:Her|His)\s+Majesty's\s+Chief\s+Inspector\s+(?:of\s+\w+.*)?"
    r"is\s+leading|Yours\b|The\s+findings\s+in\s+this\s+letter\s+relate)",
    re.I,
)


@dataclass
class _Section:
    heading: str | None
    heading_block: Block | None
    body: list[Block] = field(default_factory=list)


@dataclass
class _Layout:
    """Where the parts of a letter are, as block indexes into ``items``."""

    items: list[Block]
    dear: int | None
    title: int | None
    intro: list[Block]
    sections: list[_Section]
    sign_off: int | None
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def sentences(self, block: Block) -> list[tuple[int, int]]:
        """The sentences of a body block, computed once for the whole letter."""
        return self.spans.get(block.start, [])

    def opening(self) -> list[Block]:
        """The paragraphs that describe the visit: the intro and an "Areas covered" section
        (or the first section when the letter has no intro paragraphs)."""
        found = list(self.intro)
        for section in self.sections:
            if section.heading and _SCOPE_HEADING.match(section.heading):
                found.extend(section.body)
        if not found and self.sections:
            found = list(self.sections[0].body)
        return found

    def body_sentences(self) -> list[tuple[int, int]]:
        return [span for spans in self.spans.values() for span in spans]


def _is_section_heading(block: Block) -> bool:
    """A heading of the letter's body: short, no sentence end, not a lead-in or an address."""
    if len(block.text) > 200 or block.is_bullet:
        return False
    text = one_line(block.text)
    if _IMPROVE_HEADING.match(text) and len(text.split()) <= 16 and not text.endswith("."):
        return True  # "What needs to improve in this area of social work practice:"
    return (
        is_heading(block, max_words=16)
        and not text.endswith(":")
        and text[:1].isupper()
        and not _LETTERHEAD.search(text)
        and not _is_address_like(block)
        and not _SIGN_OFF.match(text)
    )


def _is_address_like(block: Block) -> bool:
    """Several short lines ending with a postcode: an address block printed in the body."""
    if len(block.text) > 400:
        return False
    lines = block.text.split("\n")
    return all(len(x.split()) <= 8 and not x.rstrip().endswith(".") for x in lines) and bool(
        _POSTCODE.search(block.text)
    )


_KNOWN_HEADING = re.compile(
    r"(?:overview|summary|headline\s+findings|main\s+findings|key\s+findings|findings(?:\s+and"
    r"\s+(?:evaluation\s+of\s+)?progress)?|areas?\s+covered\s+by\s+the\s+visit|next\s+steps"
    r"|case\s+study\b.*|(?:key\s+)?strengths)\??",
    re.I,
)


def _split_run_on(items: list[Block], text: str) -> tuple[list[Block], set[int]]:
    """Split a "Dear ..." line or a known section heading from a paragraph it was joined to
    (text copies and tight PDF spacing can leave no blank line after them)."""
    out: list[Block] = []
    split: set[int] = set()
    for block in _cut_before_dear(items):
        first, sep, rest = block.text.partition("\n")
        heading = (
            _DEAR.match(first)
            or _KNOWN_HEADING.fullmatch(first.strip())
            or (
                _IMPROVE_HEADING.match(first)
                and len(first.split()) <= 16
                and not first.rstrip().endswith((".", ":"))
            )
        )
        if sep and rest.strip() and heading and not block.is_bullet:
            rest_start = block.start + len(first) + 1
            out.append(Block(first.rstrip(), block.start, block.start + len(first.rstrip())))
            out.append(Block(text[rest_start : block.end], rest_start, block.end))
            split.add(rest_start)
        else:
            out.append(block)
    return out, split


# How many blocks from the top the letter head (date, address blocks, "Dear ...") may take.
_HEAD_BLOCKS = 60


def _cut_before_dear(items: list[Block]) -> list[Block]:
    """A "Dear ..." line printed with no gap above it cut from the address block, so the
    salutation starts a block of its own (the first salutation of the letter head only)."""
    out: list[Block] = []
    for index, block in enumerate(items[:_HEAD_BLOCKS]):
        lines = block.text.split("\n")
        at = next((i for i, line in enumerate(lines) if _DEAR.match(line)), None)
        if at is None:
            out.append(block)
            continue
        if at > 0 and not block.is_bullet:
            cut = block.start + len("\n".join(lines[:at]))
            out.append(Block(block.text[: cut - block.start], block.start, cut))
            out.append(Block(block.text[cut + 1 - block.start :], cut + 1, block.end))
        else:
            out.append(block)
        return out + items[index + 1 :]
    return items


def _layout(text: str, family: Family) -> _Layout:
    items, split = _split_run_on(blocks(text), text)
    dear = next((i for i, b in enumerate(items[:_HEAD_BLOCKS]) if _DEAR.match(b.text)), None)
    title = None
    if dear is not None:
        for i in range(dear + 1, min(dear + 4, len(items))):
            if not items[i].text.rstrip().endswith(".") and len(items[i].text.split()) <= 40:
                title = i
                break
    if title is None:
        title = next(
            (i for i, b in enumerate(items[:_HEAD_BLOCKS]) if family.title.match(one_line(b.text))),
            None,
        )
    first = (title if title is not None else (dear if dear is not None else -1)) + 1
    sign_off = next((i for i in range(first, len(items)) if _SIGN_OFF.match(items[i].text)), None)
    if sign_off is None:  # no "Yours sincerely": the signature block itself ends the letter
        sign_off = next(
            (
                i
                for i in range(len(items) - 1, max(first, len(items) - 8) - 1, -1)
                if _SIGNATURE.match(items[i].text)
            ),
            None,
        )
    end = sign_off if sign_off is not None else len(items)
    intro: list[Block] = []
    sections: list[_Section] = []
    for block in items[first:end]:
        if _is_letterhead_block(block):
            continue
        if _is_section_heading(block):
            sections.append(_Section(heading_name(block.text), block))
        elif sections:
            sections[-1].body.append(block)
        else:
            intro.append(block)
    layout = _Layout(items, dear, title, intro, sections, sign_off)
    body = intro + [b for section in sections for b in section.body]
    if body:
        spans = list(sentences(text, body[0].start, body[-1].end))
        index = 0
        for block in body:  # sentences never cross blocks: hand them out in order
            if block.start in split:  # a paragraph cut from its heading: read it alone
                layout.spans[block.start] = list(sentences(text, block.start, block.end))
                continue
            while index < len(spans) and spans[index][0] < block.start:
                index += 1
            mine = []
            while index < len(spans) and spans[index][1] <= block.end:
                mine.append(spans[index])
                index += 1
            layout.spans[block.start] = mine
    return layout


def _is_letterhead_block(block: Block) -> bool:
    """Ofsted's address or contact block, wherever the PDF put it."""
    if len(block.text) > 400:
        return False
    lines = block.text.split("\n")
    return (
        all(len(x.split()) <= 6 for x in lines)
        and not block.text.rstrip().endswith(".")
        and _LETTERHEAD.search(block.text) is not None
    )


# --------------------------------------------------------------------------- entry point


def read_letter(text: str, family: Family, context: Context) -> Report:
    """A letter (focused visit, monitoring visit, JTAI) read into a ``Report``."""
    report = Report(source="", sha256="", kind=family.kind, authority=None, text=text)
    layout = _layout(text, family)
    if layout.title is not None:
        report.title = one_line(layout.items[layout.title].text)
    head_end = (
        layout.items[layout.dear].start
        if layout.dear is not None
        else (
            layout.items[layout.title].start if layout.title is not None else min(len(text), 3000)
        )
    )
    report.letter_date = _letter_date(layout, head_end, text)
    opening = [span for blk in layout.opening() for span in layout.sentences(blk)]
    visit_index = _visit_dates(report, text, opening)
    # the inspectors are named in or after the visit sentence, rarely before it
    at = visit_index or 0
    _inspectors(report, layout, text, opening[at : at + 12] + opening[:at], set())
    report.addressees = _addressees(layout)
    report.scope = _scope(report, layout, text)
    _sections(report, layout, text, context)
    _earlier(report, layout, text)
    return report


# --------------------------------------------------------------------------- dates


def _letter_date(layout: _Layout, head_end: int, text: str) -> str | None:
    """The date line of the letter head (a block that is only a date), else the first date."""
    for block in layout.items:
        if block.start >= head_end:
            break
        for line in block.text.split("\n"):
            if _FULL_DATE.match(line.strip()):
                found = first_date(line)
                if found:
                    return found.isoformat()
    found = first_date(text[:head_end])
    return found.isoformat() if found else None


_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATE_PART = re.compile(rf"{_DAY}(?:\s+(?:of\s+)?({MONTH_RE})\.?)?(?:,?\s+(\d{{4}}))?", re.I)
_DATE_LIST = re.compile(
    rf"\b{_DAY}(?:\s+(?:of\s+)?{MONTH_RE}\.?)?(?:,?\s+\d{{4}})?"
    rf"(?:\s*(?:,|and|to|-|–|—|until|&|through)\s*(?:and\s+)?{_DAY}"
    rf"(?:\s+(?:of\s+)?{MONTH_RE}\.?)?(?:,?\s+\d{{4}})?)*",
    re.I,
)
_VISIT_SENTENCE = re.compile(
    r"\b(?:summarises|took\s+place|carried\s+out|undert(?:ook|aken)"
    r"|conducted|on\s+site)\b",
    re.I,
)
_VISIT_WORDS = re.compile(
    r"\b(?:visit|inspection|inspected|took\s+place|carried\s+out|undert"
    r"(?:ook|aken)|on\s+site|summarises)",
    re.I,
)


def visit_dates(sentence: str) -> tuple[date, date] | None:
    """The first date list or range in a sentence: "4 and 5 March 2020", "9, 10 and 11 May
    2019", "30 September to 1 October 2019", "11 December and 12 December 2018"."""
    for m in _DATE_LIST.finditer(sentence):
        parts = [p for p in _DATE_PART.finditer(m.group()) if p.group(1)]
        if not parts or not parts[-1].group(2) or not parts[-1].group(3):
            continue
        days: list[tuple[str, str | None, str | None]] = [
            (p.group(1), p.group(2), p.group(3)) for p in parts
        ]
        month: str = parts[-1].group(2)  # checked above: the last part has month and year
        year: str = parts[-1].group(3)
        filled: list[tuple[str, str, str]] = []
        for day, mon, yr in reversed(days):  # months and years carry backwards
            month = mon or month
            year = yr or year
            filled.append((day, month, year))
        filled.reverse()
        start = parse_date(*filled[0])
        end = parse_date(*filled[-1])
        if start is None or end is None:
            continue
        if start > end and not days[0][2]:  # "30 December to 3 January 2020"
            start = parse_date(filled[0][0], filled[0][1], int(filled[-1][2]) - 1)
        if start is None:
            continue
        if (end - start).days > 31 and start.year != end.year:
            # a mistyped year ("24 October 2022 to 25 October 2023"): visits last days
            try:
                fixed = start.replace(year=end.year)
            except ValueError:
                fixed = start
            if fixed <= end and (end - fixed).days <= 31:
                start = fixed
        return start, end
    return None


def _visit_dates(report: Report, text: str, spans: list[tuple[int, int]]) -> int | None:
    """Set visit_start/visit_end from the visit sentence; return that sentence's index.

    The sentence that reports the visit ("This letter summarises the findings of ... on 4 and
    5 March 2020", "Between 9 and 13 July 2018, Ofsted ... undertook") wins over another dated
    sentence about a visit or inspection, which wins over any date in the opening.
    """
    tests = (_VISIT_SENTENCE.search, _VISIT_WORDS.search, lambda s: True)
    for test in tests:
        for index, (a, b) in enumerate(spans[:20]):
            sentence = text[a:b]
            if not test(sentence):
                continue
            found = visit_dates(sentence)
            if found:
                report.visit_start, report.visit_end = (d.isoformat() for d in found)
                return index
    return None


# --------------------------------------------------------------------------- inspectors

_HONORIFIC = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "cllr", "councillor"}
_PARTICLES = {
    "de",
    "van",
    "von",
    "der",
    "den",
    "da",
    "di",
    "du",
    "le",
    "la",
    "del",
    "bin",
    "ter",
    "st",
}
_NOT_NAME = {
    w.lower()
    for w in (
        "The This These That Those Her His Their Our Majesty Majesty's Inspector Inspectors "
        "HMI HMIs OI Ofsted Lead Team Senior Social Care Quality Commission CQC Constabulary "
        "Probation Police Fire Rescue Service Services Inspectorate Council Chief National "
        "Director Deputy Assistant Regulatory Inspection Visit Children Children's Health NHS "
        "Education Skills Borough County City Local Authority Youth Justice Board Safeguarding "
        "Partnership HM HMICFRS HMIP Regulation HMCI Yours "
        "Sincerely Faithfully Principal Officer Manager Head Interim Acting Joint Targeted Area "
        "Focused Monitoring Visits Dear Monday Tuesday Wednesday Thursday Friday In On "
        "For And Both All At During Between From Following With Specifically Inspections "
        "Crown Copyright Director's Team's Of To A An Is Was Were By"
    ).split()
}
_LEAD = re.compile(r"\blead\b|\bled\b", re.I)
# "The lead inspector and the director ... agreed arrangements" (2020-21) names nobody.
_UNNAMED_LEAD = re.compile(r"\blead\s+inspector\s+(?:and|was|is|for|agreed|will)\b", re.I)


def _name_runs(text: str, stop: Set[str] = frozenset()) -> list[str]:
    """Person names in a piece of text: runs of two or more capitalised words.

    Honorifics are dropped, titles and organisation words ("Her Majesty's Inspector", "CQC")
    break a run, so "Her Majesty's Inspectors Matt Reed" gives "Matt Reed".
    """
    runs: list[list[str]] = []
    current: list[str] = []

    def close() -> None:
        while current and current[-1].lower() in _PARTICLES:
            current.pop()
        if sum(1 for w in current if w.lower() not in _PARTICLES) >= 2:
            runs.append(list(current))
        current.clear()

    for raw in re.split(r"\s+", text):
        token = raw.strip("\"'()[],;:*")
        if not re.fullmatch(r"[A-Z]\.", token):  # keep the full stop of an initial only
            token = token.strip(".")
        breaks_after = raw.endswith((",", ";", ":", ")", "(")) or raw.startswith("(")
        lowered = token.lower()
        if raw.startswith("(") and current:
            close()
        if not token:
            close()
            continue
        if lowered.rstrip(".") in _HONORIFIC:
            close()
            continue
        is_name = (
            lowered not in _NOT_NAME
            and token not in stop
            and not re.search(r"['’]s$", token)
            and not _is_post_nominal(token)
            and (
                re.fullmatch(r"[A-Z][A-Za-zÀ-ÿ'’-]*[a-zà-ÿ][A-Za-zÀ-ÿ'’-]*", token) is not None
                or (re.fullmatch(r"[A-Z]\.?", token) is not None and bool(current))
            )
        )
        if is_name:
            current.append(token)
        elif current and lowered in _PARTICLES:
            current.append(token)
        else:
            close()
        if breaks_after:
            close()
    close()
    return [" ".join(r) for r in runs]


def _same_person(a: str, b: str) -> bool:
    """ "Matt Reed" and "Matthew Reed" are the same inspector; different surnames are not."""
    if a.lower() == b.lower():
        return True
    ta, tb = a.lower().split(), b.lower().split()
    return ta[-1] == tb[-1] and (ta[0].startswith(tb[0]) or tb[0].startswith(ta[0]))


def _inspectors(
    report: Report, layout: _Layout, text: str, spans: list[tuple[int, int]], stop: set[str]
) -> None:
    """Inspectors in the order the inspectors sentence names them; the lead is the one named
    "lead inspector", else the letter's signatory (added if the sentence missed them)."""
    named: list[str] = []
    lead: str | None = None
    for a, b in spans:
        sentence = text[a:b]
        if not re.search(
            r"\binspectors?\b|\bHMIs?\b|\bled\s+by\b|\bled\s+(?:the|this)\s+"
            r"(?:visit|inspection)\b",
            sentence,
            re.I,
        ):
            continue
        if re.search(r"\bchief\s+inspector\b.*\bis\s+leading\b", sentence, re.I):
            continue  # "Her Majesty's Chief Inspector ... is leading Ofsted's work" (2020-21)
        found, found_lead = inspectors_in(sentence, stop)
        if found:
            named, lead = found, found_lead
            break
    signatories = _signatories(layout, stop)
    if report.kind == "jtai" and not named:
        named = list(signatories)
    inspectors = [Inspector(n) for n in named]
    if lead is None and signatories:
        lead = signatories[0]
    if lead is not None:
        match = next((i for i in inspectors if _same_person(i.name, lead)), None)
        if match is None:
            match = Inspector(lead)
            inspectors.append(match)
        match.lead = True
    report.inspectors = inspectors


def inspectors_in(sentence: str, stop: Set[str] = frozenset()) -> tuple[list[str], str | None]:
    """Names in a sentence like "The inspectors were Jane Doe, Her Majesty's Inspector (lead
    inspector), and John Roe, HMI": split on commas and "and", keep the name in each piece; a
    piece that says "lead"/"led" marks its own name, or the name just before it."""
    names: list[str] = []
    lead: str | None = None
    for piece in re.split(r"\s*(?:,|;|\band\b|&|\bsupported\s+by\b|\bwith\b)\s*", sentence):
        runs = _name_runs(piece, stop)
        for run in runs:
            if not any(_same_person(run, n) for n in names):
                names.append(run)
        if _LEAD.search(piece):
            if runs:
                lead = runs[0]
            elif names and not _UNNAMED_LEAD.search(piece):
                lead = names[-1]
    return names, lead


def _signatories(layout: _Layout, stop: set[str]) -> list[str]:
    """Names under "Yours sincerely": one for Ofsted letters, one per inspectorate in JTAI."""
    if layout.sign_off is None:
        return []
    found: list[str] = []
    sign_block = layout.items[layout.sign_off]
    lines = sign_block.text.split("\n")[0 if _SIGNATURE.match(sign_block.text) else 1 :]
    for block in layout.items[layout.sign_off + 1 : layout.sign_off + 12]:
        lines.extend(block.text.split("\n"))
    for line in lines:
        line = line.strip()
        runs = _name_runs(line, stop) if line else []
        if runs and _strip_honorific(line).startswith(runs[0]):
            if not any(_same_person(runs[0], n) for n in found):
                found.append(runs[0])
    return found


# --------------------------------------------------------------------------- addressee

# Job words, singular or plural ("Interim Joint Directors of Children's Services").
_JOB_WORDS = re.compile(
    r"\b(?:director|executive|head|chief|officer|manager|commissioner|lead|leader|chair"
    r"|chairman|chairperson|president|member|secretary|dcs|strategic|assistant|deputy|interim"
    r"|acting|corporate|principal|cabinet|portfolio|councillor|superintendent|constable"
    r"|governor|accountable|clerk|controller|commissioning)s?\b",
    re.I,
)
_ADDRESS_WORDS = re.compile(
    r"\d|\b(?:house|hall|centre|center|street|road|building|buildings|offices?|po\s+box|floor"
    r"|way|avenue|square|lane|place|drive|crescent|park|court|quay|parade|close|walk|terrace"
    r"|row|gate|wharf)\b",
    re.I,
)
# "and" between two people on one name line, or in the salutation.
_AND = re.compile(r"\s+(?:and|&)\s+", re.I)


@dataclass(frozen=True)
class _Salutee:
    """One person the "Dear ..." line names: their words without honorifics, and whether an
    honorific came first (then the last word is a surname: "Dear Mr Hall")."""

    words: tuple[str, ...]
    surname: bool

    def names(self, part: str) -> bool:
        """Whether a name line's part ("Kevin Hall", "Mr Andrew Carter") is this person."""
        name = _without_post_nominals(_strip_honorific(part))  # "OBE" after the surname
        words = [w.strip(",.").lower() for w in name.split()]
        if not self.words or not all(w.lower() in words for w in self.words):
            return False
        return not self.surname or words[-1] == self.words[-1].lower()

    @property
    def full_name(self) -> str | None:
        """The name when the salutation gives a whole one ("Dear Jane Smith")."""
        name = " ".join(self.words)
        return name if _looks_like_person(name) else None


def _named_in(salutation: list[_Salutee]) -> list[str | None]:
    """The whole names a salutation gives, for a block with no name line; [None] if none."""
    return [s.full_name for s in salutation if s.full_name] or [None]


def _salutation(dear_line: str) -> list[_Salutee]:
    """The people a "Dear ..." line names, in order ("Dear Mr Reiter and Ms Kingham")."""
    text = re.sub(r"^Dear\s+", "", dear_line, flags=re.I).strip(" ,.:;")
    people = []
    for part in re.split(r"\s*,\s*|" + _AND.pattern, text, flags=re.I):
        words = part.split()
        words_only = tuple(w for w in words if w.lower().rstrip(".") not in _HONORIFIC)
        if words_only:
            people.append(_Salutee(words_only, surname=len(words_only) < len(words)))
    return people


def _addressees(layout: _Layout) -> list[Addressee]:
    """Every addressee, from the address block(s) between the date line and "Dear ...".

    Blocks whose first line is a person the salutation names are read (one block per
    addressee in some JTAI letters); else the first that opens with a name, else the first.
    """
    if layout.dear is None:
        return []
    salutation = _salutation(layout.items[layout.dear].text.split("\n")[0])
    candidates = [
        b
        for b in layout.items[: layout.dear]
        if not _LETTERHEAD.search(b.text) and not _FULL_DATE.match(one_line(b.text))
    ]

    def first_line(block: Block) -> str:
        return block.text.split("\n")[0]

    def opens_with_salutee(block: Block) -> bool:
        head = first_line(block).split(",")[0]
        return any(s.names(part) for s in salutation for part in _AND.split(head))

    chosen = (
        [b for b in candidates if opens_with_salutee(b)]
        or [b for b in candidates if _looks_like_person(first_line(b))][:1]
        or candidates[:1]
    )
    found = [a for block in chosen for a in _block_addressees(block, salutation)]
    if not found:
        found = [Addressee(name, None) for name in _named_in(salutation)]
    return [a for a in found if a.name or a.role]


def _block_addressees(block: Block, salutation: list[_Salutee]) -> list[Addressee]:
    """The people one address block lists, each with their job title.

    Name lines ("Jane Doe", "Graham Reiter and Audrey Kingham", "Jane Doe, Director of ...")
    are each followed by job title lines, which the names of a run share ("Interim Joint
    Directors of Children's Services" after two names); the address starts at the first line
    that is neither. A name after the first must be named by the salutation or have a title
    of its own (on its line or the next), so a council's name is never taken for a person.
    """
    lines = [x.strip() for x in block.text.split("\n") if x.strip()]
    first = lines[0]
    name_part, comma, rest = first.partition(",")
    if (
        len(lines) == 1
        and not (comma and _names(name_part, salutation))
        and (_POSTCODE.search(first) or len(first.split()) > 6)
    ):
        # The whole address on one line: the name is its opening words, matched to "Dear".
        words = list(salutation[0].words) if salutation else []
        return [Addressee(_name_from_line(first, words), None)]
    found: list[Addressee] = []
    names: list[str] = []  # the run of names waiting for their title
    title: list[str] = []
    one_a_line = False  # "Name, Title, Body" lines: one addressee a line

    def close(joiner: str = " ") -> None:
        role = joiner.join(title) or None
        if names:
            found.extend(Addressee(name, role) for name in names)
        elif role:  # a block opening with the title: the salutation names the person
            found.extend(Addressee(name, role) for name in _named_in(salutation))
        names.clear()
        title.clear()

    for index, line in enumerate(lines):
        head, comma, rest = line.partition(",")
        titled = bool(comma and _JOB_WORDS.search(rest))
        people = _names(head, salutation, titled)
        if people and (found or names or title):
            after = lines[index + 1] if index + 1 < len(lines) else ""
            own_title = titled or _is_title_line(after, [])
            if not (all(any(s.names(p) for s in salutation) for p in people) or own_title):
                people = []
        if people:
            if title or (comma and rest.strip()):
                close()
            names.extend(people)
            if comma and rest.strip():  # "Jane Doe, Director of Children's Services, Council"
                title.extend(_role([p.strip() for p in rest.split(",")]))
                close(", ")
                one_a_line = True
        elif one_a_line and not names and _is_title_line(line, []):
            found.append(Addressee(None, line))  # "Chair of the Safeguarding Board" alone
        elif _is_title_line(line, title) and (names or not found):
            title.append(line)
        else:
            break
    close()
    return found


def _names(line: str, salutation: list[_Salutee], titled: bool = False) -> list[str]:
    """The people a name line gives: one, or two joined by "and"; [] for any other line.

    A part that the salutation names, or that its line gives a job title (``titled``: "Charlie
    Hall, Chief Constable"), is a person even if it reads like an address ("Kevin Hall").
    """
    parts = _AND.split(line.strip())
    if not all(
        _looks_like_person(p, named=titled or any(s.names(p) for s in salutation)) for p in parts
    ):
        return []
    return [_without_post_nominals(_strip_honorific(p.strip())) for p in parts]


def _is_title_line(line: str, title: list[str]) -> bool:
    """A job title line, or one carrying the title above it on ("and Education"); not an
    address line."""
    continuation = bool(title) and (
        line[:1].islower()
        or line.startswith(("&", "and "))
        or title[-1].endswith((",", "&", " and", " of", " for"))
    )
    return (
        bool(line)
        and bool(_JOB_WORDS.search(line) or continuation)
        and not _ADDRESS_WORDS.search(line)
    )


def _role(parts: list[str]) -> list[str]:
    """The job title's leading parts; the address starts at the first that is not one."""
    role: list[str] = []
    for part in parts:
        if not _is_title_line(part, role):
            break
        role.append(part)
    return role


def _is_post_nominal(token: str) -> bool:
    """Letters after a name (an honour or a degree: "OBE", "QPM", "BSc", "PhD"): a short
    word with two capitals or more."""
    token = token.strip(",.")
    return len(token) <= 4 and sum(c.isupper() for c in token) >= 2


def _without_post_nominals(name: str) -> str:
    """A person's name without the letters after it ("Charlotte Ramsden OBE"): the same
    person is named without them in other letters."""
    words = name.split()
    while len(words) > 1 and _is_post_nominal(words[-1]):
        words.pop()
    return " ".join(words)


def _strip_honorific(name: str) -> str:
    words = name.split()
    while words and words[0].lower().rstrip(".") in _HONORIFIC:
        words.pop(0)
    return " ".join(words)


def _looks_like_person(line: str, named: bool = False) -> bool:
    """Two to five capitalised words with no job word: a name, not a title or an address
    (address words are allowed when the salutation ``named`` the person: "Kevin Hall")."""
    head = line.split(",")[0]
    words = _strip_honorific(head).split()
    return (
        2 <= len(words) <= 5
        and not _JOB_WORDS.search(head)
        and (named or not _ADDRESS_WORDS.search(head))
        and all(w[:1].isupper() or w.lower() in _PARTICLES for w in words)
    )


def _name_from_line(line: str, dear_words: list[str]) -> str | None:
    """The name at the start of a one-line address, as far as the salutation shows it."""
    words = _strip_honorific(line).split()
    lowered = [w.lower().strip(",") for w in words[:6]]
    if dear_words:
        last = dear_words[-1].lower()
        if last in lowered:
            end = lowered.index(last) + 1
            if len(dear_words) == 1 and dear_words[0].lower() == lowered[0]:
                end = 2  # "Dear Kathryn": given name, so the surname follows it
            return " ".join(w.strip(",") for w in words[: max(end, 2)])
    return " ".join(w.strip(",") for w in words[:2]) or None


# --------------------------------------------------------------------------- scope

_SCOPE_SENTENCE = re.compile(
    r"\b(?:inspectors|(?:the|this)\s+visit|we)\s+(?:also\s+)?(?:looked\s+at|considered|reviewed"
    r"|evaluated|examined|focused\s+on|scrutinised)\s+(?P<rest>.+)$",
    re.I | re.S,
)
_SCOPE_LEAD = re.compile(
    r"^(?:the\s+)?(?:progress\s+(?:that\s+has\s+been\s+|being\s+)?made\s+(?:by\s+the\s+local\s+"
    r"authority\s+)?(?:in|on|with|by)\s+(?:the\s+)?(?:local\s+authority\s+in\s+)?"
    r"|(?:local\s+authority's|council's|authority's|local\s+area's|partnership's)\s+"
    r"(?:arrangements|services|provision|work)\s+(?:for|in|to|with|relating\s+to)\s+"
    r"|(?:local\s+authority's|council's|authority's)\s+(?=practice|response)"
    r"|arrangements\s+(?:for|in)\s+)",
    re.I,
)
_SCOPE_CUT = re.compile(
    r",?\s+(?:with\s+a\s+(?:particular\s+|specific\s+|special\s+)?focus\s+on|including\b|in\s+"
    r"accordance\s+with|in\s+line\s+with|as\s+part\s+of|under\s+the\s+|as\s+set\s+out|"
    r"identified\s+(?:at|during|in)\s+the\s+(?:last|previous)|since\s+the\s+(?:last|previous))"
    r"|:\s*$|\.\s*$",
    re.I,
)
_ITEM_HEAD = re.compile(
    r"^(?:the|those|a|an|all|how|whether|children|young|care)\b"
    r"|^[a-z]+ing\b(?:\s+\S+){3}",
    re.I,
)


def _scope(report: Report, layout: _Layout, text: str) -> list[str]:
    """The areas the visit looked at, from "Inspectors looked at the local authority's
    arrangements for A, B and C." (JTAI: the title's "response to ..." topic)."""
    regions = layout.opening()
    candidates: list[tuple[int, str, Block]] = []
    for block in regions:
        for a, b in layout.sentences(block):
            sentence = one_line(text[a:b])
            m = _SCOPE_SENTENCE.search(sentence)
            if not m or re.match(
                r"(?:a\s+(?:wide\s+)?range|a\s+sample|evidence|a\s+number|"
                r"(?:a\s+)?(?:variety|selection))",
                m.group("rest"),
                re.I,
            ):
                continue
            if re.search(r"\balso\b", sentence[: m.start("rest")], re.I):
                continue
            rank = (
                0
                if re.search(r"looked\s+at", sentence, re.I)
                and re.search(r"arrangements|progress", sentence, re.I)
                else 1
            )
            candidates.append((rank, m.group("rest"), block))
    if candidates:
        candidates.sort(key=lambda c: c[0])
        _, rest, block = candidates[0]
        items = split_scope(rest)
        if items:
            return items
        if re.search(r"\bfollowing\b|:\s*$", rest):  # "... in the following areas:" + bullets
            index = next(i for i, b in enumerate(layout.items) if b.start == block.start)
            bullets = []
            for item in layout.items[index + 1 : index + 13]:
                if not item.is_bullet:
                    break
                bullets.append(_clean_item(one_line(text[item.body_start : item.end])))
            return [b for b in bullets if b]
    if report.kind == "jtai" and report.title:
        m = re.search(r"response\s+to\s+(.+?)(?:\s+in\s+[A-Z][^,]*)?$", report.title)
        if m:
            return [_clean_item(m.group(1))]
    return []


def split_scope(rest: str) -> list[str]:
    """Split "A, B, C and D" into items; an Oxford "and" closes the list, an appositive
    ("the 'front door', the service that receives contacts") describes the item before it."""
    m = _SCOPE_CUT.search(rest)
    body = rest[: m.start()] if m else rest
    body = _SCOPE_LEAD.sub("", body.strip())
    body = _SCOPE_LEAD.sub("", body.strip())
    if re.match(r"^(?:the\s+)?following\b", body, re.I):
        return []
    pieces = _split_outside_brackets(body, ",")
    items: list[str] = []
    closed = False
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if closed:
            items[-1] = items[-1] + ", " + piece
            continue
        if re.match(r"(?:and|or)\s", piece):
            items.append(piece)
            closed = True
            continue
        if items and re.match(r"(?:the|a|an)\s+\w+\s+(?:that|which|who)\b", piece, re.I):
            continue  # an appositive: it describes the previous item
        items.extend(_split_and(piece))
    cleaned: list[str] = []
    for item in items:
        item = _clean_item(item)
        if not item:
            continue
        if re.match(r"those\b", item, re.I) and cleaned:
            noun = re.search(r"\b(children|young people|care leavers|families)\b", cleaned[-1])
            if noun:
                item = noun.group(1) + item[5:]
        cleaned.append(item)
    return cleaned


def _split_outside_brackets(text: str, sep: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == sep and depth <= 0:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


def _split_and(piece: str) -> list[str]:
    """Split on "and" where a new item starts ("... in need and those subject to ..."), not
    inside a phrase ("help and protection")."""
    parts = re.split(r"\s+and\s+", piece)
    if len(parts) == 1:
        return [piece]
    head = parts[0].split()[0].lower() if parts[0].split() else ""
    out = [parts[0]]
    for part in parts[1:]:
        first = part.split()[0].lower() if part.split() else ""
        new_item = len(part.split()) >= 2 and (_ITEM_HEAD.match(part) is not None or first == head)
        if new_item and len(out[-1].split()) >= 2:
            out.append(part)
        else:
            out[-1] = out[-1] + " and " + part
    return out


def _clean_item(item: str) -> str:
    item = re.sub(r"^(?:and|or)\s+", "", item.strip(), flags=re.I)
    item = re.sub(r"^(?:the|a|an)\s+", "", item, flags=re.I)
    item = re.sub(r"(?<!\w)(['\"])([^'\"]+)\1(?!\w)", r"\2", item)  # 'front door', not children's
    return item.strip(" .;:,")


# --------------------------------------------------------------------------- sections


def _sections(report: Report, layout: _Layout, text: str, context: Context) -> None:
    """Improvement sections give recommendations; the other sections give findings."""
    recommendations: list[Recommendation] = []
    findings: list[Finding] = []
    for section in layout.sections:
        heading = section.heading or ""
        if _IMPROVE_HEADING.match(heading):
            recommendations.extend(_recommendations(section, text, context))
        elif _SKIP_HEADING.match(heading):
            continue
        else:
            findings.extend(_findings(section, layout, text, context))
    if not layout.sections:  # a letter without headings: its paragraphs after the intro
        body = _Section(None, None, [b for b in layout.intro[1:]])
        findings.extend(_findings(body, layout, text, context))
    report.recommendations = recommendations
    report.findings = findings


def _recommendations(section: _Section, text: str, context: Context) -> list[Recommendation]:
    """Each bullet of an improvement section, verbatim; numbered or plain paragraphs when the
    section has no bullets. A lead-in ("... the following areas:") is not an item."""
    body = [b for b in section.body if not _is_address_like(b) and not _is_letterhead_block(b)]
    items = [b for b in body if b.is_bullet]
    if not items:
        items = [b for b in body if re.match(r"\d{1,3}\.\s", b.text)]
    if not items:  # plain paragraphs, or one point per line in a text copy
        items = [
            line for b in body if not b.text.rstrip().endswith(":") for line in _lines_as_items(b)
        ]
    priority = None
    if section.heading and _PRIORITY_HEADING.search(section.heading):
        priority = PRIORITIES[0]
    # who the points are for: the council, or the subject of a lead-in ("The local authority
    # and its partners should address:")
    to = ["council"]
    for lead in body:
        if lead.text.rstrip().endswith(":") and not lead.is_bullet:
            to = addressed_to(lead.text, to)[0]
            break
    out = []
    place = {b.start: i for i, b in enumerate(body)}
    for block in items:
        start = block.body_start
        end = block.end
        at = place.get(block.start)
        if at is not None and at + 1 < len(body) and body[at + 1].is_sub_point:
            end, _ = point_with_sub_points(body, at)  # "... including:" and its sub-points
        quote = text[start:end]
        if len(quote.strip()) < 3:
            continue
        bodies, subject = addressed_to(quote, to)
        out.append(
            Recommendation(
                text=quote,
                section=section.heading,
                timescale=None,
                priority=priority,
                themes=context.themes(quote),
                start=start,
                end=end,
                addressed_to=bodies,
                addressed_as=subject,
            )
        )
    return out


def _lines_as_items(block: Block) -> list[Block]:
    """A block whose every line ends a sentence lists one point per line; else it is one."""
    lines = block.text.split("\n")
    if len(lines) < 2 or not all(x.rstrip().endswith((".", ";")) for x in lines):
        return [block]
    out, start = [], block.start
    for line in lines:
        out.append(Block(line, start, start + len(line)))
        start += len(line) + 1
    return out


def _findings(section: _Section, layout: _Layout, text: str, context: Context) -> list[Finding]:
    """Every sentence of a findings section except visit-method and closing boilerplate."""
    out = []
    skip_list = False  # bullets that finish a boilerplate lead-in ("... a focus on:")
    for block in section.body:
        if _is_address_like(block) or _is_letterhead_block(block):
            continue
        if not block.is_bullet:
            skip_list = False
        elif skip_list:
            continue
        for a, b in layout.sentences(block):
            sentence = text[a:b]
            if _BOILERPLATE.match(sentence) or sentence.isupper():
                skip_list = sentence.rstrip().endswith(":")
                continue
            if sentence.rstrip().endswith(":") and len(sentence.split()) < 6:
                continue
            out.append(
                Finding(
                    text=sentence,
                    polarity=context.polarity(sentence),
                    themes=context.themes(sentence),
                    start=a,
                    end=b,
                    section=section.heading,
                )
            )
    return out


# --------------------------------------------------------------------------- earlier visits

# Judgements of one area ("the experience and progress of children in care was judged ...")
# are not the overall effectiveness grade.
_AREA_JUDGEMENT = re.compile(
    r"\b(?:experiences?|progress|impact\s+of\s+leaders|help\s+and\s+protection|children\s+in"
    r"\s+care|care\s+leavers|looked\s+after|adoption|leadership|management|permanence)\b[^.]*?"
    r"\b(?:was|were|is|are)\s+(?:judged|rated|graded|found)",
    re.I,
)
_OVERALL = re.compile(r"\boverall\b", re.I)
_DATED_INSPECTION = re.compile(
    rf"\b(?:the|its|an?)\s+(?:(?:\d{{1,2}}\s+)?({MONTH_RE})\s+)?((?:19|20)\d\d)\s+"
    rf"(?:[\w-]+\s+){{0,2}}?inspection\b"
    rf"|\b(?:(?:the|an?|its)\s+(?:[\w()-]+\s+){{0,2}}?inspection|inspected(?:\s+by\s+Ofsted)?)"
    rf"\s+(?:\([^)]*\)\s+)?(?:in|of|during)\s+(?:({MONTH_RE})\s+)?((?:19|20)\d\d)\b"
    rf"|\bjudged\s+(?:to\s+be\s+|as\s+)?({GRADE_WORDS})\s+(?:at\s+its\s+|at\s+the\s+|in\s+its\s+)?"
    rf"(?:(?:last\s+|previous\s+)?inspection\s+)?(?:in|of)\s+(?:({MONTH_RE})\s+)?"
    rf"((?:19|20)\d\d)\b",
    re.I,
)
_SENTENCE_GRADE = re.compile(
    rf"\b(?:judged|rated|graded)\s+(?:to\s+be\s+|as\s+(?:being\s+)?|to\s+)?({GRADE_WORDS})\b", re.I
)
# Inspections of one service or setting, or of other inspectorates' remits: not an inspection
# of the authority's children's services.
_OTHER_INSPECTION = re.compile(
    r"adoption|fostering|children's\s+homes?|youth\s+offending|school|setting|provider"
    r"|residential|secure|cafcass|unannounced|focused|monitoring|joint|targeted|\bjtai\b"
    r"|area\s+review|local\s+area|\bSEND\b|special\s+educational|nursery|college|academy"
    r"|\b(?:next|this|future|forthcoming)\s+(?:[\w-]+\s+)?inspection",
    re.I,
)


def _earlier(report: Report, layout: _Layout, text: str) -> None:
    """Earlier inspections the letter names, with their overall grade when stated."""
    spans = layout.body_sentences()
    before = report.visit_start or report.letter_date
    entries: list[EarlierInspection] = []
    for index, (a, b) in enumerate(spans):
        sentence = text[a:b]
        if "nspect" not in sentence and "judged" not in sentence:
            continue
        # The shared reader ("last/previous inspection ... when ... judged"), given this
        # sentence and the next (which may state the grade).
        until = spans[index + 1][1] if index + 1 < len(spans) else b
        for when, grade, qa, qb in earlier_inspections(text, before=before, start=a, end=until):
            quoted = text[qa:qb]
            if not _date_belongs_to_inspection(quoted, when):
                continue
            if grade and not _OVERALL.search(quoted) and _AREA_JUDGEMENT.search(quoted):
                grade = None
            _merge(entries, EarlierInspection(when, grade, qa, qb))
        # Inspections named by date without "last"/"previous" ("identified at the December
        # 2019 inspection", "judged inadequate in April 2018").
        for m in _DATED_INSPECTION.finditer(sentence):
            month = m.group(1) or m.group(3) or m.group(6)
            year = m.group(2) or m.group(4) or m.group(7)
            when = year + (f"-{MONTHS[month.lower().rstrip('.')]:02d}" if month else "")
            if _OTHER_INSPECTION.search(m.group(0)):
                continue
            if before and when >= before[: len(when)]:
                continue
            grade = m.group(5)
            if not grade:
                stated = _SENTENCE_GRADE.search(sentence)
                if stated and (_OVERALL.search(sentence) or not _AREA_JUDGEMENT.search(sentence)):
                    grade = stated.group(1)
            label = spell_grade(grade, scale_on(when, grade)) if grade else None
            _merge(entries, EarlierInspection(when, label, a, b))
    entries.sort(key=lambda e: e.start or 0)
    report.previous_inspections = entries


def _date_belongs_to_inspection(sentence: str, when: str) -> bool:
    """Whether the date is the inspection's ("inspected by Ofsted in March 2018", "the 2017
    inspection", "the previous inspection, in June 2022") and not another event's ("Since the
    last inspection, the director started in post in August 2017")."""
    year = when[:4]
    month = MONTH_NAMES[int(when[5:7]) - 1] if len(when) >= 7 else None
    pattern = rf"(?:\d{{1,2}}\s+)?{month}\s+{year}" if month else rf"(?<!\d){year}(?!\d)"
    for m in re.finditer(pattern, sentence, re.I):
        links = list(re.finditer(r"inspect(?:ion|ed)\b", sentence[: m.start()], re.I))
        if links and re.fullmatch(
            r"(?:\s*\([^)]*\))?,?(?:\s+[\w'()-]+){0,4}?\s+(?:in|during|on|of|dated)\s+",
            sentence[links[-1].end() : m.start()],
            re.I,
        ):
            return True
        if re.match(r"\s+(?:[\w()-]+\s+){0,2}?inspection\b", sentence[m.end() :], re.I):
            return True
    return False


def _merge(entries: list[EarlierInspection], new: EarlierInspection) -> None:
    """Add ``new`` unless it is an inspection already listed (same month, or same year where
    one of the two gives only the year); keep the most precise date and any grade."""
    for entry in entries:
        same = entry.date == new.date or (
            entry.date[:4] == new.date[:4] and (len(entry.date) == 4 or len(new.date) == 4)
        )
        if not same:
            continue
        if len(new.date) > len(entry.date):
            entry.date, entry.start, entry.end = new.date, new.start, new.end
        if entry.overall_effectiveness is None:
            entry.overall_effectiveness = new.overall_effectiveness
        return
    entries.append(new)
