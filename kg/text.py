"""Source file -> clean text: the first step of the pipeline.

Every later step (and every character offset in the graph) works on the *clean text* this
module produces, whatever the file was. Its shape is the same for a PDF and a plain-text
report, so one set of extraction rules serves both:

* blocks (paragraphs, headings, bullet items, table rows) are separated by one blank line;
* a block's wrapped lines are joined with a space; short lines that end early (address lines,
  table rows) stay on lines of their own within the block;
* bullet glyphs (``■ • ◼ `` ...) become ``- `` at the start of their own block;
* curly quotes become straight, ligatures are expanded, non-breaking spaces are spaces;
* page numbers and running headers/footers are dropped, and a paragraph broken by a page
  end is joined again.

PDFs are read with pypdfium2; line geometry (vertical gaps, right margins) decides where
blocks start, because the PDF text layer has no paragraph marks.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError

PDF_MEDIA_TYPE = "application/pdf"
TEXT_MEDIA_TYPE = "text/plain"

# Characters that start a bullet item in Ofsted PDFs and in text copies of them.
BULLET_GLYPHS = "■◼▪•●◦▫□➢►‣∙\uf0a7\uf0b7\uf076\uf0d8\uf0fc\uf06e"
# Glyphs of a second-level bullet (a point's sub-points: symbol-font dash and arrow, minus sign,
# combining stroke, horizontal line extension): they become "-- " at the start of their own
# block, so a reader can tell a point's sub-points from the next point. The symbol-font and
# line glyphs are never text, so they mark a sub-point even with no space after them.
_GLYPH_SUB_BULLETS = "\uf02d\uf0be\u23af"
SUB_BULLET_GLYPHS = _GLYPH_SUB_BULLETS + "\u2212\u0336"
_BULLET_LINE = re.compile(rf"^\s*(?:[{BULLET_GLYPHS}]|[-*](?=\s))\s*")
_SUB_BULLET_LINE = re.compile(rf"^\s*(?:[{_GLYPH_SUB_BULLETS}]\s*|[{SUB_BULLET_GLYPHS}]\s+)(?=\S)")
_KEPT_GLYPHS = BULLET_GLYPHS + SUB_BULLET_GLYPHS

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": "",
        "\ufeff": "",
        "\u00ad": "",
        "\ufffe": "-",  # pdfium marks a hyphen it joined across a line end this way
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\t": "\t",
    }
)
# Private-use glyphs left over from symbol fonts (other than bullets) carry no text.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_HYPHEN_WRAP = re.compile(r"[^\W\d_]-$")  # a line ending in a word and a hyphen
_ALNUM = re.compile(r"[^\W_]")  # what str.isalnum() accepts
_SENTENCE_END = re.compile(r"[.!?:;]['\")]?$")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,3}(?:\s+of\s+\d{1,3})?$", re.IGNORECASE)
# Words no sentence or heading ends on: a block ending in one was cut (by a page end, or a
# wide gap between two lines), whatever the next block starts with.
_DANGLING = re.compile(
    r"\b(?:the|of|and|or|nor|but|to|a|an|in|into|for|with|by|on|at|from|that|its|their|than"
    r"|between|beyond)$"
)
# The last word of a block is a capitalised word: a name may run on ("... growth in Milton").
_NAME_END = re.compile(r"\b[A-Z][\w'-]*$")
# A block that opens with a quotation or a bracket carries a sentence on; no paragraph or
# heading of the reports starts with one.
_OPENING = "'\"(\u2018\u201c"
# A line that opens with a label and its colon ("Shadow inspectors:", "Report published:").
_LABEL = re.compile(r"^[A-Z][\w'()-]*(?: [\w'()-]+){0,4}:(?:\s|$)")
_MARKUP = re.compile(r"\*\*|__|^#{1,6}\s+", re.MULTILINE)


class SourceError(InputError):
    """A file that cannot be read as a report; ``str()`` is one line naming file and problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(problem, path)


@dataclass
class SourceText:
    """A source file's clean text, with what identifies the file."""

    path: Path
    name: str
    sha256: str
    text: str
    media_type: str
    pages: int = 0
    encoding: str | None = None


def read_source(path: Path | str) -> SourceText:
    """Read a PDF or plain-text report and return its clean text, or raise ``SourceError``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise SourceError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise SourceError(path, f"cannot be read ({exc.strerror or exc})") from None
    return source_from_bytes(path, data)


def source_from_bytes(path: Path, data: bytes) -> SourceText:
    """Clean text from a file's bytes; the format is decided by content, not by file name."""
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise SourceError(path, "empty file")
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"%PDF-" in data[:1024]:
        text, pages = pdf_text(path, data)
        return SourceText(path, path.name, sha, text, PDF_MEDIA_TYPE, pages=pages)
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or (
        b"<html" in head and b"</" in data[:4096].lower()
    ):
        raise SourceError(path, "is an HTML page (saved with a .pdf name?), not a report PDF")
    if path.suffix.lower() == ".pdf":
        raise SourceError(path, "is not a PDF (no %PDF header); the file is damaged or mislabelled")
    raw, encoding = decode_text(path, data)
    return SourceText(
        path, path.name, sha, clean_plain_text(raw), TEXT_MEDIA_TYPE, encoding=encoding
    )


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode a text file: BOMs first, then UTF-8, then Windows-1252 (common in old exports)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if b"\x00" in data[:4096]:
        # UTF-16 without a BOM has a NUL in every other byte; anything else is binary.
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                decoded = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if decoded.isprintable() or sum(c.isprintable() for c in decoded[:2000]) > 1800:
                return decoded, codec
        raise SourceError(path, "is a binary file, not a PDF or text report")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def normalise_chars(text: str) -> str:
    """Straight quotes, expanded ligatures, plain spaces; drop stray symbol-font glyphs."""
    text = text.translate(_CHAR_MAP)
    return text


def _bullet(line: str) -> str | None:
    """If ``line`` starts with a bullet glyph, the item as its block starts: "- " + text for a
    point, "-- " + text for a sub-point."""
    m = _SUB_BULLET_LINE.match(line)
    if m:
        return "-- " + line[m.end() :].strip()
    m = _BULLET_LINE.match(line)
    if m:
        return "- " + line[m.end() :].strip()
    return None


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.rstrip()))


def _continues(previous: str, line: str, ended: bool = False, wrapped: bool = False) -> bool:
    """Whether ``line`` carries on the paragraph ``previous`` (broken by a page end, or by a
    wide gap between two lines); ``ended``: ``previous`` is known to have stopped short of the
    right margin on its page, so it did not wrap; ``wrapped``: its last line is known to run to
    the margin (a PDF's geometry; a text copy knows neither)."""
    if not previous or previous.startswith("- ") and len(previous) < 3:
        return False
    first = line.lstrip()[:1]
    if _ends_sentence(previous):
        return False
    if first.islower() or first in ",;)":
        return True
    # a paragraph cut after a word no sentence or heading ends on ("... at the heart of the"
    # / "Children and Young People's Plan.", "90% of initial and" / "99% of review ...",
    # "taken into care, a" / "'together or apart' assessment"): the next block goes on with a
    # capital, a number or a quotation, unless the last line stopped short of the margin (a
    # heading after a paragraph whose last word is a slip: "... reflections discussed. in" /
    # "What needs to improve?"). A bullet or a sub-point starts an item of its own.
    if ended or len(previous.split()) <= 20 or not (first.isalnum() or first in _OPENING):
        return False
    if _DANGLING.search(previous):
        return True
    # a paragraph whose last line ran to the margin without ending a sentence: it goes on over
    # the page if the next block opens with a quotation or a bracket ("spent three months" /
    # "'street homeless'", "over the past year" / "(at 15%, ..."), or if it was cut inside a
    # name ("population growth in Milton" / "Keynes.", "by the end of Key Stage" / "2. However")
    # ("Team inspectors: ... Nick Stacey HMI" / "Shadow inspectors: ..." is a label's line of
    # its own, and "2 GLA 2013" a footnote the page kept)
    if not wrapped or _LABEL.match(line) or _FOOTNOTE_START.match(line):
        return False
    return first in _OPENING or bool(_NAME_END.search(previous))


# --------------------------------------------------------------------------- plain text


def _kept_glyph(match: re.Match[str]) -> str:
    return match.group() if match.group() in _KEPT_GLYPHS else ""


def _without_private_use(text: str) -> str:
    """``text`` without private-use glyphs other than the bullets kept as markers."""
    return text if text.isascii() else _PRIVATE_USE.sub(_kept_glyph, text)


def clean_plain_text(raw: str) -> str:
    """Clean a text copy of a report into the same block shape as a PDF."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    raw = _MARKUP.sub("", normalise_chars(raw))
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in raw.split("\n"):
        line = _without_private_use(line).rstrip()
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        item = _bullet(line)
        if item is not None:
            if current:
                blocks.append(current)
            current = [item]
            continue
        current.append(line.strip() if "\t" not in line else line.strip(" "))
    if current:
        blocks.append(current)
    return _join_blocks(["\n".join(_collapse_spaces(x) for x in b) for b in blocks])


def _collapse_spaces(line: str) -> str:
    return re.sub(r" {2,}", " ", line)


def _joined(line: str, wrapped: str) -> str:
    """A line and the text that wrapped after it: a space between, except where a compound
    was broken at its hyphen ("decision-" / "making"), which closes up again."""
    joint = "" if _HYPHEN_WRAP.search(line) and wrapped[:1].isalnum() else " "
    return line + joint + wrapped


def _join_blocks(
    blocks: list[str], ended: AbstractSet[int] = frozenset(), measured: bool = False
) -> str:
    """Join blocks with blank lines, rejoining paragraphs split by a page break.

    ``ended``: the indexes of the blocks whose last line stopped short of the right margin;
    ``measured``: the blocks' geometry is known (PDF; a text copy has none), so a block not in
    ``ended`` ran to the margin."""
    out: list[str] = []
    for index, block in enumerate(blocks):
        if out and _continues(
            out[-1], block, index - 1 in ended, measured and index - 1 not in ended
        ):
            out[-1] = _joined(out[-1], block)
        else:
            out.append(block)
    return "\n\n".join(out) + ("\n" if out else "")


# --------------------------------------------------------------------------------- PDF


@dataclass
class _Line:
    text: str
    top: float  # of its first letter or digit
    bottom: float
    left: float
    right: float  # of its last character
    last_top: float
    last_bottom: float


def pdf_text(path: Path, data: bytes) -> tuple[str, int]:
    """Clean text of a PDF's text layer; raise ``SourceError`` for damaged or image-only files."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise SourceError(path, "is an encrypted PDF (password required)") from None
        raise SourceError(path, f"is a damaged or truncated PDF ({exc})") from None
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise SourceError(path, "is a PDF with no pages")
        pages = [_header_drawn_last(_page_lines(pdf[i])) for i in range(n_pages)]
    finally:
        pdf.close()
    n_chars = sum(len(line.text) for page in pages for line in page)
    if n_chars < 40 * n_pages and n_chars < 400:
        raise SourceError(path, "has no text layer (a scanned image?); OCR it first")
    pages = _drop_running_lines([_without_footnotes(page) for page in pages])
    blocks: list[str] = []
    ended: set[int] = set()
    for page in pages:
        page_blocks, page_ended = _page_blocks(page)
        ended.update(len(blocks) + i for i in page_ended)
        blocks.extend(page_blocks)
    return _join_blocks(blocks, ended, measured=True), n_pages


def _page_lines(page) -> list[_Line]:
    """The page's text lines with their geometry (one char box at each end of a line)."""
    textpage = page.get_textpage()
    try:
        text = _without_note_marks(textpage, textpage.get_text_range())
        lines: list[_Line] = []
        pos = 0
        for raw in text.split("\r\n"):
            lines.extend(_visual_lines(textpage, pos, raw))
            pos += len(raw) + 2
        return lines
    finally:
        textpage.close()
        page.close()


# Stands in for a dropped character so every index still matches pdfium's char boxes; the
# private-use range is stripped from a line's text (``_without_private_use``).
_DROPPED = "\ue000"
# Digits set right after a word or a closing mark ("Erle4 means", "service3."): a candidate
# footnote mark.
_MARK_CANDIDATE = re.compile(r"(?<=[^\s\d])\d{1,2}(?!\d)")
_CLOSING = ".,;:!?)]'\"\u2019\u201d"


def _without_note_marks(textpage, text: str) -> str:
    """The page's text with footnote marks in the body blanked out (index for index).

    A mark is digits set smaller than the glyph before them and raised off its baseline. Read
    as text it glues a number onto the word ("Operation Erle4"); and pdfium ends its text line
    at the raised glyph, so the words after the mark ("means that ...", ". School ...") came
    out as a line of their own. When the next line goes on along the same baseline, the break
    is blanked too and the two halves are one line again.
    """
    chars = list(text)
    for match in _MARK_CANDIDATE.finditer(text):
        before = _charbox(textpage, match.start() - 1)
        size = before[3] - before[1]
        boxes = [_charbox(textpage, i) for i in range(match.start(), match.end())]
        if size <= 0 or not all(
            box[3] - box[1] < 0.85 * size and box[1] > before[1] + 0.2 * size for box in boxes
        ):
            continue
        end = match.end()
        if not text.startswith("\r\n", end) and end < len(text) and text[end].isalnum():
            continue  # a letter glued after it: part of a code, not a mark
        chars[match.start() : end] = _DROPPED * (end - match.start())
        if text.startswith("\r\n", end):
            following = end + 2
            while following < len(text) - 1 and text[following] == " ":
                following += 1
            after = _charbox(textpage, following)
            if abs(after[1] - before[1]) < 0.2 * size and after[0] >= before[0]:
                # the words either side of the mark keep the space between them
                next_char = text[end + 2 : end + 3]
                needs_space = next_char not in _CLOSING + " "
                chars[end : end + 2] = " " + _DROPPED if needs_space else _DROPPED * 2
    return "".join(chars)


def _charbox(textpage, index: int) -> tuple[float, float, float, float]:
    try:
        return textpage.get_charbox(index, loose=True)
    except Exception:
        return 0.0, 0.0, 0.0, 0.0


def _visual_lines(textpage, start: int, raw: str) -> list[_Line]:
    """The lines of the page in one line of the text layer: one, unless pdfium ran two together.

    pdfium sometimes emits a footnote's first line on the end of the body line above it
    ("... decision-1 The areas for improvement ..."). The two ends of such a line sit several
    lines apart vertically (a line wrapped after a hyphen, which pdfium also runs together, is
    one line apart and is left alone); the text is cut at the first character that moved.
    """
    line = _line(textpage, start, raw)
    if line is None:
        return []
    height = max(line.top - line.bottom, line.last_top - line.last_bottom, 1.0)
    if abs(line.bottom - line.last_bottom) <= 3 * height:
        return [line]
    for offset in range(1, len(raw.rstrip())):
        if raw[offset].isspace():
            continue
        if abs(_charbox(textpage, start + offset)[1] - line.bottom) > 3 * height:
            return _visual_lines(textpage, start, raw[:offset]) + _visual_lines(
                textpage, start + offset, raw[offset:]
            )
    return [line]


def _line(textpage, start: int, raw: str) -> _Line | None:
    """One text line with its geometry, or None when nothing printable is left."""
    clean = _without_private_use(raw).strip()
    if not clean:
        return None
    # the first alphanumeric character and the last non-space one
    alnum = _ALNUM.search(raw)
    first = start + alnum.start() if alnum is not None else None
    width = len(raw.rstrip())
    last = start + width - 1 if width else None
    if first is None or last is None:
        first = last = start + len(raw) - len(raw.lstrip())
    left, bottom, _, top = _charbox(textpage, first)
    _, last_bottom, right, last_top = _charbox(textpage, last)
    return _Line(normalise_chars(clean), top, bottom, left, right, last_top, last_bottom)


def _header_drawn_last(lines: list[_Line]) -> list[_Line]:
    """Move a short trailing run of lines sitting above every earlier line to the page's front.

    Letters often draw their letterhead (the Ofsted address block at the top of page 1) after
    the body text; left in stream order it would split the paragraph running onto page 2.
    """
    if len(lines) < 2:
        return lines
    highest = [lines[0].top]
    for line in lines[1:]:
        highest.append(max(highest[-1], line.top))
    cut, lowest = len(lines), float("inf")
    for index in range(len(lines) - 1, 0, -1):
        lowest = min(lowest, lines[index].top)
        if lowest > highest[index - 1] + 1.0 and len(lines) - index < index:
            cut = index
    return lines[cut:] + lines[:cut] if cut < len(lines) else lines


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def _drop_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page numbers and running headers/footers (lines repeated at page edges)."""
    edge: Counter[str] = Counter()
    for page in pages[1:]:
        keys = {_running_key(x.text) for x in page[:3] + page[-3:]}
        edge.update(keys)
    threshold = max(2, int(0.4 * (len(pages) - 1)))
    running = {k for k, n in edge.items() if n >= threshold and len(k) > 2}
    out = []
    for number, page in enumerate(pages):
        kept = []
        for index, line in enumerate(page):
            at_edge = index < 3 or index >= len(page) - 3
            if at_edge and _PAGE_NUMBER.match(line.text.strip()):
                continue
            if at_edge and number > 0 and _running_key(line.text) in running:
                continue
            kept.append(line)
        out.append(kept)
    return out


# The first line of a footnote: its mark (a number, often set as a superscript) and its words.
_FOOTNOTE_START = re.compile(r"^\d{1,2}(?:\s*[A-Za-z'\"(\u2018\u201c]|$)")


def _without_footnotes(lines: list[_Line]) -> list[_Line]:
    """A page without its footnotes: the run of lines at the page's foot set smaller than the
    page's body text, from the first that starts with a footnote mark.

    Read into the body, a footnote ("1 The areas for improvement have been cross-referenced
    with ...") lands between two numbered paragraphs and is read as a finding. The body's size
    is the most common line height; a footnote's lines are at least a tenth smaller. Runs before
    page numbers are dropped, so a footnote's mark on a line of its own is still seen.
    """
    if len(lines) < 4:
        return lines
    heights = Counter(round(line.top - line.bottom, 1) for line in lines)
    body = heights.most_common(1)[0][0]
    start = len(lines)
    while start > 0 and (
        lines[start - 1].top - lines[start - 1].bottom < 0.9 * body
        or _PAGE_NUMBER.match(lines[start - 1].text.strip())
    ):
        start -= 1
    for index in range(start, len(lines)):
        if _FOOTNOTE_START.match(lines[index].text):
            return lines[:index]
    return lines


def _page_blocks(lines: list[_Line]) -> tuple[list[str], set[int]]:
    """Group a page's lines into blocks by vertical gaps, bullets and line ends; with the
    indexes of the blocks whose last line stopped short of the margin."""
    if not lines:
        return [], set()
    width_right = max(x.right for x in lines)
    short_of = width_right - 0.25 * (width_right - min(x.left for x in lines))
    blocks: list[list[str]] = []
    ended: set[int] = set()
    previous: _Line | None = None
    for line in lines:
        text = _collapse_spaces(line.text)
        item = _bullet(text)
        height = max(line.top - line.bottom, 1.0)
        new_block = previous is None or item is not None
        if previous is not None and not new_block:
            gap = previous.bottom - line.top
            # a gap of more than ~half a line, or a line that jumps up the page (a new column)
            new_block = gap > 0.45 * height or line.top > previous.top + height
        if new_block and previous is not None and previous.right < short_of:
            ended.add(len(blocks) - 1)
        if item is not None:
            blocks.append([item])
        elif new_block:
            blocks.append([text])
        else:
            block = blocks[-1]
            # A line that stopped well short of the right margin ended for a reason (an
            # address line, a table row): keep the break. Otherwise it wrapped: join it.
            short = previous is not None and previous.right < short_of
            if short and not _ends_mid_sentence(block[-1]):
                block.append(text)
            else:
                block[-1] = _joined(block[-1], text)
        previous = line
    if previous is not None and previous.right < short_of:
        ended.add(len(blocks) - 1)  # the page's last block, before the page end
    return ["\n".join(b) for b in blocks], ended


def _ends_mid_sentence(text: str) -> bool:
    """A line ending in a comma, 'and', 'of'... wrapped early but continues."""
    return bool(re.search(r"(?:,|\b(?:and|or|of|the|to|in|for|with|a|an))$", text.rstrip()))
