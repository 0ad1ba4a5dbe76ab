"""Graph analytics (kg.analytics) and ``kg graph export``, checked against the gold file.

Two small stores: the five seed texts (the gold file describes exactly these), and the seed
texts with Hartlepool's PDFs, which add the 2013 and 2018 inspections between the gold visits
(the gold facts must still hold: supervision 2010 -> 2020, care leavers 2010 -> 2022).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
import typer
from typer.testing import CliRunner

from kg import vocab
from kg.analytics import (
    AnalyticsError,
    Item,
    Projection,
    Visit,
    authority_similarity,
    chains_by_authority,
    cosine,
    inspector_network,
    load,
    longest_running,
    most_frequent,
    recurrence_chains,
    recurrent_themes,
    resolve_authority,
    theme_cooccurrence,
    years_between,
)
from kg.build import extract_file
from kg.cli.analytics import register
from kg.inspectors import identity
from kg.queries import execute

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = json.loads((ROOT / "tests" / "data" / "gold_seeds.json").read_text())
HARTLEPOOL = vocab.authority_iri("E06000001")
THEME = vocab.THEME


def shown(name: str) -> str:
    """The name the graph shows an inspector by (one node per person: kg.inspectors)."""
    return identity(name).name


def gold_chains(first: int, last: int) -> dict[tuple[str, str], list[str]]:
    """(authority, theme) -> the visit start dates whose gold recommendations raise it."""
    chains: dict[tuple[str, str], set[str]] = defaultdict(set)
    for report in GOLD:
        if first <= int(report["visit_start"][:4]) <= last:
            for rec in report["recommendations"]:
                for theme in rec["themes"]:
                    chains[(report["authority"], theme)].add(report["visit_start"])
    return {key: sorted(days) for key, days in chains.items()}


def chain_of(chains, authority_name: str, theme: str):
    return next(
        c for c in chains if c.authority_name == authority_name and c.theme == THEME + theme
    )


# ------------------------------------------------------------------------ recurrence


def test_every_gold_recurrence_is_a_chain_with_its_visits(seed_texts_graph) -> None:
    chains = recurrence_chains(load(seed_texts_graph, from_year=2010, to_year=2022))
    expected = {k: v for k, v in gold_chains(2010, 2022).items() if len(v) >= 2}
    assert ("Hartlepool", "supervision") in expected
    for (authority, theme), days in expected.items():
        chain = chain_of(chains, authority, theme)
        starts = [link.visit.start for link in chain.links]
        assert set(days) <= set(starts)
        assert starts == sorted(starts)
        assert (chain.first_year, chain.last_year) == (int(days[0][:4]), int(days[-1][:4]))


def test_hartlepool_chains_hold_with_the_pdf_history(hartlepool_history_graph) -> None:
    data = load(hartlepool_history_graph, authority=HARTLEPOOL, from_year=2010, to_year=2022)
    chains = recurrence_chains(data)
    gold = gold_chains(2010, 2022)
    for theme, (first, last) in (("supervision", (2010, 2020)), ("care-leavers", (2010, 2022))):
        days = gold[("Hartlepool", theme)]
        assert (int(days[0][:4]), int(days[-1][:4])) == (first, last)  # what the gold says
        chain = chain_of(chains, "Hartlepool", theme)
        assert (chain.first_year, chain.last_year) == (first, last)
        assert set(days) <= {link.visit.start for link in chain.links}
        # The PDFs add visits between the gold ones: the 2013 SIF inspection among them.
        assert chain.visits > len(days)
        assert chain.links[0].gap_years is None
        for before, after in zip(chain.links, chain.links[1:], strict=False):
            assert after.gap_years == years_between(before.visit.start, after.visit.start) > 0
        assert chain.span_years == last - first
        assert sum(chain.gaps) == pytest.approx(
            years_between(chain.links[0].visit.start, chain.links[-1].visit.start), abs=0.2
        )
        for link in chain.links:
            assert link.items and all(THEME + theme in item.themes for item in link.items)


def test_years_between_visits() -> None:
    assert years_between("2010-06-07", "2020-03-04") == 9.7
    assert years_between("2018", "2019-01-01") == 1.0


def test_the_period_bounds_the_chains(hartlepool_history_graph) -> None:
    chains = recurrence_chains(
        load(hartlepool_history_graph, authority=HARTLEPOOL, from_year=2011, to_year=2020)
    )
    assert all(2011 <= c.first_year <= c.last_year <= 2020 for c in chains)
    # The 2010 recommendations are out of the period: supervision starts in 2013.
    assert chain_of(chains, "Hartlepool", "supervision").first_year > 2010
    with pytest.raises(AnalyticsError, match="period is empty"):
        load(hartlepool_history_graph, from_year=2020, to_year=2010)


def test_weakness_findings_only_add_to_the_chains(hartlepool_history_graph) -> None:
    data = load(hartlepool_history_graph, from_year=2010, to_year=2022, include="weaknesses")
    told = {
        (c.authority, c.theme): {link.visit.iri for link in c.links}
        for c in recurrence_chains(data, "recommendations")
    }
    wider = {
        (c.authority, c.theme): {link.visit.iri for link in c.links}
        for c in recurrence_chains(data, "weaknesses")
    }
    assert told and all(visits <= wider[key] for key, visits in told.items())
    assert any(
        link.told_by == ("weakness",)
        for c in recurrence_chains(data, "weaknesses")
        for link in c.links
    )
    with pytest.raises(AnalyticsError, match="not loaded"):
        recurrence_chains(load(hartlepool_history_graph, to_year=2012), "weaknesses")


def test_partners_points_are_apart_from_what_the_council_was_told(
    hartlepool_history_graph,
) -> None:
    """A recommendation addressed only to the HSCB or NHS Hartlepool, and a weakness found by
    the 2013 review of the HSCB, are partner items, never items the council was told."""
    data = load(hartlepool_history_graph, authority=HARTLEPOOL, include="weaknesses")
    told = {item.iri for item in data.items}
    partners = data.partner_items
    assert partners and not told & {p.iri for p in partners}
    kinds = {(p.told_by, p.bodies) for p in partners}
    assert ("recommendation", ("board",)) in kinds
    assert ("recommendation", ("board", "health")) in kinds
    assert ("weakness", ("board",)) in kinds
    assert [data.visits[p.visit].start for p in partners] == sorted(
        data.visits[p.visit].start for p in partners
    )
    only_recommendations = load(hartlepool_history_graph, authority=HARTLEPOOL)
    assert {p.told_by for p in only_recommendations.partner_items} == {"recommendation"}


def test_longest_running_and_most_frequent(hartlepool_history_graph) -> None:
    chains = recurrence_chains(load(hartlepool_history_graph, from_year=2010, to_year=2022))
    gold_span = max(int(d[-1][:4]) - int(d[0][:4]) for d in gold_chains(2010, 2022).values())
    assert gold_span == 12
    longest = longest_running(chains, 5)
    assert longest[0].span_years == gold_span
    assert [c.span_years for c in longest] == sorted((c.span_years for c in longest), reverse=True)
    frequent = most_frequent(chains, None)
    assert [c.visits for c in frequent] == sorted((c.visits for c in frequent), reverse=True)
    per_authority = chains_by_authority(chains)
    assert per_authority[0].authority_name == "Hartlepool"
    assert per_authority[0].longest_running.span_years == gold_span
    assert per_authority[0].most_frequent.visits == frequent[0].visits
    themes = recurrent_themes(chains)
    assert {THEME + "supervision", THEME + "care-leavers"} <= {t.theme for t in themes}


# ---------------------------------------------------------------------- inspectors


def test_inspector_network_matches_the_gold_visits(seed_texts_graph) -> None:
    network = inspector_network(load(seed_texts_graph))
    graph = network.graph
    names = {a["label"]: n for n, a in graph.nodes(data=True) if a["type"] == "inspector"}
    assert set(names) == {shown(name) for report in GOLD for name in report["inspectors"]}
    expected_pairs = {
        frozenset(map(shown, pair))
        for report in GOLD
        for pair in combinations(report["inspectors"], 2)
    }
    pairs = {
        frozenset((graph.nodes[u]["label"], graph.nodes[v]["label"]))
        for u, v, a in graph.edges(data=True)
        if a["relation"] == "co-inspected"
    }
    assert pairs == expected_pairs
    visited: dict[str, set[str]] = defaultdict(set)
    for report in GOLD:
        for name in report["inspectors"]:
            visited[shown(name)].add(report["gss_code"])
    assert visited["Lisa Summers"] == {"E06000001", "E06000003"}
    for name, codes in visited.items():
        linked = {n for n in graph.neighbors(names[name]) if graph.nodes[n]["type"] == "authority"}
        assert linked == {vocab.authority_iri(code) for code in codes}
    leads = {i.name: i.lead_visits for i in network.inspectors}
    assert {shown(r["lead_inspector"]) for r in GOLD} == {n for n, k in leads.items() if k}
    assert network.repeat_visits == []  # nobody in the five seeds saw an authority twice


def test_who_has_seen_an_authority_more_than_once(hartlepool_history_graph) -> None:
    # Expected from the extractor's records of the files (not from the analytics): each
    # visit once, even when both the seed text and its PDF describe it.
    visits: dict[tuple[str, str], set[str]] = defaultdict(set)
    for report in GOLD:
        for name in report["inspectors"]:
            visits[(name, report["gss_code"])].add(report["visit_start"])
    for path in sorted(SEEDS.glob("hartlepool_*.pdf")):
        record = extract_file(path)
        for person in record.inspectors:
            visits[(person.name, record.authority.gss_code)].add(record.visit_start)
    expected = {(name, code, len(days)) for (name, code), days in visits.items() if len(days) > 1}
    assert expected  # Tracey Metcalfe: the 2013 and 2018 inspections
    network = inspector_network(load(hartlepool_history_graph))
    found = {(r.name, r.authority.rsplit("/", 1)[1], len(r.visits)) for r in network.repeat_visits}
    assert found == expected
    for repeat in network.repeat_visits:
        edge = network.graph.edges[repeat.inspector, repeat.authority]
        assert edge["weight"] == len(repeat.visits)
        assert set(edge["visits"].split()) == {v.iri for v in repeat.visits}


# --------------------------------------------------------- similarity and co-occurrence


def _visit(authority: str, day: str) -> Visit:
    return Visit(
        f"urn:v:{authority}:{day}", f"urn:a:{authority}", authority, "focused-visit", day, None
    )


def test_similarity_is_the_cosine_of_visits_per_theme() -> None:
    a1, a2, b1 = _visit("A", "2019-01-01"), _visit("A", "2020-01-01"), _visit("B", "2019-05-01")
    items = [
        Item("urn:i:1", a1.iri, "recommendation", ("urn:t:s", "urn:t:w")),
        Item("urn:i:2", a2.iri, "recommendation", ("urn:t:s",)),
        Item("urn:i:3", b1.iri, "recommendation", ("urn:t:s",)),
    ]
    data = Projection({v.iri: v for v in (a1, a2, b1)}, items, [], [], {})
    # A = {s: 2 visits, w: 1}, B = {s: 1}: cos = 2 / sqrt(5)
    [pair] = authority_similarity(data)
    assert pair.score == pytest.approx(2 / math.sqrt(5), abs=1e-4)
    assert pair.shared_themes == ("urn:t:s",)
    [together] = theme_cooccurrence(data)
    assert (together.items, together.visits) == (1, 1)
    assert cosine(Counter(), Counter({"urn:t:s": 1})) == 0.0


def test_similarity_and_cooccurrence_on_the_seeds(seed_texts_graph) -> None:
    data = load(seed_texts_graph)
    ranked = authority_similarity(data)
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    similar = {frozenset((s.a_name, s.b_name)): s for s in ranked}
    gold_themes: dict[str, set[str]] = defaultdict(set)
    same_rec: dict[frozenset[str], int] = defaultdict(int)
    for report in GOLD:
        for rec in report["recommendations"]:
            if "council" not in rec["addressed_to"]:
                continue  # a partner's point is not what the council was told
            gold_themes[report["authority"]].update(rec["themes"])
            for pair in combinations(sorted(set(rec["themes"])), 2):
                same_rec[frozenset(pair)] += 1
    for a, b in combinations(sorted(gold_themes), 2):
        shared = gold_themes[a] & gold_themes[b]
        if shared:
            pair = similar[frozenset((a, b))]
            assert 0 < pair.score <= 1
            assert {THEME + t for t in shared} <= set(pair.shared_themes)
    found = {frozenset((c.a, c.b)): c for c in theme_cooccurrence(data)}
    assert same_rec[frozenset(("management-oversight", "supervision"))] == 2
    for pair, n in same_rec.items():
        got = found[frozenset(THEME + t for t in pair)]
        assert got.items >= n and got.visits >= 1


# ------------------------------------------------------------------------ export CLI


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.mark.parametrize("kind", ["recurrence", "inspectors", "themes"])
@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_graph_export_round_trips_with_iris(
    cli,
    hartlepool_history_store: Path,
    hartlepool_history_graph: ox.Store,
    tmp_path: Path,
    kind: str,
    fmt: str,
) -> None:
    out = tmp_path / f"graph.{fmt}"
    result = CliRunner().invoke(
        cli,
        [
            "graph",
            "export",
            "--kind",
            kind,
            "--format",
            fmt,
            "--output",
            str(out),
            "--store",
            str(hartlepool_history_store),
            "--from",
            "2010",
            "--to",
            "2022",
        ],
    )
    assert result.exit_code == 0, result.output
    if fmt == "graphml":
        graph = nx.read_graphml(out)
    elif fmt == "gexf":
        graph = nx.read_gexf(out)
    else:
        data = json.loads(out.read_text())
        assert {"nodes", "links"} <= set(data)
        graph = nx.node_link_graph(data, edges="links")
    assert graph.number_of_nodes() > 0 and graph.number_of_edges() > 0
    for node, attrs in graph.nodes(data=True):
        assert attrs["iri"].startswith(vocab.BASE)
        if fmt != "gexf":  # GEXF keeps the id, and the IRI as an attribute
            assert node == attrs["iri"]
        expected = {
            "visit": "kg:Visit",
            "authority": "kg:Authority",
            "inspector": "kg:Inspector",
            "theme": "kg:Theme",
        }[attrs["type"]]
        ask = f"ASK {{ {ox.NamedNode(attrs['iri'])} a {expected} }}"
        assert execute(hartlepool_history_graph, ask).boolean, attrs["iri"]
    if kind == "recurrence":
        recurs = [a for *_, a in graph.edges(data=True) if a["relation"] == "recurs"]
        supervision = [a for a in recurs if a["theme"] == THEME + "supervision"]
        assert supervision and all(float(a["gap_years"]) > 0 for a in supervision)


def test_graph_export_to_stdout_and_bad_arguments(cli, hartlepool_history_store: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        cli,
        [
            "graph",
            "export",
            "--kind",
            "themes",
            "--format",
            "json",
            "--store",
            str(hartlepool_history_store),
            "--authority",
            "Hartlepool",
        ],
    )
    assert ok.exit_code == 0
    nodes = json.loads(ok.stdout)["nodes"]
    assert THEME + "supervision" in {n["id"] for n in nodes}
    for args, message in (
        (["--kind", "people"], "--kind must be one of"),
        (["--kind", "themes", "--format", "png"], "--format must be one of"),
        (
            ["--kind", "themes", "--authority", "Atlantis"],
            "'Atlantis' is not the name of an English",
        ),
        (["--kind", "themes", "--from", "2022", "--to", "2010"], "period is empty"),
    ):
        bad = runner.invoke(
            cli, ["graph", "export", *args, "--store", str(hartlepool_history_store)]
        )
        assert bad.exit_code == 1
        assert message in bad.stderr


def test_resolve_authority_takes_names_and_codes() -> None:
    assert resolve_authority("Hartlepool Borough Council") == HARTLEPOOL
    assert resolve_authority("E06000001") == HARTLEPOOL
    with pytest.raises(AnalyticsError, match="Hartlepol"):
        resolve_authority("Hartlepol")
