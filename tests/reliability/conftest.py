"""Fixtures of the reliability suite: the session's tally and autolog as users run it.

The project-wide ``store`` fixture runs autolog in testing mode (internal errors raise). Here
faults must be handled the way users see them, so :func:`user_mode` enables autolog with
``testing=False``: a failure inside autolog is one :class:`~autolog.AutologWarning`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import autolog
from autolog.safety import AutologWarning
from tests.reliability.tally import Tally

_TALLY = Tally()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _TALLY.cases:
        _TALLY.write(runslow=bool(session.config.getoption("--runslow", False)))


@pytest.fixture
def tally() -> Tally:
    """The session's counts (written to test-artifacts/reliability.json at the end)."""
    return _TALLY


@pytest.fixture
def user_mode(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``user_mode(store=None, **options)`` enables autolog as a user would (no testing mode)
    on ``store`` (default: a fresh folder) and returns the store path."""

    def enable(store: str | Path | None = None, **options: object) -> Path:
        path = Path(store) if store is not None else tmp_path / "store"
        autolog.enable(store=str(path), testing=False, **options)
        return path

    yield enable
    if autolog.is_enabled():
        autolog.disable()


class Caught(list):
    """The AutologWarnings caught by :func:`autolog_warnings` (their messages)."""

    def one(self) -> str:
        assert len(self) == 1, f"expected exactly one AutologWarning, got {len(self)}: {self}"
        return self[0]


@contextlib.contextmanager
def autolog_warnings() -> Iterator[Caught]:
    """Record every AutologWarning raised inside the block, on any thread; other warnings
    are left alone."""
    caught = Caught()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yield caught
        autolog.flush()
    for item in seen:
        if issubclass(item.category, AutologWarning):
            caught.append(str(item.message))
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
