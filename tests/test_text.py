"""Source file -> clean text: PDF geometry, text encodings, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from kg.text import SourceError, _join_blocks, clean_plain_text, read_source

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
LETTER_PDF = SEEDS / "hartlepool_2020-03-27_focused-visit.pdf"


def test_pdf_paragraphs_are_rejoined_and_bullets_marked() -> None:
    text = read_source(LETTER_PDF).text
    # A paragraph wrapped over five lines in the PDF is one block.
    assert (
        "This letter summarises the findings of a focused visit to Hartlepool Borough children's "
        "services on 4 and 5 March 2020. The visit was carried out by Her Majesty's Inspector, "
        "Lisa Summers and Her Majesty's Inspector, Nick Stacey.\n\n" in text
    )
    # The bullet glyph became "- " and the item is its own block, wrapped lines joined.
    assert (
        "\n\n- The frequency of formal supervision to match the level of risk to children in line"
        " with the local authority's expected practice standards.\n\n" in text
    )
    # Address lines ended early on purpose: they stay separate lines of one block.
    assert "Sally Robinson\nDirector, Children's and Joint Commissioning Services\n" in text


def test_pdf_page_break_inside_a_paragraph_is_joined() -> None:
    text = read_source(LETTER_PDF).text
    assert "to enable social workers to deliver high-quality direct work" in text


def test_pdf_and_its_text_copy_clean_to_the_same_sentences() -> None:
    pdf = read_source(LETTER_PDF).text
    txt = read_source(SEEDS / "hartlepool_2020-03-27_focused-visit.txt").text
    pdf_blocks = set(pdf.split("\n\n"))
    txt_blocks = [b for b in txt.split("\n\n") if len(b) > 80]
    shared = [b for b in txt_blocks if b in pdf_blocks]
    assert len(shared) >= 0.9 * len(txt_blocks)


def test_running_headers_and_page_numbers_are_dropped() -> None:
    text = read_source(SEEDS / "middlesbrough_2023-05-25_inspection.pdf").text
    title = "Inspection of Middlesbrough local authority children's services"
    assert text.count(title) == 1  # the title on page 1, not the header on every page
    assert "\n\n2\n\n" not in text
    assert "13 to 24 March 2023 2" not in text


def test_curly_quotes_and_ligatures_are_normalised() -> None:
    cleaned = clean_plain_text("The \u2018one worker\u2019 model \ufb01ts \u201cwell\u201d.\n")
    assert cleaned == "The 'one worker' model fits \"well\".\n"


def test_markup_is_stripped_from_text_copies() -> None:
    cleaned = clean_plain_text("Yours sincerely\n\nLisa Summers\n**Her Majesty's Inspector**\n")
    assert cleaned == "Yours sincerely\n\nLisa Summers\nHer Majesty's Inspector\n"


def test_windows_1252_and_utf16_text_decode(tmp_path: Path) -> None:
    words = "Children\u2019s services \u2013 \u00a3 figures"
    cp1252 = tmp_path / "letter-cp1252.txt"
    cp1252.write_bytes(words.encode("cp1252"))
    utf16 = tmp_path / "letter-utf16.txt"
    utf16.write_bytes(words.encode("utf-16"))
    for path, encoding in ((cp1252, "cp1252"), (utf16, "utf-16")):
        source = read_source(path)
        assert source.text == "Children's services \u2013 \u00a3 figures\n"
        assert source.encoding == encoding


def test_sha256_is_of_the_file_bytes(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "a.txt"
    path.write_bytes(b"Focused visit to Hartlepool\n")
    assert read_source(path).sha256 == hashlib.sha256(b"Focused visit to Hartlepool\n").hexdigest()


# ------------------------------------------------------------------------------ bad input


def _error(path: Path) -> str:
    with pytest.raises(SourceError) as info:
        read_source(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    return message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert "empty file" in _error(path)


def test_html_page_saved_as_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_text(
        "<!DOCTYPE html>\n<html><head><title>Ofsted</title></head><body>Not found</body></html>"
    )
    assert "HTML page" in _error(path)


def test_truncated_pdf(tmp_path: Path) -> None:
    data = LETTER_PDF.read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    assert "damaged or truncated" in _error(path)


def test_encrypted_pdf(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=str(LETTER_PDF))
    writer.encrypt(user_password="secret", owner_password="owner")
    path = tmp_path / "encrypted.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert "encrypted" in _error(path)


def test_scanned_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument.new()
    for _ in range(3):
        pdf.new_page(595, 842)
    path = tmp_path / "scanned.pdf"
    pdf.save(str(path))
    assert "no text layer" in _error(path)


def test_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes(range(256)) * 8)
    assert "binary" in _error(path)


def test_not_a_pdf_despite_its_name(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"PK\x03\x04 this is a zip archive, not a PDF")
    assert "not a PDF" in _error(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot be read" in _error(tmp_path / "missing.pdf")


NATIONAL = ROOT / "tests" / "data" / "national"


@pytest.mark.parametrize(
    ("file", "footnote", "body"),
    [
        # 2025+ ILACS: the footnote under "What needs to improve" sits between two findings
        (
            "haringey_2026-02-24_inspection.pdf",
            "have been cross-referenced with the outcomes",
            "\n\n3. ",
        ),
        # pdfium runs the footnote's first line onto the body line above it
        (
            "trafford_2026-08-03_inspection.pdf",
            "have been cross-referenced with the outcomes",
            "is not routinely considered in decision-making about next steps.",
        ),
        # SIF 2014: the footnote's mark is a line of its own
        (
            "bexley_2014-05-23_inspection.pdf",
            "was given the opportunity to review this section",
            "111 (42%) live outside the local authority area",
        ),
    ],
)
def test_pdf_footnotes_are_not_body_text(file: str, footnote: str, body: str) -> None:
    text = read_source(NATIONAL / file).text
    assert footnote not in text
    assert body in text


@pytest.mark.parametrize(
    ("file", "body", "glued"),
    [
        # pdfium ends its line at the raised mark; the words after it go on the same baseline
        ("peterborough_2015-09-18_inspection.pdf", "Operation Erle means that", "Erle4"),
        # the mark before a comma
        ("cornwall_2016-06-27_inspection.pdf", "special schools, of whom all", "schools3"),
        # the mark before a bracket on the next line, and one in the middle of a line
        ("barking-and-dagenham_2014-07-07_inspection.pdf", "22.2% (the national", "22.2%3"),
        ("barking-and-dagenham_2014-07-07_inspection.pdf", "account for 62% of all", "62%5"),
    ],
)
def test_pdf_footnote_marks_are_dropped_from_the_body(file: str, body: str, glued: str) -> None:
    """A superscript footnote mark neither glues a number onto a word nor breaks the line."""
    text = read_source(NATIONAL / file).text
    assert body in text
    assert glued not in text


@pytest.mark.parametrize(
    ("path", "joined"),
    [
        # SIF 2015: a date cut at a page end, the next page opening with its year
        (
            SEEDS / "darlington_2015-09-01_inspection.pdf",
            "while the judgement was publicised in February 2015. In the meantime,",
        ),
        # ... a sentence cut after "in", the next block opening with a number
        (
            NATIONAL / "slough_2016-02-17_inspection.pdf",
            "23 children were adopted in comparison with 17 in 2014 and nine in 2013.",
        ),
        # ... after "a", the next block opening with a quotation
        (
            NATIONAL / "redbridge_2016-11-25_inspection.pdf",
            "When brother and sister groups are taken into care, a 'together or apart' assessment",
        ),
        # a line that ran to the margin, then a quotation over the page
        (
            NATIONAL / "sunderland_2015-07-20_inspection.pdf",
            "one young person spent three months 'street homeless', while another",
        ),
        # a name cut at a page end ("Corporate" / "Parenting Panel")
        (
            NATIONAL / "slough_2014-02-14_inspection.pdf",
            "the CiCC meets regularly with the Corporate Parenting Panel and there are examples",
        ),
    ],
)
def test_pdf_sentence_cut_at_a_page_end_is_joined(path: Path, joined: str) -> None:
    assert joined in read_source(path).text


_CUT = (
    "16. Child protection, core groups and child in need (CIN) reviews are well attended by "
    "partners and IROs chair child protection conferences and children looked after reviews. "
    "Despite caseloads for IROs being high, 90% of initial and"
)


@pytest.mark.parametrize(
    ("previous", "block", "ended", "measured", "joined"),
    [
        # a word no sentence ends on: whatever opens the next block goes on (page geometry or not)
        (_CUT, "99% of review child protection conferences are held on time.", set(), False, True),
        (_CUT, "'Working together to safeguard children' (2015).", set(), True, True),
        # ... unless the last line stopped short of the margin, or the next is a bullet
        (_CUT, "99% of review child protection conferences are held on time.", {0}, True, False),
        (_CUT, "- 99% of review conferences.", set(), True, False),
        # a name cut at the margin: only with the geometry to show the line ran to the margin
        (
            _CUT[:-20] + "in the significant population growth in Milton",
            "Keynes. Despite increasing pressures on the local authority,",
            set(),
            True,
            True,
        ),
        (
            _CUT[:-20] + "in the significant population growth in Milton",
            "Keynes. Despite increasing pressures on the local authority,",
            set(),
            False,
            False,
        ),
        # a paragraph without its full stop before a numbered one, or a labelled line after a
        # list of names, or a footnote left on the page, is not carried on
        (
            _CUT[:-20] + "that meet their needs",
            "38. When Ofsted last inspected",
            set(),
            True,
            False,
        ),
        (
            "Team inspectors: Louise Hocking HMI, Andy Whippey HMI, Janet Fraser HMI, Stephanie "
            "Murray HMI, Donna Marriott HMI, Peter Green HMI, Nick Stacey HMI",
            "Shadow inspectors: Natalie Trentham HMI and Joy Howick HMI",
            set(),
            True,
            False,
        ),
        (
            _CUT[:-20] + "a significant increase from 200 at 31 March",
            "2 GLA 2013",
            set(),
            True,
            False,
        ),
    ],
)
def test_blocks_split_mid_sentence_are_joined_by_layout(
    previous: str, block: str, ended: set[int], measured: bool, joined: bool
) -> None:
    text = _join_blocks([previous, block], ended, measured=measured)
    assert (text == f"{previous} {block}\n") is joined
    assert (text == f"{previous}\n\n{block}\n") is not joined
