"""Fixtures shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.build import build
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def seed_texts_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built once per run from the five seed texts (``seeds/*.txt``).

    Shared by the modules that only read it (they open it read-only), so the suite builds it
    once instead of once per module. A test that writes must build a store of its own.
    """
    path = tmp_path_factory.mktemp("seed-texts-store")
    graph = KnowledgeGraph.open(path)
    try:
        result = build(sorted((ROOT / "seeds").glob("*.txt")), graph, workers=1)
    finally:
        graph.close()
    assert result.failed == 0, result.errors
    return path
