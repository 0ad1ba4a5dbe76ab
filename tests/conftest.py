"""Fixtures shared by several test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent


def _build_store(path: Path, files: list[Path]) -> Path:
    graph = KnowledgeGraph.open(path)
    try:
        result = build(files, graph, workers=1)
    finally:
        graph.close()
    assert result.failed == 0, result.errors
    return path


# The session stores below are shared by the modules that only read them (they open them
# read-only), so the suite builds each once instead of once per module. A test that writes
# must build a store of its own.


@pytest.fixture(scope="session")
def seed_texts_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built once per run from the five seed texts (``seeds/*.txt``)."""
    files = sorted((ROOT / "seeds").glob("*.txt"))
    return _build_store(tmp_path_factory.mktemp("seed-texts-store"), files)


@pytest.fixture(scope="session")
def hartlepool_history_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed texts plus Hartlepool's real report PDFs (its whole 2010-2026 history)."""
    seeds = ROOT / "seeds"
    files = sorted(seeds.glob("*.txt")) + sorted(seeds.glob("hartlepool_*.pdf"))
    return _build_store(tmp_path_factory.mktemp("hartlepool-history-store"), files)


def _read_only(path: Path) -> Iterator[ox.Store]:
    graph = KnowledgeGraph.open_read_only(path)
    try:
        yield graph.store
    finally:
        graph.close()


@pytest.fixture(scope="session")
def seed_texts_graph(seed_texts_store: Path) -> Iterator[ox.Store]:
    """``seed_texts_store`` opened read-only, for the modules that query it directly."""
    yield from _read_only(seed_texts_store)


@pytest.fixture(scope="session")
def hartlepool_history_graph(hartlepool_history_store: Path) -> Iterator[ox.Store]:
    """``hartlepool_history_store`` opened read-only."""
    yield from _read_only(hartlepool_history_store)
