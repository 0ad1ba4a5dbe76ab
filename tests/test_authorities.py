"""Authority lookup: the reference table, code history, report names and report openings."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kg.authorities import (
    AmbiguousAuthority,
    Authority,
    AuthorityError,
    AuthorityIndex,
    UnknownAuthority,
    normalise_name,
)
from kg.record import AuthorityRef
from kg.resources import data_path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# File-name prefix -> the reference table's name for the authority.
PREFIX_NAMES = {
    "darlington": "Darlington",
    "hartlepool": "Hartlepool",
    "middlesbrough": "Middlesbrough",
    "redcar-and-cleveland": "Redcar and Cleveland",
    "stockton-on-tees": "Stockton-on-Tees",
}


@pytest.fixture(scope="module")
def index() -> AuthorityIndex:
    return AuthorityIndex.load()


@pytest.fixture(scope="module")
def table() -> dict[str, dict[str, str]]:
    """The reference CSV read independently of the module under test, keyed by name."""
    path = data_path("reference/english_local_authorities.csv")
    with path.open(newline="", encoding="utf-8") as f:
        return {row["name"]: row for row in csv.DictReader(f)}


# --- the table ---------------------------------------------------------------------------


def test_load_is_cached(index: AuthorityIndex) -> None:
    assert AuthorityIndex.load() is index


def test_all_153_rows_with_dfe_numbers(index: AuthorityIndex, table: dict) -> None:
    current = index.all()
    assert len(current) == 153 == len(table)
    assert {a.gss_code for a in current} == {row["gss_code"] for row in table.values()}
    for a in current:
        row = table[a.name]
        assert a.gss_code == row["gss_code"]
        assert a.dfe_la_code == row["dfe_la_code"] and len(a.dfe_la_code) == 3
        assert a.region_gss_code == row["region_gss_code"] and a.region_name
        assert a.wikidata_qid == row["wikidata_qid"]
        assert a.is_current
        assert index.by_gss(a.gss_code) is a
        assert index.by_dfe(a.dfe_la_code) is a
    assert len({a.dfe_la_code for a in current}) == 153


def test_every_table_name_resolves_to_itself(index: AuthorityIndex) -> None:
    for a in index.all():
        assert index.resolve(a.name) is a


def test_ref(index: AuthorityIndex) -> None:
    assert index.resolve("Hartlepool").ref() == AuthorityRef("Hartlepool", "E06000001", "805")


# --- names used in reports -----------------------------------------------------------------

REPORT_NAMES = {
    "Hartlepool Borough Council": "Hartlepool",
    "Hartlepool Borough": "Hartlepool",
    "Hartlepool": "Hartlepool",
    "Redcar and Cleveland Borough Council": "Redcar and Cleveland",
    "Redcar & Cleveland": "Redcar and Cleveland",
    "Borough of Redcar and Cleveland": "Redcar and Cleveland",
    "Stockton-on-Tees Borough Council": "Stockton-on-Tees",
    "Stockton on Tees": "Stockton-on-Tees",
    "Darlington Borough Council": "Darlington",
    "Middlesbrough Council": "Middlesbrough",
    "Kingston upon Hull, City of": "Kingston upon Hull, City of",
    "Hull City Council": "Kingston upon Hull, City of",
    "Hull": "Kingston upon Hull, City of",
    "City of Bristol": "Bristol, City of",
    "Bristol City Council": "Bristol, City of",
    "Bristol": "Bristol, City of",
    "County Durham": "County Durham",
    "Durham County Council": "County Durham",
    "Durham": "County Durham",
    "Herefordshire Council": "Herefordshire, County of",
    "St Helens": "St. Helens",
    "St. Helens": "St. Helens",
    "St Helens Council": "St. Helens",
    "Telford & Wrekin": "Telford and Wrekin",
    "Telford & Wrekin Council": "Telford and Wrekin",
    "Royal Borough of Greenwich": "Greenwich",
    "London Borough of Hackney": "Hackney",
    "Hackney": "Hackney",
    "Southend-on-Sea": "Southend-on-Sea",
    "Southend-on-Sea City Council": "Southend-on-Sea",
    "Bournemouth, Christchurch and Poole Council": "Bournemouth, Christchurch and Poole",
    "BCP": "Bournemouth, Christchurch and Poole",
    "BCP Council": "Bournemouth, Christchurch and Poole",
    "Isle of Wight Council": "Isle of Wight",
    "Windsor and Maidenhead": "Windsor and Maidenhead",
    "Royal Borough of Windsor and Maidenhead": "Windsor and Maidenhead",
    "Kent County Council": "Kent",
    "Cornwall Council": "Cornwall",
    "Isles of Scilly": "Isles of Scilly",
    "Council of the Isles of Scilly": "Isles of Scilly",
    "Leicester City Council": "Leicester",
    "Leicestershire County Council": "Leicestershire",
    "Bath and North East Somerset": "Bath and North East Somerset",
    "Bath & North East Somerset Council": "Bath and North East Somerset",
    "North Somerset": "North Somerset",
    "North Somerset Council": "North Somerset",
    "Somerset": "Somerset",
    "Somerset County Council": "Somerset",
    "Sheffield City Council": "Sheffield",
    "Barnsley Metropolitan Borough Council": "Barnsley",
    "City of Bradford Metropolitan District Council": "Bradford",
    "City of London": "City of London",
    "City of Westminster": "Westminster",
    "Westminster City Council": "Westminster",
    "The Royal Borough of Kensington and Chelsea": "Kensington and Chelsea",
    "Buckinghamshire County Council": "Buckinghamshire",
    "North Yorkshire County Council": "North Yorkshire",
    "Newcastle City Council": "Newcastle upon Tyne",
    "Middlesbrough local authority": "Middlesbrough",
    "HARTLEPOOL  BOROUGH\nCOUNCIL": "Hartlepool",
}


@pytest.mark.parametrize("name", sorted(REPORT_NAMES))
def test_report_names_resolve(index: AuthorityIndex, table: dict, name: str) -> None:
    expected = table[REPORT_NAMES[name]]["gss_code"]
    assert index.resolve(name).gss_code == expected


def test_similar_names_are_not_confused(index: AuthorityIndex) -> None:
    codes = {
        n: index.resolve(n).gss_code
        for n in (
            "Leicester",
            "Leicestershire",
            "Bath and North East Somerset",
            "North Somerset",
            "Somerset",
            "Derby",
            "Derbyshire",
            "Nottingham",
            "Nottinghamshire",
            "York",
            "North Yorkshire",
            "East Riding of Yorkshire",
            "Bedford",
            "Central Bedfordshire",
            "Bedfordshire",
            "Cheshire",
            "Cheshire East",
            "Cheshire West and Chester",
            "Kingston upon Hull",
            "Kingston upon Thames",
            "City of London",
        )
    }
    assert len(set(codes.values())) == len(codes)


def test_no_table_name_collides(index: AuthorityIndex) -> None:
    keys = [normalise_name(a.name) for a in index.all()]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", ["Hartlepol", "Northampton", "Cleveland", "London", "Teesside"])
def test_unknown_names_raise_with_suggestions(index: AuthorityIndex, name: str) -> None:
    with pytest.raises(UnknownAuthority) as err:
        index.resolve(name)
    assert isinstance(err.value, AuthorityError) and isinstance(err.value, LookupError)
    assert repr(name) in str(err.value)
    assert err.value.query == name


def test_suggestions_are_close_names(index: AuthorityIndex) -> None:
    with pytest.raises(UnknownAuthority) as err:
        index.resolve("Hartlepol")
    assert err.value.suggestions[0] == "Hartlepool"
    assert "Hartlepool" in str(err.value)
    with pytest.raises(UnknownAuthority) as err:
        index.resolve("Northampton")
    assert {"Northamptonshire", "North Northamptonshire", "West Northamptonshire"} <= set(
        err.value.suggestions
    )


def test_no_fuzzy_acceptance(index: AuthorityIndex) -> None:
    for near_miss in ("Hartlepools", "Leicesters", "Somersett", "Middlesborough"):
        with pytest.raises(UnknownAuthority):
            index.resolve(near_miss)


def test_ambiguous_names_raise(index: AuthorityIndex) -> None:
    with pytest.raises(AmbiguousAuthority) as err:
        index.resolve("Kingston")
    assert {a.gss_code for a in err.value.candidates} == {"E06000010", "E09000021"}
    assert "Kingston upon Thames" in str(err.value)
    with pytest.raises(AmbiguousAuthority):
        index.resolve("Cornwall and Isles of Scilly")


# --- codes and history -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("former", "current", "dfe"),
    [
        ("E08000016", "Barnsley", "370"),
        ("E08000019", "Sheffield", "373"),
        ("E08000020", "Gateshead", "390"),
        ("E06000048", "Northumberland", "929"),
        ("E10000022", "Northumberland", "929"),
        ("E10000002", "Buckinghamshire", "825"),
        ("E10000023", "North Yorkshire", "815"),
        ("E10000027", "Somerset", "933"),
        ("E10000010", "County Durham", "840"),
    ],
)
def test_former_codes_give_the_current_authority(
    index: AuthorityIndex, table: dict, former: str, current: str, dfe: str
) -> None:
    a = index.by_gss(former)
    assert a.gss_code == table[current]["gss_code"] and a.dfe_la_code == dfe
    assert former in a.former_gss_codes and a.is_current
    assert index.by_gss(former.lower()) is a


def test_predecessor_resolves_to_itself(index: AuthorityIndex) -> None:
    a = index.resolve("Northamptonshire County Council")
    assert (a.name, a.gss_code, a.dfe_la_code) == ("Northamptonshire", "E10000021", "928")
    assert not a.is_current and a.abolished == "2021-04-01"
    assert [s.name for s in a.successors] == ["North Northamptonshire", "West Northamptonshire"]
    assert {s.gss_code for s in a.successors} == {"E06000061", "E06000062"}
    assert a.region_gss_code == "E12000004" and a.wikidata_qid is None
    assert index.resolve("Northamptonshire") is a
    assert index.by_gss("E10000021") is a
    assert index.by_dfe("928") is a and index.by_dfe(928) is a
    assert a.ref() == AuthorityRef("Northamptonshire", "E10000021", "928")


@pytest.mark.parametrize(
    ("name", "code", "dfe", "n_successors"),
    [
        ("Cumbria County Council", "E10000006", "909", 2),
        ("Bedfordshire", "E10000001", "820", 2),
        ("Cheshire", "E10000004", "875", 2),
        ("Bournemouth", "E06000028", "837", 1),
        ("Borough of Poole", "E06000029", "836", 1),
    ],
)
def test_other_predecessors(
    index: AuthorityIndex, name: str, code: str, dfe: str, n_successors: int
) -> None:
    a = index.resolve(name)
    assert (a.gss_code, a.dfe_la_code, len(a.successors)) == (code, dfe, n_successors)
    assert not a.is_current


def test_successors_list_predecessors(index: AuthorityIndex) -> None:
    bcp = index.resolve("BCP")
    assert {p.name for p in bcp.predecessors} == {"Bournemouth", "Poole"}
    assert bcp.established == "2019-04-01"
    north = index.resolve("North Northamptonshire")
    assert [p.gss_code for p in north.predecessors] == ["E10000021"]
    assert index.resolve("Barnsley").predecessors == ()  # a recode is not a predecessor


def test_by_gss_current_maps_unique_successor_only(index: AuthorityIndex) -> None:
    assert index.by_gss("E06000028", current=True).name == "Bournemouth, Christchurch and Poole"
    assert index.by_gss("E10000009", current=True).gss_code == "E06000059"
    assert index.by_gss("E08000016", current=True).gss_code == "E08000038"
    with pytest.raises(AmbiguousAuthority) as err:
        index.by_gss("E10000021", current=True)
    assert {a.gss_code for a in err.value.candidates} == {"E06000061", "E06000062"}


@pytest.mark.parametrize(
    "text",
    ["805", "E06000001", "e06000001", " Hartlepool Borough Council ", "HARTLEPOOL", "hartlepool"],
)
def test_lookup_takes_names_codes_and_dfe_numbers_in_any_case(
    index: AuthorityIndex, text: str
) -> None:
    assert index.lookup(text).gss_code == "E06000001"


def test_lookup_takes_former_codes_and_aliases(index: AuthorityIndex) -> None:
    durham = index.lookup("County Durham")
    assert index.lookup("e10000010") is durham  # the county's code before 2009
    assert index.lookup(840) is durham
    assert index.lookup("Hull").name == index.lookup("Kingston upon Hull, City of").name


def test_a_lookup_miss_names_the_closest_authorities(index: AuthorityIndex) -> None:
    with pytest.raises(UnknownAuthority, match="closest valid names: Hartlepool") as err:
        index.lookup("Hartlepol")
    assert "Hartlepool" in err.value.suggestions
    with pytest.raises(
        UnknownAuthority, match=r"code 'E06000101'; closest: [A-Z][^(]+ \(E06\d{6}\)"
    ):
        index.lookup("E06000101")
    with pytest.raises(
        UnknownAuthority, match=r"DfE LA number '899'; closest: [A-Z][^(]+ \(\d{3}\)"
    ):
        index.lookup("899")


def test_unknown_codes_raise(index: AuthorityIndex) -> None:
    with pytest.raises(UnknownAuthority):
        index.by_gss("E07000048")  # Christchurch: a district, not a children's services authority
    with pytest.raises(UnknownAuthority):
        index.by_dfe("999")


def test_same_name_councils_need_a_date(index: AuthorityIndex) -> None:
    new = index.resolve("Dorset")
    assert new.gss_code == "E06000059" and new.established == "2019-04-01"
    old = index.resolve("Dorset County Council", on="2016-05-01")
    assert (old.gss_code, old.dfe_la_code, old.abolished) == ("E10000009", "835", "2019-04-01")
    assert index.resolve("Dorset", on="2019-04-01") is new
    with pytest.raises(UnknownAuthority):
        index.resolve("North Northamptonshire", on="2015-01-01")


def test_predecessors_are_listed_on_request(index: AuthorityIndex) -> None:
    everyone = index.all(include_predecessors=True)
    old = {a.gss_code for a in everyone if not a.is_current}
    assert old == {
        "E10000001",
        "E10000004",
        "E06000028",
        "E06000029",
        "E10000009",
        "E10000021",
        "E10000006",
    }
    assert all(isinstance(a, Authority) for a in everyone)


# --- report openings ---------------------------------------------------------------------


def _opening(path: Path) -> str:
    if path.suffix == ".txt":
        return path.read_text(encoding="utf-8")[:2000]
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(str(path))
    try:
        return doc[0].get_textpage().get_text_range()[:2000]
    finally:
        doc.close()


SOURCES = sorted([*SEEDS.glob("*.pdf"), *SEEDS.glob("*.txt")])


def test_corpus_is_present() -> None:
    assert len([p for p in SOURCES if p.suffix == ".pdf"]) == 33
    assert len([p for p in SOURCES if p.suffix == ".txt"]) == 5


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_find_in_text_real_reports(index: AuthorityIndex, table: dict, path: Path) -> None:
    expected = table[PREFIX_NAMES[path.name.split("_")[0]]]["gss_code"]
    found = index.find_in_text(_opening(path))
    assert found is not None and found.gss_code == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Inspection of Hartlepool local authority children's services", "Hartlepool"),
        (
            "Focused visit to Redcar and Cleveland Borough Council children's services",
            "Redcar and Cleveland",
        ),
        ("Hartlepool Borough Council\nInspection of children's social care services", "Hartlepool"),
        (
            "Inspection of safeguarding and looked after children services\n\nHartlepool\n",
            "Hartlepool",
        ),
        ("Inspection of North Somerset local authority children's services", "North Somerset"),
        (
            "Leicestershire County Council\nInspection of children's social care services",
            "Leicestershire",
        ),
        (
            "Inspection of East Riding of Yorkshire local authority children's services",
            "East Riding of Yorkshire",
        ),
        ("Inspection of the London Borough of Hackney children's services", "Hackney"),
        (
            "Inspection of Redcar and \nCleveland local authority children's services",
            "Redcar and Cleveland",
        ),
        (
            "Ofsted\nPiccadilly Gate\nStore Street\nManchester\nM1 2WD\n\n1 May 2019\n"
            "Focused visit to Kingston upon Thames children's services",
            "Kingston upon Thames",
        ),
        (
            "22 March 2019\nA Director\nDarlington\nTown Hall\nDARLINGTON\nCounty Durham\nDL1 5QT\n"
            "Dear A\nFocused visit to Darlington borough council children's services",
            "Darlington",
        ),
    ],
)
def test_find_in_text_titles(index: AuthorityIndex, table: dict, text: str, name: str) -> None:
    found = index.find_in_text(text)
    assert found is not None and found.gss_code == table[name]["gss_code"]


def test_find_in_text_every_authority(index: AuthorityIndex) -> None:
    for a in index.all():
        for title in (
            f"Inspection of {a.name} local authority children's services",
            f"Focused visit to {a.name} children's services",
            f"1\n{a.name}\nInspection of services for children in need",
        ):
            assert index.find_in_text(title) is a, title


def test_find_in_text_predecessor_and_none(index: AuthorityIndex) -> None:
    text = (
        "Ofsted\nAgora\n6 Cumberland Place\nNottingham NG1 6HJ\n\nMonitoring visit to "
        "Northamptonshire County Council children's services"
    )
    assert index.find_in_text(text).gss_code == "E10000021"
    assert (
        index.find_in_text("Focused visit to Dorset children's services", on="2017-06-01").gss_code
        == "E10000009"
    )
    assert index.find_in_text("Dear colleague, nothing to see here") is None
    assert index.find_in_text("Focused visit to Kingston children's services") is None


# --- every seed and corpus report links to the right authority and codes -----------------


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[str, object]]:
    """Clean text and record of every file in seeds/ (5 texts, 33 PDFs; about 10 s)."""
    from kg.extract import extract
    from kg.text import read_source

    out = {}
    for path in SOURCES:
        source = read_source(path)
        out[path.name] = (source.text, extract(source))
    return out


def test_every_seed_and_corpus_report_links_to_its_authority(extracted: dict, table: dict) -> None:
    from kg import vocab
    from kg.rdf import T, authority_quads, report_quads

    graph = {
        (q.subject.value, q.predicate.value): q.object.value
        for q in authority_quads(AuthorityIndex.load().all())
    }
    for name, (_, record) in extracted.items():
        row = table[PREFIX_NAMES[name.split("_")[0]]]
        assert (record.authority.gss_code, record.authority.dfe_la_code, record.authority.name) == (
            row["gss_code"],
            row["dfe_la_code"],
            row["name"],
        ), name
        iri = vocab.authority_iri(row["gss_code"])
        visits = {
            q.object.value
            for q in report_quads(record, "urn:x-test:g")
            if q.predicate.value == T.authority
        }
        assert visits == {iri}, name
        assert graph[(iri, T.gssCode)] == row["gss_code"]
        assert graph[(iri, T.dfeLaCode)] == row["dfe_la_code"]
        assert graph[(iri, T.wikidata)] == vocab.WD + row["wikidata_qid"]
        assert graph[(iri, T.area)] == vocab.area_iri(row["gss_code"])


# "X Borough Council", "X City Council", "X County Council", "X Council" as the reports write them.
_COUNCIL = (
    r"((?:[A-Z][A-Za-z'-]+[ \t]+)+(?:(?:and|&)[ \t]+[A-Z][A-Za-z-]+[ \t]+)?"
    r"(?:Borough[ \t]+|City[ \t]+|County[ \t]+)?Council)"
)
# Councils the reports name that are not local authorities.
_NOT_COUNCILS = {"Care Council", "Family Justice Council", "The Council"}


def test_every_authority_named_in_the_seeds_resolves(
    index: AuthorityIndex, extracted: dict, table: dict
) -> None:
    import re

    named: dict[str, set[str]] = {}
    for file, (text, _) in extracted.items():
        # A name broken after "and" ("Redcar and / Cleveland Borough Council") is one name.
        for m in re.finditer(_COUNCIL, re.sub(r"\band[ \t]*\n\s*", "and ", text)):
            name = " ".join(m.group(1).split())
            if name not in _NOT_COUNCILS:  # the children in care council, ...
                named.setdefault(name, set()).add(file.split("_")[0])
    assert set(named) == {
        "Hartlepool Borough Council",
        "Middlesbrough Council",
        "Middlesbrough Borough Council",
        "Redcar and Cleveland Borough Council",
        "Stockton-on-Tees Borough Council",
        "Redcar & Cleveland Borough Council",
        "Darlington Borough Council",
    }
    for name, prefixes in named.items():
        expected = {table[PREFIX_NAMES[p]]["gss_code"] for p in prefixes}
        assert index.resolve(name).gss_code in expected, (name, prefixes)


# --- the authorities graph: councils, areas, history --------------------------------------


@pytest.fixture(scope="module")
def authorities_store():
    """The authorities graph as ``kg build`` writes it (only current authorities passed in)."""
    import pyoxigraph as ox

    from kg.rdf import authority_quads

    store = ox.Store()
    store.extend(authority_quads(AuthorityIndex.load().all()))
    return store


def _select(store, query: str) -> list[dict[str, str]]:
    from kg import vocab

    result = store.query(vocab.sparql_prefixes() + query, use_default_graph_as_union=True)
    columns = [v.value for v in result.variables]
    return [{c: row[c].value for c in columns if row[c] is not None} for row in result]


def test_every_authority_and_predecessor_is_in_the_graph(authorities_store, table: dict) -> None:
    from kg import vocab

    rows = _select(
        authorities_store,
        """SELECT ?a ?gss ?dfe ?abolished WHERE {
        ?a a kg:Authority , org:Organization ; kg:gssCode ?gss .
        OPTIONAL { ?a kg:dfeLaCode ?dfe } OPTIONAL { ?a kg:abolished ?abolished } }""",
    )
    current = {r["gss"]: r for r in rows if "abolished" not in r}
    assert {g: r.get("dfe") for g, r in current.items()} == {
        r["gss_code"]: r["dfe_la_code"] for r in table.values()
    }
    old = {r["gss"]: (r.get("dfe"), r["abolished"]) for r in rows if "abolished" in r}
    assert old == {
        "E10000001": ("820", "2009-04-01"),
        "E10000004": ("875", "2009-04-01"),
        "E06000028": ("837", "2019-04-01"),
        "E06000029": ("836", "2019-04-01"),
        "E10000009": ("835", "2019-04-01"),
        "E10000021": ("928", "2021-04-01"),
        "E10000006": ("909", "2023-04-01"),
    }
    assert all(r["a"] == vocab.authority_iri(r["gss"]) for r in rows)


def test_the_council_and_its_area_are_distinct(authorities_store) -> None:
    rows = _select(
        authorities_store,
        """SELECT ?a ?area WHERE {
        ?a kg:gssCode "E06000001" ; kg:area ?area }""",
    )
    assert rows == [
        {
            "a": "https://w3id.org/ofsted-kg/id/authority/E06000001",
            "area": "http://statistics.data.gov.uk/id/statistical-geography/E06000001",
        }
    ]
    assert not _select(
        authorities_store,
        """SELECT ?x WHERE {
        ?x a kg:Area , kg:Authority }""",
    )
    assert not _select(
        authorities_store,
        """SELECT ?x WHERE {
        ?x a kg:Area . FILTER(!STRSTARTS(STR(?x), STR(statgeo:))) }""",
    )


def test_reorganisations_link_predecessors_and_successors(authorities_store) -> None:
    rows = _select(
        authorities_store,
        """SELECT ?e ?date
        (GROUP_CONCAT(DISTINCT ?old_code; separator=" ") AS ?olds)
        (GROUP_CONCAT(DISTINCT ?new_code; separator=" ") AS ?news) WHERE {
        ?e a kg:Reorganisation , org:ChangeEvent ; kg:effectiveDate ?date ;
           org:originalOrganization/kg:gssCode ?old_code ;
           org:resultingOrganization/kg:gssCode ?new_code .
        } GROUP BY ?e ?date ORDER BY ?date ?olds""",
    )
    changes = [
        (r["date"], " ".join(sorted(r["olds"].split())), " ".join(sorted(r["news"].split())))
        for r in rows
    ]
    assert changes == [
        ("2009-04-01", "E10000001", "E06000055 E06000056"),
        ("2009-04-01", "E10000004", "E06000049 E06000050"),
        ("2019-04-01", "E06000028 E06000029", "E06000058"),
        ("2019-04-01", "E10000009", "E06000059"),
        ("2021-04-01", "E10000021", "E06000061 E06000062"),
        ("2023-04-01", "E10000006", "E06000063 E06000064"),
    ]
    preds = _select(
        authorities_store,
        """SELECT ?p WHERE {
        ?a kg:gssCode "E06000058" ; kg:predecessor/kg:gssCode ?p } ORDER BY ?p""",
    )
    assert [r["p"] for r in preds] == ["E06000028", "E06000029"]
    succ = _select(
        authorities_store,
        """SELECT ?s WHERE {
        ?a kg:gssCode "E10000021" ; kg:successor/kg:gssCode ?s } ORDER BY ?s""",
    )
    assert [r["s"] for r in succ] == ["E06000061", "E06000062"]


def test_an_areas_history_can_be_followed_through_code_changes(authorities_store) -> None:
    """Northumberland: E10000022 (county, to 2009) -> E06000048 -> E06000057 (2013)."""
    rows = _select(
        authorities_store,
        """SELECT ?code ?date WHERE {
        ?e a kg:CodeChange ; kg:originalArea ?start ; kg:resultingArea ?area ;
           kg:effectiveDate ?date .
        FILTER(?start = statgeo:E10000022 || EXISTS {
            ?e0 kg:originalArea statgeo:E10000022 ; kg:resultingArea/^kg:originalArea/
                (kg:resultingArea/^kg:originalArea)* ?e })
        BIND(STRAFTER(STR(?area), "statistical-geography/") AS ?code) } ORDER BY ?date""",
    )
    assert rows == [
        {"code": "E06000048", "date": "2009-04-01"},
        {"code": "E06000057", "date": "2013-04-01"},
    ]
    [barnsley] = _select(
        authorities_store,
        """SELECT ?a ?former ?event WHERE {
        ?a kg:gssCode "E08000038" ; kg:formerGssCode ?former ; org:changedBy ?event }""",
    )
    assert barnsley["former"] == "E08000016"
    [event] = _select(
        authorities_store,
        f"""SELECT ?from ?to ?date WHERE {{
        <{barnsley["event"]}> a kg:CodeChange ; kg:originalCode ?from ; kg:resultingCode ?to ;
        kg:effectiveDate ?date }}""",
    )
    assert event == {"from": "E08000016", "to": "E08000038", "date": "2025-05-01"}


@pytest.mark.parametrize(
    ("name", "day", "code"),
    [
        ("Somerset", "2019-02-21", "E10000027"),
        ("Somerset", "2023-03-31", "E10000027"),
        ("Somerset", "2023-04-01", "E06000066"),
        ("North Yorkshire", "2022-06", "E10000023"),
        ("Buckinghamshire", "2019-11-04", "E10000002"),
        ("Buckinghamshire", "2021-04-12", "E06000060"),
        ("Northumberland", "2008-12-01", "E10000022"),  # recoded twice: 2009, then 2013
        ("Northumberland", "2011-05-01", "E06000048"),
        ("Northumberland", "2014", "E06000057"),
        ("Barnsley", "2023-10-27", "E08000016"),
        ("Hartlepool", "2010-06-07", "E06000001"),  # never recoded
    ],
)
def test_the_code_a_council_had_on_a_day(
    index: AuthorityIndex, name: str, day: str, code: str
) -> None:
    assert index.resolve(name).gss_code_on(day) == code


def test_a_council_replaced_by_others_keeps_its_own_code(index: AuthorityIndex) -> None:
    """Northamptonshire (2021), Cumbria (2023), Dorset, Bournemouth and Poole (2019) were
    replaced by new councils: a report dated before names the old council, with its code."""
    for name, day, code in [
        ("Northamptonshire", "2019-01-01", "E10000021"),
        ("Cumbria", "2022-01-01", "E10000006"),
        ("Dorset", "2018-01-01", "E10000009"),
        ("Dorset", "2020-01-01", "E06000059"),
        ("Bournemouth", "2017-01-01", "E06000028"),
        ("Poole", "2017-01-01", "E06000029"),
    ]:
        council = index.resolve(name, on=day)
        assert (council.gss_code, council.gss_code_on(day)) == (code, code)
