"""Locate the project's data files (ontology, reference table, saved queries).

In a source checkout (or an editable install) they live at the repository root, where a
user can edit them (add a synonym to ``ontology/themes.ttl`` and rebuild). A wheel carries
copies under ``kg/_data``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE.parent


def data_path(relative: str) -> Path:
    """Return the path of a shipped data file such as ``ontology/themes.ttl``."""
    for base in (_REPO_ROOT, _PACKAGE / "_data"):
        candidate = base / relative
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"data file not found in the project or the package: {relative}")
