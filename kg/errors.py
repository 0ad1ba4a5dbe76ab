"""The project's error family: every error a user can cause derives from ``KgError``.

Why one base: a command, the Python API or the server can catch ``KgError`` and print its
one line ("FILE: problem", or the problem alone when no file is involved) while anything else,
a programming error, surfaces with its traceback. Each module keeps its own subclass (and,
where callers caught a built-in before, that built-in as a second base, so ``except
ValueError`` around a query still works).

``InputError`` is a file that cannot be read or extracted: a batch reports it on one line and
goes on with the next file. ``quoted`` is how a message shows a value the user gave: in full
when short, its start and length when long (a 100,000-character parameter is not echoed back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["InputError", "KgError", "quoted"]

# The characters of a user's value a message shows (no name, code or IRI is this long).
QUOTED_CHARS = 100


def quoted(value: object, limit: int = QUOTED_CHARS) -> str:
    """``repr(value)`` for a message, cut after ``limit`` characters of the value with the
    whole length said: ``'xxxx…' (20000 characters)``."""
    if not isinstance(value, str) or len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value)} characters)"


class KgError(Exception):
    """An error with a one-line message: ``problem``, about ``path`` (a file, a store or a
    directory) when there is one; ``str()`` is ``"PATH: problem"``."""

    def __init__(self, problem: str, path: Path | str | None = None) -> None:
        super().__init__(f"{path}: {problem}" if path is not None else problem)
        self.problem = problem
        self.path = Path(path) if path is not None else None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by state, whatever the subclass's constructor takes (so an error can cross
        from a worker process)."""
        return (_restore, (type(self), self.args, self.__dict__.copy()))


def _restore(cls: type[KgError], args: tuple[Any, ...], state: dict[str, Any]) -> KgError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InputError(KgError):
    """A file that cannot be read or extracted (``kg.text.SourceError``,
    ``kg.extract.ExtractionError``): the batch reports it and goes on."""
