"""The families of Ofsted report, in one registry: what each is, how to recognise it, its reader.

Every fact about a family is written once, here: the title its title block carries, the reader
that turns its text into a ``kg.record.Report``, the grade scale and labels it judges on, the
dates it was in force and its display label. The extractor, the RDF mapping, the HTML report and
the ontology tests all ask this module; a new template is one more ``Family`` (and, when its
layout differs, one more reader).

The family is decided from the *title block*: the blocks at the top of the document before its
first paragraph of running prose (a report's cover, a letter's subject line after "Dear ..."),
never from a phrase found anywhere in the text, because reports quote other inspections ("the
joint targeted area inspection in 2019 found ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kg import vocab


@dataclass(frozen=True)
class GradeScale:
    """One framework's grade scale: its id (``GRADE + id`` in the ontology) and its labels,
    best first (their position + 1 is the grade's ``skos:notation``)."""

    id: str
    label: str
    grades: tuple[str, ...]

    def spell(self, written: str) -> str:
        """A grade as a report writes it ("requires improvement", "Good.") -> this scale's label.

        Grades are never translated between scales, only spelled the way the framework spells
        them: "requires improvement" on the ILACS scale is "Requires improvement to be good".
        """
        words = _words(written)
        for label in self.grades:
            if _words(label) == words:
                return label
        if words.startswith("require"):
            return next(
                (g for g in self.grades if g.lower().startswith("requires")), _capitalised(written)
            )
        return _capitalised(written)

    def iri(self, label: str) -> str:
        """The grade concept's IRI (``ontology/ontology.ttl``): the one place grade IRIs are
        minted, for the reports, their earlier inspections and the official record alike."""
        return f"{vocab.GRADE}{self.id}/{vocab.slug(label)}"

    def has(self, label: str) -> bool:
        """Whether ``label`` is one of this scale's grades (compared as IRI segments)."""
        return vocab.slug(label) in {vocab.slug(grade) for grade in self.grades}


SLAC = GradeScale(
    "slac", "SLAC inspection grades (2009-2013)", ("Outstanding", "Good", "Adequate", "Inadequate")
)
SIF = GradeScale(
    "sif",
    "SIF inspection grades (2013-2018)",
    ("Outstanding", "Good", "Requires improvement", "Inadequate"),
)
ILACS = GradeScale(
    "ilacs",
    "ILACS inspection grades (2018 onwards)",
    ("Outstanding", "Good", "Requires improvement to be good", "Inadequate"),
)
SCALES: dict[str, GradeScale] = {s.id: s for s in (SLAC, SIF, ILACS)}

# Grade words as reports write them, on any scale (for patterns that find a stated grade).
GRADE_WORDS = (
    r"outstanding|good|adequate|inadequate|satisfactory"
    r"|requires?\s+improvement(?:\s+to\s+be\s+good)?"
)


@dataclass(frozen=True)
class Family:
    """One family (or template variant) of report."""

    kind: str  # the visit kind's SKOS id in ontology/ontology.ttl (kind:<id>)
    label: str  # display label
    title: re.Pattern[str]  # the title line, matched at the start of a title-block line
    reader: str  # "module:function" under kg.extract: (text, family, context) -> Report
    scale: GradeScale | None  # the scale its judgements are on; None: ungraded
    in_force: tuple[date, date | None]  # first and last day reports of it were inspected
    colour: str  # its colour in charts (kg report)
    letter: bool = False  # reported by letter (date line, addressee, signatory)
    # Parts the report is cut into, each with its own judgements and improvement points.
    parts: tuple[str, ...] = ()
    # How improvement points are grouped: "timescale" (immediately / within N months),
    # "priority" (priority and immediate action / areas for improvement) or None.
    groups: str | None = None

    def in_force_on(self, iso: str) -> bool:
        """Whether the family was in force at any time of ``iso`` ("2018", "2018-03", a day)."""
        first, last = _period(iso)
        start, end = self.in_force
        return first <= (end or date.max) and last >= start


def _title(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# In order: where one title line could match two patterns, the first family listed wins.
FAMILIES: tuple[Family, ...] = (
    Family(
        "slac-inspection",
        "SLAC inspection",
        _title(r"inspection of safeguarding and looked after children(?:'s)? services"),
        "inspections:read_slac",
        SLAC,
        (date(2009, 6, 1), date(2013, 10, 31)),
        "#6a3d9a",
        parts=("safeguarding", "looked after children"),
        groups="timescale",
    ),
    Family(
        "lac-inspection",
        "Looked after children inspection",
        _title(
            r"inspection of (?:services for )?looked after children(?:'s)?"
            r"(?: and care leavers)?(?: services)?\s*$"
        ),
        "inspections:read_slac",
        SLAC,
        (date(2009, 6, 1), date(2013, 10, 31)),
        "#cab2d6",
        parts=("looked after children",),
        groups="timescale",
    ),
    Family(
        "sif-inspection",
        "SIF inspection",
        _title(
            r"(?:re-?\s?inspection|inspection) of services for children in need of help"
            r"\s+and\s+protection"
        ),
        "inspections:read_sif",
        SIF,
        (date(2013, 11, 1), date(2018, 6, 30)),
        "#1f78b4",
        parts=("local authority", "LSCB"),
        groups="priority",
    ),
    Family(
        "lscb-review",
        "LSCB review",
        _title(
            r"review of the effectiveness of (?:the )?local safeguarding children(?:'s)?"
            r" boards?"
        ),
        "inspections:read_sif",
        SIF,
        (date(2013, 11, 1), date(2018, 6, 30)),
        "#a6cee3",
        parts=("LSCB",),
        groups="priority",
    ),
    Family(
        "ilacs-inspection",
        "ILACS inspection",
        _title(
            r"inspection of (?:.{2,80}?\s)?(?:local authority children's services"
            r"|children's social care services|children's services)\s*$"
        ),
        "inspections:read_ilacs",
        ILACS,
        (date(2018, 1, 1), None),
        "#33a02c",
    ),
    Family(
        "focused-visit",
        "Focused visit",
        _title(r"focused visit (?:to|of|on)\b"),
        "letters:read_letter",
        None,
        (date(2018, 1, 1), None),
        "#ff7f00",
        letter=True,
    ),
    Family(
        "monitoring-visit",
        "Monitoring visit",
        _title(r"monitoring visit (?:to|of|on)\b"),
        "letters:read_letter",
        None,
        (date(2014, 1, 1), None),
        "#e31a1c",
        letter=True,
    ),
    Family(
        "jtai",
        "Joint targeted area inspection",
        _title(r"joint targeted area inspection\b"),
        "letters:read_letter",
        None,
        (date(2016, 1, 1), None),
        "#b15928",
        letter=True,
    ),
)
BY_KIND: dict[str, Family] = {f.kind: f for f in FAMILIES}
KINDS: tuple[str, ...] = tuple(BY_KIND)

# A SIF report titled "Re-inspection of services ...": a re-inspection after an inadequate one.
REINSPECTION_TITLE = re.compile(r"^\s*re-?\s?inspection\b", re.IGNORECASE)


def family(kind: str) -> Family:
    """The family of a visit kind; ``KeyError`` names the kinds there are."""
    try:
        return BY_KIND[kind]
    except KeyError:
        raise KeyError(f"unknown visit kind {kind!r} (one of {', '.join(KINDS)})") from None


def label(kind: str) -> str:
    return BY_KIND[kind].label if kind in BY_KIND else kind.replace("-", " ").capitalize()


# ------------------------------------------------------------------------- title block

_PROSE_WORDS = 25  # a block this long that ends a sentence is running prose, not a title
_TITLE_LINE_WORDS = 40  # longer lines are never titles


@dataclass(frozen=True)
class Title:
    """Where a report's title stands: its family and the title line with its offsets."""

    family: Family
    line: str
    start: int
    end: int

    @property
    def reinspection(self) -> bool:
        return bool(REINSPECTION_TITLE.match(self.line))


def title_lines(text: str, limit: int = 8000) -> list[tuple[int, str]]:
    """The candidate title lines of the title block, with their offsets: every line of the
    blocks before the first paragraph of running prose, each also joined with the lines after
    it in its block (a title wrapped over two lines) or with the first line of the next block (a
    title set in large type, its lines spaced apart), and the first line of that paragraph (a
    subject line printed without a gap before the letter's first paragraph)."""
    out: list[tuple[int, str]] = []
    last: tuple[int, str] | None = None  # the previous block's last line, if short
    for m in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text[:limit]):
        block = m.group()
        prose = len(block.split()) >= _PROSE_WORDS and bool(
            re.search(r"[.!?]['\")]?(?:\s|$)", block)
        )
        lines = block.split("\n")
        offset = m.start()
        if last is not None:
            out.append((last[0], f"{last[1].strip()} {lines[0].strip()}"))
        last = None
        for i, line in enumerate(lines):
            out.append((offset, line))
            if prose:
                break
            if i + 1 < len(lines):
                out.append((offset, " ".join(x.strip() for x in lines[i:])))
            elif len(line.split()) <= 12:
                last = (offset, line)
            offset += len(line) + 1
        if prose:
            break
    return out


def recognise(text: str) -> Title | None:
    """The family of a report from its title block, or None if it has none of the titles."""
    for offset, line in title_lines(text):
        stripped = line.strip().lstrip("#*").strip()
        if not stripped or len(stripped.split()) > _TITLE_LINE_WORDS:
            continue
        lead = len(line) - len(line.lstrip())
        for candidate in FAMILIES:
            m = candidate.title.search(stripped)
            if m and _NAME_BEFORE_TITLE.fullmatch(stripped[: m.start()]):
                start = offset + lead + m.start()
                return Title(
                    candidate, stripped[m.start() :], start, start + len(stripped) - m.start()
                )
    return None


# What may stand before a title on its line: nothing, or the council's name printed on the
# same line ("Wirral Metropolitan Borough Council Inspection of services for ...").
_NAME_BEFORE_TITLE = re.compile(r"(?:(?:[A-Z][\w'.-]*|of|and|upon|on|in|the(?= [A-Z]))\s+)*")


# ------------------------------------------------------------------- grades over time


def scale_on(iso: str, written: str | None = None) -> GradeScale | None:
    """The grade scale of an inspection of the authority's children's services on ``iso``
    ("2018", "2018-03" or a day), given the grade as written; None where it cannot be known.

    The scales of the graded families in force at that time are the candidates. One candidate:
    that one. Several (SIF and ILACS both ran in the first half of 2018; a bare "2013" spans
    SLAC and SIF): the written grade decides when it is spelled as only one of them spells it
    ("adequate", "requires improvement to be good"); otherwise the scale is unknown.
    """
    candidates: list[GradeScale] = []
    for f in FAMILIES:
        if f.scale is not None and f.in_force_on(iso) and f.scale not in candidates:
            candidates.append(f.scale)
    if len(candidates) == 1:
        return candidates[0]
    if written:
        words = _words(written)
        exact = [s for s in candidates if any(_words(g) == words for g in s.grades)]
        if len(exact) == 1:
            return exact[0]
    return None


def spell_grade(written: str, scale: GradeScale | None) -> str:
    """A written grade on ``scale``; with no known scale, the words as written, capitalised."""
    return scale.spell(written) if scale is not None else _capitalised(written)


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip(".").lower())


def _capitalised(text: str) -> str:
    w = _words(text)
    if w.startswith("require") and not w.startswith("requires"):
        w = "requires" + w[len("require") :]  # "judged to require improvement"
    return w[:1].upper() + w[1:]


def _period(iso: str) -> tuple[date, date]:
    """The first and last day an ISO date as precise as the text covers."""
    year = int(iso[:4])
    if len(iso) == 4:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(iso[5:7])
    if len(iso) == 7:
        following = date(year + (month == 12), month % 12 + 1, 1)
        return date(year, month, 1), date.fromordinal(following.toordinal() - 1)
    day = date.fromisoformat(iso[:10])
    return day, day
