"""The registry part of the Store contract, run against every store (see conftest.py)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

import autolog
from autolog import loading, registry
from autolog.errors import NotFoundError
from autolog.runs import FINISHED, Metric, RunInfo, new_run_id

T0 = 1_750_000_000_000


@pytest.fixture
def name() -> str:
    return f"model-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def fitted(tmp_path):
    """Two real model folders (different coefficients) and data to tell them apart."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    out = []
    for alpha in (0.1, 50.0):
        model = Ridge(alpha=alpha).fit(X, X @ np.array([1.0, 2.0, -1.0]))
        folder = loading.resolve_model_uri(autolog.log_model(model, input_example=X[:4]))
        out.append((folder, model.predict(X)))
    return X, out


def _run_with_model(store, experiment, folder, metric=0.9) -> str:
    info = RunInfo(new_run_id(), experiment, "fit", start_time=T0, host="h", pid=1)
    store.create_run(info)
    store.log_batch(info.run_id, params={"alpha": "0.1"}, metrics=[Metric("r2", metric, 0, T0)],
                    tags={"autolog.model_class": "Ridge"})
    store.log_artifacts(info.run_id, folder, "model")
    store.update_run(info.run_id, FINISHED, T0 + 1)
    return info.run_id


def _load(store, uri):
    return autolog.load_model(registry.resolve_model_uri(uri, store=store))


def test_versions_are_numbered_and_keep_what_compare_needs(any_store, experiment, name, fitted):
    X, [(folder_a, _), (folder_b, _)] = fitted
    run_a = _run_with_model(any_store, experiment, folder_a, 0.9)
    run_b = _run_with_model(any_store, experiment, folder_b, 0.7)
    v1 = registry.register_model(f"runs:/{run_a}/model", name, description="first",
                                 tags={"team": "risk"}, store=any_store)
    v2 = registry.register_model(f"runs:/{run_b}/model", name, store=any_store)
    assert (v1.version, v2.version) == (1, 2)
    assert v1.run_id == run_a and v1.source == f"runs:/{run_a}/model"
    assert v1.metrics == {"r2": 0.9} and v1.params == {"alpha": "0.1"}
    assert v1.model_class == "Ridge" and v1.run_name == "fit" and v1.experiment == experiment
    assert v1.formats == ["sklearn"] and v1.size_bytes and v1.signature
    assert v1.description == "first" and v1.tags == {"team": "risk"}
    assert any_store.get_model_version(name, 1) == v1
    assert [v.version for v in any_store.search_model_versions(name)] == [1, 2]
    assert any_store.get_latest_model_version(name).version == 2
    model = any_store.get_registered_model(name)
    assert (model.latest_version, model.version_count) == (2, 2)
    assert name in [m.name for m in any_store.search_registered_models()]
    assert {(v.name, v.version) for v in any_store.search_model_versions()} >= {(name, 1),
                                                                                 (name, 2)}


def test_versions_load_by_number_alias_and_latest(any_store, experiment, name, fitted):
    X, [(folder_a, pred_a), (folder_b, pred_b)] = fitted
    for folder in (folder_a, folder_b):
        run = _run_with_model(any_store, experiment, folder)
        registry.register_model(f"runs:/{run}/model", name, store=any_store)
    np.testing.assert_allclose(_load(any_store, f"models:/{name}/1").predict(X), pred_a)
    np.testing.assert_allclose(_load(any_store, f"models:/{name}/latest").predict(X), pred_b)
    any_store.set_model_alias(name, "champion", 1)
    np.testing.assert_allclose(_load(any_store, f"models:/{name}@champion").predict(X), pred_a)
    assert any_store.get_model_version(name, 1).aliases == ["champion"]
    any_store.set_model_alias(name, "champion", 2)  # moves
    assert any_store.get_registered_model(name).aliases == {"champion": 2}
    assert any_store.get_model_version_by_alias(name, "champion").version == 2
    assert [v.aliases for v in any_store.search_model_versions(name)] == [[], ["champion"]]
    any_store.delete_model_alias(name, "champion")
    with pytest.raises(NotFoundError, match="champion"):
        any_store.get_model_version_by_alias(name, "champion")
    with pytest.raises(NotFoundError):
        any_store.delete_model_alias(name, "champion")


def test_a_deleted_version_number_is_not_reused(any_store, experiment, name, fitted):
    _, [(folder, _), _] = fitted
    run = _run_with_model(any_store, experiment, folder)
    for _ in range(2):
        registry.register_model(f"runs:/{run}/model", name, store=any_store)
    any_store.set_model_alias(name, "prod", 2)
    any_store.delete_model_version(name, 2)
    with pytest.raises(NotFoundError):
        any_store.get_model_version(name, 2)
    assert any_store.get_registered_model(name).aliases == {}  # its alias went with it
    assert registry.register_model(f"runs:/{run}/model", name, store=any_store).version == 3
    assert [v.version for v in any_store.search_model_versions(name)] == [1, 3]


def test_register_a_folder_that_is_in_no_run(any_store, name, fitted):
    X, [(folder, pred), _] = fitted
    version = registry.register_model(str(folder), name, store=any_store)
    assert version.version == 1 and version.source == str(folder)
    np.testing.assert_allclose(_load(any_store, f"models:/{name}/1").predict(X), pred)


def test_descriptions_and_tags(any_store, experiment, name, fitted):
    _, [(folder, _), _] = fitted
    run = _run_with_model(any_store, experiment, folder)
    registry.register_model(f"runs:/{run}/model", name, store=any_store)
    model = any_store.update_registered_model(name, description="credit risk",
                                              tags={"owner": "ana", "tier": "1"})
    assert (model.description, model.tags) == ("credit risk", {"owner": "ana", "tier": "1"})
    model = any_store.update_registered_model(name, delete_tags=["tier", "never-set"])
    assert (model.description, model.tags) == ("credit risk", {"owner": "ana"})
    version = any_store.update_model_version(name, 1, description="baseline",
                                             tags={"validated": "yes"})
    assert (version.description, version.tags) == ("baseline", {"validated": "yes"})
    version = any_store.update_model_version(name, 1, delete_tags=["validated"])
    assert (version.description, version.tags) == ("baseline", {})


def test_registry_errors_name_what_is_missing(any_store, experiment, name, fitted):
    _, [(folder, _), _] = fitted
    with pytest.raises(NotFoundError, match=name):
        any_store.get_registered_model(name)
    assert any_store.search_model_versions(name) == []
    run = _run_with_model(any_store, experiment, folder)
    registry.register_model(f"runs:/{run}/model", name, store=any_store)
    with pytest.raises(NotFoundError, match="99"):
        any_store.get_model_version(name, 99)
    with pytest.raises(NotFoundError):
        any_store.set_model_alias(name, "prod", 99)
    with pytest.raises(NotFoundError):
        any_store.download_model_version(name, 99)
    any_store.delete_registered_model(name)
    with pytest.raises(NotFoundError):
        any_store.get_registered_model(name)
    with pytest.raises(NotFoundError):
        any_store.delete_registered_model(name)
