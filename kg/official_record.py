"""Ofsted's official record of ILACS inspections, linked as a dataset to check the graph against.

``datasets/ofsted_ilacs_outcomes_history_2025.csv`` is Ofsted's own list of every ILACS
standard and short inspection from 2018 to 31 March 2025, with its start date, publication date
and grades ("Local authority children's services inspections and outcomes", ILACS inspection
history sheet). It is not a statistics table (no figures, a row per inspection), so it gets its
own mapping rather than ``kg.datasets``' Data Cube of measures; it is stored the same way, in
the dataset graph ``https://w3id.org/ofsted-kg/graph/dataset/ofsted-ilacs-outcomes``:

- ``id:dataset/ofsted-ilacs-outcomes`` a ``qb:DataSet`` (title, source file, SHA-256, mapping
  version), so ``kg link list`` shows it beside the DfE tables;
- one ``kg:OfficialInspection`` (a ``qb:Observation``) per row: ``kg:refAuthority`` (the
  council, through ``kg.authorities``: abolished ones included), ``kg:refArea``,
  ``kg:period`` (the start day, as the Data Cube dimension) and ``kg:year``,
  ``kg:inspectionDate`` and ``kg:publicationDate`` (``xsd:date``), ``kg:inspectionType``
  ("ILACS Standard Inspection" / "ILACS Short Inspection"), ``kg:sourceLine``;
- one ``kg:officialJudgement`` per graded column: ``kg:judgementArea`` (the column's name, the
  words reports print in their judgement table) and ``kg:grade``, a concept of the ILACS scale.

Two data-quality checks read it (``queries/checks/ilacs-*-official-record.rq``): an ILACS visit
whose start date or grades disagree with the record, and an official inspection whose report
was built as something other than an ILACS visit.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg import families, vocab
from kg.authorities import AuthorityError, AuthorityIndex
from kg.datasets import (
    DatasetError,
    ImportReport,
    Problem,
    dataset_graph_iri,
    dataset_iri,
    file_sha256,
    read_table,
    unchanged_import,
)

if TYPE_CHECKING:
    from kg.store import KnowledgeGraph

NAME = "ofsted-ilacs-outcomes"
FILE = "datasets/ofsted_ilacs_outcomes_history_2025.csv"
TITLE = "Ofsted's official record of ILACS inspections and their grades, 2018 to March 2025"
MAPPING_VERSION = "kg-official-record-2"

AREA_COLUMN = "Local authority area code"
DATE_COLUMN = "Inspection date"
PUBLISHED_COLUMN = "Publication date"
TYPE_COLUMN = "Inspection type"
# The graded columns, as the record (and the reports' judgement tables) name them.
JUDGEMENT_COLUMNS = (
    "Overall effectiveness",
    "The impact of leaders on social work practice with children and families",
    "The experiences and progress of children who need help and protection",
    "The experiences and progress of children in care",
    "The experiences and progress of care leavers",
)


def judgement_subject(area: str) -> str:
    """What a judgement is about, whichever words name it: "leaders", "help", "in care" (also
    the combined "children in care and care leavers" of 2018-2023), "leavers" or "overall".
    The checks in ``queries/checks/`` match areas by the same rule."""
    a = area.lower()
    for phrase, subject in (
        ("impact of leaders", "leaders"),
        ("help and protection", "help"),
        ("children in care", "in care"),
        ("care leavers", "leavers"),
    ):
        if phrase in a:
            return subject
    return "overall"


KG = vocab.KG
RDF_TYPE = vocab.RDF + "type"
XSD = vocab.XSD


def record_quads(
    path: Path,
    index: AuthorityIndex | None = None,
) -> tuple[list[ox.Quad], ImportReport]:
    """The record's quads (in its dataset graph) and what was (not) imported."""
    path = Path(path)
    index = index or AuthorityIndex.load()
    table = read_table(path)
    missing = [c for c in (AREA_COLUMN, DATE_COLUMN, *JUDGEMENT_COLUMNS) if c not in table.header]
    if missing:
        raise DatasetError(
            f"{path}: not Ofsted's ILACS outcomes record (no column "
            f"{', '.join(repr(c) for c in missing)})"
        )
    graph = ox.NamedNode(dataset_graph_iri(NAME))
    quads: list[ox.Quad] = []

    def add(s: str, p: str, o: ox.NamedNode | ox.Literal | str) -> None:
        obj = ox.NamedNode(o) if isinstance(o, str) else o
        quads.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, graph))

    report = ImportReport(
        dataset=NAME,
        file=path.name,
        graph=graph.value,
        rows=len(table.rows),
        area_column=AREA_COLUMN,
        area_kind="gss",
        period_column=DATE_COLUMN,
    )
    ds = dataset_iri(NAME)
    add(ds, RDF_TYPE, vocab.QB + "DataSet")
    add(ds, RDF_TYPE, vocab.PROV + "Entity")
    for p, value in (
        (vocab.RDFS + "label", TITLE),
        (vocab.DCT + "title", TITLE),
        (KG + "datasetName", NAME),
        (vocab.DCT + "source", path.name),
        (KG + "fileSha256", file_sha256(path)),
        (vocab.OWL + "versionInfo", MAPPING_VERSION),
    ):
        add(ds, p, ox.Literal(value))
    add(ds, vocab.DCT + "publisher", "https://www.gov.uk/government/organisations/ofsted")
    # The structure: the area and the inspection's start day (kg:period) are the dimensions.
    dsd = ds + "/structure"
    add(ds, vocab.QB + "structure", dsd)
    add(dsd, RDF_TYPE, vocab.QB + "DataStructureDefinition")
    for order, (role, prop) in enumerate(
        (
            ("dimension", KG + "refArea"),
            ("dimension", KG + "period"),
            ("attribute", KG + "refAuthority"),
        ),
        start=1,
    ):
        component = f"{dsd}/component/{order}"
        add(dsd, vocab.QB + "component", component)
        add(component, RDF_TYPE, vocab.QB + "ComponentSpecification")
        add(component, vocab.QB + role, prop)
        add(
            component,
            vocab.QB + "order",
            ox.Literal(str(order), datatype=ox.NamedNode(XSD + "integer")),
        )
    scale = families.ILACS
    for line, cells in table.rows:
        where = f"{path.name}:{line}"
        try:
            authority = index.by_gss(cells[AREA_COLUMN])
            started = date.fromisoformat(cells[DATE_COLUMN])
        except (AuthorityError, ValueError) as error:
            report.problems.append(Problem(line, "unmatched", f"{where}: {error}"))
            continue
        obs = f"{ds}/obs/{line}"
        add(obs, RDF_TYPE, vocab.QB + "Observation")
        add(obs, RDF_TYPE, KG + "OfficialInspection")
        add(obs, vocab.QB + "dataSet", ds)
        add(obs, KG + "refAuthority", vocab.authority_iri(authority.gss_code))
        add(obs, KG + "refArea", vocab.area_iri(authority.gss_code))
        add(
            obs,
            KG + "inspectionDate",
            ox.Literal(started.isoformat(), datatype=ox.NamedNode(XSD + "date")),
        )
        add(obs, KG + "period", ox.Literal(started.isoformat()))
        add(obs, KG + "year", ox.Literal(str(started.year), datatype=ox.NamedNode(XSD + "integer")))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells.get(PUBLISHED_COLUMN, "")):
            add(
                obs,
                KG + "publicationDate",
                ox.Literal(cells[PUBLISHED_COLUMN], datatype=ox.NamedNode(XSD + "date")),
            )
        if cells.get(TYPE_COLUMN):
            add(obs, KG + "inspectionType", ox.Literal(cells[TYPE_COLUMN]))
        add(obs, KG + "sourceLine", ox.Literal(str(line), datatype=ox.NamedNode(XSD + "integer")))
        for column in JUDGEMENT_COLUMNS:
            written = cells[column]
            if not written:
                continue
            label = scale.spell(written)
            if label not in scale.grades:
                report.problems.append(
                    Problem(
                        line,
                        "marker",
                        f"{where}: {column} {written!r} is not an ILACS grade; left out",
                    )
                )
                continue
            judgement = f"{obs}/judgement/{vocab.slug(column)}"
            add(obs, KG + "officialJudgement", judgement)
            add(judgement, KG + "judgementArea", ox.Literal(column))
            add(judgement, KG + "grade", scale.iri(label))
            report.values += 1
        report.observations += 1
        report.by_level["Local authority"] += 1
    report.quads = len(quads)
    return quads, report


def import_record(graph: KnowledgeGraph, path: Path, *, force: bool = False) -> ImportReport:
    """Link the record into its dataset graph in one transaction (unchanged files skipped)."""
    path = Path(path)
    unchanged = unchanged_import(graph, path, NAME, MAPPING_VERSION, force)
    if unchanged is not None:
        return unchanged
    quads, report = record_quads(path)
    graph.replace_graph(dataset_graph_iri(NAME), quads)
    return report
