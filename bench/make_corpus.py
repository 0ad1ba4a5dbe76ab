"""Make a benchmark corpus by re-keying the real reports in ``seeds/``.

Every copy of a seed report gets another English authority (a real name from
``reference/english_local_authorities.csv``, never the original one) and every date in its text
shifted by a per-copy amount, so that visit identities (authority + kind + start date) differ
from the seeds and from each other: full dates and date ranges ("26 and 27 October 2021",
"23 May to 16 June 2016") move by whole years plus a few days; "Month YYYY", financial years
("2013-14") and bare years move by the same whole years (so "inspected in January 2012 ...
since 2012" stays consistent); years in the titles of Acts and guidance are left alone.

PDF seeds become PDFs: the seed's own file with its text objects edited in place by pdfium
(``edit_pdf``: each page's text re-keyed as pdfium's text page reads it, the changes handed back
to the objects the characters came from, each changed object scaled back to its old width), so
copies keep the archive's fonts, images, pages and sizes. A PDF pdfium cannot edit is typeset
again from its re-keyed clean text with fpdf2 (``typeset``), and the manifest counts those.
Text seeds stay text (their raw file text is re-keyed).

The output is deterministic for a given ``--seed`` and ``--count``; a ``MANIFEST.json`` records
what each copy was made from and how it was re-keyed. An existing complete corpus with the same
parameters is kept (use ``--force`` to rebuild it).

    python bench/make_corpus.py [--count 800] [--out bench/corpus] [--seed 2024] [--force]
"""

from __future__ import annotations

import argparse
import calendar
import csv
import hashlib
import io
import json
import os
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.extract.common import MONTH_NAMES  # noqa: E402  (after the path set-up above)

SEEDS = ROOT / "seeds"
# The real reports copies are made from by default: the repository's own (the Tees Valley
# seeds and the national test files). The shared archive is given with --input:
#   --input /work/shared/corpus/national --input /work/shared/corpus/tees-valley
DEFAULT_INPUTS = (SEEDS, ROOT / "tests" / "data" / "national")
REFERENCE = ROOT / "reference" / "english_local_authorities.csv"
CHANGES = ROOT / "reference" / "la_changes.csv"
DEFAULT_OUT = Path(__file__).resolve().parent / "corpus"
GENERATOR_VERSION = 8

# Copies stay within the years the report families were in use, and not in the future.
EARLIEST = date(2009, 6, 1)
LATEST = date(2026, 3, 31)
YEAR_SHIFTS = (-3, -2, -1, 0, 1, 2, 3)
MAX_DAY_SHIFT = 40
# A council created by a reorganisation (BCP 2019, Cumberland 2023...) is only given copies
# dated this many days after it took over: the visit a letter reports on came before it.
ESTABLISHED_MARGIN = 200

MONTHS = list(MONTH_NAMES)  # the extractor's month names
_MONTH_NO = {m.lower(): i + 1 for i, m in enumerate(MONTHS)}

# Name variants the seed reports use for their own authority, longest first.
VARIANTS = {
    "Redcar and Cleveland": ["Redcar and Cleveland", "Redcar & Cleveland", "Redcar"],
    "Stockton-on-Tees": ["Stockton-on-Tees", "Stockton on Tees", "Stockton"],
}

FILE_NAME = re.compile(r"^(?P<slug>[a-z-]+?)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<kind>[a-z-]+)$")


# ------------------------------------------------------------------------------ re-keying


@dataclass(frozen=True)
class Shift:
    """A date shift: ``years`` whole years (29 February -> 28 February), then ``days`` days."""

    years: int
    days: int

    def __call__(self, day: date) -> date:
        year = day.year + self.years
        moved = day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))
        return moved + timedelta(days=self.days)

    def ymd(self, year: int, month: int, day: int) -> date:
        day = max(1, min(day, calendar.monthrange(year, month)[1]))
        return self(date(year, month, day))


_MONTH_RE = "(?:" + "|".join(MONTHS) + ")"
_DAY_RE = r"(?:[12]\d|3[01]|0?[1-9])(?!\d)(?:st|nd|rd|th)?"
_YEAR_RE = r"(?:19[5-9]\d|20[0-4]\d)"
_SEP_RE = r"(?:\s*,\s*(?:and\s+)?|\s+(?:and|to|until|or)\s+|\s*[\u2013\u2014-]\s*)"
_ELEM_RE = rf"{_DAY_RE}(?:\s+{_MONTH_RE}(?:,?\s+{_YEAR_RE}(?!\d))?)?"
_ELEMENT = re.compile(
    rf"(?P<day>[12]\d|3[01]|0?[1-9])(?!\d)(?P<suffix>st|nd|rd|th)?"
    rf"(?:(?P<msep>\s+)(?P<month>{_MONTH_RE})(?:(?P<ysep>,?\s+)(?P<year>{_YEAR_RE}))?)?"
)
_DATES = re.compile(
    # a run of dates: "4 March 2020", "26 and 27 October 2021", "23 May to 16 June 2016"
    rf"(?P<run>\b(?:{_ELEM_RE}{_SEP_RE})*{_DAY_RE}\s+{_MONTH_RE}(?:,?\s+{_YEAR_RE}(?!\d))?\b)"
    # "March 12, 2019", "March 31 2015"
    rf"|(?P<us>\b(?P<us_month>{_MONTH_RE})\s+(?P<us_day>{_DAY_RE})(?P<us_sep>,?\s+)"
    rf"(?P<us_year>{_YEAR_RE})\b)"
    # "July 2018"
    rf"|(?P<my>\b(?P<my_month>{_MONTH_RE})(?P<my_sep>\s+)(?P<my_year>{_YEAR_RE})(?!\d))"
    # numeric dates, day first: "12/09/2016"
    rf"|(?P<num>(?<![\d/])(?P<num_d>[0-3]?\d)/(?P<num_m>[01]?\d)/(?P<num_y>{_YEAR_RE})(?![\d/]))"
    # financial and academic years: "2013-14", "2014/15", "2011-2014"
    rf"|(?P<fy>(?<![\d,.£])(?P<fy_a>{_YEAR_RE})(?P<fy_sep>[\u2013/-])(?P<fy_b>\d{{2}}|{_YEAR_RE})"
    rf"(?![\d%]))"
    # a bare year: "in 2012"
    rf"|(?P<year>(?<![\d,.£$/-]){_YEAR_RE}(?![\d%]|,\d))",
    re.IGNORECASE,
)
# Years that are part of a title (legislation, guidance) are not dates of this report.
_TITLE_BEFORE = re.compile(
    r"(?:\bAct|\bRegulations|\bOrder|\bRules|Safeguard Children|\bGuidance)\s*(?:\(\w+\)\s*)?$"
)


def _month_name(month: int, like: str) -> str:
    name = MONTHS[month - 1]
    return name.upper() if like.isupper() else name


def _day_text(day: int, like: str) -> str:
    return f"{day:02d}" if len(like) == 2 and like.startswith("0") else str(day)


def _shift_run(text: str, shift: Shift, nominal_year: int) -> str:
    """Shift every date of a run such as "26 and 27 October 2021" or "23 May to 16 June 2016"."""
    elems = list(_ELEMENT.finditer(text))
    parts = []  # [day, month, year, has_month, has_year]
    for m in elems:
        month = _MONTH_NO[m["month"].lower()] if m["month"] else None
        year = int(m["year"]) if m["year"] else None
        parts.append([int(m["day"]), month, year, month is not None, year is not None])
    # Missing months and years come from the next element that has them ("26 and 27 October"),
    # then from the previous one ("1 April 2017 to 30 September"), else the report's year.
    for i in range(len(parts) - 2, -1, -1):
        parts[i][1] = parts[i][1] or parts[i + 1][1]
        parts[i][2] = parts[i][2] or parts[i + 1][2]
    for i in range(1, len(parts)):
        parts[i][2] = parts[i][2] or parts[i - 1][2]
    if any(p[1] is None for p in parts):
        return text  # not a date run after all
    moved = [shift.ymd(p[2] or nominal_year, p[1], p[0]) for p in parts]
    out = []
    pos = 0
    for i, (m, p, new) in enumerate(zip(elems, parts, moved, strict=True)):
        out.append(text[pos : m.start()])
        nxt = moved[i + 1] if i + 1 < len(moved) else None
        show_month = p[3] or nxt is None or (new.month, new.year) != (nxt.month, nxt.year)
        show_year = p[4] or (nxt is not None and new.year != nxt.year)
        piece = _day_text(new.day, m["day"]) + (m["suffix"] and _ordinal(new.day) or "")
        if show_month:
            piece += (m["msep"] or " ") + _month_name(new.month, m["month"] or "")
            if show_year:
                piece += (m["ysep"] or " ") + str(new.year)
        out.append(piece)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def shift_dates(text: str, shift: Shift, nominal_year: int) -> str:
    """Shift every date in ``text``; years in titles of Acts and guidance are left alone."""

    def replace(m: re.Match[str]) -> str:
        if m["run"]:
            return _shift_run(m["run"], shift, nominal_year)
        if m["us"]:
            month = _MONTH_NO[m["us_month"].lower()]
            day = int(re.match(r"\d+", m["us_day"]).group())
            new = shift.ymd(int(m["us_year"]), month, day)
            return f"{_month_name(new.month, m['us_month'])} {new.day}{m['us_sep']}{new.year}"
        if m["num"]:
            day, month = int(m["num_d"]), int(m["num_m"])
            if not (1 <= month <= 12 and 1 <= day <= 31):
                return m.group()
            new = shift.ymd(int(m["num_y"]), month, day)
            d = f"{new.day:02d}" if len(m["num_d"]) == 2 else str(new.day)
            mo = f"{new.month:02d}" if len(m["num_m"]) == 2 else str(new.month)
            return f"{d}/{mo}/{new.year}"
        if m["my"]:
            # Whole years only, like bare years: "inspected in January 2012 ... since 2012"
            # must still name the same year after re-keying.
            return f"{m['my_month']}{m['my_sep']}{int(m['my_year']) + shift.years}"
        before = text[max(0, m.start() - 40) : m.start()]
        if _TITLE_BEFORE.search(before):
            return m.group()
        if m["fy"]:
            a = int(m["fy_a"])
            b_text = m["fy_b"]
            b = int(b_text) if len(b_text) == 4 else (a // 100) * 100 + int(b_text)
            if len(b_text) == 2 and b < a:
                b += 100
            a, b = a + shift.years, b + shift.years
            b_out = str(b) if len(b_text) == 4 else f"{b % 100:02d}"
            return f"{a}{m['fy_sep']}{b_out}"
        return str(int(m["year"]) + shift.years)

    return _DATES.sub(replace, text)


def name_variants(original: str) -> list[str]:
    """The names a report uses for its own authority: "Hammersmith & Fulham" for "Hammersmith
    and Fulham", "Newcastle" for "Newcastle upon Tyne", and the ones in ``VARIANTS``."""
    variants = list(VARIANTS.get(original, [original]))
    if " and " in original:
        variants.append(original.replace(" and ", " & "))
    if " upon " in original:
        variants.append(original.split(" upon ")[0])
    return variants


def _variant_pattern(original: str) -> re.Pattern[str]:
    variants = name_variants(original)
    alternatives = []
    for v in sorted(variants, key=len, reverse=True):
        words = [re.escape(w) for w in re.split(r"[\s-]+", v)]
        alternatives.append(r"[\s-]+".join(words))
    # "Stockton" but not "Stockton-on-Tees" (already longer alternative) nor "Stocktonian".
    return re.compile(rf"(?<![\w@.])(?:{'|'.join(alternatives)})(?![\w])", re.IGNORECASE)


def replace_authority(text: str, original: str, new: str) -> str:
    """Replace the original authority's names (and web/e-mail forms) with ``new``."""
    pattern = _variant_pattern(original)

    def replace(m: re.Match[str]) -> str:
        found = m.group()
        if found.isupper():
            return new.upper()
        if found.islower():
            return re.sub(r"[^a-z]", "", new.lower())
        return new

    text = pattern.sub(replace, text)
    # Domains and e-mail addresses ("@darlington.gov.uk", "www.hartlepool.gov.uk").
    new_bare = re.sub(r"[^a-z]", "", new.lower())
    for variant in sorted(name_variants(original), key=len, reverse=True):
        bare = re.sub(r"[^a-z]", "", variant.lower())
        text = re.sub(rf"(?<=[@.]){bare}(?=\.)", new_bare, text)
    return text


def rekey(text: str, original: str, new: str, shift: Shift, nominal_year: int) -> str:
    return shift_dates(replace_authority(text, original, new), shift, nominal_year)


# --------------------------------------------------------------------------- authorities


@dataclass(frozen=True)
class NewAuthority:
    name: str  # the name reports use ("Kingston upon Hull", not "Kingston upon Hull, City of")
    gss_code: str
    established: date | None  # when a new council (not a recode of the same one) took over
    # (until, old GSS code): an earlier council of the same name but another DfE number
    # (Dorset before 2019-04-01), which is who a report from before then is about.
    same_name_predecessor: tuple[date, str] | None = None

    def gss_on(self, day: date) -> str:
        if self.same_name_predecessor and day < self.same_name_predecessor[0]:
            return self.same_name_predecessor[1]
        return self.gss_code


def display_name(reference_name: str) -> str:
    m = re.match(r"^(.*), (?:City|County) of$", reference_name)
    name = m.group(1) if m else reference_name
    return name.replace("St. ", "St ")


def load_authorities() -> list[NewAuthority]:
    established: dict[str, date] = {}
    predecessor: dict[str, tuple[date, str]] = {}
    with CHANGES.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            day = date.fromisoformat(row["effective_date"])
            if row["old_name"] != row["new_name"]:
                established[row["new_gss"]] = max(day, established.get(row["new_gss"], day))
            elif row["old_dfe_la_code"] and row["old_dfe_la_code"] != row["new_dfe_la_code"]:
                predecessor[row["new_gss"]] = (day, row["old_gss"])
    with REFERENCE.open(newline="", encoding="utf-8") as f:
        return [
            NewAuthority(
                display_name(r["name"]),
                r["gss_code"],
                established.get(r["gss_code"]),
                predecessor.get(r["gss_code"]),
            )
            for r in csv.DictReader(f)
        ]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# ------------------------------------------------------------------------------- seeds


@dataclass
class Seed:
    path: Path
    authority: str  # the reference-table name of the seed's authority
    kind: str
    date: date
    is_pdf: bool


def load_seeds(authorities: list[NewAuthority], inputs: list[Path] | None = None) -> list[Seed]:
    """The real reports copies are made from: every ``<authority>_<date>_<kind>.pdf|.txt``
    in the input directories (``DEFAULT_INPUTS``). A file of a name seen before is skipped
    (the Tees Valley originals of seed texts have their own names); a ``.pdf`` that is not a
    PDF (the archive's saved HTML pages) and a name of no known authority are skipped with a
    note, since the corpus only needs reports the extractor reads."""
    by_slug = {_slug(a.name): a.name for a in authorities}
    seeds: list[Seed] = []
    names: set[str] = set()
    paths = [p for d in inputs or DEFAULT_INPUTS for p in sorted(Path(d).iterdir())]
    for path in paths:
        if path.suffix.lower() not in (".pdf", ".txt") or path.name in names:
            continue
        m = FILE_NAME.match(path.stem)
        if not m or m["slug"] not in by_slug:
            print(f"{path}: skipped (name not <authority>_<date>_<kind>)", file=sys.stderr)
            continue
        if path.suffix.lower() == ".pdf" and not path.read_bytes()[:1024].lstrip().startswith(
            b"%PDF"
        ):
            print(f"{path}: skipped (not a PDF)", file=sys.stderr)
            continue
        names.add(path.name)
        seeds.append(
            Seed(
                path,
                by_slug[m["slug"]],
                m["kind"],
                date.fromisoformat(m["date"]),
                path.suffix.lower() == ".pdf",
            )
        )
    return seeds


@dataclass
class Copy:
    file: str
    seed: str
    authority: str
    gss_code: str  # the council of that name on that date (the old Dorset before 2019)
    kind: str
    date: str  # the seed's file-name date, shifted
    shift_years: int
    shift_days: int


def plan(
    seeds: list[Seed], authorities: list[NewAuthority], count: int, rng_seed: int
) -> list[Copy]:
    """Choose an authority and a shift for each copy; copies of a seed get different
    authorities (until all 152 others have been used), and every identity is new."""
    rng = random.Random(rng_seed)
    orders: dict[str, list[NewAuthority]] = {}
    for seed in seeds:
        names = [a for a in authorities if a.name != seed.authority]
        rng.shuffle(names)
        orders[seed.path.name] = names
    used: dict[str, set[str]] = {seed.path.name: set() for seed in seeds}
    identities: set[tuple[str, str, date]] = set()
    copies: list[Copy] = []
    while len(copies) < count:
        for seed in seeds:
            if len(copies) >= count:
                break
            order, taken = orders[seed.path.name], used[seed.path.name]
            if len(taken) == len(order):
                taken.clear()
            for _ in range(1000):
                shift = Shift(rng.choice(YEAR_SHIFTS), rng.randint(-MAX_DAY_SHIFT, MAX_DAY_SHIFT))
                new_date = shift(seed.date)
                if shift == Shift(0, 0) or not EARLIEST <= new_date <= LATEST:
                    continue
                authority = next(
                    (
                        a
                        for a in order
                        if a.gss_code not in taken
                        and (
                            a.established is None
                            or a.established < new_date - timedelta(days=ESTABLISHED_MARGIN)
                        )
                        and (a.gss_code, seed.kind, new_date) not in identities
                    ),
                    None,
                )
                if authority is not None:
                    break
            else:
                raise SystemExit(f"cannot re-key {seed.path.name} again")
            taken.add(authority.gss_code)
            identities.add((authority.gss_code, seed.kind, new_date))
            n = len(copies) + 1
            suffix = ".pdf" if seed.is_pdf else ".txt"
            name = f"{_slug(authority.name)}_{new_date.isoformat()}_{seed.kind}_c{n:04d}{suffix}"
            copies.append(
                Copy(
                    name,
                    seed.path.name,
                    authority.name,
                    authority.gss_on(new_date),
                    seed.kind,
                    new_date.isoformat(),
                    shift.years,
                    shift.days,
                )
            )
    return copies


# ------------------------------------------------------------------------------ typesetting

_CP1252_FALLBACK = str.maketrans(
    {
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2015": "\u2014",
        "\u2192": "->",
        "\u2265": ">=",
        "\u2264": "<=",
        "\u2032": "'",
        "\u2033": '"',
    }
)


def to_cp1252(text: str) -> str:
    """Map characters the core fonts (Windows-1252) lack to near equivalents."""
    text = text.translate(_CP1252_FALLBACK)
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


def _is_heading(block: str) -> bool:
    return (
        "\n" not in block
        and len(block) < 90
        and not block.startswith("- ")
        and not re.search(r"[.,;:]$", block)
        and block[:1].isupper()
        and not block.startswith(("Dear ", "Yours "))
    )


_NEXT_LINE = {"new_x": "LMARGIN", "new_y": "NEXT", "align": "L"}  # ragged right, like Ofsted


def typeset(text: str, out: Path, title: str) -> int:
    """Typeset clean report text as an A4 PDF; return the number of pages."""
    from fpdf import FPDF

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("helvetica", size=9)
            self.cell(0, 5, str(self.page_no()), align="C")

    pdf = Report(format="A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_title(title)
    pdf.set_author("Ofsted (re-keyed benchmark copy)")
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=timezone.utc))  # deterministic bytes
    pdf.add_page()
    line = 5.6  # mm, ~1.45 x 11 pt
    width = pdf.epw
    for block in text.split("\n\n"):
        block = to_cp1252(block.strip())
        if not block:
            continue
        if block.startswith("- "):
            pdf.set_font("helvetica", size=11)
            y = pdf.get_y()
            if y + line > pdf.page_break_trigger:
                pdf.add_page()
                y = pdf.get_y()
            pdf.set_x(pdf.l_margin + 3)
            pdf.cell(5, line, "\u2022")
            pdf.set_xy(pdf.l_margin + 9, y)
            pdf.multi_cell(width - 9, line, block[2:].replace("\n", " "), **_NEXT_LINE)
            pdf.ln(2.2)
        elif _is_heading(block):
            if pdf.get_y() + 3 * line > pdf.page_break_trigger:
                pdf.add_page()
            pdf.set_font("helvetica", style="B", size=12.5)
            pdf.multi_cell(width, 6.4, block, **_NEXT_LINE)
            pdf.ln(2.6)
        else:
            pdf.set_font("helvetica", size=11)
            for text_line in block.split("\n"):
                pdf.multi_cell(width, line, text_line, **_NEXT_LINE)
            pdf.ln(3.2)
    pdf.output(str(out))
    return pdf.page


# ------------------------------------------------------------------- editing a real PDF

# Why a copy of a PDF seed is the seed's own file with its text objects edited in place: the
# copies then have the archive's fonts, images, page counts and sizes, so text extraction of
# the corpus costs what it costs on real reports (the bench's build / extraction ratio).
#
# Each page's text is re-keyed as pdfium's text page reads it (the text the extractor sees,
# generated spaces and line ends included), so a name or a date split over several text
# objects ("L", "ocal ", ... or "26 and 27" / "October 2021" on two lines) is re-keyed as a
# whole. The changes are then handed back to the text objects the changed characters came
# from; each changed object is scaled back to its old width, so the page's line geometry
# (which decides paragraphs, wrapped lines and right margins in kg.text) stays the seed's.

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# pdfium drops an object's trailing spaces from the text page (the line end stands for them)
# and reports a hyphen it joined across a line as U+FFFE where the object says U+0002.
_TEXT_PAGE_FORMS = str.maketrans({"\ufffe": "\x02"})
_WORD = re.compile(r"\w+|[^\w\s]")


class PdfEditError(Exception):
    """A page whose text pdfium cannot edit in place (the copy is typeset again instead)."""


@dataclass
class PdfEdit:
    """What editing one PDF in place did: pages, changed objects, objects moved to Helvetica
    (their font could not show a new character)."""

    pages: int = 0
    objects: int = 0
    standard_font: int = 0


def text_edits(old: str, new: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) spans of ``old`` that turn it into ``new``, found word by word
    (a character diff of a whole page is too slow, and words are what re-keying changes)."""
    import difflib

    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    starts = [0]
    for token in a:
        starts.append(starts[-1] + len(token))
    edits = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append((starts[i1], starts[i2], "".join(b[j1:j2])))
    return edits


def _address(pointer) -> int:
    import ctypes

    return ctypes.cast(pointer, ctypes.c_void_p).value or 0


def _object_text(obj, textpage) -> str:
    import ctypes

    import pypdfium2.raw as raw

    n = raw.FPDFTextObj_GetText(obj, textpage, None, 0)
    buf = ctypes.create_string_buffer(n)
    raw.FPDFTextObj_GetText(obj, textpage, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), n)
    return buf.raw.decode("utf-16-le", errors="replace").rstrip("\x00")


def _bounds(obj) -> tuple[float, float, float, float]:
    import ctypes

    import pypdfium2.raw as raw

    box = [ctypes.c_float() for _ in range(4)]
    if not raw.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in box)):
        return 0.0, 0.0, 0.0, 0.0
    return box[0].value, box[1].value, box[2].value, box[3].value


def _set_text(obj, text: str) -> bool:
    """Set a text object's text; False unless its font encodes every character."""
    import ctypes

    import pypdfium2.raw as raw

    buf = ctypes.create_string_buffer((text + "\x00").encode("utf-16-le"))
    return bool(raw.FPDFText_SetText(obj, ctypes.cast(buf, raw.FPDF_WIDESTRING)))


def _font_shows(obj, chars: set[str]) -> bool:
    """Whether the object's font has an outline for each of ``chars`` (a subset font often
    lacks letters the seed never used)."""
    import ctypes

    import pypdfium2.raw as raw

    font = raw.FPDFTextObj_GetFont(obj)
    size = ctypes.c_float()
    raw.FPDFTextObj_GetFontSize(obj, ctypes.byref(size))
    for ch in chars:
        if ch.isspace():
            continue
        path = raw.FPDFFont_GetGlyphPath(font, ord(ch), size.value or 1.0)
        if not path or raw.FPDFGlyphPath_CountGlyphSegments(path) <= 0:
            return False
    return True


def _standard_font_copy(doc, page, obj, text: str):
    """A Helvetica text object in place of ``obj`` (same size, matrix and colour)."""
    import ctypes

    import pypdfium2.raw as raw

    size = ctypes.c_float()
    raw.FPDFTextObj_GetFontSize(obj, ctypes.byref(size))
    new = raw.FPDFPageObj_NewTextObj(doc, b"Helvetica", size.value or 1.0)
    if not new or not _set_text(new, to_cp1252(text)):
        raise PdfEditError("cannot make a Helvetica text object")
    matrix = raw.FS_MATRIX()
    raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix))
    raw.FPDFPageObj_SetMatrix(new, ctypes.byref(matrix))
    rgba = [ctypes.c_uint() for _ in range(4)]
    if raw.FPDFPageObj_GetFillColor(obj, *(ctypes.byref(v) for v in rgba)):
        raw.FPDFPageObj_SetFillColor(new, *(v.value for v in rgba))
    wanted = _address(obj)
    count = raw.FPDFPage_CountObjects(page)
    index = next(i for i in range(count) if _address(raw.FPDFPage_GetObject(page, i)) == wanted)
    raw.FPDFPage_InsertObjectAtIndex(page, new, index)
    if not raw.FPDFPage_RemoveObject(page, obj):
        raise PdfEditError("cannot remove a text object")
    raw.FPDFPageObj_Destroy(obj)
    return new


def _fit_width(obj, before: tuple[float, float, float, float], text: str) -> None:
    """Scale an edited object horizontally, about its left edge, to the width it had. A
    character or two left of a longer text ("." of "Sussex.") is not stretched: spread over
    the old width it would be read before the text ahead of it."""
    import pypdfium2.raw as raw

    left, _, right, _ = before
    now_left, _, now_right, _ = _bounds(obj)
    if right - left <= 0 or now_right - now_left <= 0:
        return
    sx = (right - left) / (now_right - now_left)
    if sx > 1 and len(text.strip()) < 3:
        sx = 1.0
    raw.FPDFPageObj_Transform(obj, sx, 0, 0, 1, left - sx * now_left, 0)


def _edit_page(doc, page, rekey_text, stats: PdfEdit) -> None:
    """Re-key one page's text in place (see above)."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        new = rekey_text(text)
        if new == text:
            return
        owner = []  # the text object of each character of the text page (0: generated)
        objects: dict[int, tuple[object, list[int]]] = {}
        for i in range(len(text)):
            obj = raw.FPDFText_GetTextObject(textpage.raw, i)
            key = _address(obj)
            owner.append(key)
            if key:
                objects.setdefault(key, (obj, []))[1].append(i)
        pieces = list(text)
        touched: set[int] = set()
        for start, end, replacement in text_edits(text, new):
            ours = [i for i in range(start, end) if owner[i]]
            if ours and len(replacement) == end - start:
                # character for character: a year split as "2" / "013." stays split so
                for i in ours:
                    pieces[i] = replacement[i - start]
                touched.update(owner[i] for i in ours)
            elif ours:
                # all of it goes into the first object: spread over objects of their own
                # ("East" / " Sussex"), the gap pdfium sees between them would split the word
                for i in ours:
                    pieces[i] = ""
                pieces[ours[0]] = replacement
                touched.update(owner[i] for i in ours)
            elif start > 0 and owner[start - 1]:
                pieces[start - 1] += replacement
                touched.add(owner[start - 1])
            elif end < len(text) and owner[end]:
                pieces[end] = replacement + pieces[end]
                touched.add(owner[end])
            elif replacement.strip():
                raise PdfEditError(f"nowhere to put {replacement!r}")
        # every text object that is changed is set in one go, after all spans are placed
        changes = []
        for key in touched:
            obj, indices = objects[key]
            seen = "".join(text[i] for i in indices).translate(_TEXT_PAGE_FORMS)
            own = _object_text(obj, textpage.raw)
            if not own.startswith(seen):
                raise PdfEditError(f"text object {own[:40]!r} is not what the page reads")
            wanted = "".join(pieces[i] for i in indices).translate(_TEXT_PAGE_FORMS)
            changes.append((obj, own, wanted + own[len(seen) :]))
        placed = []
        for obj, own, wanted in changes:
            if wanted == own:
                continue
            stats.objects += 1
            if not wanted:  # all its characters went into an object before it
                if not raw.FPDFPage_RemoveObject(page.raw, obj):
                    raise PdfEditError("cannot remove a text object")
                raw.FPDFPageObj_Destroy(obj)
                continue
            before = _bounds(obj)
            if _font_shows(obj, set(wanted) - set(own)) and _set_text(obj, wanted):
                _fit_width(obj, before, wanted)
                placed.append((obj, wanted, before))
            else:
                _fit_width(_standard_font_copy(doc, page.raw, obj, wanted), before, wanted)
                stats.standard_font += 1
    finally:
        textpage.close()
    # A font that cannot encode a character drops it without a word (SetText still succeeds),
    # so each object is read back from a new text page; those that lost one go to Helvetica.
    if placed:
        textpage = page.get_textpage()
        try:
            lost = [
                (obj, wanted, before)
                for obj, wanted, before in placed
                if _object_text(obj, textpage.raw).rstrip().translate(_TEXT_PAGE_FORMS)
                != wanted.rstrip()
            ]
        finally:
            textpage.close()
        for obj, wanted, before in lost:
            _fit_width(_standard_font_copy(doc, page.raw, obj, wanted), before, wanted)
            stats.standard_font += 1
    if not raw.FPDFPage_GenerateContent(page.raw):
        raise PdfEditError("pdfium cannot write the page's content again")
    textpage = page.get_textpage()
    try:
        got = textpage.get_text_range()
    finally:
        textpage.close()
    # the same words in the same order (a space more or less beside punctuation is harmless)
    if _WORD.findall(got) != _WORD.findall(new):
        raise PdfEditError("the edited page does not read as re-keyed")


_FILE_ID = re.compile(rb"(/ID\s*\[\s*<[0-9A-Fa-f]+>\s*<)([0-9A-Fa-f]+)(>)")


def _fixed_file_id(data: bytes) -> bytes:
    """The PDF with the changing half of its file ID (pdfium makes a new one at every save)
    derived from the content, so a copy is the same bytes for the same --seed."""
    blank = _FILE_ID.sub(lambda m: m[1] + b"0" * len(m[2]) + m[3], data)
    digest = hashlib.md5(blank).hexdigest().upper().encode()

    def fixed(m: re.Match[bytes]) -> bytes:
        return m[1] + (digest * 2)[: len(m[2])] + m[3]

    return _FILE_ID.sub(fixed, data)


def edit_pdf(source: Path, out: Path, rekey_text) -> PdfEdit:
    """Write ``source`` to ``out`` with every page's text passed through ``rekey_text`` in
    place; raise ``PdfEditError`` when pdfium cannot do it."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(source)
    stats = PdfEdit(pages=len(doc))
    try:
        for index in range(len(doc)):
            page = doc[index]
            try:
                _edit_page(doc.raw, page, rekey_text, stats)
            finally:
                page.close()
        buffer = io.BytesIO()
        doc.save(buffer)
        out.write_bytes(_fixed_file_id(buffer.getvalue()))
    except pdfium.PdfiumError as error:
        raise PdfEditError(str(error)) from None
    finally:
        doc.close()
    return stats


# ------------------------------------------------------------------------------- driver

_SOURCES: dict[str, str] = {}


def _seed_text(seed: Seed) -> str:
    """The text a copy is made from: clean text of a PDF, the raw file text of a text seed."""
    if seed.path.name not in _SOURCES:
        if seed.is_pdf:
            from kg.text import read_source

            _SOURCES[seed.path.name] = read_source(seed.path).text
        else:
            from kg.text import decode_text

            _SOURCES[seed.path.name] = decode_text(seed.path, seed.path.read_bytes())[0]
    return _SOURCES[seed.path.name]


def make_copy(seed: Seed, copy: Copy, out_dir: Path) -> dict:
    """Make one copy; return how it was made (the manifest's ``made`` entry)."""

    def rekey_text(text: str) -> str:
        shift = Shift(copy.shift_years, copy.shift_days)
        return rekey(text, seed.authority, copy.authority, shift, seed.date.year)

    target = out_dir / copy.file
    partial = target.with_name(target.name + ".part")
    made: dict = {"file": copy.file}
    if not seed.is_pdf:
        partial.write_text(rekey_text(_seed_text(seed)), encoding="utf-8")
        made["how"] = "text"
    else:
        try:
            edit = edit_pdf(seed.path, partial, rekey_text)
            made.update(how="edited", objects=edit.objects, standard_font=edit.standard_font)
        except PdfEditError as error:
            # pdfium could not edit this one: typeset its re-keyed clean text instead
            typeset(rekey_text(_seed_text(seed)), partial, f"{copy.kind} {copy.authority}")
            made.update(how="typeset", problem=str(error))
    os.replace(partial, target)
    return made


def _make_batch(args: tuple[list[Seed], list[Copy], Path]) -> list[dict]:
    seeds, copies, out_dir = args
    by_name = {s.path.name: s for s in seeds}
    return [make_copy(by_name[copy.seed], copy, out_dir) for copy in copies]


def corpus_is_complete(out_dir: Path, params: dict) -> bool:
    manifest = out_dir / "MANIFEST.json"
    if not manifest.exists():
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return data.get("params") == params and all(
        (out_dir / c["file"]).exists() for c in data.get("copies", [])
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=800, help="number of documents (800)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--seed", type=int, default=2024, help="random seed (2024)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    parser.add_argument(
        "--input",
        type=Path,
        action="append",
        help="directory of real reports to copy (repeatable; default seeds/ and "
        "tests/data/national/; the old corpus: --input seeds)",
    )
    args = parser.parse_args(argv)

    out_dir: Path = args.out
    inputs = [p.resolve() for p in (args.input or DEFAULT_INPUTS)]
    params = {
        "count": args.count,
        "seed": args.seed,
        "generator": GENERATOR_VERSION,
        "inputs": sorted(str(p) for p in inputs),
    }
    if not args.force and corpus_is_complete(out_dir, params):
        print(f"{out_dir}: corpus of {args.count} documents already there (--force to remake)")
        return 0

    authorities = load_authorities()
    seeds = load_seeds(authorities, inputs)
    copies = plan(seeds, authorities, args.count, args.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = {c.file for c in copies} | {"MANIFEST.json"}
    for old in out_dir.iterdir():
        if old.is_file() and old.name not in wanted:
            old.unlink()
    (out_dir / "MANIFEST.json").unlink(missing_ok=True)

    started = time.perf_counter()
    # Group copies by seed so each worker reads a seed PDF once.
    by_seed: dict[str, list[Copy]] = {}
    for c in copies:
        by_seed.setdefault(c.seed, []).append(c)
    batches = [(seeds, group, out_dir) for group in by_seed.values()]
    made: dict[str, dict] = {}
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for results in pool.map(_make_batch, batches):
                made.update((m["file"], m) for m in results)
                print(f"\r{len(made)}/{len(copies)} documents", end="", file=sys.stderr)
    else:
        for batch in batches:
            made.update((m["file"], m) for m in _make_batch(batch))
            print(f"\r{len(made)}/{len(copies)} documents", end="", file=sys.stderr)
    print(file=sys.stderr)
    entries = []
    for c in copies:
        entry = asdict(c)
        entry.update({k: v for k, v in made[c.file].items() if k != "file"})
        entries.append(entry)
    how = Counter(e["how"] for e in entries)
    manifest = {"params": params, "made": dict(sorted(how.items())), "copies": entries}
    (out_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    print(
        f"{out_dir}: {len(copies)} documents ({how['edited']} PDFs edited in place, "
        f"{how['typeset']} typeset again, {how['text']} text) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    for e in entries:
        if e["how"] == "typeset":
            print(f"  typeset again: {e['file']} (from {e['seed']}): {e['problem']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
