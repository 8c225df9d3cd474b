"""What the store suites share: fixtures (a fresh experiment, real model folders) and helpers.

Not imported by users: subclass :class:`autolog.testing.stores.StoreSuite` instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.runs import FINISHED, Metric, RunInfo, new_run_id
from autolog.stores.base import Store

__all__ = ["T0", "ModelFolder", "StoreFixtures", "new_run", "run_with_model"]

#: A fixed start time (ms), so that order and durations are exact.
T0 = 1_750_000_000_000


@dataclass(frozen=True)
class ModelFolder:
    """A complete model folder written by autolog, and what its model predicts."""

    path: Path
    X: Any
    predictions: Any


def new_run(store: Store, experiment: str, name: str = "run", start: int = T0,
            parent: str | None = None) -> RunInfo:
    """Create a run (host and pid of another machine, so it never reads back as KILLED)."""
    info = RunInfo(new_run_id(), experiment, name, start_time=start, parent_run_id=parent,
                   host="trainer-7", pid=4242)
    store.create_run(info)
    return info


def run_with_model(store: Store, experiment: str, folder: Path, metric: float = 0.9) -> str:
    """A finished run with a param, a metric, a model-class tag and ``folder`` as its model."""
    info = RunInfo(new_run_id(), experiment, "fit", start_time=T0, host="trainer-7", pid=1)
    store.create_run(info)
    store.log_batch(info.run_id, params={"alpha": "0.1"}, metrics=[Metric("r2", metric, 0, T0)],
                    tags={"autolog.model_class": "Ridge"})
    store.log_artifacts(info.run_id, folder, "model")
    store.update_run(info.run_id, FINISHED, T0 + 1)
    return info.run_id


class StoreFixtures:
    """Fixtures of the store suites. A subclass must define the ``store`` fixture."""

    @pytest.fixture
    def experiment(self) -> str:
        """A fresh experiment name: stores may be shared (one server for a whole session)."""
        return f"exp-{uuid.uuid4().hex[:12]}"

    @pytest.fixture
    def reader_store(self, store: Store) -> Store:
        """Another instance on the same storage, as a second process would open it (default:
        ``store`` itself). Override it where instances keep state of their own (caches)."""
        return store

    @pytest.fixture
    def model_name(self) -> str:
        """A fresh registered-model name."""
        return f"model-{uuid.uuid4().hex[:10]}"

    @pytest.fixture
    def model_folders(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                      ) -> Iterator[list[ModelFolder]]:
        """Two real model folders (scikit-learn ``Ridge``, different coefficients), written
        by :func:`autolog.log_model` into a local store of their own."""
        sklearn_linear = pytest.importorskip("sklearn.linear_model")
        import numpy as np

        monkeypatch.setenv("AUTOLOG_STORE", str(tmp_path / "model-source"))
        rng = np.random.default_rng(1)
        X = rng.normal(size=(40, 3))
        folders = []
        for alpha in (0.1, 50.0):
            model = sklearn_linear.Ridge(alpha=alpha).fit(X, X @ np.array([1.0, 2.0, -1.0]))
            uri = autolog.log_model(model, input_example=X[:4])
            run_id = uri.split("/")[1]
            path = autolog.get_run(run_id).model_path
            assert path is not None, f"log_model wrote no model folder for {uri}"
            folders.append(ModelFolder(Path(path), X, model.predict(X)))
        yield folders

    @pytest.fixture
    def model_folder(self, model_folders: list[ModelFolder]) -> ModelFolder:
        return model_folders[0]
