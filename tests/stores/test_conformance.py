"""The Store contract (:mod:`autolog.testing.stores`), run against every store autolog ships:
the local store, the MLflow store on a real ``mlflow server``, and the MLflow store opened by
its URI (a :class:`~autolog.stores.fallback.FallbackStore` around it, what users get)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolog.runs import RunInfo, new_run_id
from autolog.stores.base import Store
from autolog.stores.local import LocalStore
from autolog.testing.stores import StoreSuite
from tests.stores.servers import MLflowServer


class TestLocalStore(StoreSuite):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Store:
        return LocalStore(tmp_path / "conformance-store")

    @pytest.fixture
    def reader_store(self, tmp_path: Path) -> Store:
        return LocalStore(tmp_path / "conformance-store")


class TestMLflowStore(StoreSuite):
    @pytest.fixture
    def store(self, mlflow_server: MLflowServer) -> Store:
        from autolog.stores.mlflow import MLflowStore

        return MLflowStore(mlflow_server.uri)

    @pytest.fixture
    def reader_store(self, mlflow_server: MLflowServer) -> Store:
        from autolog.stores.mlflow import MLflowStore

        return MLflowStore(mlflow_server.uri)



class TestMLflowStoreOpenedByURI(TestMLflowStore):
    @pytest.fixture
    def store(self, mlflow_server: MLflowServer) -> Store:
        from autolog.stores import open_store
        from autolog.stores.fallback import FallbackStore

        store = open_store("mlflow+" + mlflow_server.uri)
        assert isinstance(store, FallbackStore)
        return store


def test_a_partial_download_is_not_cached_for_good(mlflow_server: MLflowServer, tmp_path: Path
                                                   ) -> None:
    """The race of test_a_model_folder_is_seen_whole_or_not_at_all made certain: the reader
    downloads just before the writer uploads MLmodel (the last file). Found by the suite: the
    partial folder was cached, and every later download returned it without MLmodel."""
    from autolog.stores.mlflow import MLflowStore

    reader = MLflowStore(mlflow_server.uri)
    info = RunInfo(new_run_id(), "partial-cache", "r", start_time=1_750_000_000_000)

    class Writer(MLflowStore):
        def _upload(self, mlflow_id: str, path: Path, dest: str) -> None:
            if path.name == "MLmodel":
                reader.download_artifacts(info.run_id, "model")
            super()._upload(mlflow_id, path, dest)

    writer = Writer(mlflow_server.uri)
    writer.create_run(info)
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("MLmodel", "conda.yaml", "model.pkl"):
        (folder / name).write_text(name)
    writer.log_artifacts(info.run_id, folder, "model")
    later = Path(MLflowStore(mlflow_server.uri).download_artifacts(info.run_id, "model"))
    assert sorted(p.name for p in later.iterdir()) == ["MLmodel", "conda.yaml", "model.pkl"]
