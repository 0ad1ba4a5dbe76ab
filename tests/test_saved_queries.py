"""The saved queries on a graph built from the five seed texts.

Every expectation is derived from the gold file (tests/data/gold_seeds.json) and the seed
texts, never copied from a query's own output; each query also has a parameter-binding case.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from kg.build import build, extract_file
from kg.inspectors import identity
from kg.queries import (
    REFERENCE_DIR,
    QueryError,
    get_query,
    load_queries,
    prepare,
    queries_dir,
    run_saved,
)
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
GOLD: list[dict[str, Any]] = json.loads((ROOT / "tests" / "data" / "gold_seeds.json").read_text())
SLAC_RANK = {"Outstanding": "1", "Good": "2", "Adequate": "3", "Inadequate": "4"}
MINE = [
    "theme-timeline",
    "authority-profile",
    "judgement-history",
    "inspector-history",
    "unresolved-recommendations",
    "compare-authorities",
    "find-text",
    "earlier-inspections",
]


REFERENCE = queries_dir() / REFERENCE_DIR


def shown(name: str) -> str:
    """The name the graph shows an inspector by (one node per person: kg.inspectors)."""
    return identity(name).name


@pytest.fixture(scope="module")
def store():
    graph = KnowledgeGraph.in_memory()
    result = build(sorted((ROOT / "seeds").glob("*.txt")), graph, workers=1)
    assert result.ok, result.errors
    return graph.store


def rows(store, name: str, **params: Any) -> list[dict[str, str | None]]:
    return run_saved(store, name, **params).values()


def norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def year(report: dict[str, Any]) -> str:
    return report["visit_start"][:4]


def gold_recs(theme: str) -> dict[tuple[str, str], int]:
    """(year, authority) -> number of gold recommendations on the theme."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for report in GOLD:
        for rec in report["recommendations"]:
            if theme in rec["themes"]:
                counts[(year(report), report["authority"])] += 1
    return counts


SAMPLE_PARAMS: dict[str, dict[str, str]] = {
    "theme-timeline": {"theme": "supervision"},
    "authority-profile": {"authority": "Hartlepool"},
    "compare-authorities": {"theme": "supervision"},
    "find-text": {"words": "supervision"},
}


def test_every_saved_query_has_a_full_header(store) -> None:
    """Summary, tags, and a description that says what each column of the answer means."""
    queries = load_queries()
    for name in MINE:
        query = queries[name]
        assert query.summary and len(query.description) > 150 and query.tags, name
        columns = run_saved(store, name, **SAMPLE_PARAMS.get(name, {})).columns
        for column in columns:
            assert f"`{column}`" in query.description, (name, column)


# --- theme-timeline --------------------------------------------------------------------------


def test_theme_timeline_counts_the_gold_recommendations(store) -> None:
    for theme in ("supervision", "care-leavers", "written-plans"):
        got = {
            (r["year"], r["authority_name"]): r for r in rows(store, "theme-timeline", theme=theme)
        }
        for key, count in gold_recs(theme).items():
            # the tagger may find a theme the gold file does not list, never fewer
            assert int(got[key]["recommendations"]) >= count, (theme, key)
            if theme == "supervision":
                assert got[key]["recommendations"] == str(count), key
        for key, row in got.items():
            if key not in gold_recs(theme):
                assert row["recommendations"] == "0" and int(row["weaknesses"]) > 0
            assert row["visits"] == "1"  # one seed visit per authority and year


def test_theme_timeline_binds_authority_and_theme_label(store) -> None:
    everyone = rows(store, "theme-timeline", theme="supervision")
    hartlepool = rows(store, "theme-timeline", theme="Supervision", authority="Hartlepool")
    assert hartlepool == [r for r in everyone if r["authority_name"] == "Hartlepool"]
    assert {r["year"] for r in hartlepool} >= {"2010", "2020"}
    with pytest.raises(QueryError, match="theme"):
        prepare(get_query("theme-timeline"), {})


# --- compare-authorities ---------------------------------------------------------------------


def test_compare_authorities_counts_per_authority(store) -> None:
    expected: dict[str, int] = defaultdict(int)
    for (_, authority), count in gold_recs("care-leavers").items():
        expected[authority] += count
    got = {r["authority_name"]: r for r in rows(store, "compare-authorities", theme="care-leavers")}
    for authority, count in expected.items():
        assert got[authority]["recommendations"] == str(count)
    hartlepool = got["Hartlepool"]
    assert (hartlepool["first_year"], hartlepool["last_year"]) == ("2010", "2022")
    assert hartlepool["region"] == "North East"
    assert list(got) == sorted(got, key=lambda a: -int(got[a]["visits"]))


def test_compare_authorities_period(store) -> None:
    got = {
        r["authority_name"]: r
        for r in rows(store, "compare-authorities", theme="care-leavers", from_year=2015)
    }
    later = sum(
        n for (y, a), n in gold_recs("care-leavers").items() if a == "Hartlepool" and y >= "2015"
    )
    assert got["Hartlepool"]["recommendations"] == str(later)
    assert got["Hartlepool"]["first_year"] == "2022"
    assert rows(store, "compare-authorities", theme="care-leavers", to_year=2009) == []


# --- authority-profile -----------------------------------------------------------------------


def test_authority_profile_has_every_gold_visit(store) -> None:
    got = rows(store, "authority-profile", authority="Hartlepool")
    gold = sorted(
        (r for r in GOLD if r["authority"] == "Hartlepool"), key=lambda r: r["visit_start"]
    )
    assert [r["start_date"] for r in got] == [g["visit_start"] for g in gold]
    for row, report in zip(got, gold, strict=True):
        assert row["end_date"] == report["visit_end"]
        assert row["kind_iri"].endswith("/" + report["kind"])
        inspectors = set(row["inspectors"].split("; "))
        assert inspectors == {
            f"{shown(n)} (lead)" if n == report["lead_inspector"] else shown(n)
            for n in report["inspectors"]
        }
        council = [r for r in report["recommendations"] if "council" in r["addressed_to"]]
        assert row["recommendation_count"] == str(len(council))
        listed = norm(row["recommendations"])
        for rec in council:
            assert norm(rec["text"]) in listed
        # the board's, and those to other partner bodies (NHS, police) without the council
        board = [r for r in report["recommendations"] if "board" in r["addressed_to"]]
        partners = [
            r
            for r in report["recommendations"]
            if r not in council and set(r["addressed_to"]) - {"board"}
        ]
        assert row["board_recommendation_count"] == (str(len(board)) if board else None)
        assert row["partner_recommendation_count"] == (str(len(partners)) if partners else None)
        for rec in board:
            assert norm(rec["text"]) not in listed
            assert norm(rec["text"]) in norm(row["board_recommendations"])
        graded = {
            f"{section} / {area}: {grade}"
            for section, areas in report["judgements"].items()
            for area, grade in areas.items()
        }
        assert set((row["grades"] or "").split("; ")) - {""} == graded


def test_authority_profile_needs_a_known_authority(store) -> None:
    [row] = rows(store, "authority-profile", authority="E06000002")  # by GSS code
    assert row["start_date"] == "2018-08-07" and row["kind"] == "Focused visit"
    with pytest.raises(QueryError, match="required"):
        prepare(get_query("authority-profile"), {})
    with pytest.raises(QueryError, match="Middlesbrough"):
        prepare(get_query("authority-profile"), {"authority": "Midlesbrough"})


# --- judgement-history -----------------------------------------------------------------------


def test_judgement_history_keeps_the_slac_scale(store) -> None:
    got = rows(store, "judgement-history")
    expected = {
        (section, area, grade)
        for report in GOLD
        for section, areas in report["judgements"].items()
        for area, grade in areas.items()
    }
    assert {(r["section"], r["area"], r["grade"]) for r in got} == expected
    assert len(got) == len(expected)
    for row in got:
        assert row["grade_iri"].split("/")[-2] == "slac"
        assert row["scale"].startswith("SLAC")
        assert row["rank"] == SLAC_RANK[row["grade"]]
    keys = [(r["authority_name"], r["area"], r["start_date"], r["section"]) for r in got]
    assert keys == sorted(keys)


def test_judgement_history_binds_authority(store) -> None:
    assert len(rows(store, "judgement-history", authority="Hartlepool")) == 29
    assert rows(store, "judgement-history", authority="Middlesbrough") == []  # ungraded


# --- inspector-history -----------------------------------------------------------------------


def test_inspector_history_lists_visits_and_co_inspectors(store) -> None:
    expected = set()
    for report in GOLD:
        for name in report["inspectors"]:
            others = {
                f"{shown(o)} (lead)" if o == report["lead_inspector"] else shown(o)
                for o in report["inspectors"]
                if o != name
            }
            role = "lead" if name == report["lead_inspector"] else "team"
            expected.add(
                (shown(name), role, report["visit_start"], report["authority"], frozenset(others))
            )
    got = {
        (
            r["inspector_name"],
            r["role"],
            r["start_date"],
            r["authority_name"],
            frozenset((r["co_inspectors"] or "").split("; ")) - {""},
        )
        for r in rows(store, "inspector-history")
    }
    assert got == expected


def test_inspector_history_binds_one_inspector(store) -> None:
    got = rows(store, "inspector-history", inspector="Lisa Summers")
    gold = sorted(r["visit_start"] for r in GOLD if "Lisa Summers" in r["inspectors"])
    assert [r["start_date"] for r in got] == gold
    assert {r["role"] for r in got} == {"lead"}
    with pytest.raises(QueryError):
        prepare(get_query("inspector-history"), {"inspector": "Lisa Sumers"})


# --- unresolved-recommendations -------------------------------------------------------------


def test_unresolved_recommendations_follow_the_gold_themes(store) -> None:
    got = {
        (r["recommended_on"], norm(r["recommendation"]), r["theme"].rsplit("/", 1)[1]): r
        for r in rows(store, "unresolved-recommendations")
    }
    checked = 0
    for report in GOLD:
        for rec in report["recommendations"]:
            for theme in rec["themes"]:
                later = sorted(
                    (
                        other["visit_start"],
                        [norm(x["text"]) for x in other["recommendations"] if theme in x["themes"]],
                    )
                    for other in GOLD
                    if other["authority"] == report["authority"]
                    and other["visit_start"] > report["visit_start"]
                    and any(theme in x["themes"] for x in other["recommendations"])
                )
                if not later:
                    continue
                row = got[(report["visit_start"], norm(rec["text"]), theme)]
                checked += 1
                assert row["authority_name"] == report["authority"]
                assert row["next_raised_on"] <= later[0][0]
                assert int(row["later_visits"]) >= len(later)
                if row["next_raised_on"] == later[0][0]:
                    assert row["raised_as"] == "recommendation"
                    assert norm(row["later_quote"]) in later[0][1]
    # Hartlepool 2010 -> 2020 (supervision) and -> 2022 (written plans, care leavers, voice)
    assert checked >= 6
    for row in got.values():
        assert row["next_raised_on"] > row["recommended_on"]
        assert row["raised_as"] in ("recommendation", "weakness") and row["later_quote"]


def test_unresolved_recommendations_bind_authority(store) -> None:
    everyone = rows(store, "unresolved-recommendations")
    assert {r["authority_name"] for r in everyone} == {"Hartlepool"}  # one visit elsewhere
    assert rows(store, "unresolved-recommendations", authority="Hartlepool") == everyone
    assert rows(store, "unresolved-recommendations", authority="Redcar and Cleveland") == []


# --- find-text -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_texts() -> dict[str, str]:
    """Seed file name -> the clean text the offsets count in."""
    return {p.name: extract_file(p).text for p in sorted((ROOT / "seeds").glob("*.txt"))}


def test_find_text_all_words_with_offsets(store, clean_texts) -> None:
    got = rows(store, "find-text", words="  Supervision   FREQUENCY ")
    assert got
    for row in got:
        text = clean_texts[row["file_name"]]
        assert text[int(row["start"]) : int(row["end"])] == row["quote"]
        assert "supervision" in row["text"].lower() and "frequency" in row["text"].lower()
        assert row["statement"] in ("recommendation", "finding")
    expected = {
        norm(rec["text"])
        for report in GOLD
        for rec in report["recommendations"]
        if "supervision" in rec["text"].lower() and "frequency" in rec["text"].lower()
    }
    found = {norm(r["text"]) for r in got if r["statement"] == "recommendation"}
    assert expected and expected <= found


def test_find_text_phrase_and_nothing(store) -> None:
    phrase = rows(store, "find-text", words="formal supervision", match="phrase")
    assert phrase and all("formal supervision" in r["text"].lower() for r in phrase)
    any_order = rows(store, "find-text", words="supervision formal")
    assert {r["item"] for r in phrase} <= {r["item"] for r in any_order}
    assert rows(store, "find-text", words="supervision formal", match="phrase") == []
    assert rows(store, "find-text", words='x" } ; DROP ALL ; #') == []
    assert rows(store, "find-text", words="   ") == []
    with pytest.raises(QueryError, match="one of"):
        prepare(get_query("find-text"), {"words": "x", "match": "fuzzy"})


# --- earlier-inspections ---------------------------------------------------------------------


def test_earlier_inspections_quote_the_gold_grades(store) -> None:
    expected = {
        (r["authority"], p["date"], p["overall_effectiveness"], r["visit_start"])
        for r in GOLD
        for p in r["previous_inspections"]
    }
    got = rows(store, "earlier-inspections")
    assert {
        (r["authority_name"], r["earlier_date"], r["quoted_grade"], r["mentioned_on"]) for r in got
    } == expected
    [hartlepool] = [r for r in got if r["authority_name"] == "Hartlepool"]
    assert hartlepool["quoted_scale"].startswith("ILACS")  # July 2018: an ILACS grade
    assert hartlepool["graph_visit"] is None  # the 2018 inspection is not among the seeds


def test_earlier_inspections_bind_authority(store) -> None:
    got = rows(store, "earlier-inspections", authority="Redcar and Cleveland")
    assert [(r["earlier_date"], r["quoted_grade"]) for r in got] == [("2017-01", None)]


@pytest.mark.parametrize(
    ("name", "column"),
    [("recurring-issues", "quotes"), ("unresolved-recommendations", "recommendation")],
)
def test_a_safeguarding_boards_points_are_not_the_councils(
    hartlepool_history_graph, name: str, column: str
) -> None:
    """Hartlepool's 2013 SIF report also reviewed its Safeguarding Children Board; the board's
    recommendations ("The HSCB should ...") are addressed to the board, not the council, so a
    question about what the council was told does not count them."""
    board_points = [
        str(row[0].value)
        for row in hartlepool_history_graph.query(
            "PREFIX kg: <https://w3id.org/ofsted-kg/def#> SELECT ?text WHERE {"
            " ?r kg:addressedTo ?board . ?board a kg:SafeguardingBoard . ?r kg:text ?text }",
            use_default_graph_as_union=True,
        )
    ]
    assert any("HSCB" in text for text in board_points)  # the board's points are in the graph
    result = run_saved(hartlepool_history_graph, name, authority="Hartlepool")
    i = result.columns.index(column)
    told = " | ".join(str(row[i].value) for row in result.rows if row[i] is not None)
    assert told  # the council's own points are there
    for text in board_points:
        assert text not in told


@pytest.mark.parametrize("directory", [None, REFERENCE])
def test_the_readme_answer_for_hartlepool_keeps_partners_points_apart(
    hartlepool_history_graph, directory
) -> None:
    """The README's first command (recurring-issues, Hartlepool, 2010-2022): the 2010
    inspection told the council and its partners, but also NHS Hartlepool with the HSCB, and the
    HSCB alone; those two kinds are not the council's, so they are not quoted or counted."""
    partners_only = {
        " ".join(str(row[0].value).split())
        for row in hartlepool_history_graph.query(
            "PREFIX kg: <https://w3id.org/ofsted-kg/def#> SELECT ?text WHERE {"
            " ?r kg:addressedTo ?to ; kg:text ?text . ?to a kg:PartnerBody ."
            " FILTER NOT EXISTS { ?r kg:addressedTo ?council . ?council a kg:Authority } }",
            use_default_graph_as_union=True,
        )
    }
    assert any(t.startswith("NHS Hartlepool in conjunction with") for t in partners_only)
    assert "HSCB to ensure that board representation and attendance accords fully with" in (
        " ".join(partners_only)
    )
    got = run_saved(
        hartlepool_history_graph, "recurring-issues", directory=directory, authority="Hartlepool"
    ).values()
    quotes = " | ".join(" ".join(r["quotes"].split()) for r in got)
    assert "2010: " in quotes  # the council's own 2010 points are there
    for text in partners_only:
        assert text not in quotes
    assert "2010: NHS Hartlepool" not in quotes and "2010: HSCB" not in quotes
    # training was raised in 2010 only by NHS Hartlepool's point, and in 2013 by the council
    assert "training" not in {r["theme"].rsplit("/", 1)[-1] for r in got}


def board_recommendations(graph) -> dict[str, set[str]]:
    """Visit IRI -> the texts of the recommendations its report addressed to a safeguarding
    board, read from the graph's base facts."""
    found: dict[str, set[str]] = defaultdict(set)
    for row in graph.query(
        "PREFIX kg: <https://w3id.org/ofsted-kg/def#> SELECT ?visit ?text WHERE {"
        " ?visit kg:report ?report . ?report kg:hasRecommendation ?r ."
        " ?r kg:addressedTo ?board ; kg:text ?text . ?board a kg:SafeguardingBoard }",
        use_default_graph_as_union=True,
    ):
        found[row[0].value].add(row[1].value)
    return found


def test_authority_profile_shows_the_boards_recommendations_apart(
    hartlepool_history_graph,
) -> None:
    """Hartlepool's 2013 SIF report gives 11 recommendations to the council and 6 to its
    Safeguarding Children Board: the council's count is 11, the board's are in their own
    columns. (Its 2010 inspection told the HSCB too: "HSCB to ensure ...".)"""
    board = board_recommendations(hartlepool_history_graph)
    [sif] = [visit for visit in board if "/sif-inspection/" in visit]
    texts = board[sif]
    assert len(texts) == 6 and all("HSCB" in text for text in texts)
    got = {
        r["visit"]: r
        for r in rows(hartlepool_history_graph, "authority-profile", authority="Hartlepool")
    }
    row = got[sif]
    assert (row["recommendation_count"], row["board_recommendation_count"]) == ("11", "6")
    assert set(row["board_recommendations"].split(" | ")) == texts
    assert not any(text in row["recommendations"] for text in texts)
    others = [r for visit, r in got.items() if visit not in board]
    assert others and all(r["board_recommendations"] is None for r in others)
    [slac] = [visit for visit in board if "/slac-inspection/" in visit]
    assert got[slac]["board_recommendation_count"] == "3"  # HSCB alone, and with NHS Hartlepool


@pytest.mark.parametrize("directory", [None, REFERENCE])
def test_compare_authorities_counts_only_the_councils_points(
    hartlepool_history_graph, directory
) -> None:
    """In 2013 Hartlepool's council was told about governance twice and its board three times:
    the council's count is 2 (tuned query and plain twin alike)."""
    got = run_saved(
        hartlepool_history_graph, "compare-authorities", directory=directory, theme="governance"
    ).values()
    hartlepool = {r["authority_name"]: r for r in got}["Hartlepool"]
    council = {
        row[0].value
        for row in hartlepool_history_graph.query(
            "PREFIX kg: <https://w3id.org/ofsted-kg/def#> SELECT ?r WHERE {"
            " ?visit kg:authority ?a ; kg:report ?report . ?report kg:hasRecommendation ?r ."
            " ?r kg:addressedTo ?a ; kg:theme <https://w3id.org/ofsted-kg/theme/governance> ."
            " ?a <http://www.w3.org/2000/01/rdf-schema#label> 'Hartlepool' }",
            use_default_graph_as_union=True,
        )
    }
    assert len(council) >= 2
    assert hartlepool["recommendations"] == str(len(council))


@pytest.mark.parametrize("directory", [None, REFERENCE])
def test_workforce_at_visits_ignores_a_boards_points(hartlepool_history_graph, directory) -> None:
    """A visit whose only recommendations on the theme went to the safeguarding board did not
    ask the council for anything on it, so it is not listed."""
    from kg.shipped import import_default_datasets

    graph = KnowledgeGraph.in_memory()
    graph.store.bulk_extend(hartlepool_history_graph)
    import_default_datasets(graph)
    [sif] = [visit for visit in board_recommendations(graph.store) if "/sif-inspection/" in visit]
    params = {"authority": "Hartlepool", "theme": "governance"}
    listed = run_saved(graph.store, "workforce-at-visits", directory=directory, **params)
    assert sif in {r["visit"] for r in listed.values()}  # the council's own 2013 points
    # Leave the board's governance points as the only ones of that visit.
    graph.store.update(
        "PREFIX kg: <https://w3id.org/ofsted-kg/def#>"
        " DELETE { GRAPH ?g { ?r kg:theme <https://w3id.org/ofsted-kg/theme/governance> } }"
        " WHERE { GRAPH ?g { ?r kg:theme <https://w3id.org/ofsted-kg/theme/governance> ;"
        " kg:addressedTo ?to . FILTER NOT EXISTS { GRAPH ?h { ?to a kg:SafeguardingBoard } } } }"
    )
    listed = run_saved(graph.store, "workforce-at-visits", directory=directory, **params)
    assert sif not in {r["visit"] for r in listed.values()}


@pytest.mark.parametrize("directory", [None, REFERENCE])
def test_recurring_issues_quotes_oldest_first(hartlepool_history_graph, directory) -> None:
    """The quotes of a row come by their visit's start date (then text), so the answer is the
    same from run to run (GROUP_CONCAT alone gives its parts in no fixed order); the plain twin
    gives the same order (tests/test_reference_queries.py compares it as it is)."""
    result = run_saved(
        hartlepool_history_graph,
        "recurring-issues",
        directory=directory,
        include="weaknesses",
        min_visits=1,
        from_year=2009,
        to_year=2026,
    ).values()
    several = [row["quotes"].split(" | ") for row in result if int(row["visits"]) > 2]
    assert len(several) > 10
    for quotes in several:
        assert [q[:4] for q in quotes] == sorted(q[:4] for q in quotes)


@pytest.fixture(scope="module")
def recoded_councils_store():
    """Real reports of councils recoded since: Somerset (E10000027 -> E06000066, 2023) in
    2018 and 2019, Barnsley (E08000016 -> E08000038, 2025) in 2023."""
    national = ROOT / "tests" / "data" / "national"
    files = [
        national / "somerset_2018-01-29_inspection.pdf",
        national / "somerset_2019-02-21_focused-visit.pdf",
        national / "barnsley_2023-10-27_inspection.pdf",
    ]
    graph = KnowledgeGraph.in_memory()
    result = build(files, graph, workers=1)
    assert result.ok, result.errors
    return graph.store


def test_a_visit_carries_the_code_its_council_had_then(recoded_councils_store) -> None:
    """A visit before a recode shows the code valid at its date, while the council stays one
    authority: "Somerset", "Somerset County Council", the old and the new code and the DfE
    number all find both visits."""
    by_name = rows(recoded_councils_store, "authority-profile", authority="Somerset")
    assert [r["gss_code"] for r in by_name] == ["E10000027", "E10000027"]
    assert all(r["start_date"] < "2023-04-01" for r in by_name)
    for other in ("Somerset County Council", "E10000027", "e06000066", "933"):
        assert rows(recoded_councils_store, "authority-profile", authority=other) == by_name
    [barnsley] = rows(recoded_councils_store, "authority-profile", authority="Barnsley")
    assert barnsley["gss_code"] == "E08000016"  # recoded on 2025-05-01
