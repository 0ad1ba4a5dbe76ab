"""The bench corpus maker (bench/make_corpus.py): copies of real PDFs are those PDFs with
their text edited in place, and each copy extracts as its plan says (new authority, shifted
dates, the seed's judgements and counts), so the build bench measures real-looking files."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import check_corpus  # noqa: E402
import make_corpus  # noqa: E402

from kg.text import read_source  # noqa: E402

NATIONAL = ROOT / "tests" / "data" / "national"
SMALL = ("somerset_2019-02-21_focused-visit.pdf", "bracknell-forest_2024-01-12_focused-visit.pdf")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("inputs")
    for name in SMALL:
        shutil.copy(NATIONAL / name, where / name)
    return where


def _make(inputs: Path, out: Path, count: int = 3) -> dict:
    args = ["--input", str(inputs), "--out", str(out), "--count", str(count), "--workers", "1"]
    assert make_corpus.main(args) == 0
    return json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("corpus")
    return out, _make(inputs, out)


def test_copies_are_the_real_pdfs_edited_and_extract_as_planned(
    inputs: Path, corpus: tuple[Path, dict]
) -> None:
    out, manifest = corpus
    assert manifest["made"] == {"edited": 3}
    seeds = {
        s.path.name: s for s in make_corpus.load_seeds(make_corpus.load_authorities(), [inputs])
    }
    for copy in manifest["copies"]:
        seed_file, copy_file = inputs / copy["seed"], out / copy["file"]
        original, copied = read_source(seed_file), read_source(copy_file)
        # the seed's pages, fonts and images: about the seed's size, not a light re-typeset
        assert copied.pages == original.pages
        assert 0.8 < copy_file.stat().st_size / seed_file.stat().st_size < 1.6
        assert copy["authority"] in copied.text and seeds[copy["seed"]].authority not in copied.text
        # authority, kind, shifted dates, judgements and counts as the plan says
        assert check_corpus.check_copy(copy, out, {}, seeds) == []


def test_the_same_seed_and_count_make_the_same_corpus(
    inputs: Path, corpus: tuple[Path, dict], tmp_path: Path
) -> None:
    out, manifest = corpus
    again = _make(inputs, tmp_path)
    assert again["copies"] == manifest["copies"]
    for copy in manifest["copies"]:
        assert (tmp_path / copy["file"]).read_bytes() == (out / copy["file"]).read_bytes()


def test_a_name_and_a_date_split_over_text_objects_are_rekeyed_whole(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    # "Hart" and "lepool" are two text objects; the date runs over two lines
    first = "Children's services in Hart"
    pdf.cell(pdf.get_string_width(first), 6, first)
    pdf.cell(40, 6, "lepool are good", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "The visit took place on 26 and 27", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "October 2021 and the report followed.", new_x="LMARGIN", new_y="NEXT")
    source, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    pdf.output(str(source))
    assert "services in Hartlepool are good" in read_source(source).text

    def rekey(text: str) -> str:
        return make_corpus.rekey(text, "Hartlepool", "Darlington", make_corpus.Shift(1, 10), 2021)

    edit = make_corpus.edit_pdf(source, out, rekey)
    text = " ".join(read_source(out).text.split())
    assert "services in Darlington are good" in text
    assert "took place on 5 and 6 November 2022 and" in text
    assert edit.objects >= 2 and edit.standard_font == 0


def test_text_edits_turn_the_old_text_into_the_new() -> None:
    old = "Inspected 26 and 27 October 2021 in\r\nEast Sussex, since 2019."
    new = "Inspected 5 and 6 November 2022 in\r\nRedbridge, since 2020."
    out, at = [], 0
    for start, end, replacement in make_corpus.text_edits(old, new):
        out.append(old[at:start] + replacement)
        at = end
    assert "".join(out) + old[at:] == new


def test_a_pdf_pdfium_cannot_edit_is_typeset_again_and_counted(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot(source: Path, out: Path, rekey: object) -> None:
        raise make_corpus.PdfEditError("the edited page does not read as re-keyed")

    monkeypatch.setattr(make_corpus, "edit_pdf", cannot)
    manifest = _make(inputs, tmp_path, count=1)
    assert manifest["made"] == {"typeset": 1}
    copy = manifest["copies"][0]
    assert copy["problem"] == "the edited page does not read as re-keyed"
    assert copy["authority"] in read_source(tmp_path / copy["file"]).text
