"""docs/queries/ is generated from queries/: it must match what `kg queries docs` writes."""

from __future__ import annotations

from pathlib import Path

from kg.queries import load_queries
from kg.query_docs import docs_dir, render_page, stale_pages, write_docs

ROOT = Path(__file__).resolve().parent.parent


def test_docs_are_up_to_date_with_the_saved_queries() -> None:
    stale = stale_pages(docs_dir())
    assert not stale, (
        f"docs/queries is out of date for {', '.join(stale)}: "
        "run `kg queries docs` and commit the pages"
    )


def test_every_saved_query_gets_a_page_and_an_index_line(tmp_path: Path) -> None:
    written = write_docs(tmp_path)
    queries = load_queries()
    assert len(written) == len(queries) + 1
    index = (tmp_path / "README.md").read_text()
    for name, query in queries.items():
        page = (tmp_path / f"{name}.md").read_text()
        assert f"# `{name}`" in page and "```sparql" in page and f"kg query {name}" in page
        assert f"[`{name}`]({name}.md)" in index
        for p in query.parameters:
            assert f"| `{p.name}` | {p.type} |" in page
    # a page of a query that is gone is removed, hand-written files are kept
    (tmp_path / "gone.md").write_text(render_page(queries["recurring-issues"], 0))
    (tmp_path / "notes.md").write_text("# hand-written\n")
    write_docs(tmp_path)
    assert not (tmp_path / "gone.md").exists() and (tmp_path / "notes.md").exists()
