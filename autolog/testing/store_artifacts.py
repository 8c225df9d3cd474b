"""The artifacts part of the Store contract: folders in one step, write-once, model folders.

Part of :class:`autolog.testing.stores.StoreSuite`; see that module for how to use it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import autolog
from autolog.errors import InvalidNameError, NotFoundError, StoreError
from autolog.runs import new_run_id
from autolog.stores.base import Store
from autolog.testing._store_fixtures import ModelFolder, StoreFixtures, new_run

__all__ = ["ArtifactsTests"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class ArtifactsTests(StoreFixtures):
    """Artifacts: folders round trip (nested paths too), write-once, whole model folders."""

    def test_files_from_memory_become_an_artifact_folder(self, store: Store, experiment: str
                                                         ) -> None:
        info = new_run(store, experiment)
        store.log_files(info.run_id, "notes", {"a.txt": "caf\u00e9\n", "sub/b.bin": b"\x00\x01"})
        assert store.get_run(info.run_id).artifacts == ["notes"]
        local = Path(store.download_artifacts(info.run_id, "notes"))
        assert (local / "a.txt").read_text(encoding="utf-8") == "caf\u00e9\n"
        assert (local / "sub" / "b.bin").read_bytes() == b"\x00\x01"
        with pytest.raises(StoreError, match="write-once"):
            store.log_files(info.run_id, "notes", {"c.txt": "x"})

    def test_artifact_folders_round_trip(self, store: Store, experiment: str, tmp_path: Path
                                         ) -> None:
        info = new_run(store, experiment)
        src = tmp_path / "report"
        (src / "sub" / "deeper").mkdir(parents=True)
        (src / "summary.txt").write_text("accuracy 0.93\n")
        (src / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 4)
        (src / "sub" / "deeper" / "empty.txt").write_bytes(b"")
        store.log_artifacts(info.run_id, src, "report")
        assert store.get_run(info.run_id).artifacts == ["report"]
        local = Path(store.download_artifacts(info.run_id, "report"))
        assert _files(local) == _files(src)
        nested = Path(store.download_artifacts(info.run_id, "report/sub/weights.bin"))
        assert nested.read_bytes() == bytes(range(256)) * 4

    def test_an_artifact_at_a_nested_path(self, store: Store, experiment: str, tmp_path: Path
                                          ) -> None:
        info = new_run(store, experiment)
        src = tmp_path / "plots"
        src.mkdir()
        (src / "roc.txt").write_text("0.91")
        store.log_artifacts(info.run_id, src, "evaluation/holdout")
        local = Path(store.download_artifacts(info.run_id, "evaluation/holdout"))
        assert _files(local) == {"roc.txt": b"0.91"}
        assert Path(store.download_artifacts(info.run_id, "evaluation/holdout/roc.txt")
                    ).read_bytes() == b"0.91"

    def test_artifact_errors(self, store: Store, experiment: str, tmp_path: Path) -> None:
        info = new_run(store, experiment)
        src = tmp_path / "a"
        src.mkdir()
        (src / "f.txt").write_text("x")
        store.log_artifacts(info.run_id, src, "a")
        with pytest.raises(StoreError, match="write-once"):
            store.log_artifacts(info.run_id, src, "a")
        with pytest.raises(NotFoundError, match="missing"):
            store.download_artifacts(info.run_id, "missing")
        missing_run = new_run_id()
        with pytest.raises(NotFoundError, match=missing_run):
            store.log_artifacts(missing_run, src, "a")

    @pytest.mark.parametrize("bad", ["../escape", "a/../../b", "/abs", "", "C:\\x"])
    def test_unsafe_artifact_paths_are_invalid_names(self, store: Store, experiment: str,
                                                     tmp_path: Path, bad: str) -> None:
        info = new_run(store, experiment)
        src = tmp_path / "a"
        src.mkdir()
        (src / "f.txt").write_text("x")
        with pytest.raises(InvalidNameError, match="Invalid artifact path"):
            store.log_artifacts(info.run_id, src, bad)
        with pytest.raises(InvalidNameError, match="Invalid artifact path"):
            store.download_artifacts(info.run_id, bad)
        assert store.get_run(info.run_id).artifacts == []

    def test_model_folder_becomes_the_model_artifact(self, store: Store, experiment: str,
                                                     model_folder: ModelFolder) -> None:
        import numpy as np

        info = new_run(store, experiment)
        store.log_artifacts(info.run_id, model_folder.path, "model")
        run = store.get_run(info.run_id)
        assert run.artifacts == ["model"] and run.model_path
        local = Path(store.download_artifacts(info.run_id, "model"))
        assert _files(local) == _files(model_folder.path)
        loaded = autolog.load_model(local)
        np.testing.assert_allclose(loaded.predict(model_folder.X), model_folder.predictions)

    def test_a_model_folder_is_seen_whole_or_not_at_all(self, store: Store, reader_store: Store,
                                                        experiment: str,
                                                        model_folder: ModelFolder,
                                                        tmp_path: Path) -> None:
        """A reader (``reader_store``) polling while the folder is written never sees a model
        (its MLmodel) with files missing or cut short, and sees the whole folder once the
        write returned."""
        import shutil

        info = new_run(store, experiment)
        big = tmp_path / "big-model"
        shutil.copytree(model_folder.path, big)
        for i in range(16):  # enough bytes that the write takes a while
            (big / "data" / f"part-{i}.bin").parent.mkdir(exist_ok=True)
            (big / "data" / f"part-{i}.bin").write_bytes(bytes([i]) * 256_000)
        expected = _files(big)
        done = threading.Event()
        partial: list[list[str]] = []

        def read() -> None:
            while not done.is_set():
                try:
                    local = Path(reader_store.download_artifacts(info.run_id, "model"))
                except NotFoundError:
                    done.wait(0.005)
                    continue
                found = _files(local)
                if "MLmodel" in found and found != expected:
                    partial.append(sorted(name for name in expected
                                          if found.get(name) != expected[name]))
                done.wait(0.005)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            store.log_artifacts(info.run_id, big, "model")
        finally:
            done.set()
            reader.join(timeout=60)
        assert not partial, f"a reader saw MLmodel before these files were whole: {partial[0]}"
        for each in (store, reader_store):
            assert _files(Path(each.download_artifacts(info.run_id, "model"))) == expected
            assert each.get_run(info.run_id).model_path
