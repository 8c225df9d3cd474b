"""scikit-learn end to end: real fits, real store, MLflow loading our folders."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import autolog
from autolog import patching
from autolog.errors import SchemaMismatchError
from autolog.model.folder import read_model_folder


@pytest.fixture
def clf_data():
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    return X[:240], y[:240], X[240:], y[240:]


@pytest.fixture
def mixed_frame():
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({
        "count": rng.integers(0, 10, n).astype("int64"),
        "score": rng.normal(size=n),
        "city": rng.choice(["paris", "oslo", "lima"], n),
        "member": rng.random(n) > 0.5,
    })
    y = ((frame["score"] > 0) ^ frame["member"]).astype(int).to_numpy()
    return frame, y


def _mixed_model():
    pre = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ("num", StandardScaler(), ["count", "score", "member"]),
    ])
    return Pipeline([("pre", pre), ("clf", LogisticRegression())])


def _runs(store):
    autolog.flush()
    return store.search_runs()


def test_one_fit_is_one_complete_run(store, clf_data):
    X, y, X_test, _ = clf_data
    model = LogisticRegression(C=0.5)
    returned = model.fit(X, y)
    assert returned is model
    runs = _runs(store)
    assert len(runs) == 1
    run = runs[0]
    assert run.status == "FINISHED"
    assert run.info.end_time >= run.info.start_time
    assert run.params["C"] == "0.5"
    assert run.params["dataset.shape"] == "[240, 6]"
    assert run.tags["autolog.model_class"] == "LogisticRegression"
    assert run.tags["autolog.library.scikit-learn"]
    for key in ("training_accuracy", "training_precision", "training_recall", "training_f1",
                "training_log_loss", "training_roc_auc", "training_score", "fit_time_s"):
        assert key in run.metrics, key
    assert run.metrics["training_accuracy"] == pytest.approx(model.score(X, y))
    folder = read_model_folder(run.model_path)
    names = {p.name for p in folder.path.iterdir()}
    assert {"MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt", "model.pkl",
            "input_example.json"} <= names
    mlmodel = folder.mlmodel
    assert mlmodel["run_id"] == run.run_id
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"
    assert mlmodel["metadata"]["checksums"]["model.pkl"].startswith("sha256:")
    reqs = (folder.path / "requirements.txt").read_text()
    assert "scikit-learn==" in reqs and "cloudpickle==" in reqs
    sig = folder.signature()
    assert sig.inputs.is_tensor
    loaded = autolog.load_model(f"runs:/{run.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    assert isinstance(loaded.native, LogisticRegression)


def test_regressor_metrics(store):
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    LinearRegression().fit(X, y)
    run = _runs(store)[0]
    assert {"training_mse", "training_rmse", "training_mae", "training_r2"} <= set(run.metrics)
    assert run.metrics["training_rmse"] == pytest.approx(run.metrics["training_mse"] ** 0.5)


def test_mlflow_loads_numpy_model(store, clf_data):
    import mlflow.pyfunc as mlflow_pyfunc
    import mlflow.sklearn

    X, y, X_test, _ = clf_data
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    run = _runs(store)[0]
    pyfunc = mlflow_pyfunc.load_model(run.model_path)
    np.testing.assert_array_equal(np.asarray(pyfunc.predict(X_test)), model.predict(X_test))
    native = mlflow.sklearn.load_model(run.model_path)
    np.testing.assert_array_equal(native.predict(X_test), model.predict(X_test))


def test_mlflow_loads_dataframe_model_with_mixed_columns(store, mixed_frame):
    import mlflow.pyfunc
    import mlflow.sklearn

    frame, y = mixed_frame
    model = _mixed_model().fit(frame[:150], y[:150])
    run = _runs(store)[0]
    sig = read_model_folder(run.model_path).signature()
    types = {c.name: c.type for c in sig.inputs.inputs}
    assert types == {"count": "long", "score": "double", "city": "string", "member": "boolean"}
    held_out = frame[150:]
    expected = model.predict(held_out)
    np.testing.assert_array_equal(
        np.asarray(mlflow.pyfunc.load_model(run.model_path).predict(held_out)), expected)
    np.testing.assert_array_equal(
        mlflow.sklearn.load_model(run.model_path).predict(held_out), expected)
    ours = autolog.load_model(run.model_path)
    np.testing.assert_array_equal(ours.predict(held_out), expected)


def test_pipeline_is_one_run(store, clf_data):
    X, y, _, _ = clf_data
    make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    runs = _runs(store)
    assert len(runs) == 1
    assert runs[0].tags["autolog.model_class"] == "Pipeline"
    assert "logisticregression__C" in runs[0].params


def test_grid_search_parent_and_bounded_children(store, clf_data):
    X, y, _, _ = clf_data
    autolog.enable(store=str(store.root), testing=True, max_tuning_runs=3)
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 0.1, 1, 10]}, cv=3).fit(X, y)
    runs = _runs(store)
    parents = [r for r in runs if r.info.parent_run_id is None]
    children = [r for r in runs if r.info.parent_run_id is not None]
    assert len(parents) == 1
    parent = parents[0]
    assert len(children) == 3
    assert all(c.info.parent_run_id == parent.run_id for c in children)
    assert parent.params["best_C"] == str(search.best_params_["C"])
    assert parent.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert "cv_results" in parent.artifacts
    best_child = min(children, key=lambda r: r.metrics["rank_test_score"])
    assert best_child.metrics["rank_test_score"] == 1
    loaded = autolog.load_model(f"runs:/{parent.run_id}/model")
    assert isinstance(loaded.native, LogisticRegression)
    assert loaded.native.C == search.best_params_["C"]


def test_cross_val_score_leaves_no_runs(store, clf_data):
    X, y, _, _ = clf_data
    cross_val_score(LogisticRegression(), X, y, cv=3)
    assert _runs(store) == []


def test_user_estimator_defined_after_enable_is_logged(store, clf_data):
    X, y, _, _ = clf_data

    class MajorityClassifier(ClassifierMixin, BaseEstimator):
        def __init__(self, bias=0):
            self.bias = bias

        def fit(self, X, y):
            values, counts = np.unique(y, return_counts=True)
            self.label_ = values[np.argmax(counts)]
            self.classes_ = values
            return self

        def predict(self, X):
            return np.full(len(X), self.label_)

    est = MajorityClassifier(bias=3)
    before = set(vars(est))
    est.fit(X, y)
    assert set(vars(est)) - before == {"label_", "classes_"}  # no autolog attributes
    runs = _runs(store)
    assert len(runs) == 1
    assert runs[0].tags["autolog.model_class"] == "MajorityClassifier"
    assert runs[0].params["bias"] == "3"
    assert runs[0].model_path


def test_estimator_behaviour_unchanged(store, clf_data):
    import inspect

    X, y, _, _ = clf_data
    est = LogisticRegression(C=2.0)
    autolog.disable()
    plain_sig, plain_doc = inspect.signature(est.fit), LogisticRegression.fit.__doc__
    autolog.enable(store=str(store.root), testing=True)
    assert patching.is_autolog_wrapper(vars(LogisticRegression)["fit"])
    assert inspect.signature(est.fit) == plain_sig
    assert LogisticRegression.fit.__doc__ == plain_doc
    assert LogisticRegression.fit.__name__ == "fit"
    est.fit(X, y)
    assert clone(est).get_params() == est.get_params()
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))


def test_user_exception_propagates_and_run_fails(store):
    class Exploding(BaseEstimator):
        def fit(self, X, y=None):
            raise KeyError("user bug")

    with pytest.raises(KeyError, match="user bug") as info:
        Exploding().fit([[1]], [1])
    assert info.type is KeyError
    runs = _runs(store)
    assert [r.status for r in runs] == ["FAILED"]


def test_store_failure_is_one_warning_and_fit_result_intact(tmp_path, clf_data):
    X, y, _, _ = clf_data
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store should be")
    autolog.enable(store=str(blocker / "store"), testing=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LogisticRegression().fit(X, y)
        autolog.flush()
    ours = [w for w in caught if issubclass(w.category, autolog.AutologWarning)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    assert "store" in str(ours[0].message).lower()
    reference = LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)


def test_unpicklable_model_is_one_warning(tmp_path, clf_data):
    import threading

    X, y, _, _ = clf_data

    class HoldsLock(BaseEstimator):
        def fit(self, X, y=None):
            self.lock_ = threading.Lock()
            return self

    autolog.enable(store=str(tmp_path / "s"), testing=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = HoldsLock().fit(X, y)
        autolog.flush()
    ours = [w for w in caught if issubclass(w.category, autolog.AutologWarning)]
    assert len(ours) == 1
    assert "serializ" in str(ours[0].message)
    assert hasattr(est, "lock_")
    runs = autolog.search_runs()
    assert len(runs) == 1 and runs[0].model_path is None
    assert runs[0].params["dataset.shape"] == "[240, 6]"


def test_disable_restores_originals(tmp_path):
    import sklearn.base
    from sklearn.linear_model import LogisticRegression as LR
    from sklearn.preprocessing import StandardScaler as SS

    originals = {cls: dict(vars(cls)) for cls in (LR, SS, sklearn.base.BaseEstimator)}
    autolog.enable(store=str(tmp_path / "s"))
    assert vars(LR)["fit"] is not originals[LR]["fit"]
    autolog.disable()
    for cls, attrs in originals.items():
        assert set(vars(cls)) == set(attrs), cls
        for name in ("fit", "fit_transform", "fit_predict", "__init_subclass__"):
            if name in attrs:
                assert vars(cls)[name] is attrs[name], (cls, name)


def test_enable_is_idempotent_and_order_independent(tmp_path, clf_data):
    X, y, _, _ = clf_data
    autolog.enable(store=str(tmp_path / "s"))
    autolog.enable(store=str(tmp_path / "s"))
    LogisticRegression().fit(X, y)
    assert len(autolog.search_runs()) == 1


def test_start_run_groups_fits(store, clf_data):
    X, y, _, _ = clf_data
    with autolog.start_run(name="baseline") as run:
        LogisticRegression().fit(X, y)
        StandardScaler().fit(X)
    runs = _runs(store)
    by_id = {r.run_id: r for r in runs}
    outer = by_id[run.run_id]
    assert outer.info.name == "baseline"
    assert outer.model_path and outer.tags["autolog.model_class"] == "LogisticRegression"
    children = [r for r in runs if r.info.parent_run_id == run.run_id]
    assert [c.tags["autolog.model_class"] for c in children] == ["StandardScaler"]


def test_load_model_rejects_mismatched_input(store, mixed_frame, clf_data):
    frame, y = mixed_frame
    _mixed_model().fit(frame, y)
    X, yy, _, _ = clf_data
    LogisticRegression().fit(X, yy)
    runs = _runs(store)
    frame_run = next(r for r in runs if r.tags["autolog.model_class"] == "Pipeline")
    array_run = next(r for r in runs if r.tags["autolog.model_class"] == "LogisticRegression")
    frame_model = autolog.load_model(frame_run.model_path)
    with pytest.raises(SchemaMismatchError, match="city"):
        frame_model.predict(frame.drop(columns=["city"]))
    array_model = autolog.load_model(array_run.model_path)
    with pytest.raises(SchemaMismatchError, match="6"):
        array_model.predict(np.zeros((3, 4)))
    with pytest.raises(SchemaMismatchError):
        array_model.predict(np.array([["a"] * 6]))
    # A safe cast (int -> float) is accepted.
    assert len(array_model.predict(np.ones((2, 6), dtype=np.int32))) == 2


def test_load_model_rejects_tampered_file(store, clf_data):
    X, y, _, _ = clf_data
    LogisticRegression().fit(X, y)
    run = _runs(store)[0]
    model_file = f"{run.model_path}/model.pkl"
    with open(model_file, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(autolog.ChecksumError, match="checksum"):
        autolog.load_model(run.model_path)


def test_loads_folder_written_by_mlflow(tmp_path, clf_data):
    import mlflow.sklearn

    X, y, X_test, _ = clf_data
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "mlflow-model"
    mlflow.sklearn.save_model(model, str(path), serialization_format="cloudpickle")
    loaded = autolog.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_log_model_by_hand(store, clf_data):
    X, y, X_test, _ = clf_data
    autolog.disable()
    model = LogisticRegression().fit(X, y)
    autolog.enable(store=str(store.root), testing=True, log_models=False)
    uri = autolog.log_model(model, input_example=X[:3],
                            extra_pip_requirements=["my-plugin==1.0"],
                            metadata={"team": "fraud"})
    from autolog.loading import resolve_model_uri

    folder = read_model_folder(resolve_model_uri(uri))
    assert "my-plugin==1.0" in (folder.path / "requirements.txt").read_text()
    assert folder.metadata["team"] == "fraud"
    assert folder.signature() is not None
    np.testing.assert_array_equal(autolog.load_model(uri).predict(X_test), model.predict(X_test))


def test_signature_and_example_can_be_turned_off(store, clf_data):
    X, y, _, _ = clf_data
    autolog.enable(store=str(store.root), testing=True, log_signature=False,
                   log_input_example=False)
    LogisticRegression().fit(X, y)
    folder = read_model_folder(_runs(store)[0].model_path)
    assert "signature" not in folder.mlmodel
    assert "saved_input_example_info" not in folder.mlmodel
    assert not (folder.path / "input_example.json").exists()


def test_secret_named_params_are_redacted(store):
    class WithToken(BaseEstimator):
        def __init__(self, api_token="hunter2", depth=3):
            self.api_token = api_token
            self.depth = depth

        def fit(self, X, y=None):
            return self

    WithToken().fit([[1.0]])
    run = _runs(store)[0]
    assert run.params["api_token"] == "***REDACTED***"
    assert run.params["depth"] == "3"


@pytest.mark.parametrize("make", [
    lambda: LogisticRegression(),
    lambda: LinearRegression(),
    lambda: _mixed_model(),
    lambda: make_pipeline(StandardScaler(), LogisticRegression()),
])
def test_signature_from_the_training_predictions_is_the_one_of_the_example(store, make,
                                                                           mixed_frame):
    """The writer reuses the first rows of the metrics' predictions for the signature's
    output: the signature is the one inferred from predicting on the example itself."""
    from autolog.signature import infer_signature

    frame, y = mixed_frame
    model = make()
    X = frame if isinstance(model, Pipeline) and "pre" in model.named_steps else (
        frame[["count", "score"]].to_numpy())
    target = y if not isinstance(model, LinearRegression) else frame["score"].to_numpy()
    model.fit(X, target)
    folder = read_model_folder(_runs(store)[0].model_path)
    example = X[:5] if not hasattr(X, "iloc") else X.iloc[:5]
    assert folder.signature().to_dict() == infer_signature(example,
                                                           model.predict(example)).to_dict()
