"""Command groups that live beside the modules they drive.

Each module here has ``register(app)``, which adds its commands to the main ``kg`` app
(``kg/cli.py`` calls ``register_all`` once). Keeping them apart keeps ``kg/cli.py`` the thin
layer for the core pipeline commands (build, extract, stats, validate, queries).
"""

from __future__ import annotations

import importlib

import typer

# Module names under kg.commands, in the order their commands appear in ``kg --help``.
MODULES: list[str] = ["analytics", "link", "serve", "search"]


def register_all(app: typer.Typer) -> None:
    for name in MODULES:
        importlib.import_module(f"kg.commands.{name}").register(app)
