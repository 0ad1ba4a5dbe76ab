"""One error family: every error a user can cause is a ``kg.errors.KgError`` with a one-line
message naming the file and the problem; anything else is a bug and surfaces."""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kg
from kg import cli
from kg.authorities import AmbiguousAuthority, AuthorityError, UnknownAuthority
from kg.cli import pipeline
from kg.errors import InputError, KgError
from kg.extract import ExtractionError
from kg.queries import QueryError, QueryTimeout
from kg.text import SourceError

PACKAGE = Path(kg.__file__).parent
# Signals that never reach a user (caught where they are raised).
NOT_ERRORS = {
    "kg.validate.patterns.NoGraphs",
    "kg.serve.EngineDown",  # becomes a 502 for the client
    "kg.serve._BrokenAnswer",  # ends a broken stream
}


def exception_classes() -> list[type[BaseException]]:
    """Every exception class the project's modules define."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts.pop()
        module = importlib.import_module(".".join(parts))
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def test_every_exception_class_is_a_kg_error() -> None:
    classes = exception_classes()
    assert len(classes) >= 15
    strays = [
        f"{c.__module__}.{c.__name__}"
        for c in classes
        if not issubclass(c, KgError) and f"{c.__module__}.{c.__name__}" not in NOT_ERRORS
    ]
    assert strays == []


def test_distinct_errors_have_distinct_names() -> None:
    names = [c.__name__ for c in exception_classes()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_the_message_is_file_then_problem() -> None:
    error = SourceError("seeds/x.pdf", "empty file")
    assert str(error) == "seeds/x.pdf: empty file"
    assert error.path == Path("seeds/x.pdf") and error.problem == "empty file"
    assert isinstance(error, InputError) and isinstance(ExtractionError("a", "b"), InputError)
    assert str(KgError("no such query")) == "no such query"
    assert KgError("no such query").path is None


def test_built_in_bases_are_kept_for_callers_that_catch_them() -> None:
    with pytest.raises(ValueError, match="bad parameter"):
        raise QueryError("bad parameter")
    with pytest.raises(LookupError):
        raise UnknownAuthority("no authority called Atlantis", "Atlantis")
    assert issubclass(QueryTimeout, QueryError)
    assert issubclass(AmbiguousAuthority, AuthorityError)


@pytest.mark.parametrize(
    "error",
    [
        SourceError("seeds/x.pdf", "is a PDF with no pages"),
        ExtractionError("seeds/y.txt", "not an Ofsted report"),
        UnknownAuthority("no authority called Atlantis", "Atlantis", ["Arun"]),
        QueryError("unknown query 'x'"),
    ],
)
def test_an_error_crosses_a_process_boundary_whole(error: KgError) -> None:
    """A worker process sends errors back pickled; a subclass constructor taking (path,
    problem) must not break unpickling."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_kg_extract_lets_a_programming_error_surface(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "one.txt"
    report.write_text("text")

    def broken(path: Path) -> None:
        raise KeyError("a bug in the extractor")

    monkeypatch.setattr(pipeline, "extract_file", broken)
    result = CliRunner().invoke(cli.app, ["extract", str(report)])
    assert isinstance(result.exception, KeyError)  # not a one-line "file: problem" message

    def unreadable(path: Path) -> None:
        raise SourceError(path, "is a PDF with no pages")

    monkeypatch.setattr(pipeline, "extract_file", unreadable)
    result = CliRunner().invoke(cli.app, ["extract", str(report)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{report}: is a PDF with no pages"
