"""The ``kg`` command line, with a stand-in extractor (the real one is tested elsewhere)."""

from __future__ import annotations

import hashlib
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import build as build_module
from kg import cli
from kg.cli import pipeline
from kg.extract import ExtractionError
from kg.rdf import T
from kg.record import Addressee, AuthorityRef, Inspector, Recommendation, Report

runner = CliRunner()


def fake_extract(path: Path) -> Report:
    """One recommendation per file; files not starting with "GSS " are not reports."""
    data = Path(path).read_bytes()
    text = data.decode("utf-8", errors="replace")
    if not text.startswith("GSS "):
        raise ExtractionError(Path(path).name, "not an Ofsted report")
    gss, start, rec = text[4:].split("|")
    offset = text.index(rec)
    return Report(
        source=Path(path).name,
        sha256=hashlib.sha256(data).hexdigest(),
        kind="focused-visit",
        authority=AuthorityRef("Somewhere", gss, "805"),
        visit_start=start,
        inspectors=[Inspector("Jane Doe", lead=True)],
        recommendations=[
            Recommendation(rec, None, None, None, ["supervision"], offset, offset + len(rec))
        ],
        text=text,
    )


@dataclass
class FakeAuthority:
    name: str
    gss_code: str
    dfe_la_code: str | None = None
    region_name: str | None = None
    region_gss_code: str | None = None
    wikidata_qid: str | None = None


@pytest.fixture(autouse=True)
def fakes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(build_module, "extract_file", fake_extract)
    monkeypatch.setattr(pipeline, "extract_file", fake_extract)
    monkeypatch.setattr(
        build_module,
        "reference_authorities",
        lambda: [
            FakeAuthority("Hartlepool", "E06000001"),
            FakeAuthority("Darlington", "E06000005"),
        ],
    )
    monkeypatch.setenv("KG_STORE", str(tmp_path / "env-store"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "one.txt").write_text("GSS E06000001|2020-02-04|Improve supervision.")
    (d / "two.txt").write_text("GSS E06000005|2021-11-30|Improve plans.")
    return d


def test_build_summary_table_and_exit_code(corpus: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = runner.invoke(cli.app, ["build", str(corpus), "--store", str(store), "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # quiet when stderr is not a terminal
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("built 2, unchanged 0, failed 0 (") and last.endswith(" triples)")
    assert "Hartlepool" in result.stdout and "Darlington" in result.stdout
    again = runner.invoke(cli.app, ["build", str(corpus), "--store", str(store), "--workers", "1"])
    assert again.exit_code == 0
    last_again = again.stdout.strip().splitlines()[-1]
    assert last_again.startswith("built 0, unchanged 2, failed 0 (")
    assert last_again.split("(")[1] == last.split("(")[1]  # same triple count
    # the shipped DfE tables are linked by default, and skipped when unchanged
    assert "dfe-csww: 1449 observations linked" in result.stdout
    assert "dfe-csww: unchanged" in again.stdout


def test_build_with_a_bad_file_exits_1_and_names_it(corpus: Path, tmp_path: Path) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    store = tmp_path / "store"
    result = runner.invoke(
        cli.app, ["build", str(corpus), "--store", str(store), "--workers", "1", "--no-datasets"]
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["broken.pdf: not an Ofsted report"]
    assert "built 2, unchanged 0, failed 1" in result.stdout
    stats = runner.invoke(cli.app, ["stats", "--store", str(store), "--json"])
    assert json.loads(stats.stdout)["visits"] == 2


def test_build_missing_path_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(
        cli.app, ["build", str(tmp_path / "nope"), "--store", str(tmp_path / "s"), "--no-datasets"]
    )
    assert result.exit_code == 1
    assert "no such file or directory" in result.stderr


def test_a_store_held_by_another_writer_is_one_line_for_every_writing_command(
    tmp_path: Path,
) -> None:
    """kg build, kg link import and kg link import-defaults open the store for writing one way
    (``console.open_writable``): a store a build holds is named, and the holder too."""
    from kg.store import KnowledgeGraph

    table = tmp_path / "table.csv"
    table.write_text("la_code,time_period,value\nE06000001,2020,1\n", encoding="utf-8")
    store = tmp_path / "store"
    with KnowledgeGraph.open(store):  # the writer holding the store's lock
        for args in (
            ["build", str(table)],
            ["link", "import", str(table), "--dataset", "t"],
            ["link", "import-defaults"],
        ):
            result = runner.invoke(cli.app, [*args, "--store", str(store)])
            assert result.exit_code == 1, result.output
            (line,) = result.output.strip().splitlines()
            assert line.startswith(f"error: cannot open the store at {store} for writing")
            assert "another process, such as a running build, holds it" in line


def test_store_defaults_to_env(corpus: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["build", str(corpus), "--workers", "1", "--no-datasets"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "env-store").is_dir()
    stats = runner.invoke(cli.app, ["stats", "--json"])
    assert stats.exit_code == 0
    data = json.loads(stats.stdout)
    assert data["visits"] == 2 and data["recommendations"] == 2
    assert data["authorities"] == 2 and data["authorities_with_visits"] == 2
    assert data["inspectors"] == 1
    assert {(r["kind"], r["year"]) for r in data["visits_by_kind_year"]} == {
        ("focused-visit", 2020),
        ("focused-visit", 2021),
    }


def test_stats_tables_and_missing_store(corpus: Path, tmp_path: Path) -> None:
    missing = runner.invoke(cli.app, ["stats", "--store", str(tmp_path / "none")])
    assert missing.exit_code == 1
    assert "run `kg build` first" in missing.stderr
    store = tmp_path / "store"
    runner.invoke(
        cli.app, ["build", str(corpus), "--store", str(store), "--workers", "1", "--no-datasets"]
    )
    result = runner.invoke(cli.app, ["stats", "--store", str(store)])
    assert result.exit_code == 0
    assert "recommendations" in result.stdout and "focused-visit" in result.stdout


def test_extract_json_does_not_touch_the_store(corpus: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["extract", str(corpus / "one.txt"), "--json"])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["authority"]["gss_code"] == "E06000001"
    assert record["recommendations"][0]["text"] == "Improve supervision."
    assert "text" not in record
    assert not (tmp_path / "env-store").exists()
    readable = runner.invoke(cli.app, ["extract", str(corpus / "one.txt")])
    assert readable.exit_code == 0 and "Improve supervision." in readable.stdout


def test_extract_shows_every_addressee_of_a_letter(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A letter to two joint directors: both in the table's one cell and in the JSON."""
    role = "Joint Directors"

    def two_directors(path: Path) -> Report:
        report = fake_extract(path)
        report.addressees = [Addressee("Ann Cole", role), Addressee("Bill Farr", role)]
        return report

    monkeypatch.setattr(pipeline, "extract_file", two_directors)
    result = runner.invoke(cli.app, ["extract", str(corpus / "one.txt"), "--json"])
    assert json.loads(result.stdout)["addressees"] == [
        {"name": "Ann Cole", "role": role},
        {"name": "Bill Farr", "role": role},
    ]
    table = runner.invoke(cli.app, ["extract", str(corpus / "one.txt")])
    assert table.exit_code == 0
    assert f"Ann Cole ({role}); Bill Farr ({role})" in table.stdout


def test_extract_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.pdf"
    bad.write_text("<html></html>")
    result = runner.invoke(cli.app, ["extract", str(bad), "--json"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["x.pdf: not an Ofsted report"]
    assert result.stdout == ""


def test_validate_prints_violations_and_exits_1(corpus: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    runner.invoke(
        cli.app, ["build", str(corpus), "--store", str(store), "--workers", "1", "--no-datasets"]
    )
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        textwrap.dedent(
            f"""\
            @prefix sh: <http://www.w3.org/ns/shacl#> .
            <http://example.org/RecShape> a sh:NodeShape ;
                sh:targetClass <{T.Recommendation}> ;
                sh:property [ sh:path <{T.timescale}> ; sh:minCount 1 ;
                              sh:message "needs a timescale" ] .
            """
        )
    )
    result = runner.invoke(cli.app, ["validate", "--store", str(store), "--shapes", str(shapes)])
    assert result.exit_code == 1
    assert result.stdout.count("needs a timescale") == 2
    assert f"path:  {T.timescale}" in result.stdout
    assert "focus: https://w3id.org/ofsted-kg/id/visit/E06000001/" in result.stdout
    assert "2 SHACL violation(s)" in result.stderr
    ok = tmp_path / "ok.ttl"
    ok.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n")
    passed = runner.invoke(cli.app, ["validate", "--store", str(store), "--shapes", str(ok)])
    assert passed.exit_code == 0 and "conforms" in passed.stdout


def test_default_build_uses_the_repository_seeds() -> None:
    assert cli.seeds_dir() == Path(__file__).resolve().parent.parent / "seeds"


# ------------------------------------------------------------------ kg query / kg sparql

RECS = "SELECT ?r ?text WHERE { ?r a kg:Recommendation ; kg:text ?text } ORDER BY ?text"


@pytest.fixture
def built(corpus: Path, tmp_path: Path) -> Path:
    """A store of three stand-in reports, one with a recommendation too long for a table."""
    (corpus / "three.txt").write_text("GSS E06000001|2022-05-10|" + "Improve plans. " * 30)
    store = tmp_path / "store"
    result = runner.invoke(
        cli.app, ["build", str(corpus), "--store", str(store), "--workers", "1", "--no-datasets"]
    )
    assert result.exit_code == 0, result.stderr
    return store


def test_sparql_limit_says_when_it_cut_in_every_format(built: Path) -> None:
    args = ["sparql", RECS, "--store", str(built), "--limit", "1"]
    table = runner.invoke(cli.app, args)
    assert table.exit_code == 0, table.stderr
    assert "output cut at --limit 1 rows" in table.stdout
    as_csv = runner.invoke(cli.app, [*args, "--format", "csv"])
    assert as_csv.stdout.splitlines()[0] == "r,text" and len(as_csv.stdout.splitlines()) == 2
    assert "output cut at --limit 1 rows" in as_csv.stderr
    as_json = runner.invoke(cli.app, [*args, "--format", "json"])
    assert len(json.loads(as_json.stdout)["results"]["bindings"]) == 1
    assert "output cut" in as_json.stderr
    whole = runner.invoke(cli.app, ["sparql", RECS, "--store", str(built), "--format", "tsv"])
    assert len(whole.stdout.splitlines()) == 4 and whole.stderr == ""


def test_table_fits_the_terminal_and_says_what_it_shortened(built: Path) -> None:
    result = runner.invoke(cli.app, ["sparql", RECS, "--store", str(built)])
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 120
    assert "Improve plans. Improve" in result.stdout and "…" in result.stdout
    assert "1 long cell(s) shortened" in result.stdout
    full = runner.invoke(cli.app, ["sparql", RECS, "--store", str(built), "--format", "json"])
    texts = [b["text"]["value"] for b in json.loads(full.stdout)["results"]["bindings"]]
    assert max(len(t) for t in texts) == len("Improve plans. " * 30)


def test_xml_and_graph_formats_and_output_file(built: Path, tmp_path: Path) -> None:
    xml = runner.invoke(cli.app, ["sparql", RECS, "--store", str(built), "--format", "xml"])
    assert xml.stdout.startswith('<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/')
    construct = "CONSTRUCT { ?v a kg:Visit } WHERE { ?v a kg:Visit }"
    target = tmp_path / "visits.nt"
    result = runner.invoke(
        cli.app,
        [
            "sparql",
            construct,
            "--store",
            str(built),
            "--format",
            "ntriples",
            "--output",
            str(target),
        ],
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert len(target.read_text().splitlines()) == 3
    wrong = runner.invoke(cli.app, ["sparql", construct, "--store", str(built), "-f", "csv"])
    assert wrong.exit_code == 1
    assert "--format csv does not fit a CONSTRUCT/DESCRIBE query" in wrong.stderr
    wrong = runner.invoke(cli.app, ["sparql", RECS, "--store", str(built), "-f", "turtle"])
    assert wrong.exit_code == 1 and "does not fit a SELECT query" in wrong.stderr


def test_sparql_errors_are_one_clear_message(built: Path) -> None:
    bad = runner.invoke(
        cli.app, ["sparql", "SELECT ?x WHERE {\n  ?x kg:kind FILTER(1)\n}", "--store", str(built)]
    )
    assert bad.exit_code == 1
    assert "SPARQL syntax error at line 2, column 20" in bad.stderr
    update = runner.invoke(cli.app, ["sparql", "DELETE WHERE { ?s ?p ?o }", "--store", str(built)])
    assert update.exit_code == 1 and "UPDATE is not allowed" in update.stderr
    stats = runner.invoke(cli.app, ["stats", "--store", str(built), "--json"])
    assert json.loads(stats.stdout)["visits"] == 3


def test_a_runaway_query_is_stopped_and_says_so(built: Path) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    result = runner.invoke(cli.app, ["sparql", slow, "--store", str(built), "--timeout", "1"])
    assert result.exit_code == 3
    assert "query stopped after 1 s" in result.stderr


def test_friendly_flags_map_onto_the_query_parameters(built: Path) -> None:
    base = ["query", "recurring-issues", "--store", str(built), "--format", "csv"]
    ok = runner.invoke(
        cli.app,
        [
            *base,
            "--authority",
            "Hartlepool",
            "--from",
            "2019",
            "--to",
            "2022",
            "--param",
            "min_visits=1",
        ],
    )
    assert ok.exit_code == 0, ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0].startswith("authority_name,theme,") and len(lines) == 2  # supervision
    early = runner.invoke(
        cli.app, [*base, "--authority", "Hartlepool", "--to", "2019", "--param", "min_visits=1"]
    )
    assert len(early.stdout.splitlines()) == 1  # header only: the visits are 2020 and 2022
    none = runner.invoke(cli.app, [*base, "--inspector", "Jane Doe"])
    assert none.exit_code == 1
    assert "recurring-issues has no inspector parameter" in none.stderr
    twice = runner.invoke(
        cli.app, [*base, "--authority", "Hartlepool", "--param", "authority=Darlington"]
    )
    assert twice.exit_code == 1 and "given twice" in twice.stderr


def test_queries_docs_writes_a_page_per_query(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["queries", "docs", "--output", str(tmp_path / "d")])
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "d" / "recurring-issues.md").read_text()
    assert "`min_visits` | integer | optional | `2`" in page
    assert "kg query recurring-issues --authority Hartlepool" in page
    assert "[`recurring-issues`](recurring-issues.md)" in (tmp_path / "d" / "README.md").read_text()
