"""Full inspection reports (SLAC 2009-13, SIF 2013-18, ILACS 2018-) -> ``kg.record.Report``.

The three frameworks lay out the same facts in one shape, which is what these rules read:

* a front page with "Inspection date(s)", "Published"/"Report published", and (SLAC, ILACS)
  the reporting or lead inspector; SIF names the team in "The inspection team" at the end;
* graded judgements: SLAC "Grade N (Label)" under each heading and a closing "Record of main
  findings" table (area, grade) per part; SIF a numbered page-1 table ("1. Children who need
  help and protection Good", "2.1 Adoption performance ...") with an overall sentence and an
  LSCB judgement; ILACS a page-1 "Judgement Grade" table ending in "Overall effectiveness";
* improvement points under one heading per part, grouped by timescale (SLAC) or priority (SIF),
  or numbered "Recommendations" (later SIF), or "What needs to improve" bullets (ILACS);
* findings: the paragraphs under the summary and judgement headings.

The text is first cut into *sections* at the headings the frameworks use; each section has a
role (front page, boilerplate to skip, findings, improvement points) and a part (SLAC
safeguarding / looked after children; SIF local authority / LSCB). Headings a framework does
not name (sub-headings, table cells, "Grade 2 (Good)") never change the role, so an unexpected
short line cannot turn boilerplate into findings or cut a list of recommendations short.

Choices (documented because gold has no SIF/ILACS example):

* ``scope``: SLAC the two parts ("safeguarding services", "services for looked after
  children"); SIF and ILACS the judgement areas of the page-1 table (first letter lowercased,
  "overall effectiveness" left out), and for SIF "the local safeguarding children board" when
  the LSCB was reviewed.
* ``judgements``: SLAC section is the part, area the table row cut at its colon; SIF section
  "local authority" (table rows and "Overall effectiveness") or "LSCB" (area "Overall
  effectiveness"); ILACS section None, areas as the table names them.
* recommendation ``section``: SLAC "safeguarding" / "looked after children", SIF "local
  authority" / "LSCB", ILACS the heading ("What needs to improve"); ``priority`` only for SIF
  groups ("priority-and-immediate-action", "areas-for-improvement"), ``timescale`` only SLAC.
* finding ``section``: the framework heading it sits under, without its grade; ILACS paragraphs
  between the judgement table and "What needs to improve" sit under "Overall effectiveness".
  Contents pages, "About this inspection", "Information about this local authority area",
  "What the inspection judgements mean", the tables and the closing colophon are not findings.
* ``previous_inspections``: ``kg.extract.common.earlier_inspections`` (shared with letters):
  an earlier inspection of the authority's children's services (safeguarding / protection of
  children, looked after children, or an unqualified "last inspection"), named with a date;
  single-service inspections (adoption, fostering, children's homes, contact and referral
  units), unannounced, focused and monitoring visits are not counted. A SIF report listing the
  SLAC parts of one earlier visit with the same grade gives one entry; different grades stay
  two entries with the same date.
* ``publication_date`` only when stated ("Published:", "Report published:"), at a line's start
  or, capitalised and with its colon, after another label on the same front-page line
  ("Inspection date: ... Report published: ..."); ILACS reports do not state one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kg.extract.addressees import addressed_to
from kg.extract.common import (
    JOINING_WORD_END,
    Block,
    blocks,
    date_range,
    earlier_inspections,
    first_date,
    heading_name,
    is_heading,
    one_line,
    point_with_sub_points,
    sentences,
)
from kg.families import GRADE_WORDS, ILACS, SIF, SLAC, Family, GradeScale
from kg.record import EarlierInspection, Finding, Inspector, Judgement, Recommendation, Report

if TYPE_CHECKING:
    from kg.extract import Context

# ----------------------------------------------------------------------------- headings

_GRADE_TAIL = re.compile(
    rf"(?:[\s:.,]*(?:\b(?:is|are)\s*:?\s+(?:that\s+(?:(?:it|they)\s+)?(?:is\s+|are\s+)?)?"
    rf"(?:judged\s+to\s+be\s+)?)?"
    rf"\b(?P<grade>{GRADE_WORDS})\.?"
    rf"|[\s.:]*\bgrade\s+\d\s*\(?(?P<grade2>[a-z ]+?)\)?)\s*$",
    re.IGNORECASE,
)
_CONTENTS_ENTRY = re.compile(r"[ \t]\d{1,3}$")
_TABLE_ROW = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?(?:\s|$)")
_NUMBER = re.compile(r"^\d{1,3}\.\s*(?=\S)")

# Headings each framework uses, by what the section holds (matched on the heading text with
# any grade removed, lower case). Order matters: the first match wins.
_SKIP = re.compile(
    r"^(?:contents|information about|what the (?:[a-z ]{2,30} )?inspection judge?ments mean"
    r"|the inspection team|about this inspection|the inspection judge?ments and what"
    r"|service information|record of main findings|annex\b|previous ofsted inspections"
    r"|other ofsted inspections|local leadership|judge?ment grade$|judge?ment\s+grade\b)"
)
# The closing glossary of grades, whose sub-headings name the parts ("The local authority").
_GLOSSARY = re.compile(r"^what the (?:[a-z ]{2,30} )?inspection judge?ments mean")
_PART_NAME = re.compile(r"^(?:the )?(?:local authority|lscb|local safeguarding children board)$")
_RECS = re.compile(
    r"^(?:what does the .{2,60}? need to improve|what needs to improve"
    r"|priority and immediate action$"
    r"|recommendations?$|areas for (?:improvement|development)$)"
)
_PRIORITY = re.compile(
    r"^(?:priority and immediate action|immediate action|areas for improvement)"
    r"\s*:?$"
)
_TIMESCALE = re.compile(
    r"^(immediately|within\s+(?:one|two|three|four|six|nine|twelve|\d{1,2})\s+months?)\s*:?$"
)
_GENERIC = re.compile(r"^(?:summary|inspection findings|key findings)$")
_CONTENT = re.compile(
    r"^(?:section \d+:?\s*)?(?:(?:executive )?summary\b|summary of|summary for"
    r"|key (?:strengths|findings)|(?:the )?(?:local authority|lscb|council)(?:'s|s')? strengths"
    r"|(?:the )?experiences? and progress|the impact of leaders|leadership, management"
    r"|(?:the )?graded judge?ment|adoption performance|(?:the )?experiences? of care leavers"
    r"|inspection findings|the inspection outcomes|overall effectiveness|capacity for improvement"
    r"|outcomes for|(?:the )?quality of provision|leadership and management"
    r"|progress since the last inspection$|inspection judge?ments? about the\b"
    r"|the effectiveness of (?:the )?(?:services|lscb|local safeguarding)"
    r"|(?:the )?(?:local safeguarding children board|lscb)(?:\s*\(lscb\))?$)"
)
# Headings that end a list of points: the findings and strengths after it.
_ENDS_POINTS = re.compile(r"\b(?:strengths|weaknesses|judge?ments?|findings)\b|^summary\b")
_LSCB_PART = re.compile(
    r"^(?:section \d+:?\s*)?(?:the )?(?:effectiveness of (?:the )?|review of (?:the )?)?"
    r"(?:local safeguarding children board|lscb)(?:\s*\(lscb\))?$"
)
_TABLE_END = re.compile(r"^record of main findings")
_LA_PART = re.compile(r"^(?:section \d+:?\s*)?the local authority$")
_SLAC_PART = re.compile(r"^the inspection outcomes:\s*(.+)$")
# The closing Ofsted colophon: nothing after it is about the authority.
_COLOPHON = re.compile(
    r"^(?:any complaints about the inspection|the office for standards in education"
    r"|if you would like a copy of this document|you may (?:re)?use|you may copy"
    r"|piccadilly gate|interested in our work|this report is available at"
    r"|to receive regular email alerts)",
    re.IGNORECASE,
)


@dataclass
class _Section:
    """A run of blocks under one framework heading."""

    name: str | None
    role: str  # "front", "skip", "content", "recs"
    part: str | None
    heading: Block | None = None
    items: list[Block] = field(default_factory=list)
    headings: set[int] = field(default_factory=set)  # starts of items that are headings


_GRADE_ENDINGS = ("outstanding", "good", "adequate", "inadequate", "improvement", ")")


def _grade_tail(text: str) -> re.Match[str] | None:
    """The grade a heading ends with, if any (a cheap test first: most text has none)."""
    if not text.rstrip(". ").lower().endswith(_GRADE_ENDINGS):
        return None
    return _GRADE_TAIL.search(text)


def _strip_grade(text: str) -> tuple[str, str | None]:
    """'Leadership, management and governance Inadequate' -> (name, 'Inadequate')."""
    m = _grade_tail(text)
    if not m or m.start() == 0:
        return text.strip(), None
    return text[: m.start()].strip(" :.,"), (m.group("grade") or m.group("grade2")).strip()


def _is_heading(block: Block) -> bool:
    """A heading or table cell: short, no closing full stop (or a short judgement statement)."""
    if (
        len(block.text) > 400
        or block.is_bullet
        or _TABLE_ROW.match(block.text)
        or _NUMBER.match(block.text)
    ):
        return False
    if is_heading(block, max_words=30):
        return True
    text = one_line(block.text)
    return len(text.split()) <= 20 and _grade_tail(text) is not None


def _graded(heading: str, following: Block | None) -> bool:
    """Whether a judgement heading states its grade, in itself or in the block below it."""
    if _grade_tail(heading):
        return True
    return following is not None and bool(
        re.fullmatch(rf"\s*(?:{GRADE_WORDS}|grade\s+\d.*)\.?\s*", following.text, re.I)
    )


def _same_form(block: Block | None, section: _Section) -> bool:
    """Whether ``block`` is a point laid out like the section's last point (both bullets, or
    both numbered): what follows a topic heading inside a list of points."""
    last = next(
        (
            b
            for b in reversed(section.items)
            if b.start not in section.headings and not _NONE_TO_IMPROVE.match(b.text)
        ),
        None,
    )
    if block is None:
        return False
    if last is None:  # the first point: any point
        return block.is_bullet or bool(_NUMBER.match(block.text))
    if last.is_bullet:
        return block.is_bullet
    return bool(_NUMBER.match(last.text)) and bool(_NUMBER.match(block.text))


def _sections(
    text: str, part: str | None = None, *, lscb: bool = False, table_first: bool = False
) -> list[_Section]:
    """Cut the report into sections at the headings the framework uses.

    ``part`` is the part the report opens in; with ``lscb`` its headings switch between the
    local authority and the LSCB parts (SIF); with ``table_first`` the page-1 judgement table
    comes before any section (ILACS): its rows name judgement headings but start none, and the
    summary under it runs from the row "Overall effectiveness", or from the first paragraph
    after the table when the table has no such row.
    """
    current = _Section(None, "front", part)
    out = [current]
    started = listing = table = False
    every = blocks(text)
    for index, block in enumerate(every):
        # a footnote mark on a line of its own under a heading ("What needs to improve?" / "1")
        line = one_line(re.sub(r"\n\d{1,2}$", "", block.text))
        if _COLOPHON.match(line):
            current = _Section(None, "skip", part, block)
            out.append(current)
            if any(s.role in ("content", "recs") for s in out):
                break  # the closing colophon; before any findings it is an inside cover
            continue
        if current.name and _TABLE_END.match(current.name.lower()):
            current.items.append(block)  # the closing table: its rows look like headings
            continue
        heading = _is_heading(block)
        if table_first and table and not started and not heading and len(line.split()) >= 25:
            started = True  # the summary under a table with no "Overall effectiveness" row
            current = _Section("Overall effectiveness", "content", part)
            out.append(current)
        table = table or bool(re.match(r"judge?ment\s+grade\b", line, re.I))
        if heading and listing and current.role in ("front", "skip") and _grade_tail(line):
            # "The judgements ... were:" then "Overall effectiveness: inadequate": a list of
            # earlier grades, not judgement headings
            current.items.append(block)
            current.headings.add(block.start)
            continue
        listing = block.text.rstrip().endswith(":")
        if not heading:
            current.items.append(block)
            continue
        if _CONTENTS_ENTRY.search(line) and not _grade_tail(line):
            continue  # a contents-page entry ("Recommendations 7")
        name, _ = _strip_grade(line)
        key = name.lower().rstrip(":? ")
        if current.role == "recs" and (_PRIORITY.match(key) or _TIMESCALE.match(key)):
            current.items.append(block)  # a group heading inside the improvement points
            current.headings.add(block.start)
            continue
        if (
            current.role == "skip"
            and _GLOSSARY.match((current.name or "").lower())
            and _PART_NAME.match(key)
        ):
            # "What the inspection judgements mean" / "The local authority" / "The LSCB": the
            # grade definitions under part headings, not the parts of this report
            current.items.append(block)
            current.headings.add(block.start)
            continue
        new_part = part
        m = _SLAC_PART.match(key)
        if m:
            new_part = "looked after children" if "looked after" in m.group(1) else "safeguarding"
        elif lscb and started and _LSCB_PART.match(key):
            new_part = "LSCB"
        elif lscb and _LA_PART.match(key):
            new_part = "local authority"
        role: str | None = None
        if _SKIP.match(key):
            role = "skip"
        elif _RECS.match(key):
            role = "recs"
        elif current.role == "recs" and _ENDS_POINTS.search(key):
            role = "content"
        elif _GENERIC.match(key):
            if started and current.role != "recs":
                if current.role == "content" and current.name is not None:
                    name = current.name
                role = "content"
        elif _CONTENT.match(key) or new_part != part:
            role = "content"
        if (
            role == "content"
            and not started
            and table_first
            and not (key.startswith("overall effectiveness"))
        ):
            role = None  # ILACS page-1 table rows: the summary starts after "Overall effectiveness"
        following = every[index + 1] if index + 1 < len(every) else None
        if (
            role == "content"
            and current.role == "recs"
            and new_part == part
            and not _ENDS_POINTS.search(key)
            and not _graded(line, following)
            and _same_form(following, current)
        ):
            role = None  # a topic heading among the points ("Help and protection" / "12. ...")
        if role is None:
            current.items.append(block)  # a sub-heading or table cell: the section goes on
            current.headings.add(block.start)
            continue
        part = new_part
        started = started or role != "skip" or key.startswith("contents")
        # a section's name is its heading without the colon or "?" that introduces the text
        current = _Section(name.rstrip(":? "), role, part, block)
        out.append(current)
    return out


# --------------------------------------------------------------------------- front page

_PUBLISHED = re.compile(
    # at a line's start, or further on a front-page line that ran two labels together
    # ("Inspection date: 8 October 2018 - 1 November 2018 Report published: 21 December
    # 2018"): there only the label as the front page sets it, capitalised and with its colon,
    # so prose ("the report was published in May 2014") gives no date
    r"(?:^(?:report\s+)?(?:published|publication date)\s*:?"
    r"|(?<=\s)(?-i:(?:Report published|Published|Publication date))\s*:)\s*"
    r"(\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]+\.?,?\s+\d{4}|\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE | re.MULTILINE,
)
_DATES = re.compile(
    # at a line's start, or after the title when the title's last line ran into it (a title
    # set to the full width is joined to the next line as a wrapped line): then the colon
    r"(?:^|(?<=\S )(?=inspection\s+dates?\s*:))"
    r"(?:inspection\s+dates?|dates?\s+of\s+(?:the\s+)?inspection)\s*:?\s*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_ROLE = re.compile(
    r"(?:^|(?<=[.;]\s)|(?<=\s)(?=(?-i:[A-Z])[a-z ]+inspectors?\s*:))"
    r"(?P<role>Reporting|Lead|Deputy lead|Assistant lead|Team|Shadow|Additional|Associate)"
    r"\s+inspectors?\b\s*:?\s*",
    re.IGNORECASE | re.MULTILINE,
)
# Rank of each role in the team listing; shadow inspectors observe and are not on the team.
_ROLE_ORDER = {
    "reporting": 0,
    "lead": 0,
    "deputy lead": 1,
    "assistant lead": 1,
    "team": 2,
    "additional": 2,
    "associate": 2,
    "shadow": None,
}
_TITLES = re.compile(
    r"\((?:[^()]*?(?:HMI|OI|AI|inspector|Inspector)[^()]*)\)"
    r"|,?\s*(?:Senior\s+)?(?:Her|His)\s+Majesty'?s\s+Inspectors?|\bSenior\s+(?=S?HMI\b)"
    r"|\b(?:S?HMI|OI|AI)\b|\bOfsted\s+Inspectors?\b|\bSocial\s+Care\s+Regulatory\s+Inspector\b",
)
_NAME = re.compile(
    r"^[A-Z][\w'.-]*(?:\s+(?:[A-Z][\w'.-]*|de|da|di|du|van|von|der|le|la|al|el|bin|ben)){1,4}$"
)


def _front_dates(report: Report, text: str) -> None:
    head = text[:8000]
    m = _PUBLISHED.search(head)
    if m:
        day = first_date(m.group(1))
        report.publication_date = day.isoformat() if day else None
    m = _DATES.search(head)
    if m:
        rest = m.group(1) or head[m.end() : m.end() + 120]
        found = date_range(rest)
        if found:
            report.visit_start, report.visit_end = (d.isoformat() for d in found)


def _inspectors(text: str) -> list[Inspector]:
    """Named inspectors, lead first, from the role lines ("Team inspectors: A, B (OI), C")."""
    named: list[tuple[int, int, str]] = []  # (rank, order found, name)
    seen: set[int] = set()
    for hit in re.finditer("nspector", text):  # a literal search, then the line around it
        line_start = text.rfind("\n", 0, hit.start()) + 1
        line_end = text.find("\n", hit.end())
        line_end = len(text) if line_end < 0 else line_end
        if line_start in seen or line_end - line_start > 600:
            continue
        seen.add(line_start)
        line = text[line_start:line_end]
        roles = list(_ROLE.finditer(line))
        for index, m in enumerate(roles):
            stop = roles[index + 1].start() if index + 1 < len(roles) else len(line)
            names = line[m.end() : stop]
            following = text[line_end : line_end + 300].lstrip("\n").split("\n", 1)[0]
            if not names.strip():  # the names on the next line ("Lead inspector\nJane Smith")
                names = following
            elif stop == len(line) and re.search(r"(?:,|\band|&)\s*$", names):
                names += " " + following  # a list that goes on on the next line
            rank = _ROLE_ORDER[re.sub(r"\s+", " ", m.group("role").lower())]
            if rank is None:
                continue
            for name in _split_names(names):
                named.append((rank, len(named), name))
    out: list[Inspector] = []
    for rank, _, name in sorted(named):
        if all(i.name != name for i in out):
            out.append(Inspector(name, lead=rank == 0 and not any(i.lead for i in out)))
    return out


def _split_names(names: str) -> list[str]:
    """'Pauline Higham (HMI), Karen Wareing (HMI) Fiona Millns (OI)' -> three names."""
    names = re.sub(r"\)\s+(?=[A-Z])", "), ", names)
    out = []
    for piece in re.split(r",|;|\band\b|&", names):
        name = re.sub(r"\s+", " ", _TITLES.sub(" ", piece)).strip(" .:-")
        if _NAME.match(name) and not re.search(r"Inspector|Majesty|Ofsted", name):
            out.append(name)
    return out


# ----------------------------------------------------------------------------- readers


def read_slac(text: str, family: Family, context: Context) -> Report:
    """A safeguarding and looked after children inspection (two parts) or a looked after
    children inspection (one part): the Record of main findings, timescale groups."""
    report = _front(text, family)
    sections = _sections(text, family.parts[0] if len(family.parts) == 1 else None)
    report.judgements = _slac_judgements(text, sections)
    report.scope = _slac_scope(sections) or [_slac_part_name(p) for p in family.parts]
    _points_and_findings(report, sections, family, context)
    return report


def read_sif(text: str, family: Family, context: Context) -> Report:
    """A single inspection framework inspection (with or without the review of the Local
    Safeguarding Children Board) or a review of the board alone."""
    report = _front(text, family)
    board_only = family.parts == ("LSCB",)
    sections = _sections(text, family.parts[0], lscb=not board_only)
    report.judgements = (
        _lscb_judgement(text, sections) if board_only else _sif_judgements(text, sections)
    )
    report.scope = _table_scope(report.judgements)
    _points_and_findings(report, sections, family, context)
    return report


def read_ilacs(text: str, family: Family, context: Context) -> Report:
    """An inspection of local authority children's services: the page-1 judgement table."""
    report = _front(text, family)
    sections = _sections(text, table_first=True)
    report.judgements = _ilacs_judgements(text, sections)
    report.scope = _table_scope(report.judgements)
    _points_and_findings(report, sections, family, context)
    return report


def _front(text: str, family: Family) -> Report:
    """A new record of ``family`` with what every inspection's front page gives."""
    report = Report(source="", sha256="", kind=family.kind, authority=None, text=text)
    _front_dates(report, text)
    report.inspectors = _inspectors(text)
    return report


def _table_scope(judgements: list[Judgement]) -> list[str]:
    """The judgement areas, first letter lowercased, overall effectiveness left out; the
    board when it was reviewed."""
    scope = [
        _lower_first(j.area)
        for j in judgements
        if j.section != "LSCB" and j.area.lower() != "overall effectiveness"
    ]
    if any(j.section == "LSCB" for j in judgements):
        scope.append("the local safeguarding children board")
    return scope


def _points_and_findings(
    report: Report, sections: list[_Section], family: Family, context: Context
) -> None:
    text = report.text
    points = _recommendations(text, sections, family, context)
    report.recommendations = [p for p in points if p.section != "LSCB"]
    report.lscb_recommendations = [p for p in points if p.section == "LSCB"]
    report.findings = _findings(text, sections, context)
    report.previous_inspections = [
        EarlierInspection(date, grade, a, b)
        for date, grade, a, b in earlier_inspections(text, before=report.visit_start)
    ]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


# ----------------------------------------------------------------------------- judgements

# The SLAC framework's judgements, the same list in every report, by the heading each sits
# under: the closing table names them, and each has a statement of its grade ("Value for
# money is good.", "Grade 2 (Good)" under its heading) that stands in for a row the table lost.
_LEADERSHIP = [
    "Ambition and prioritisation",
    "Evaluation, including performance management, quality assurance and workforce development",
    "User engagement",
    "Partnerships",
    "Equality and diversity",
    "Value for money",
]
_SLAC_FRAMEWORK: dict[str, dict[str, list[str]]] = {
    "safeguarding services": {
        "overall": ["Overall effectiveness", "Capacity for improvement"],
        "outcomes": ["Children and young people are safe", "Children and young people feel safe"],
        "provision": [
            "Service responsiveness including complaints",
            "Assessment and direct work with children and families",
            "Case planning, review and recording",
        ],
        "leadership": _LEADERSHIP,
    },
    "services for looked after children": {
        "overall": ["Overall effectiveness", "Capacity for improvement"],
        "outcomes": [
            "Being healthy",
            "Staying safe",
            "Enjoying and achieving",
            "Making a positive contribution",
            "Economic well-being",
        ],
        "provision": [
            "Service responsiveness",
            "Assessment and direct work with children",
            "Case planning, review and recording",
        ],
        "leadership": _LEADERSHIP,
    },
}
_SLAC_AREAS = {
    part: [a for group in groups.values() for a in group]
    for part, groups in _SLAC_FRAMEWORK.items()
}
# How a grade statement names an outcome area ("Services to promote the health of looked
# after children are adequate."); other areas are named by their own first words.
_SLAC_ALIASES = {
    "Children and young people are safe": r"\bare safe\b",
    "Children and young people feel safe": r"\bfeel safe\b",
    "Being healthy": r"\bhealth",
    "Staying safe": r"\bstay(?:ing)? safe\b",
    "Enjoying and achieving": r"\benjoy(?:ing)? and achiev",
    "Making a positive contribution": r"\bpositive contribution\b",
    "Economic well-being": r"\beconomic well-?being\b",
}
_SLAC_STATED = re.compile(
    r"\b(?:is|are)\s+(?:judged\s+to\s+be\s+)?"
    r"(outstanding|good|adequate|inadequate)\b",
    re.I,
)
_SLAC_GROUPS = (
    ("outcomes", re.compile(r"^(?:outcomes for|the effectiveness of services)")),
    ("provision", re.compile(r"^(?:the )?quality of provision")),
    ("leadership", re.compile(r"^leadership and management")),
    ("overall", re.compile(r"^(?:overall effectiveness|capacity for improvement)")),
)


def _slac_part_name(text: str) -> str:
    return (
        "services for looked after children"
        if "looked after" in text.lower()
        else "safeguarding services"
    )


def _slac_scope(sections: list[_Section]) -> list[str]:
    parts = []
    for s in sections:
        m = _SLAC_PART.match((s.name or "").lower())
        if m and _slac_part_name(m.group(1)) not in parts:
            parts.append(_slac_part_name(m.group(1)))
    return parts


def _slac_judgements(text: str, sections: list[_Section]) -> list[Judgement]:
    """The Record of main findings table, completed from each part's own grade statements."""
    grades: dict[str, dict[str, str]] = {}
    table = next((s for s in sections if (s.name or "").lower().startswith("record of main")), None)
    if table is not None:
        part = None
        pending = ""  # an area whose grade (or the rest of whose name) is on the next line
        lines = [x.strip() for b in table.items for x in b.text.split("\n") if x.strip()]
        for line in lines:
            if re.fullmatch(
                r"(?:safeguarding services|services for looked after children)", line, re.I
            ):
                part, pending = _slac_part_name(line), ""
                continue
            m = re.fullmatch(r"(.*?)[\t ]*\b(Outstanding|Good|Adequate|Inadequate)", line)
            if not m:
                pending = f"{pending} {line}" if pending and line[:1].islower() else line
                continue
            area = m.group(1).strip()
            if pending and (not area or area[:1].islower()):
                area = f"{pending} {area}".strip()  # "...assurance and" / "workforce ... Good"
            pending = ""
            if part and area:
                grades.setdefault(part, {})[area.split(":")[0].strip()] = m.group(2)
    part = None
    for s in sections:
        m = _SLAC_PART.match((s.name or "").lower())
        if m:
            part = _slac_part_name(m.group(1))
            grades.setdefault(part, {})
        if part is not None and s.role == "content":
            _slac_fill(s, grades[part], _SLAC_FRAMEWORK[part])
    out = []
    for part, areas in grades.items():
        order = {a.lower(): i for i, a in enumerate(_SLAC_AREAS[part])}
        for area in sorted(areas, key=lambda a: order.get(a.lower(), len(order))):
            out.append(Judgement(part, area, areas[area]))
    return out


def _slac_fill(section: _Section, grades: dict[str, str], framework: dict[str, list[str]]) -> None:
    """Grades a part states for framework areas its table row is missing."""
    name = (section.name or "").lower()
    group = next((g for g, pattern in _SLAC_GROUPS if pattern.match(name)), None)
    known = {a.lower() for a in grades}
    missing = [a for a in framework.get(group or "", []) if a.lower() not in known]
    if not missing:
        return
    if group == "overall":  # "Overall effectiveness" then "Grade 2 (Good)"
        area = next((a for a in missing if a.lower() == name), None)
        if area:
            heading = [section.heading] if section.heading is not None else []
            for block in [*heading, *section.items[:2]]:
                m = re.search(r"\bgrade\s+\d\s*\(?(\w+)\)?\s*$", one_line(block.text), re.I)
                if m:
                    grades[area] = SLAC.spell(m.group(1))
                    break
        return
    statements = [one_line(section.heading.text)] if section.heading else []
    statements += [
        re.split(r"(?<=\.)\s", _NUMBER.sub("", b.text), maxsplit=1)[0]
        for b in section.items
        if b.start not in section.headings
    ]
    for area in missing:
        alias = _SLAC_ALIASES.get(area) or (
            r"^(?:the\s+)?" + r"\s+".join(re.escape(w) for w in area.split()[:2])
        )
        for statement in statements:
            grade = re.search(r"\bgrade\s+\d\s*\(?(\w+)\)?\s*$", statement, re.I)
            stated = grade or _SLAC_STATED.search(statement)
            if stated and re.search(alias, statement[: stated.start()], re.I):
                grades[area] = SLAC.spell(stated.group(1))
                break


_SIF_ROW = re.compile(
    r"(?:^|\s)(\d(?:\.\d)?)\.?\s+([A-Z][A-Za-z ,'-]{3,90}?)\s+"
    r"(?i:(outstanding|good|requires? improvement(?: to be good)?|inadequate))\b"
)
_SIF_OVERALL = re.compile(
    rf"(?:overall judge?ment (?:is|was)(?: that .{{2,90}}?(?: (?:are|is)|(?= requires?\s)))?"
    rf"|children's services in .{{2,90}}? (?:are|is)"
    rf"|children's services in .{{2,90}}?(?= requires?\s))"
    rf"\s+(?:judged\s+to\s+be\s+)?({GRADE_WORDS})",
    re.IGNORECASE,
)
_LSCB_GRADE = re.compile(
    rf"(?:local safeguarding children board|lscb)\)?\s+(?:\(lscb\)\s+)?(?:is\s+)?"
    rf"(?:judged\s+to\s+be\s+)?({GRADE_WORDS})",
    re.IGNORECASE,
)


LSCB_AREA = "Local Safeguarding Children Board"
_STATED_GRADE = re.compile(rf"\b(?:is|are)\s+(?:judged\s+to\s+be\s+)?({GRADE_WORDS})\.?$", re.I)


def _lscb_judgement(text: str, sections: list[_Section]) -> list[Judgement]:
    """The board's judgement: stated on the front page ("The effectiveness of the Local
    Safeguarding Children Board is good"), or in the LSCB part's heading or the short
    statement under it ("The LSCB is inadequate")."""
    lscb = _LSCB_GRADE.search(_front_text(text, sections))
    for s in sections:
        if lscb:
            break
        if s.part == "LSCB" and s.heading is not None:
            lscb = _LSCB_GRADE.search(one_line(s.heading.text))
            for block in s.items[:2]:
                if lscb is None and len(block.text.split()) <= 25:
                    lscb = _STATED_GRADE.search(block.text)
    return [Judgement("LSCB", LSCB_AREA, SIF.spell(lscb.group(1)))] if lscb else []


def _front_text(text: str, sections: list[_Section]) -> str:
    """The front page, one line: up to the end of the first summary or judgement heading."""
    end = next(
        (
            s.heading.end
            for s in sections
            if s.role in ("content", "recs") and s.heading is not None
        ),
        8000,
    )
    return re.sub(r"\s+", " ", text[: min(end, 8000)])


def _sif_judgements(text: str, sections: list[_Section]) -> list[Judgement]:
    """Page-1 table rows, the overall judgement sentence, and the LSCB judgement."""
    front = _front_text(text, sections)
    out: list[Judgement] = []
    m = _SIF_OVERALL.search(front)
    if m:
        out.append(Judgement("local authority", "Overall effectiveness", SIF.spell(m.group(1))))
    for m in _SIF_ROW.finditer(front):
        area = m.group(2).strip()
        if all(j.area != area for j in out):
            out.append(Judgement("local authority", area, SIF.spell(m.group(3))))
    out.extend(_lscb_judgement(text, sections))
    if not any(_SIF_ROW.finditer(front)):  # no page-1 table: the body's judgement headings
        for j in _heading_judgements(sections, SIF, "local authority"):
            j.area = re.sub(
                r"^The experiences? and progress of (children)",
                lambda m: m.group(1).capitalize(),
                j.area,
            )
            j.area = re.sub(r"^Experience and", "Experiences and", j.area)
            if all(j.area != o.area for o in out):
                out.insert(len(out) - (out[-1].section == "LSCB" if out else 0), j)
    return out


_ILACS_ROW = re.compile(
    r"(.+?)\s+(Outstanding|Good|Requires improvement(?: to be good)?|Inadequate)(?=\s|$)"
)


def _ilacs_judgements(text: str, sections: list[_Section]) -> list[Judgement]:
    """The page-1 'Judgement Grade' table, or the body's judgement headings if it is missing."""
    front = _front_text(text, sections)
    m = re.search(
        r"\bJudge?ment\s+Grade\b(.*?\bOverall effectiveness\s+"
        r"(?:Outstanding|Good|Requires improvement(?: to be good)?|Inadequate))",
        front,
    )
    out: list[Judgement] = []
    if m:
        for row in _ILACS_ROW.finditer(m.group(1)):
            area = row.group(1).strip(" :")
            out.append(Judgement(None, area, ILACS.spell(row.group(2))))
    if not out:
        out = _heading_judgements(sections, ILACS, None)
    return out


def _heading_judgements(
    sections: list[_Section], scale: GradeScale, section: str | None
) -> list[Judgement]:
    out: list[Judgement] = []
    for s in sections:
        if s.role != "content" or s.heading is None or s.part == "LSCB":
            continue
        name, grade = _strip_grade(one_line(s.heading.text))
        if grade is None and s.items and s.items[0].start in s.headings:
            # the grade in a block of its own under the heading
            m = re.fullmatch(rf"\s*({GRADE_WORDS})\.?\s*", s.items[0].text, re.I)
            grade = m.group(1) if m else None
        if grade and not re.match(r"grade\s", grade, re.I) and all(j.area != name for j in out):
            name = re.sub(r"^the graded judge?ment (?:for|about) (?:the )?", "", name, flags=re.I)
            out.append(Judgement(section, name[:1].upper() + name[1:], scale.spell(grade)))
    return out


# ------------------------------------------------------------------------ recommendations


def _recommendations(
    text: str, sections: list[_Section], family: Family, context: Context
) -> list[Recommendation]:
    """Every improvement point, verbatim, with its part and its timescale or priority group."""
    out: list[Recommendation] = []
    for s in sections:
        if s.role != "recs":
            continue
        heading = heading_name(s.heading.text) if s.heading else None
        # the part the points are for (SLAC, SIF), else the heading they sit under (ILACS)
        section = s.part if family.parts else heading
        timescale = priority = None
        if family.groups == "priority" and heading and _PRIORITY.match(heading.lower()):
            priority = _priority(heading)
        items = s.items
        before = len(out)
        # who the points are for: the part's body, or the subject of a lead-in above them
        to = ["board"] if s.part == "LSCB" else ["council"]
        # numbered points (not a numbered introduction to bullet points)
        numbered = (
            sum(bool(_NUMBER.match(b.text)) and not b.text.rstrip().endswith(":") for b in items)
            >= 2
        )
        index = 0
        while index < len(items):
            block = items[index]
            index += 1
            line = one_line(block.text).lower()
            if _TIMESCALE.match(line):
                timescale = _timescale(line) if family.groups == "timescale" else None
                continue
            if _PRIORITY.match(line):
                priority = _priority(line) if family.groups == "priority" else None
                continue
            if block.start in s.headings or _NONE_TO_IMPROVE.match(block.text):
                continue  # a topic sub-heading, or "There are no priority actions."
            if numbered and not (_NUMBER.match(block.text) or block.is_bullet):
                if len(out) == before and _LEAD_IN.search(block.text):
                    to = addressed_to(block.text, to)[0]
                    continue  # "The following recommendations are ...": not a point
                break  # a numbered list ends at the first unnumbered paragraph
            start = block.body_start
            end = block.end
            if _topic_heading(block, items[index] if index < len(items) else None):
                continue  # "1. Quality and effectiveness of practice" over its bullet points
            if index < len(items) and items[index].is_sub_point:
                # "... including:" and its sub-points (a second bullet glyph, "(i)"): one point
                end, index = point_with_sub_points(items, index - 1)
            elif _LEAD_IN.search(text[start:end]):
                # an introduction ("... should take the following action:"), or a numbered
                # point whose bullets belong to it
                if not _NUMBER.match(block.text) or not (
                    index < len(items) and items[index].is_bullet
                ):
                    to = addressed_to(text[start:end], to)[0]
                    continue
                while index < len(items) and items[index].is_bullet:
                    end = items[index].end
                    index += 1
            quote = text[start:end]
            if len(quote.split()) < 3 or _NONE_TO_IMPROVE.match(quote):
                continue
            bodies, subject = addressed_to(quote, to)
            out.append(
                Recommendation(
                    quote,
                    section,
                    timescale,
                    priority,
                    _themes(context, quote),
                    start,
                    end,
                    bodies,
                    subject,
                )
            )
    return out


def _topic_heading(block: Block, following: Block | None) -> bool:
    """A numbered topic over bullet points: a few words with no closing punctuation, not cut
    after a joining word ("... by"), then a bullet point; the bullets are the points."""
    if following is None or not following.is_bullet or not _NUMBER.match(block.text):
        return False
    words = one_line(_NUMBER.sub("", block.text))
    return (
        len(words.split()) <= 16
        and not words.endswith((".", ":", ";", ",", "?", ")"))
        and not JOINING_WORD_END.search(words)
    )


# A lead-in to the points ("... should take the following action:" or "... action.").
_LEAD_IN = re.compile(r":\s*$|\bthe\s+following\b[^.:]{0,60}[.:]\s*$|^the\s+following\b", re.I)
# A statement that a group is empty ("There are no priority or immediate actions."): no point.
_NONE_TO_IMPROVE = re.compile(
    r"^(?:there\s+(?:are|were)\s+no\b|(?:the\s+)?inspect\w*\s+did\s+not\s+(?:find|identify)"
    r"\s+any\b|no\s+(?:areas|priority|immediate)\b)",
    re.I,
)


def _timescale(line: str) -> str:
    words = re.sub(r"[^a-z0-9 ]", "", line).split()
    return "immediately" if words[0] == "immediately" else "-".join(words[:2] + ["months"])


def _priority(line: str) -> str:
    return (
        "areas-for-improvement" if "areas for" in line.lower() else "priority-and-immediate-action"
    )


# ------------------------------------------------------------------------------ findings


# A grade's definition in the framework's words: a generic subject, with an indefinite article,
# that is given a grade ("An LSCB that is good coordinates ...", "A good local authority leads
# ...", "In a local authority that requires improvement ...", "An LSCB requires improvement if
# ..."). It states what the grade means, not what inspectors found here.
_GRADE_DEFINITION = re.compile(
    rf"^(?:in\s+)?an?\s+(?:(?:{GRADE_WORDS})\s+(?:[\w'-]+\s+){{0,3}}?"
    rf"(?:lscb|board|local\s+authority|council|service)\b"
    rf"|(?:[\w'-]+\s+){{1,4}}?(?:(?:that|which)\s+(?:(?:is|are)\s+(?:judged\s+(?:to\s+be\s+)?)?)?"
    rf"(?:{GRADE_WORDS})\b|requires?\s+improvement\s+(?:if|when|because)\b))",
    re.IGNORECASE,
)


def _grade_definition(block: Block, section: _Section) -> bool:
    """Whether ``block`` defines a grade rather than reports a finding: by its form (above), and
    where it sits: at the head of a judgement section, after nothing but headings and the
    statements of the grade ("The LSCB is good" / "The arrangements ... are good."), before
    the findings."""
    if not _GRADE_DEFINITION.match(block.text):
        return False
    return all(
        b.start in section.headings or _grade_tail(one_line(b.text))
        for b in section.items
        if b.start < block.start
    )


def _findings(text: str, sections: list[_Section], context: Context) -> list[Finding]:
    """Each sentence of the summary and judgement sections, with polarity and themes."""
    out: list[Finding] = []
    for s in sections:
        if s.role != "content":
            continue
        for block in s.items:
            if block.start in s.headings or _grade_definition(block, s):
                continue
            for a, b in sentences(text, block.words_start, block.end):
                quote = text[a:b]
                if len(quote.split()) < 3:
                    continue
                polarity, themes = _polarity(context, quote), _themes(context, quote)
                about = "board" if s.part == "LSCB" else "council"
                out.append(Finding(quote, polarity, themes, a, b, s.name, about))
    return out


def _themes(context: Context, text: str) -> list[str]:
    return list(context.themes(text))


def _polarity(context: Context, sentence: str) -> str:
    return context.polarity(sentence)
