"""Shared fixtures: an isolated store per test, autolog switched off after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import autolog
from autolog.stores.local import LocalStore

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run the long trials")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="long trial: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own default store and testing mode; autolog ends disabled."""
    monkeypatch.setenv("AUTOLOG_STORE", str(tmp_path / "default-store"))
    monkeypatch.setenv("AUTOLOG_TESTING", "1")
    yield
    if autolog.is_enabled():
        autolog.disable()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(store_path: Path) -> Iterator[LocalStore]:
    """autolog enabled (testing mode) on a fresh local store; yields the store."""
    autolog.enable(store=str(store_path), testing=True)
    yield LocalStore(store_path)
    autolog.disable()

