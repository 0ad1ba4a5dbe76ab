"""The package version, in a module of its own so any module can name it without importing
the package facade (``kg/__init__.py``), which reaches into ``kg.api``."""

__version__ = "0.1.0"
