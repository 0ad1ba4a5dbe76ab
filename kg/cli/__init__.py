"""The ``kg`` command: a thin layer that imports the library (``kg.build``, ``kg.store``,
``kg.queries``, ``kg.analytics``, ...), never the reverse.

Every command module here has ``register(app)``, which adds its commands (plain functions
defined in the module) to the app; ``kg.cli.console`` holds what they share (the ``--store``
option, opening the store, one-line errors, tables). ``MODULES`` is the order the commands
appear in ``kg --help``. The console script is ``kg = "kg.cli:app"``.
"""

from __future__ import annotations

import importlib

import typer

from kg.cli.pipeline import seeds_dir

__all__ = ["MODULES", "app", "seeds_dir"]

# Command modules under kg.cli, in the order their commands appear in ``kg --help``.
MODULES: tuple[str, ...] = ("pipeline", "query", "analytics", "link", "serve", "search")

app = typer.Typer(
    help="A knowledge graph of Ofsted inspections of English local authority children's services.",
    no_args_is_help=True,
    add_completion=False,
)
for _name in MODULES:
    importlib.import_module(f"kg.cli.{_name}").register(app)
