"""The data-quality checks in queries/checks/: the seed graph passes them, and a graph with
one planted bad fact is caught by the check for that rule (and by no other)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import validate as kv
from kg import vocab
from kg.build import build
from kg.queries import load_queries
from kg.rdf import T
from kg.store import KnowledgeGraph

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
FV_TXT = "hartlepool_2020-03-27_focused-visit.txt"
FV_VISIT = vocab.ID + "visit/E06000001/focused-visit/2020-03-04"
SLAC_VISIT = vocab.ID + "visit/E06000001/slac-inspection/2010-06-07"
EVERY_CHECK = {
    "visit-without-lead-inspector",
    "visit-without-authority-code",
    "statement-without-source-quote",
    "grade-off-scale",
    "selector-span-mismatch",
    "report-dated-before-visit",
    "earlier-inspection-not-earlier",
}


@pytest.fixture(scope="module")
def built() -> list[ox.Quad]:
    kg = KnowledgeGraph.in_memory()
    result = build(sorted(SEEDS.glob("*.txt")), kg, workers=1)
    assert result.ok, result.errors
    return list(kg.store)


@pytest.fixture
def store(built: list[ox.Quad]) -> ox.Store:
    """A fresh copy of the seed graph, for one test to break."""
    copy = ox.Store()
    copy.extend(built)
    return copy


def caught(store: ox.Store) -> dict[str, set[str]]:
    """Check name -> the focus nodes of its rows."""
    names, violations = kv.run_data_checks(store)
    assert set(names) == EVERY_CHECK
    found: dict[str, set[str]] = {}
    for v in violations:
        found.setdefault(v.shape.removeprefix("check:"), set()).add(v.focus)
    return found


def nn(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def one(store: ox.Store, s: str | None, p: str, o: str | None = None) -> ox.Quad:
    quads = list(store.quads_for_pattern(s and nn(s), nn(p), o and nn(o), None))
    assert quads, (s, p, o)
    return quads[0]


def remove_all(store: ox.Store, s: ox.Term | None, p: str) -> None:
    for q in list(store.quads_for_pattern(s, nn(p), None, None)):
        store.remove(q)


def test_every_check_is_a_saved_query_without_parameters() -> None:
    checks = load_queries(kv.checks_dir())
    assert set(checks) == EVERY_CHECK
    for query in checks.values():
        assert query.summary and query.description and "check" in query.tags
        assert query.parameters == []


def test_the_seed_graph_passes_every_check(store: ox.Store) -> None:
    assert caught(store) == {}


def no_lead(store: ox.Store) -> str:
    remove_all(store, nn(FV_VISIT), T.leadInspector)
    return FV_VISIT


def no_gss_code(store: ox.Store) -> str:
    """The visit's authority is one the reference table does not know, with no code."""
    for q in list(store.quads_for_pattern(nn(FV_VISIT), nn(T.authority), None, None)):
        store.remove(q)
        store.add(ox.Quad(q.subject, q.predicate, nn(vocab.ID + "authority/unknown"),
                          q.graph_name))
    return FV_VISIT


def no_quote(store: ox.Store) -> str:
    """A recommendation's annotations lose their quote selectors."""
    rec = one(store, None, T.hasRecommendation).object
    for annotation in store.quads_for_pattern(None, nn(T.hasBody), rec, None):
        for target in store.quads_for_pattern(annotation.subject, nn(T.hasTarget), None, None):
            for sel in list(store.quads_for_pattern(target.object, nn(T.hasSelector), None,
                                                    None)):
                if list(store.quads_for_pattern(sel.object, nn(T.exact), None, None)):
                    store.remove(sel)
    return rec.value


def off_scale(store: ox.Store) -> str:
    """A SLAC judgement graded on the ILACS scale."""
    quad = one(store, None, T.grade, vocab.GRADE + "slac/good")
    store.remove(quad)
    store.add(ox.Quad(quad.subject, quad.predicate, nn(vocab.GRADE + "ilacs/good"),
                      quad.graph_name))
    return quad.subject.value


def long_span(store: ox.Store) -> str:
    """An annotation whose end offset points one character past its quote."""
    end = one(store, None, T.end)
    store.remove(end)
    later = ox.Literal(str(int(end.object.value) + 1), datatype=nn(vocab.XSD + "integer"))
    store.add(ox.Quad(end.subject, end.predicate, later, end.graph_name))
    target = one(store, None, T.hasSelector, end.subject.value).subject
    return one(store, None, T.hasTarget, target.value).subject.value


def early_letter(store: ox.Store) -> str:
    report = FV_VISIT + "/report"
    letter = one(store, report, T.letterDate)
    remove_all(store, nn(report), T.letterDate)
    store.add(ox.Quad(letter.subject, letter.predicate,
                      ox.Literal("2020-02-01", datatype=nn(vocab.XSD + "date")),
                      letter.graph_name))
    return report


def later_earlier(store: ox.Store) -> str:
    """The 'earlier' inspection a 2020 letter recalls is dated 2021."""
    earlier = one(store, None, T.earlierDate)
    store.remove(earlier)
    store.add(ox.Quad(earlier.subject, earlier.predicate,
                      ox.Literal("2021-07", datatype=nn(vocab.XSD + "gYearMonth")),
                      earlier.graph_name))
    return earlier.subject.value


PLANTED: list[tuple[str, Callable[[ox.Store], str]]] = [
    ("visit-without-lead-inspector", no_lead),
    ("visit-without-authority-code", no_gss_code),
    ("statement-without-source-quote", no_quote),
    ("grade-off-scale", off_scale),
    ("selector-span-mismatch", long_span),
    ("report-dated-before-visit", early_letter),
    ("earlier-inspection-not-earlier", later_earlier),
]


def test_every_check_has_a_planted_case() -> None:
    assert {name for name, _ in PLANTED} == EVERY_CHECK


@pytest.mark.parametrize(("check", "plant"), PLANTED, ids=[name for name, _ in PLANTED])
def test_a_planted_bad_fact_is_caught_by_its_check(
    store: ox.Store, check: str, plant: Callable[[ox.Store], str]
) -> None:
    focus = plant(store)
    assert caught(store) == {check: {focus}}


def test_a_check_directory_of_your_own(store: ox.Store, tmp_path: Path) -> None:
    (tmp_path / "no-inspectors.rq").write_text(
        "#+ summary: A visit with no inspector at all\n"
        "PREFIX kg: <https://w3id.org/ofsted-kg/def#>\n"
        "SELECT ?focus WHERE { ?focus a kg:Visit FILTER NOT EXISTS { ?focus kg:inspector ?i } }\n"
    )
    remove_all(store, nn(SLAC_VISIT), T.inspector)
    names, [v] = kv.run_data_checks(store, tmp_path)
    assert names == ["no-inspectors"]
    assert v.focus == SLAC_VISIT and v.message == "A visit with no inspector at all " \
        "(check no-inspectors)"
    (tmp_path / "bad.rq").write_text("SELECT ?focus WHERE { ?focus ?p ?_value }\n")
    with pytest.raises(ValueError, match="takes no parameters"):
        kv.run_data_checks(store, tmp_path)
