"""The Store contract (:mod:`autolog.testing.stores`), run against every store autolog ships:
the local store, the MLflow store on a real ``mlflow server``, and the MLflow store opened by
its URI (a :class:`~autolog.stores.fallback.FallbackStore` around it, what users get)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autolog.runs import RunInfo, new_run_id
from autolog.stores.base import Store
from autolog.stores.local import LocalStore
from autolog.testing.stores import StoreSuite
from tests.stores.servers import MLflowServer

# Found by the suite: a reader that downloads a model folder while another MLflowStore instance
# (another process) uploads it caches the partial folder, MLmodel missing, and every later
# download from that cache returns it. The race is not hit every time, hence not strict here;
# test_a_partial_download_is_not_cached_for_good below reproduces it every time.
PARTIAL_CACHE = ("MLflowStore.download_artifacts caches a model folder downloaded mid-upload "
                 "(before its MLmodel) for good")


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

    @pytest.mark.xfail(strict=False, reason=PARTIAL_CACHE)
    def test_a_model_folder_is_seen_whole_or_not_at_all(self, store: Store, reader_store: Store,
                                                        experiment: str, model_folder: Any,
                                                        tmp_path: Path) -> None:
        super().test_a_model_folder_is_seen_whole_or_not_at_all(
            store, reader_store, experiment, model_folder, tmp_path)


class TestMLflowStoreOpenedByURI(TestMLflowStore):
    @pytest.fixture
    def store(self, mlflow_server: MLflowServer) -> Store:
        from autolog.stores import open_store
        from autolog.stores.fallback import FallbackStore

        store = open_store("mlflow+" + mlflow_server.uri)
        assert isinstance(store, FallbackStore)
        return store


@pytest.mark.xfail(strict=True, reason=PARTIAL_CACHE)
def test_a_partial_download_is_not_cached_for_good(mlflow_server: MLflowServer, tmp_path: Path
                                                   ) -> None:
    """The race of test_a_model_folder_is_seen_whole_or_not_at_all made certain: the reader
    downloads just before the writer uploads MLmodel (the last file)."""
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
