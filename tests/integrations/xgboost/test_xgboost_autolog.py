"""XGBoost as a plugin: real training, real store, MLflow's own loaders on our folders."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow.pyfunc
import mlflow.xgboost as mlflow_xgboost
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.datasets import make_classification, make_regression

import autolog
from autolog.model.folder import read_model_folder


def _runs(store):
    autolog.flush()
    return store.search_runs()


@pytest.fixture
def binary():
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"x{i}" for i in range(5)])
    return frame, y


def _train(frame, y, rounds=60, **kwargs):
    dtrain = xgb.DMatrix(frame.iloc[:200], label=y[:200])
    dvalid = xgb.DMatrix(frame.iloc[200:], label=y[200:])
    params = {"objective": "binary:logistic", "max_depth": 3, "eval_metric": ["logloss", "auc"]}
    return xgb.train(params, dtrain, rounds, evals=[(dtrain, "train"), (dvalid, "valid")],
                     verbose_eval=False, **kwargs)


def test_train_is_one_run_with_params_steps_best_iteration_and_importance(store, binary):
    booster = _train(*binary, early_stopping_rounds=3)
    runs = _runs(store)
    assert len(runs) == 1
    run = runs[0]
    assert run.status == "FINISHED"
    assert run.tags["autolog.integration"] == "xgboost"
    assert run.tags["autolog.library.xgboost"] == xgb.__version__
    assert run.params["max_depth"] == "3"
    assert run.params["objective"] == "binary:logistic"
    assert run.params["num_boost_round"] == "60"
    assert run.params["early_stopping_rounds"] == "3"
    assert run.params["dataset.shape"] == "[200, 5]"
    history = run.metric_history["valid-logloss"]
    stopped = booster.num_boosted_rounds() - 1
    # One value per iteration, then the best iteration's again at the step after the last.
    assert [m.step for m in history] == [*range(stopped + 1), stopped + 1]
    assert history[-1].value == history[booster.best_iteration].value
    assert {"train-logloss", "train-auc", "valid-auc"} <= set(run.metric_history)
    assert run.metrics["best_iteration"] == booster.best_iteration
    assert run.metrics["stopped_iteration"] == stopped
    importance = Path(run.model_path).parent / "feature_importance"
    weight = json.loads((importance / "feature_importance_weight.json").read_text())
    gain = json.loads((importance / "feature_importance_gain.json").read_text())
    assert weight == pytest.approx(booster.get_score(importance_type="weight"))
    assert gain == pytest.approx(booster.get_score(importance_type="gain"))


def test_without_early_stopping_no_best_iteration(store, binary):
    _train(*binary, rounds=5)
    run = _runs(store)[0]
    assert "best_iteration" not in run.metrics
    assert [m.step for m in run.metric_history["valid-auc"]] == list(range(5))


def _mlflow_keys(tmp_path, model):
    """The keys mlflow.xgboost.save_model itself writes for ``model``."""
    target = tmp_path / "by-mlflow"
    mlflow_xgboost.save_model(model, str(target))
    return read_model_folder(target).mlmodel["flavors"]


def test_folder_is_native_and_loads_in_mlflow_and_autolog(store, binary, tmp_path):
    frame, y = binary
    booster = _train(frame, y, rounds=10)
    run = _runs(store)[0]
    folder = read_model_folder(run.model_path)
    names = {p.name for p in folder.path.iterdir()}
    assert "model.ubj" in names and "model.pkl" not in names
    flavors = folder.mlmodel["flavors"]
    theirs = _mlflow_keys(tmp_path, booster)
    assert flavors["xgboost"] == {**theirs["xgboost"]}
    assert set(flavors["python_function"]) == set(theirs["python_function"])
    assert flavors["python_function"]["loader_module"] == "mlflow.xgboost"
    assert folder.signature() is not None

    expected = booster.predict(xgb.DMatrix(frame))
    loaded = mlflow_xgboost.load_model(run.model_path)
    assert isinstance(loaded, xgb.Booster)
    np.testing.assert_allclose(loaded.predict(xgb.DMatrix(frame)), expected)
    np.testing.assert_allclose(mlflow.pyfunc.load_model(run.model_path).predict(frame), expected)
    ours = autolog.load_model(run.model_path, allow_pickle=False)
    assert ours.flavor == "xgboost" and ours.format == "native"
    np.testing.assert_allclose(ours.predict(frame), expected)


def test_a_user_exception_in_a_callback_propagates_and_fails_the_run(store, binary):
    class Boom(xgb.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            if epoch == 2:
                raise KeyError("the user's own error")
            return False

    callbacks = [Boom()]
    with pytest.raises(KeyError, match="the user's own error"):
        _train(*binary, rounds=10, callbacks=callbacks)
    assert len(callbacks) == 1  # the user's list is not changed
    runs = _runs(store)
    assert [r.status for r in runs] == ["FAILED"]
    # The user's callback comes first: iteration 2 raised before autolog's saw it.
    assert [m.step for m in runs[0].metric_history["valid-auc"]] == [0, 1]


def test_disable_reverts_exactly():
    import xgboost.training

    original = xgboost.train
    assert xgboost.training.train is original
    autolog.enable(testing=True)
    assert xgboost.train is not original and xgboost.training.train is not original
    assert xgboost.train.__wrapped__ is original
    autolog.disable()
    assert xgboost.train is original and xgboost.training.train is original
    assert "train" in vars(xgboost) and "train" in vars(xgboost.training)


def test_library_calls_record_nothing_and_disabled_passes_through(store, binary):
    frame, y = binary
    results = xgb.cv({"objective": "binary:logistic"}, xgb.DMatrix(frame, label=y), 5, nfold=3)
    assert len(results) == 5
    assert _runs(store) == []
    autolog.disable()
    _train(frame, y, rounds=3)
    assert _runs(store) == []


def test_inside_a_user_run_the_call_logs_into_it(store, binary):
    with autolog.start_run("mine") as run:
        _train(*binary, rounds=3)
    runs = _runs(store)
    assert [r.run_id for r in runs] == [run.run_id]
    assert runs[0].params["num_boost_round"] == "3"


@pytest.mark.parametrize("cls", ["XGBClassifier", "XGBRegressor"])
def test_sklearn_wrappers_are_saved_natively(store, tmp_path, cls):
    X, y = (make_classification if cls == "XGBClassifier" else make_regression)(
        n_samples=200, n_features=4, random_state=0)
    model = getattr(xgb, cls)(n_estimators=8, max_depth=3).fit(X, y)
    runs = _runs(store)
    assert len(runs) == 1  # the sklearn integration's run; the inner train call adds none
    run = runs[0]
    assert run.tags["autolog.integration"] == "sklearn"
    assert "training_score" in run.metrics
    folder = read_model_folder(run.model_path)
    assert "model.ubj" in {p.name for p in folder.path.iterdir()}
    assert set(folder.flavors) == {"xgboost", "python_function"}
    assert folder.mlmodel["flavors"]["xgboost"] == _mlflow_keys(tmp_path, model)["xgboost"]
    loaded = mlflow_xgboost.load_model(run.model_path)
    assert type(loaded) is type(model)
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(mlflow.pyfunc.load_model(run.model_path).predict(X),
                               model.predict(X))
    np.testing.assert_allclose(autolog.load_model(run.model_path).predict(X), model.predict(X))


@pytest.mark.parametrize("objective", ["binary:logistic", "multi:softprob", "reg:squarederror"])
def test_onnx_parity(store_path, objective):
    autolog.enable(store=str(store_path), testing=True, format="both")
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    params = {"objective": objective, "max_depth": 3}
    if objective == "binary:logistic":
        y = (y > 0).astype(int)
    elif objective == "multi:softprob":
        params["num_class"] = 3
    booster = xgb.train(params, xgb.DMatrix(X.astype(np.float32), label=y), 10)
    autolog.flush()
    from autolog.stores.local import LocalStore

    run = LocalStore(store_path).search_runs()[0]
    folder = read_model_folder(run.model_path)
    report = folder.mlmodel["metadata"]["onnx"]
    assert report["status"] == "converted", report
    assert report["parity"]["verdict"] == "pass"
    assert {"xgboost", "onnx"} <= set(folder.flavors)
    import onnx

    written = onnx.load(str(folder.path / "model.onnx"))
    used = {op.domain or "ai.onnx": op.version for op in written.opset_import}
    assert report["opsets"] == used and report["opset"] == used.get("ai.onnx")  # what was used
    assert report["requested_opset"] >= max(used.get("ai.onnx", 0), 1)
    onnx_model = autolog.load_model(run.model_path, format="onnx")
    expected = booster.predict(xgb.DMatrix(X.astype(np.float32)))
    np.testing.assert_allclose(onnx_model.predict(X.astype(np.float32)), expected, atol=1e-4)
