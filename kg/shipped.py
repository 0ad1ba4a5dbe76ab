"""The data files the project ships and ``kg build`` links into the graph by default.

The two DfE statistics tables (``kg.datasets``, as RDF Data Cube) and Ofsted's official record
of ILACS inspections (``kg.official_record``), each in its own dataset graph; a file already
linked from the same bytes by the same mapping is skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kg import official_record
from kg.datasets import (
    DEFAULT_DATASETS,
    MAPPING_VERSION,
    ImportReport,
    dataset_graph_iri,
    dataset_quads,
    unchanged_import,
)
from kg.resources import data_path

if TYPE_CHECKING:
    import pyoxigraph as ox

    from kg.store import KnowledgeGraph


def default_dataset_paths() -> list[tuple[str, Path, str]]:
    """The DfE example tables shipped in ``datasets/``: (name, path, title)."""
    return [(name, data_path(rel), title) for name, rel, title in DEFAULT_DATASETS]


def shipped_graphs(
    graph: KnowledgeGraph, *, force: bool = False
) -> tuple[dict[str, list[ox.Quad]], list[ImportReport]]:
    """The dataset graphs of the shipped files that changed since they were linked (graph IRI
    -> quads), and a report per file; nothing is written (``kg build`` writes them with the
    other reference graphs, in one transaction before any source graph)."""
    graphs: dict[str, list[ox.Quad]] = {}
    reports = []
    for name, path, title in default_dataset_paths():
        report = unchanged_import(graph, path, name, MAPPING_VERSION, force)
        if report is None:
            graphs[dataset_graph_iri(name)], report = dataset_quads(path, name, title=title)
        reports.append(report)
    path = data_path(official_record.FILE)
    name = official_record.NAME
    report = unchanged_import(graph, path, name, official_record.MAPPING_VERSION, force)
    if report is None:
        graphs[dataset_graph_iri(name)], report = official_record.record_quads(path)
    reports.append(report)
    return graphs, reports


def import_default_datasets(graph: KnowledgeGraph, *, force: bool = False) -> list[ImportReport]:
    """Link the shipped DfE tables and Ofsted's official record, in one transaction (``kg
    link import-defaults`` calls this; unchanged files are skipped)."""
    graphs, reports = shipped_graphs(graph, force=force)
    if graphs:
        graph.replace_graphs(graphs)
    return reports
