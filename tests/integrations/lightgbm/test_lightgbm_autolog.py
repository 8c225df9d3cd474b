"""LightGBM as a plugin: real training, real store, MLflow's own loaders on our folders."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import mlflow.lightgbm as mlflow_lightgbm
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

import autolog
from autolog.model.folder import read_model_folder

PARAMS = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1,
          "num_leaves": 7}


def _runs(store):
    autolog.flush()
    return store.search_runs()


@pytest.fixture
def binary():
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]), y


def _train(frame, y, rounds=60, callbacks=None):
    train = lgb.Dataset(frame.iloc[:200], y[:200])
    valid = lgb.Dataset(frame.iloc[200:], y[200:], reference=train)
    return lgb.train(PARAMS, train, rounds, valid_sets=[train, valid],
                     valid_names=["train", "valid"], callbacks=callbacks)


def test_train_is_one_run_with_params_steps_best_iteration_and_importance(store, binary):
    booster = _train(*binary, callbacks=[lgb.early_stopping(3, verbose=False)])
    runs = _runs(store)
    assert len(runs) == 1
    run = runs[0]
    assert run.status == "FINISHED"
    assert run.tags["autolog.integration"] == "lightgbm"
    assert run.params["num_leaves"] == "7"
    assert run.params["num_boost_round"] == "60"
    assert run.params["dataset.shape"] == "[200, 5]"
    history = run.metric_history["valid-binary_logloss"]
    iterations = len(history) - 1
    assert [m.step for m in history] == [*range(iterations), iterations]
    assert history[-1].value == history[booster.best_iteration - 1].value
    assert {"train-auc", "valid-auc", "train-binary_logloss"} <= set(run.metric_history)
    assert run.metrics["best_iteration"] == booster.best_iteration
    assert run.metrics["stopped_iteration"] == iterations
    importance = Path(run.model_path).parent / "feature_importance"
    split = json.loads((importance / "feature_importance_split.json").read_text())
    gain = json.loads((importance / "feature_importance_gain.json").read_text())
    names = booster.feature_name()
    assert split == dict(zip(names, booster.feature_importance("split").tolist(), strict=True))
    assert gain == pytest.approx(dict(zip(names, booster.feature_importance("gain"),
                                          strict=True)))


def _mlflow_keys(tmp_path, model):
    target = tmp_path / "by-mlflow"
    mlflow_lightgbm.save_model(model, str(target))
    return read_model_folder(target).mlmodel["flavors"]


def test_folder_is_native_and_loads_in_mlflow_and_autolog(store, binary, tmp_path):
    frame, y = binary
    booster = _train(frame, y, rounds=10)
    run = _runs(store)[0]
    folder = read_model_folder(run.model_path)
    names = {p.name for p in folder.path.iterdir()}
    assert "model.lgb" in names and "model.pkl" not in names
    flavors = folder.mlmodel["flavors"]
    theirs = _mlflow_keys(tmp_path, booster)
    assert set(flavors["lightgbm"]) == set(theirs["lightgbm"])
    for key in ("code", "data", "model_class"):
        assert flavors["lightgbm"][key] == theirs["lightgbm"][key]
    assert set(flavors["python_function"]) == set(theirs["python_function"])

    expected = booster.predict(frame)
    loaded = mlflow_lightgbm.load_model(run.model_path)
    assert isinstance(loaded, lgb.Booster)
    np.testing.assert_allclose(loaded.predict(frame), expected)
    np.testing.assert_allclose(mlflow.pyfunc.load_model(run.model_path).predict(frame), expected)
    ours = autolog.load_model(run.model_path, allow_pickle=False)
    assert ours.flavor == "lightgbm" and ours.format == "native"
    np.testing.assert_allclose(ours.predict(frame), expected)


def test_a_user_exception_in_a_callback_propagates_and_fails_the_run(store, binary):
    def boom(env):
        if env.iteration == 2:
            raise KeyError("the user's own error")

    callbacks = [boom]
    with pytest.raises(KeyError, match="the user's own error"):
        _train(*binary, rounds=10, callbacks=callbacks)
    assert callbacks == [boom]
    runs = _runs(store)
    assert [r.status for r in runs] == ["FAILED"]
    assert [m.step for m in runs[0].metric_history["valid-auc"]] == [0, 1]


def test_disable_reverts_exactly():
    import lightgbm.engine

    original = lightgbm.train
    assert lightgbm.engine.train is original
    autolog.enable(testing=True)
    assert lightgbm.train is not original and lightgbm.engine.train is not original
    autolog.disable()
    assert lightgbm.train is original and lightgbm.engine.train is original


def test_library_calls_record_nothing(store, binary):
    frame, y = binary
    results = lgb.cv(PARAMS, lgb.Dataset(frame, y), 5, nfold=3)
    assert len(results["valid auc-mean"]) == 5
    assert _runs(store) == []


@pytest.mark.parametrize("cls", ["LGBMRegressor", "LGBMClassifier"])
def test_sklearn_wrappers_are_saved_natively(store, cls):
    X, y = (make_classification if cls == "LGBMClassifier" else make_regression)(
        n_samples=200, n_features=4, random_state=0)
    model = getattr(lgb, cls)(n_estimators=8, verbose=-1).fit(X, y)
    runs = _runs(store)
    assert len(runs) == 1
    run = runs[0]
    assert run.tags["autolog.integration"] == "sklearn"
    assert "training_score" in run.metrics
    folder = read_model_folder(run.model_path)
    assert "model.lgb" in {p.name for p in folder.path.iterdir()}
    assert set(folder.flavors) == {"lightgbm", "python_function"}
    # The folder holds the booster: a regressor's predictions, a classifier's probabilities.
    expected = (model.predict(X) if cls == "LGBMRegressor" else model.predict_proba(X)[:, 1])
    np.testing.assert_allclose(mlflow_lightgbm.load_model(run.model_path).predict(X), expected)
    np.testing.assert_allclose(mlflow.pyfunc.load_model(run.model_path).predict(X), expected)
    np.testing.assert_allclose(autolog.load_model(run.model_path).predict(X), expected)


@pytest.mark.parametrize("objective", ["binary", "multiclass", "regression"])
def test_onnx_parity(store_path, objective):
    autolog.enable(store=str(store_path), testing=True, format="both")
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    params = {"objective": objective, "verbose": -1, "num_leaves": 7}
    if objective == "binary":
        y = (y > 0).astype(int)
    elif objective == "multiclass":
        params["num_class"] = 3
    booster = lgb.train(params, lgb.Dataset(X, y), 10)
    autolog.flush()
    from autolog.stores.local import LocalStore

    run = LocalStore(store_path).search_runs()[0]
    folder = read_model_folder(run.model_path)
    report = folder.mlmodel["metadata"]["onnx"]
    assert report["status"] == "converted", report
    assert report["parity"]["verdict"] == "pass"
    onnx_model = autolog.load_model(run.model_path, format="onnx")
    np.testing.assert_allclose(onnx_model.predict(X), booster.predict(X), atol=1e-4)
