"""The data files the project ships and ``kg build`` links into the graph by default.

The two DfE statistics tables (``kg.datasets``, as RDF Data Cube) and Ofsted's official record
of ILACS inspections (``kg.official_record``), each in its own dataset graph; a file already
linked from the same bytes by the same mapping is skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kg import official_record
from kg.datasets import DEFAULT_DATASETS, ImportReport, import_csv
from kg.resources import data_path

if TYPE_CHECKING:
    from kg.store import KnowledgeGraph


def default_dataset_paths() -> list[tuple[str, Path, str]]:
    """The DfE example tables shipped in ``datasets/``: (name, path, title)."""
    return [(name, data_path(rel), title) for name, rel, title in DEFAULT_DATASETS]


def import_default_datasets(graph: KnowledgeGraph, *, force: bool = False) -> list[ImportReport]:
    """Link the shipped DfE tables and Ofsted's official record (``kg build`` and ``kg link
    import-defaults`` call this; unchanged files are skipped)."""
    reports = [
        import_csv(graph, path, name, title=title, force=force)
        for name, path, title in default_dataset_paths()
    ]
    reports.append(
        official_record.import_record(graph, data_path(official_record.FILE), force=force)
    )
    return reports
