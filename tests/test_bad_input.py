"""A real batch with every kind of bad file: each one gets one line, the rest is built.

The bad files are made here: an HTML page saved as .pdf, an empty file, a truncated PDF, an
encrypted PDF, a scanned (image-only) PDF, a text report in Windows-1252, a UTF-16 text
that is not a report, and a document that is not an Ofsted report at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pypdfium2 as pdfium
import pytest
from typer.testing import CliRunner

from kg import vocab
from kg.cli import app
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOOD_TEXT = SEEDS / "hartlepool_2020-03-27_focused-visit.txt"
GOOD_PDF = SEEDS / "middlesbrough_2018-08-31_focused-visit.pdf"


@pytest.fixture()
def batch(tmp_path: Path) -> tuple[Path, set[str]]:
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(GOOD_PDF, folder / GOOD_PDF.name)
    # A real report, re-encoded as Windows-1252 with curly quotes: must build, not fail.
    text = GOOD_TEXT.read_text(encoding="utf-8").replace("'", "\u2019")
    (folder / "hartlepool-cp1252.txt").write_bytes(text.encode("cp1252"))
    (folder / "saved-page.pdf").write_text(
        "<!DOCTYPE html><html><head><title>Ofsted</title></head><body>Report moved</body></html>"
    )
    (folder / "empty.pdf").write_bytes(b"")
    data = GOOD_PDF.read_bytes()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 4])
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)
    pdf.save(str(folder / "scanned.pdf"))
    (folder / "minutes.txt").write_text(
        "Minutes of the planning committee\n\nItem 1. The committee approved the minutes.\n"
    )
    (folder / "notes-utf16.txt").write_bytes("Shopping list: tea, milk\n".encode("utf-16"))
    bad = {
        "saved-page.pdf",
        "empty.pdf",
        "truncated.pdf",
        "scanned.pdf",
        "minutes.txt",
        "notes-utf16.txt",
    }
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=str(GOOD_PDF))
    writer.encrypt(user_password="secret", owner_password="owner")
    with (folder / "encrypted.pdf").open("wb") as handle:
        writer.write(handle)
    bad.add("encrypted.pdf")
    return folder, bad


def test_bad_files_fail_one_line_each_and_the_rest_is_built(
    batch: tuple[Path, set[str]], tmp_path: Path
) -> None:
    folder, bad = batch
    store = tmp_path / "store"
    result = CliRunner().invoke(
        app, ["build", str(folder), "--store", str(store), "--workers", "1", "--no-datasets"]
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    for name in bad:
        named = [line for line in lines if name in line]
        assert len(named) == 1, (name, lines)
    assert f"failed {len(bad)}" in result.output
    assert "built 2" in result.output

    graph = KnowledgeGraph.open_read_only(store)
    try:
        visits = graph.store.query(
            "PREFIX kg: <https://w3id.org/ofsted-kg/def#> "
            "SELECT DISTINCT ?v WHERE { ?v a kg:Visit }",
            use_default_graph_as_union=True,
        )
        assert len(list(visits)) == 2
    finally:
        graph.close()


def test_manifests_and_readmes_are_skipped_with_a_note_not_failed(tmp_path: Path) -> None:
    """A folder as the shared corpora are laid out (reports beside a MANIFEST.tsv, a README):
    what is not a report by its extension is skipped and said so; an HTML page is still read
    and refused in its own line."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(GOOD_PDF, folder / GOOD_PDF.name)
    shutil.copy(GOOD_TEXT, folder / GOOD_TEXT.name)
    (folder / "MANIFEST.tsv").write_text("file\trepository\n" + GOOD_PDF.name + "\tx\n")
    (folder / "README.md").write_text("# The corpus\n\nWhere each report came from.\n")
    (folder / "sources.csv").write_text("file,url\n")
    (folder / "index.json").write_text("{}")
    (folder / "page.html").write_text(
        "<!DOCTYPE html><html><head><title>Ofsted</title></head><body>Report</body></html>"
    )
    store = tmp_path / "store"
    command = ["build", str(folder), "--store", str(store), "--workers", "1", "--no-datasets"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1  # the HTML page
    assert result.stderr.splitlines() == [
        f"{folder / 'page.html'}: is an HTML page (saved with a .pdf name?), not a report PDF"
    ]
    assert result.stdout.splitlines()[-1].endswith(
        "; skipped 4 not a report by its extension: MANIFEST.tsv, README.md, index.json and 1 more"
    )
    assert "built 2, unchanged 0, failed 1 (" in result.stdout

    (folder / "page.html").unlink()
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0, again.output  # manifests alone do not fail a build
    assert "built 0, unchanged 2, failed 0 (" in again.stdout
    assert "skipped 4" in again.stdout


def test_a_bad_batch_loses_nothing_already_stored(
    batch: tuple[Path, set[str]], tmp_path: Path
) -> None:
    folder, bad = batch
    store = tmp_path / "store"
    runner = CliRunner()
    first = runner.invoke(
        app, ["build", str(GOOD_TEXT), "--store", str(store), "--workers", "1", "--no-datasets"]
    )
    assert first.exit_code == 0, first.output
    source_graph = ox.NamedNode(vocab.source_graph_iri(GOOD_TEXT.name))
    graph = KnowledgeGraph.open_read_only(store)
    before = set(graph.store.quads_for_pattern(None, None, None, source_graph))
    graph.close()
    assert before

    # The same good file comes back broken (truncated): its stored graph must survive.
    broken = tmp_path / "again" / GOOD_TEXT.name
    broken.parent.mkdir()
    broken.write_bytes(b"")
    second = runner.invoke(
        app,
        [
            "build",
            str(broken),
            *[str(folder / n) for n in bad],
            "--store",
            str(store),
            "--workers",
            "1",
            "--no-datasets",
        ],
    )
    assert second.exit_code == 1
    graph = KnowledgeGraph.open_read_only(store)
    try:
        assert set(graph.store.quads_for_pattern(None, None, None, source_graph)) == before
        recs = graph.store.query(
            "PREFIX kg: <https://w3id.org/ofsted-kg/def#> "
            "SELECT DISTINCT ?r WHERE { ?r a kg:Recommendation }",
            use_default_graph_as_union=True,
        )
        assert len(list(recs)) == 2  # Hartlepool 2020's two recommendations are still there
    finally:
        graph.close()
