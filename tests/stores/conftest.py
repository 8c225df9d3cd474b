"""Store fixtures: one real MLflow tracking server per test session (the conformance suite in
test_conformance.py runs against it), and a per-test cache and offline folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stores.servers import FaultyProxy, MLflowServer, start_mlflow_server


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MLflowServer]:
    """``mlflow server`` with a SQLite backend and a local artifact folder, on a free port."""
    server = start_mlflow_server(tmp_path_factory.mktemp("mlflow-server"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads and offline runs stay in the test's folder; MLflow's own HTTP retries are off
    so that autolog's bounded retry policy is the one under test (and outages take seconds)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AUTOLOG_OFFLINE_STORE", str(tmp_path / "offline"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture
def experiment() -> str:
    """A fresh experiment name: tests share one server and must not see each other's runs."""
    return f"exp-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def proxy(mlflow_server: MLflowServer) -> Iterator[FaultyProxy]:
    """A proxy in front of the server that injects network faults on demand."""
    faulty = FaultyProxy(mlflow_server.uri)
    yield faulty
    faulty.close()
