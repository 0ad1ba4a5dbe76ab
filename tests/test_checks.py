"""The data-quality checks in queries/checks/: the seed graph passes them, and a graph with
one planted bad fact is caught by the check for that rule (and by no other)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import official_record, vocab
from kg import validate as kv
from kg.build import build
from kg.queries import load_queries
from kg.rdf import T
from kg.resources import data_path
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
    "ilacs-visit-disagrees-with-official-record",
    "official-inspection-not-read-as-ilacs",
}


@pytest.fixture(scope="module")
def built() -> list[ox.Quad]:
    kg = KnowledgeGraph.in_memory()
    result = build(sorted(SEEDS.glob("*.txt")), kg, workers=1)
    assert result.ok, result.errors
    return list(kg.store)


def fresh_copy(quads: list[ox.Quad]) -> ox.Store:
    """A store of its own for one test to break."""
    copy = ox.Store()
    copy.extend(quads)
    return copy


@pytest.fixture
def store(built: list[ox.Quad]) -> ox.Store:
    """A fresh copy of the seed graph, for one test to break."""
    return fresh_copy(built)


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
        store.add(ox.Quad(q.subject, q.predicate, nn(vocab.ID + "authority/unknown"), q.graph_name))
    return FV_VISIT


def no_quote(store: ox.Store) -> str:
    """A recommendation's annotations lose their quote selectors."""
    rec = one(store, None, T.hasRecommendation).object
    for annotation in store.quads_for_pattern(None, nn(T.hasBody), rec, None):
        for target in store.quads_for_pattern(annotation.subject, nn(T.hasTarget), None, None):
            for sel in list(store.quads_for_pattern(target.object, nn(T.hasSelector), None, None)):
                if list(store.quads_for_pattern(sel.object, nn(T.exact), None, None)):
                    store.remove(sel)
    return rec.value


def off_scale(store: ox.Store) -> str:
    """A SLAC judgement graded on the ILACS scale."""
    quad = one(store, None, T.grade, vocab.GRADE + "slac/good")
    store.remove(quad)
    store.add(
        ox.Quad(quad.subject, quad.predicate, nn(vocab.GRADE + "ilacs/good"), quad.graph_name)
    )
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
    store.add(
        ox.Quad(
            letter.subject,
            letter.predicate,
            ox.Literal("2020-02-01", datatype=nn(vocab.XSD + "date")),
            letter.graph_name,
        )
    )
    return report


def later_earlier(store: ox.Store) -> str:
    """The 'earlier' inspection a 2020 letter recalls is dated 2021."""
    earlier = one(store, None, T.earlierDate)
    store.remove(earlier)
    store.add(
        ox.Quad(
            earlier.subject,
            earlier.predicate,
            ox.Literal("2021-07", datatype=nn(vocab.XSD + "gYearMonth")),
            earlier.graph_name,
        )
    )
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
    # the official-record checks are planted on a graph with the record (below)
    assert {name for name, _ in PLANTED} | OFFICIAL == EVERY_CHECK


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
    assert (
        v.focus == SLAC_VISIT
        and v.message == "A visit with no inspector at all (check no-inspectors)"
    )
    (tmp_path / "bad.rq").write_text("SELECT ?focus WHERE { ?focus ?p ?_value }\n")
    with pytest.raises(ValueError, match="takes no parameters"):
        kv.run_data_checks(store, tmp_path)


# --- Ofsted's official record of ILACS inspections ------------------------------------------

ILACS_2018 = vocab.ID + "visit/E06000001/ilacs-inspection/2018-07-23"
ILACS_2024 = vocab.ID + "visit/E06000001/ilacs-inspection/2024-03-18"
OFFICIAL = {"ilacs-visit-disagrees-with-official-record", "official-inspection-not-read-as-ilacs"}


@pytest.fixture(scope="module")
def with_record() -> list[ox.Quad]:
    """Hartlepool's two ILACS reports (2018, 2024) and the official record, as ``kg build``
    links it."""
    kg = KnowledgeGraph.in_memory()
    files = [
        SEEDS / "hartlepool_2018-08-28_inspection.pdf",
        SEEDS / "hartlepool_2024-05-16_inspection.pdf",
    ]
    assert build(files, kg, workers=1).ok
    official_record.import_record(kg, data_path(official_record.FILE))
    return list(kg.store)


@pytest.fixture
def record_store(with_record: list[ox.Quad]) -> ox.Store:
    return fresh_copy(with_record)


def official(store: ox.Store) -> dict[str, set[str]]:
    return {name: focus for name, focus in caught(store).items() if name in OFFICIAL}


def test_reports_that_agree_with_the_official_record_pass(record_store: ox.Store) -> None:
    assert official(record_store) == {}


def test_a_grade_that_disagrees_with_the_official_record_is_caught(
    record_store: ox.Store,
) -> None:
    report = one(record_store, ILACS_2018, T.report).object
    for q in list(record_store.quads_for_pattern(report, nn(T.hasJudgement), None, None)):
        area = next(record_store.quads_for_pattern(q.object, nn(T.judgementArea), None, None))
        if area.object.value == "Overall effectiveness":
            grade = one(record_store, q.object.value, T.grade)
            record_store.remove(grade)
            record_store.add(
                ox.Quad(
                    grade.subject,
                    grade.predicate,
                    nn(vocab.GRADE + "ilacs/inadequate"),
                    grade.graph_name,
                )
            )
    assert official(record_store) == {"ilacs-visit-disagrees-with-official-record": {ILACS_2018}}


def test_a_start_date_that_disagrees_with_the_official_record_is_caught(
    record_store: ox.Store,
) -> None:
    start = one(record_store, ILACS_2024, T.startDate)
    record_store.remove(start)
    record_store.add(
        ox.Quad(
            start.subject,
            start.predicate,
            ox.Literal("2024-03-19", datatype=nn(vocab.XSD + "date")),
            start.graph_name,
        )
    )
    found = official(record_store)
    assert found["ilacs-visit-disagrees-with-official-record"] == {ILACS_2024}
    assert len(found["official-inspection-not-read-as-ilacs"]) == 1


def test_an_official_inspection_built_as_another_kind_is_caught(record_store: ox.Store) -> None:
    kind = one(record_store, ILACS_2018, T.kind)
    record_store.remove(kind)
    record_store.add(
        ox.Quad(kind.subject, kind.predicate, nn(vocab.KIND + "jtai"), kind.graph_name)
    )
    assert set(official(record_store)) == {"official-inspection-not-read-as-ilacs"}


@pytest.mark.filterwarnings("ignore:Dataset.default_context:DeprecationWarning")
def test_a_grade_missing_from_one_report_is_caught_while_another_visit_has_it(
    record_store: ox.Store,
) -> None:
    """The 2018 report loses its "help and protection" judgement, which the official record
    grades; the 2024 report keeps its own. A lookup of the report's judgements that cannot see
    the visit (an OPTIONAL inside a UNION branch, evaluated bottom-up) finds the 2024 one and
    so missed this. Oxigraph, and rdflib (a bottom-up evaluator) on the same quads."""
    report = one(record_store, ILACS_2018, T.report).object
    dropped = []
    for q in list(record_store.quads_for_pattern(report, nn(T.hasJudgement), None, None)):
        area = next(record_store.quads_for_pattern(q.object, nn(T.judgementArea), None, None))
        if "help and protection" in area.object.value:
            record_store.remove(q)
            dropped.append(area.object.value)
    assert len(dropped) == 1
    assert official(record_store) == {"ilacs-visit-disagrees-with-official-record": {ILACS_2018}}

    import rdflib

    check = load_queries()["checks/ilacs-visit-disagrees-with-official-record"]
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(data=record_store.dump(format=ox.RdfFormat.N_QUADS), format="nquads")
    rows = list(dataset.query(check.sparql, initNs=vocab.PREFIXES))
    assert [(str(r[0]), str(r[1]), str(r[4]), r[5]) for r in rows] == [
        (ILACS_2018, "grade", dropped[0], None)
    ]
