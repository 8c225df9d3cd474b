"""The registry part of the Store contract: numbered versions, aliases, deletes, concurrency.

Part of :class:`autolog.testing.stores.StoreSuite`; see that module for how to use it. The
versions are registered through :func:`autolog.register_model` with ``store=``, the path users
take, so a backend is tested together with the checks in front of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.errors import InvalidNameError, NotFoundError
from autolog.stores.base import Store
from autolog.testing._store_fixtures import ModelFolder, StoreFixtures, run_with_model

__all__ = ["RegistryTests"]

_REGISTER = """
import sys, time
from pathlib import Path
import autolog
uri, folder, name, go = sys.argv[1:5]
Path(go + ".ready-" + sys.argv[5]).touch()
while not Path(go).exists():
    time.sleep(0.002)
print(autolog.register_model(folder, name, store=uri).version)
"""


def _load(store: Store, uri: str) -> Any:
    from autolog import registry

    return autolog.load_model(registry.resolve_model_uri(uri, store=store))


class RegistryTests(StoreFixtures):
    """Named models with integer versions: numbering, aliases, deletes, errors, races.

    Class attributes a subclass may change:

    * ``registry_threads`` — registrations racing from threads of one process (0: not run).
    * ``registry_processes`` — registrations racing from separate interpreters, each opening
      the store by its URI (``store.uri``; override the ``store_uri`` fixture when that is not
      how another process finds the same store). 0 for a store that one process owns.
    """

    registry_threads = 6
    registry_processes = 4

    @pytest.fixture
    def store_uri(self, store: Store) -> str:
        """The URI another process opens to reach the same store."""
        return store.uri

    def test_versions_are_numbered_and_keep_what_compare_needs(
            self, store: Store, experiment: str, model_name: str,
            model_folders: list[ModelFolder]) -> None:
        name = model_name
        run_a = run_with_model(store, experiment, model_folders[0].path, 0.9)
        run_b = run_with_model(store, experiment, model_folders[1].path, 0.7)
        v1 = autolog.register_model(f"runs:/{run_a}/model", name, description="first",
                                    tags={"team": "risk"}, store=store)
        v2 = autolog.register_model(f"runs:/{run_b}/model", name, store=store)
        assert (v1.version, v2.version) == (1, 2)
        assert v1.run_id == run_a and v1.source == f"runs:/{run_a}/model"
        assert v1.metrics == {"r2": 0.9} and v1.params == {"alpha": "0.1"}
        assert v1.model_class == "Ridge" and v1.run_name == "fit" and v1.experiment == experiment
        assert v1.formats == ["sklearn"] and v1.size_bytes and v1.signature
        assert v1.description == "first" and v1.tags == {"team": "risk"}
        assert store.get_model_version(name, 1) == v1
        assert [v.version for v in store.search_model_versions(name)] == [1, 2]
        assert store.get_latest_model_version(name).version == 2
        model = store.get_registered_model(name)
        assert (model.latest_version, model.version_count) == (2, 2)
        assert name in [m.name for m in store.search_registered_models()]
        assert {(v.name, v.version) for v in store.search_model_versions()} >= {(name, 1),
                                                                                (name, 2)}

    def test_versions_load_by_number_alias_and_latest(self, store: Store, experiment: str,
                                                      model_name: str,
                                                      model_folders: list[ModelFolder]) -> None:
        import numpy as np

        name = model_name
        a, b = model_folders
        for folder in (a, b):
            run = run_with_model(store, experiment, folder.path)
            autolog.register_model(f"runs:/{run}/model", name, store=store)
        np.testing.assert_allclose(_load(store, f"models:/{name}/1").predict(a.X), a.predictions)
        np.testing.assert_allclose(_load(store, f"models:/{name}/latest").predict(a.X),
                                   b.predictions)
        store.set_model_alias(name, "champion", 1)
        np.testing.assert_allclose(_load(store, f"models:/{name}@champion").predict(a.X),
                                   a.predictions)
        assert store.get_model_version(name, 1).aliases == ["champion"]
        store.set_model_alias(name, "champion", 2)  # moves
        assert store.get_registered_model(name).aliases == {"champion": 2}
        assert store.get_model_version_by_alias(name, "champion").version == 2
        assert [v.aliases for v in store.search_model_versions(name)] == [[], ["champion"]]
        store.delete_model_alias(name, "champion")
        with pytest.raises(NotFoundError, match="champion"):
            store.get_model_version_by_alias(name, "champion")
        with pytest.raises(NotFoundError, match="champion"):
            store.delete_model_alias(name, "champion")

    def test_a_deleted_version_number_is_not_reused(self, store: Store, experiment: str,
                                                    model_name: str,
                                                    model_folder: ModelFolder) -> None:
        name = model_name
        run = run_with_model(store, experiment, model_folder.path)
        for _ in range(2):
            autolog.register_model(f"runs:/{run}/model", name, store=store)
        store.set_model_alias(name, "prod", 2)
        store.delete_model_version(name, 2)
        with pytest.raises(NotFoundError):
            store.get_model_version(name, 2)
        assert store.get_registered_model(name).aliases == {}  # its alias went with it
        assert autolog.register_model(f"runs:/{run}/model", name, store=store).version == 3
        assert [v.version for v in store.search_model_versions(name)] == [1, 3]

    def test_register_a_folder_that_is_in_no_run(self, store: Store, model_name: str,
                                                 model_folder: ModelFolder) -> None:
        import numpy as np

        version = autolog.register_model(str(model_folder.path), model_name, store=store)
        assert version.version == 1 and version.source == str(model_folder.path)
        np.testing.assert_allclose(_load(store, f"models:/{model_name}/1").predict(
            model_folder.X), model_folder.predictions)

    def test_descriptions_and_tags(self, store: Store, experiment: str, model_name: str,
                                   model_folder: ModelFolder) -> None:
        name = model_name
        run = run_with_model(store, experiment, model_folder.path)
        autolog.register_model(f"runs:/{run}/model", name, store=store)
        model = store.update_registered_model(name, description="credit risk",
                                              tags={"owner": "ana", "tier": "1"})
        assert (model.description, model.tags) == ("credit risk", {"owner": "ana", "tier": "1"})
        model = store.update_registered_model(name, delete_tags=["tier", "never-set"])
        assert (model.description, model.tags) == ("credit risk", {"owner": "ana"})
        version = store.update_model_version(name, 1, description="baseline",
                                             tags={"validated": "yes"})
        assert (version.description, version.tags) == ("baseline", {"validated": "yes"})
        version = store.update_model_version(name, 1, delete_tags=["validated"])
        assert (version.description, version.tags) == ("baseline", {})

    def test_registry_errors_name_what_is_missing(self, store: Store, experiment: str,
                                                  model_name: str,
                                                  model_folder: ModelFolder) -> None:
        name = model_name
        with pytest.raises(NotFoundError, match=name):
            store.get_registered_model(name)
        assert store.search_model_versions(name) == []
        run = run_with_model(store, experiment, model_folder.path)
        autolog.register_model(f"runs:/{run}/model", name, store=store)
        calls: tuple[Callable[[], object], ...] = (
            lambda: store.get_model_version(name, 99),
            lambda: store.set_model_alias(name, "prod", 99),
            lambda: store.download_model_version(name, 99),
            lambda: store.delete_model_version(name, 99))
        for call in calls:
            with pytest.raises(NotFoundError, match="99"):
                call()
        store.delete_registered_model(name)
        calls = (lambda: store.get_registered_model(name),
                 lambda: store.delete_registered_model(name),
                 lambda: store.get_model_version(name, 1))
        for call in calls:
            with pytest.raises(NotFoundError, match=name):
                call()

    @pytest.mark.parametrize("bad", ["", "a/b", "../escape", "a..b", "tab\tname", "x" * 201])
    def test_bad_model_names_are_rejected_before_the_store(
            self, store: Store, model_folder: ModelFolder, bad: str) -> None:
        before = len(store.search_model_versions())
        with pytest.raises(InvalidNameError, match="Invalid model name"):
            autolog.register_model(str(model_folder.path), bad, store=store)
        assert len(store.search_model_versions()) == before

    @pytest.mark.parametrize("bad", ["latest", "has space", "", "a/b", "1st"])
    def test_bad_aliases_are_rejected(self, store: Store, model_name: str,
                                      model_folder: ModelFolder, bad: str) -> None:
        autolog.register_model(str(model_folder.path), model_name, store=store)
        with pytest.raises(InvalidNameError, match="Invalid alias"):
            autolog.set_alias(model_name, bad, 1, store=store)
        assert store.get_registered_model(model_name).aliases == {}

    def test_versions_registered_from_threads_get_distinct_numbers(
            self, store: Store, model_name: str, model_folder: ModelFolder) -> None:
        if not self.registry_threads:
            pytest.skip(f"{type(self).__name__}.registry_threads is 0")
        barrier = threading.Barrier(self.registry_threads)
        numbers: list[int] = []
        errors: list[BaseException] = []

        def register() -> None:
            try:
                barrier.wait(timeout=60)
                numbers.append(autolog.register_model(str(model_folder.path), model_name,
                                                      store=store).version)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=register) for _ in range(self.registry_threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
        expected = list(range(1, self.registry_threads + 1))
        assert sorted(numbers) == expected
        self._assert_whole_versions(store, model_name, expected, model_folder)

    def test_versions_registered_from_processes_get_distinct_numbers(
            self, store: Store, store_uri: str, model_name: str, model_folder: ModelFolder,
            tmp_path: Path) -> None:
        count = self.registry_processes
        if not count:
            pytest.skip(f"{type(self).__name__}.registry_processes is 0")
        go = tmp_path / "go"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
        procs = [subprocess.Popen(
            [sys.executable, "-c", _REGISTER, store_uri, str(model_folder.path), model_name,
             str(go), str(i)], env=env, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE) for i in range(count)]
        try:
            ready = [Path(f"{go}.ready-{i}") for i in range(count)]
            while not all(flag.exists() for flag in ready):  # all start at once
                if any(p.poll() is not None for p in procs):
                    break
                threading.Event().wait(0.01)
            go.touch()
            results = [p.communicate(timeout=300) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        failed = [err[-2000:] for p, (_, err) in zip(procs, results, strict=True)
                  if p.returncode != 0]
        assert not failed, failed[0]
        expected = list(range(1, count + 1))
        assert sorted(int(out.strip().splitlines()[-1]) for out, _ in results) == expected
        self._assert_whole_versions(store, model_name, expected, model_folder)

    @staticmethod
    def _assert_whole_versions(store: Store, name: str, numbers: list[int],
                               model_folder: ModelFolder) -> None:
        import numpy as np

        assert [v.version for v in store.search_model_versions(name)] == numbers
        assert store.get_registered_model(name).latest_version == numbers[-1]
        for number in numbers:
            loaded = autolog.load_model(store.download_model_version(name, number))
            np.testing.assert_allclose(loaded.predict(model_folder.X), model_folder.predictions)
