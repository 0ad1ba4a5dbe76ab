"""The command line is a layer over the library: the library never imports it, the command
modules share only ``kg.cli.console``, and no store query is written inside the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

KG = Path(__file__).resolve().parent.parent / "kg"
CLI = KG / "cli"


def _imports(path: Path) -> set[str]:
    """Every module a file imports (at the top or inside a function)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_library_never_imports_the_command_line() -> None:
    library = [p for p in KG.rglob("*.py") if CLI not in p.parents]
    offenders = {
        p.relative_to(KG).as_posix()
        for p in library
        if any(m == "kg.cli" or m.startswith("kg.cli.") for m in _imports(p))
    }
    assert offenders == set()


def test_command_modules_share_only_the_console_module() -> None:
    for path in CLI.glob("*.py"):
        if path.name in ("__init__.py", "__main__.py", "console.py"):
            continue
        from_cli = {m for m in _imports(path) if m == "kg.cli" or m.startswith("kg.cli.")}
        assert from_cli <= {"kg.cli.console"}, path.name
        assert "def register(app: typer.Typer) -> None:" in path.read_text(encoding="utf-8")


def test_no_store_query_is_written_in_the_command_line() -> None:
    for path in CLI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for marker in ("quads_for_pattern", ".store.query(", "WHERE {"):
            assert marker not in text, f"{path.name} queries the store itself ({marker})"
