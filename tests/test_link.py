"""``kg link``: statistics tables keyed by authority as RDF Data Cube, joined with visits.

The two DfE tables in ``datasets/`` are imported into a store built from the five seed texts
(Hartlepool 2010, 2020, 2022; Middlesbrough 2018; Redcar and Cleveland 2019). Expected counts
are derived from the CSV files here with the csv module alone; the figures the join queries
must return were read off the CSV files by hand (line numbers given beside them).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg import cli, vocab
from kg import datasets as kd
from kg import validate as kv
from kg.authorities import AuthorityIndex
from kg.build import build
from kg.queries import run_saved
from kg.rdf import authority_quads
from kg.resources import data_path
from kg.shipped import import_default_datasets
from kg.store import SHAPES_FILE, KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
CSWW = ROOT / "datasets" / "dfe_csww_indicators_2017_to_2025.csv"
CLA = ROOT / "datasets" / "dfe_cla_number_and_rate_per_10k_children.csv"
QB = vocab.QB
KG = vocab.KG
MARKERS = {"c", "x", "z", "low", "u"}

runner = CliRunner()


# --- expectations read independently from the CSV files -----------------------------------


def expected(path: Path, first_measure: str, skip: tuple[str, ...] = ()) -> dict:
    """Rows, joint rows (by line), observations per level, numeric and marker cells."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [(i, dict(zip(header, cells, strict=True))) for i, cells in enumerate(reader, 2)]
    measures = [c for c in header[header.index(first_measure) :] if c not in skip]
    joint = [line for line, r in rows if "/" in r["old_la_code"]]
    kept = [r for line, r in rows if line not in joint]
    cells = [r[m] for r in kept for m in measures]
    return {
        "rows": len(rows),
        "joint": joint,
        "observations": len(kept),
        "levels": Counter(r["geographic_level"] for r in kept),
        "values": sum(1 for v in cells if v.replace(".", "", 1).isdigit()),
        "markers": Counter(v for v in cells if v in MARKERS),
        "measures": measures,
    }


@pytest.fixture(scope="module")
def csww() -> dict:
    return expected(CSWW, "inpost_fte")


@pytest.fixture(scope="module")
def cla() -> dict:
    return expected(CLA, "population_estimate")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[kd.ImportReport]]:
    path = tmp_path_factory.mktemp("linkstore")
    graph = KnowledgeGraph.open(path)
    result = build(sorted((ROOT / "seeds").glob("*.txt")), graph, workers=1)
    assert result.failed == 0, result.errors
    reports = import_default_datasets(graph)
    graph.close()
    return path, reports


@pytest.fixture(scope="module")
def store(store_dir: tuple[Path, list[kd.ImportReport]]):
    graph = KnowledgeGraph.open_read_only(store_dir[0])
    yield graph.store
    graph.close()


@pytest.fixture(scope="module")
def reports(store_dir: tuple[Path, list[kd.ImportReport]]) -> dict[str, kd.ImportReport]:
    return {r.dataset: r for r in store_dir[1]}


def select(store: ox.Store, query: str) -> list[dict[str, str | None]]:
    result = store.query(vocab.sparql_prefixes() + query, use_default_graph_as_union=True)
    columns = [v.value for v in result.variables]
    return [{c: (None if row[c] is None else row[c].value) for c in columns} for row in result]


def count(store: ox.Store, query: str) -> int:
    return int(select(store, query)[0]["n"])


# --- the two DfE files --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dfe-csww", "dfe-cla"])
def test_observation_counts(
    store: ox.Store, reports: dict, csww: dict, cla: dict, name: str
) -> None:
    want = csww if name == "dfe-csww" else cla
    report = reports[name]
    assert report.rows == want["rows"]
    assert report.observations == want["observations"]
    assert report.by_level == want["levels"]
    assert report.values == want["values"]
    assert report.missing == want["markers"]
    assert report.measures == want["measures"]
    g = kd.dataset_graph_iri(name)
    assert (
        count(
            store,
            f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ GRAPH <{g}> {{ ?o a qb:Observation }} }}",
        )
        == want["observations"]
    )
    # every number is a measure value, every marker a missing value: nothing else, no zeros
    assert (
        count(
            store,
            f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{
        ?o a qb:Observation ; ?m ?v . ?m a qb:MeasureProperty }} }}""",
        )
        == want["values"]
    )
    assert count(
        store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{ ?x a kg:MissingValue }} }}"
    ) == sum(want["markers"].values())


def test_expected_sizes_are_what_the_readme_says(csww: dict, cla: dict) -> None:
    assert (csww["rows"], len(csww["joint"]), csww["observations"]) == (1463, 14, 1449)
    assert csww["levels"] == {"National": 9, "Regional": 99, "Local authority": 1341}
    assert (cla["rows"], cla["joint"], cla["observations"]) == (2505, [], 2505)
    assert len(csww["measures"]) == 22 and cla["measures"] == [
        "population_estimate",
        "children_count",
        "rate_per_10000",
    ]


def test_suppressed_values_are_missing_with_their_marker(store: ox.Store) -> None:
    def cells(name: str, line: int) -> tuple[dict[str, str], dict[str, str]]:
        obs = f"{kd.dataset_iri(name)}/obs/{line}"
        values = {
            r["c"]: r["v"]
            for r in select(
                store,
                f"""SELECT ?c ?v WHERE {{
            <{obs}> ?m ?v . ?m a qb:MeasureProperty ; kg:column ?c }}""",
            )
        }
        missing = {
            r["c"]: r["k"]
            for r in select(
                store,
                f"""SELECT ?c ?k WHERE {{
            <{obs}> kg:missing [ kg:missingMeasure/kg:column ?c ; kg:marker ?k ] }}""",
            )
        }
        return values, missing

    # csww line 1262, North Somerset 2018: "...,887,15.1,c,c"
    values, missing = cells("dfe-csww", 1262)
    assert missing == {"working_days_lost_fte": "c", "absence_rate_fte": "c"}
    assert values["caseload_fte"] == "15.1" and values["cases"] == "887"
    assert "absence_rate_fte" not in values
    # csww line 25, Sunderland 2025: agency_fte "low" (rounds to zero, but is not zero)
    values, missing = cells("dfe-csww", 25)
    assert missing == {"agency_fte": "low", "agency_rate_fte": "low", "agency_cover_fte": "low"}
    assert values["agency_headcount"] == "1" and values["turnover_rate_fte"] == "11.8"
    # cla line 144, Cumbria 2025 (abolished 2023): x, z, z, and still Cumbria's figures
    values, missing = cells("dfe-cla", 144)
    assert values == {}
    assert missing == {"population_estimate": "x", "children_count": "z", "rate_per_10000": "z"}
    [row] = select(
        store,
        f"""SELECT ?a ?area WHERE {{
        <{kd.dataset_iri("dfe-cla")}/obs/144> kg:refAuthority ?a ; kg:refArea ?area }}""",
    )
    assert row == {"a": vocab.authority_iri("E10000006"), "area": vocab.area_iri("E10000006")}


def test_joint_rows_are_reported_with_their_lines_not_imported(
    store: ox.Store, reports: dict, csww: dict
) -> None:
    report = reports["dfe-csww"]
    assert report.lines("joint") == csww["joint"]
    assert report.lines("joint")[:3] == [70, 160, 233]
    assert report.lines("unmatched") == [] and report.lines("conflict") == []
    message = next(p.message for p in report.problems if p.line == 70)
    assert "dfe_csww_indicators_2017_to_2025.csv:70" in message
    assert "North Northamptonshire / West Northamptonshire" in message
    assert not select(store, f"SELECT ?p WHERE {{ <{kd.dataset_iri('dfe-csww')}/obs/70> ?p ?o }}")


def test_national_regional_and_recoded_rows(store: ox.Store) -> None:
    # csww line 2: England 2025, turnover 11.8; line 3: North East 2025
    rows = select(
        store,
        f"""SELECT ?line ?area ?level ?t WHERE {{
        ?o qb:dataSet <{kd.dataset_iri("dfe-csww")}> ; kg:sourceLine ?line ; kg:refArea ?area ;
           kg:geographicLevel ?level ; ?m ?t . ?m kg:column "turnover_rate_fte" .
        FILTER(?line IN (2, 3)) }} ORDER BY ?line""",
    )
    assert rows == [
        {"line": "2", "area": vocab.area_iri("E92000001"), "level": "National", "t": "11.8"},
        {"line": "3", "area": vocab.area_iri("E12000001"), "level": "Regional", "t": "11.7"},
    ]
    # Barnsley 2025 is published under its pre-2025 code E08000016: the current council
    [row] = select(
        store,
        f"""SELECT ?a ?area WHERE {{
        ?o qb:dataSet <{kd.dataset_iri("dfe-csww")}> ; kg:period "2025" ;
           kg:refAuthority ?a ; kg:refArea ?area .
        FILTER(?a = <{vocab.authority_iri("E08000038")}>) }}""",
    )
    assert row["area"] == vocab.area_iri("E08000038")


def test_structure_measures_units_and_dimensions(store: ox.Store) -> None:
    ds = kd.dataset_iri("dfe-cla")
    units = {
        r["c"]: r["u"]
        for r in select(
            store,
            f"""SELECT ?c ?u WHERE {{
        <{ds}> qb:structure/qb:component/qb:measure ?m . ?m kg:column ?c .
        OPTIONAL {{ ?m kg:unit ?u }} }}""",
        )
    }
    unit = vocab.BASE + "unit/"
    assert units == {
        "population_estimate": unit + "count",
        "children_count": unit + "count",
        "rate_per_10000": unit + "rate-per-10000-children",
    }
    dims = {
        r["d"]
        for r in select(
            store,
            f"""SELECT ?d WHERE {{
        <{ds}> qb:structure/qb:component/qb:dimension ?d }}""",
        )
    }
    assert dims == {KG + "refArea", KG + "period", ds + "/dimension/population-type"}
    csww_units = {
        r["c"]: r["u"]
        for r in select(
            store,
            f"""SELECT ?c ?u WHERE {{
        <{kd.dataset_iri("dfe-csww")}> qb:structure/qb:component/qb:measure ?m .
        ?m kg:column ?c ; kg:unit ?u }}""",
        )
    }
    assert csww_units["turnover_rate_fte"] == unit + "percent"
    assert csww_units["caseload_fte"] == unit + "cases-per-social-worker"
    assert csww_units["inpost_headcount"] == unit + "count"
    assert csww_units["inpost_fte"] == unit + "fte"


# --- the join queries ---------------------------------------------------------------------


def test_workforce_at_visits(store: ox.Store) -> None:
    rows = run_saved(store, "workforce-at-visits").values()
    got = {
        (r["authority_name"], r["visit_start"], r["year"]): (
            r["turnover_rate_fte"],
            r["agency_rate_fte"],
            r["vacancy_rate_fte"],
            r["caseload_fte"],
        )
        for r in rows
    }
    assert got == {
        # Hartlepool 2010 SLAC inspection (supervision): the table starts in 2017
        ("Hartlepool", "2010-06-07", "2010"): (None, None, None, None),
        ("Hartlepool", "2010-06-07", "2009"): (None, None, None, None),
        # Hartlepool focused visit March 2020 (supervision): csww lines 830 and 992
        ("Hartlepool", "2020-03-04", "2020"): ("8.2", "3.2", "3.2", "17.7"),
        ("Hartlepool", "2020-03-04", "2019"): ("14.7", "1.7", "1.7", "19.3"),
        # Middlesbrough focused visit August 2018 (workforce-capacity): lines 1155 and 1318
        ("Middlesbrough", "2018-08-07", "2018"): ("10.3", "10.3", "5.7", "13.2"),
        ("Middlesbrough", "2018-08-07", "2017"): ("9.4", "1.2", "4.1", "17.4"),
        # Redcar and Cleveland focused visit October 2019 (supervision): lines 997 and 1159
        ("Redcar and Cleveland", "2019-10-29", "2019"): ("16.1", "7.1", "10.7", "24.2"),
        ("Redcar and Cleveland", "2019-10-29", "2018"): ("19.7", "5.4", "15", "19.7"),
    }
    themes = {r["authority_name"]: r["themes"] for r in rows}
    assert themes["Middlesbrough"] == "workforce-capacity"
    only = run_saved(
        store,
        "workforce-at-visits",
        authority="Redcar and Cleveland Borough Council",
        theme="supervision",
    ).values()
    assert {r["year"] for r in only} == {"2019", "2018"}
    assert (
        run_saved(
            store, "workforce-at-visits", authority="Middlesbrough", theme="supervision"
        ).values()
        == []
    )


def test_authority_statistics_beside_the_timeline(store: ox.Store) -> None:
    rows = {
        r["year"]: r
        for r in run_saved(store, "authority-statistics", authority="Middlesbrough").values()
    }
    assert sorted(rows) == [str(y) for y in range(2017, 2026)]
    assert rows["2018"]["visits"] == "2018-08-07 focused-visit"
    assert rows["2017"]["visits"] is None
    assert (rows["2018"]["turnover_rate_fte"], rows["2018"]["caseload_fte"]) == ("10.3", "13.2")
    # cla lines 2046 (2021: 172) and 42 (2025: 138): children looked after per 10,000
    assert rows["2021"]["looked_after_rate_per_10000"] == "172"
    assert rows["2025"]["looked_after_rate_per_10000"] == "138"
    assert rows["2018"]["looked_after_rate_per_10000"] is None
    redcar = {
        r["year"]: r
        for r in run_saved(store, "authority-statistics", authority="Redcar and Cleveland").values()
    }
    assert redcar["2019"]["visits"] == "2019-10-29 focused-visit"
    assert redcar["2022"]["looked_after_rate_per_10000"] == "125"  # cla line 1548
    hartlepool = {
        r["year"]: r
        for r in run_saved(store, "authority-statistics", authority="E06000001").values()
    }
    assert hartlepool["2010"]["visits"] == "2010-06-07 slac-inspection"
    assert hartlepool["2021"]["looked_after_rate_per_10000"] == "176"  # cla line 2043


# --- messy files, re-import, the store ----------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


MESSY = """period,authority,dfe,rate_pct,children_count,note
201718,Hartlepool Borough Council,805,12.5,40,a
201718,Atlantis,999,3.0,5,b
2018/19,"Kingston upon Hull, City of",810,c,x,c
201718,North Northamptonshire / West Northamptonshire,940 / 941,1,2,d
20178,Bristol City Council,801,1,2,e
201819,Middlesbrough,807,1,2,f
201819,Bristol City Council,801,n/a,7,g
"""


def test_messy_file_by_name_with_problems_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "messy.csv", MESSY)
    quads, report = kd.dataset_quads(path, "messy")
    assert (report.area_column, report.area_kind, report.period_column) == ("dfe", "dfe", "period")
    assert report.lines("unmatched") == [3]
    assert report.lines("joint") == [5]
    assert report.lines("period") == [6]
    assert report.lines("conflict") == []  # 807 is Redcar and Cleveland, but names are not
    assert report.lines("marker") == [8]  # "n/a": kept as missing with that marker
    assert report.observations == 4
    assert report.missing == {"c": 1, "x": 1, "n/a": 1}
    assert report.measures == ["rate_pct", "children_count"]
    assert report.dimensions == ["note"]
    assert "messy.csv:3" in report.problems[0].message and "999" in report.problems[0].message
    store = ox.Store()
    store.extend(quads)
    rows = select(
        store,
        """SELECT ?line ?period ?year ?a WHERE {
        ?o kg:sourceLine ?line ; kg:period ?period ; kg:year ?year ; kg:refAuthority ?a }
        ORDER BY ?line""",
    )
    assert [(r["line"], r["period"], r["year"], r["a"].rsplit("/", 1)[-1]) for r in rows] == [
        ("2", "2017/18", "2018", "E06000001"),
        ("4", "2018/19", "2019", "E06000010"),
        ("7", "2018/19", "2019", "E06000003"),
        ("8", "2018/19", "2019", "E06000023"),
    ]


def test_names_resolve_and_codes_cross_check(tmp_path: Path) -> None:
    path = write(
        tmp_path / "names.csv",
        "la_name,old_la_code,year,value\n"
        "Bristol City Council,801,2020,1\nHartlepool,806,2020,2\nKingston,314,2020,3\n",
    )
    _, report = kd.dataset_quads(path, "names", area_column="la_name")
    assert report.area_kind == "name"
    assert report.lines("conflict") == [3]  # Hartlepool is not DfE 806 (Middlesbrough)
    assert report.lines("unmatched") == [4]  # "Kingston" is ambiguous: never guessed
    assert "ambiguous" in next(p.message for p in report.problems if p.line == 4)
    assert report.observations == 1


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("", {}, "empty"),
        ("a,b\n", {}, "no data rows"),
        ("year,value\n2020,1\n", {}, "which column holds the authority"),
        ("code,value\nE06000001,1\n", {}, "which column holds the period"),
        ("code,year,value\nE06000001,2020,1\n", {"area_column": "gss"}, "no column 'gss'"),
        ("code,year,label\nE06000001,2020,one\n", {}, "no numeric column"),
        ("code,year,value\nE06000001,2020\n", {}, "2 cells"),
    ],
)
def test_bad_files_fail_with_one_clear_message(
    tmp_path: Path, text: str, options: dict, message: str
) -> None:
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(kd.DatasetError, match=message) as error:
        kd.dataset_quads(path, "bad", **options)
    assert "bad.csv" in str(error.value)


def test_bad_dataset_name() -> None:
    with pytest.raises(kd.DatasetError, match="dataset name"):
        kd.check_name("My Data!")


def test_reimport_replaces_the_dataset_graph(tmp_path: Path) -> None:
    graph = KnowledgeGraph.open(tmp_path / "store")
    graph.replace_graph(vocab.AUTHORITIES_GRAPH, authority_quads(AuthorityIndex.load().all()))
    before_authorities = len(
        list(graph.store.quads_for_pattern(None, None, None, ox.NamedNode(vocab.AUTHORITIES_GRAPH)))
    )
    first = write(
        tmp_path / "t.csv",
        "gss_code,year,value\nE06000001,2020,1\nE06000002,2020,2\nE06000003,2020,3\n",
    )
    kd.import_csv(graph, first, "t")
    second = write(tmp_path / "t.csv", "gss_code,year,value\nE06000001,2020,10\nE06000004,2021,c\n")
    report = kd.import_csv(graph, second, "t")
    assert report.observations == 2
    rows = select(
        graph.store,
        f"""SELECT ?a ?v ?k WHERE {{ GRAPH <{kd.dataset_graph_iri("t")}>
        {{ ?o kg:refAuthority ?a . OPTIONAL {{ ?o ?m ?v . ?m a qb:MeasureProperty }}
           OPTIONAL {{ ?o kg:missing/kg:marker ?k }} }} }} ORDER BY ?a""",
    )
    assert [(r["a"].rsplit("/", 1)[-1], r["v"], r["k"]) for r in rows] == [
        ("E06000001", "10", None),
        ("E06000004", None, "c"),
    ]
    assert (
        len(
            list(
                graph.store.quads_for_pattern(
                    None, None, None, ox.NamedNode(vocab.AUTHORITIES_GRAPH)
                )
            )
        )
        == before_authorities
    )
    unchanged = kd.import_csv(graph, second, "t", force=False)
    assert unchanged.unchanged
    graph.close()


def test_defaults_are_skipped_when_unchanged(store_dir: tuple[Path, list]) -> None:
    graph = KnowledgeGraph.open(store_dir[0])
    try:
        again = import_default_datasets(graph)
    finally:
        graph.close()
    assert [(r.dataset, r.unchanged) for r in again] == [
        ("dfe-csww", True),
        ("dfe-cla", True),
        ("ofsted-ilacs-outcomes", True),
    ]


def test_cli_import_defaults_says_unchanged(store_dir: tuple[Path, list]) -> None:
    result = runner.invoke(cli.app, ["link", "import-defaults", "--store", str(store_dir[0])])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "dfe-csww: unchanged (dfe_csww_indicators_2017_to_2025.csv already imported)",
        "dfe-cla: unchanged (dfe_cla_number_and_rate_per_10k_children.csv already imported)",
        "ofsted-ilacs-outcomes: unchanged (ofsted_ilacs_outcomes_history_2025.csv already "
        "imported)",
    ]


def test_a_dataset_graph_conforms_and_a_lost_marker_is_reported(tmp_path: Path) -> None:
    graph = KnowledgeGraph.in_memory()
    graph.load_ontology()
    graph.replace_graph(
        vocab.AUTHORITIES_GRAPH,
        authority_quads(AuthorityIndex.load().all(include_predecessors=True)),
    )
    path = write(
        tmp_path / "v.csv",
        "new_la_code,time_period,rate\nE06000001,2020,1.5\nE10000021,2019,c\nE92000001,2020,2\n",
    )
    kd.import_csv(graph, path, "v")
    shapes = data_path(SHAPES_FILE)
    report = kv.validate_store(graph.store, shapes, workers=1)
    assert report.conforms, list(kv.format_report(report.violations))
    missing = f"{kd.dataset_iri('v')}/obs/3/missing/rate"
    graph.store.remove(
        ox.Quad(
            ox.NamedNode(missing),
            ox.NamedNode(KG + "marker"),
            ox.Literal("c"),
            ox.NamedNode(kd.dataset_graph_iri("v")),
        )
    )
    report = kv.validate_store(graph.store, shapes, workers=1)
    assert [v.focus for v in report.violations] == [missing]
    assert "marker" in report.violations[0].message


# --- the command line ---------------------------------------------------------------------


def test_cli_import_list_and_errors(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    path = write(tmp_path / "messy.csv", MESSY)
    result = runner.invoke(
        cli.app, ["link", "import", str(path), "--dataset", "messy", "--store", store]
    )
    assert result.exit_code == 0, result.output
    assert "messy: 4 observations" in result.stdout
    assert "messy.csv:5: joint row '940 / 941'" in result.stderr
    assert "messy.csv:3:" in result.stderr
    listed = runner.invoke(cli.app, ["link", "list", "--format", "json", "--store", store])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["dataset"], row["observations"], row["measures"]) == ("messy", 4, 2)
    bad = runner.invoke(
        cli.app,
        [
            "link",
            "import",
            str(path),
            "--dataset",
            "messy",
            "--area-column",
            "nope",
            "--store",
            store,
        ],
    )
    assert bad.exit_code == 1
    assert bad.stderr.strip().startswith("error: ") and "no column 'nope'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_cli_export_crosswalk(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["link", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(result.stdout.splitlines()))
    assert len(table) == len({r["gss_code"] for r in table}) == 160  # 153 current, 7 abolished
    rows = {r["name"]: r for r in table if not r["abolished"]}
    rows |= {r["name"]: r for r in table if r["abolished"] and r["name"] != "Dorset"}
    assert [r["gss_code"] for r in table if r["name"] == "Dorset"] == ["E06000059", "E10000009"]
    h = rows["Hartlepool"]
    assert (h["iri"], h["gss_code"], h["dfe_la_code"], h["wikidata"], h["area"]) == (
        vocab.authority_iri("E06000001"),
        "E06000001",
        "805",
        "http://www.wikidata.org/entity/Q16993720",
        vocab.area_iri("E06000001"),
    )
    assert rows["North Northamptonshire"]["predecessors"] == "E10000021"
    assert rows["Northamptonshire"]["successors"] == "E06000061 E06000062"
    assert rows["Barnsley"]["former_gss_codes"] == "E08000016"
    out = tmp_path / "crosswalk.ttl"
    result = runner.invoke(cli.app, ["link", "export", "--format", "turtle", "-o", str(out)])
    assert result.exit_code == 0, result.output
    parsed = list(ox.parse(path=str(out), format=ox.RdfFormat.TURTLE))
    authorities = {
        t.subject.value
        for t in parsed
        if t.predicate.value == vocab.RDF + "type" and t.object.value == KG + "Authority"
    }
    assert len(authorities) == 160
    assert runner.invoke(cli.app, ["link", "export", "--format", "xml"]).exit_code == 1


def test_cli_authorities(store_dir: tuple[Path, list]) -> None:
    store = str(store_dir[0])
    result = runner.invoke(cli.app, ["authorities", "--format", "json", "--store", store])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert len(rows) == 153
    assert rows["Hartlepool"] == {
        "name": "Hartlepool",
        "gss_code": "E06000001",
        "dfe_la_code": "805",
        "region": "North East",
        "visits": 3,
    }
    assert rows["Middlesbrough"]["visits"] == 1 and rows["Kent"]["visits"] == 0
    everyone = runner.invoke(cli.app, ["authorities", "--all", "--format", "csv", "--store", store])
    lines = everyone.stdout.splitlines()
    assert len(lines) == 161
    assert "Northamptonshire,E10000021,928,East Midlands,0,2021-04-01" in lines
    shown = runner.invoke(
        cli.app,
        ["authorities", "show", "Hartlepool Borough Council", "--format", "json", "--store", store],
    )
    info = json.loads(shown.stdout)
    assert (info["gss_code"], info["dfe_la_code"], info["area"]) == (
        "E06000001",
        "805",
        vocab.area_iri("E06000001"),
    )
    assert [(v["start"], v["kind"]) for v in info["visits"]] == [
        ("2010-06-07", "slac-inspection"),
        ("2020-03-04", "focused-visit"),
        ("2022-01-18", "focused-visit"),
    ]
    text = runner.invoke(cli.app, ["authorities", "show", "Northamptonshire", "--store", store])
    assert "successor    North Northamptonshire (E06000061, DfE 940), from 2021-04-01" in (
        text.stdout
    )
    unknown = runner.invoke(cli.app, ["authorities", "show", "Hartlepol", "--store", store])
    assert unknown.exit_code == 1 and "Hartlepool" in unknown.stderr
