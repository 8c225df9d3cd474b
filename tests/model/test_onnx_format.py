"""ONNX format: parity at log time, folder layout, MLflow and autolog loading, fallbacks."""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import autolog
from autolog import patching
from autolog.errors import ConfigError, UnsafeFormatError
from autolog.model.folder import read_model_folder
from autolog.stores.local import LocalStore
from tests.helpers import run_python
from tests.model.onnx_cases import mixed_frame

ONNX_FLAVOR_KEYS = {"code", "data", "onnx_session_options", "onnx_version", "providers"}


@pytest.fixture
def clf_data() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n_samples=300, n_features=5, n_informative=3, n_classes=3,
                               random_state=0)


def _enable(store_path: Path, fmt: str, **options: Any) -> LocalStore:
    autolog.enable(store=str(store_path), format=fmt, testing=True, **options)
    return LocalStore(store_path)


def _only_run(store: LocalStore) -> Any:
    autolog.flush()
    runs = store.search_runs()
    assert len(runs) == 1, [r.info.name for r in runs]
    return runs[0]


def _autolog_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, autolog.AutologWarning)]


def test_mlflow_onnx_flavor_keys_match_ours(tmp_path):
    """Our onnx flavor block has exactly the keys mlflow.onnx.save_model writes."""
    import mlflow.onnx
    import onnx
    from skl2onnx import to_onnx

    from autolog.model.formats.onnx_format import flavor_conf

    X, y = make_classification(n_samples=40, n_features=3, n_informative=2, n_redundant=0,
                               random_state=0)
    proto = to_onnx(LogisticRegression().fit(X, y), X[:1].astype(np.float32))
    # explicit requirements: skips MLflow's requirement inference (a subprocess)
    mlflow.onnx.save_model(proto, tmp_path / "mlflow-onnx", pip_requirements=["onnx"])
    theirs = read_model_folder(tmp_path / "mlflow-onnx").mlmodel["flavors"]
    ours = flavor_conf()
    assert set(theirs["onnx"]) == set(ours) == ONNX_FLAVOR_KEYS
    assert ours["data"] == theirs["onnx"]["data"] == "model.onnx"
    assert ours["onnx_version"] == onnx.__version__ == theirs["onnx"]["onnx_version"]
    assert ours["providers"] == theirs["onnx"]["providers"]
    assert theirs["python_function"]["loader_module"] == "mlflow.onnx"
    assert theirs["python_function"]["data"] == "model.onnx"
    loaded = autolog.load_model(tmp_path / "mlflow-onnx", allow_pickle=False)  # MLflow's folder
    assert loaded.format == "onnx"
    np.testing.assert_array_equal(loaded.predict(X), LogisticRegression().fit(X, y).predict(X))


def test_both_format_one_folder_two_flavors_same_predictions(store_path, clf_data):
    import mlflow.pyfunc
    import mlflow.sklearn

    store = _enable(store_path, "both")
    X, y = clf_data
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    run = _only_run(store)
    folder = read_model_folder(run.model_path)
    flavors = folder.flavors
    assert set(flavors) == {"python_function", "sklearn", "onnx"}
    assert flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    assert set(flavors["onnx"]) == ONNX_FLAVOR_KEYS
    assert {"model.pkl", "model.onnx"} <= set(folder.checksums)
    requirements = (folder.path / "requirements.txt").read_text()
    for name in ("scikit-learn==", "onnx==", "onnxruntime=="):
        assert name in requirements

    report = folder.metadata["onnx"]
    assert report["status"] == "converted"
    parity = report["parity"]
    assert parity["verdict"] == "pass" and parity["mismatches"] == 0
    assert 0 <= parity["max_abs_diff"] <= report["parity"]["tolerance"]
    assert parity["max_rel_diff"] >= 0
    # label + 3 probabilities, on the 5-row example and the 300-row training sample
    assert parity["values_compared"] == (5 + 300) * 4
    assert report["conversion_time_s"] > 0 and report["parity_time_s"] > 0

    expected = model.predict(X)
    np.testing.assert_array_equal(mlflow.pyfunc.load_model(run.model_path).predict(X), expected)
    np.testing.assert_array_equal(mlflow.sklearn.load_model(run.model_path).predict(X), expected)
    native = autolog.load_model(run.model_path)
    assert native.format == "native" and native.flavor == "sklearn"
    as_onnx = autolog.load_model(f"runs:/{run.run_id}/model", format="onnx")
    assert as_onnx.format == "onnx"
    np.testing.assert_array_equal(native.predict(X), expected)
    np.testing.assert_array_equal(as_onnx.predict(X), expected)
    probabilities = as_onnx.native.run(X.astype(np.float32))["probabilities"]
    np.testing.assert_allclose(probabilities, model.predict_proba(X), atol=1e-5)
    safe = autolog.load_model(run.model_path, allow_pickle=False)
    assert safe.format == "onnx"


def test_onnx_only_folder_mixed_frame_loads_in_mlflow_and_autolog(store_path):
    import mlflow.onnx
    import mlflow.pyfunc

    from tests.model.onnx_cases import sklearn_cases

    store = _enable(store_path, "onnx")
    case = next(c for c in sklearn_cases()
                if c.name == "ColumnTransformer(OneHotEncoder) + LogisticRegression")
    model, frame, y = case.build(200)
    model.fit(frame, y)
    run = _only_run(store)
    folder = read_model_folder(run.model_path)
    assert set(folder.flavors) == {"python_function", "onnx"}
    pyfunc_conf = folder.flavors["python_function"]
    assert pyfunc_conf["loader_module"] == "mlflow.onnx"
    assert pyfunc_conf["data"] == "model.onnx"
    files = {p.name for p in folder.path.iterdir()}
    assert "model.onnx" in files and "model.pkl" not in files
    assert list(folder.checksums) == ["model.onnx"]
    requirements = (folder.path / "requirements.txt").read_text()
    assert "onnxruntime==" in requirements and "scikit-learn" not in requirements
    report = folder.metadata["onnx"]
    assert report["status"] == "converted" and report["parity"]["verdict"] == "pass"
    assert report["input_types"] == {"visits": "int64", "score (z)": "float32",
                                     "city": "object", "member": "bool"}

    test_frame, _ = mixed_frame(60)
    expected = model.predict(test_frame)
    loaded = autolog.load_model(f"runs:/{run.run_id}/model")
    assert loaded.format == "onnx"
    np.testing.assert_array_equal(loaded.predict(test_frame), expected)
    # mlflow.onnx feeds DataFrame columns as numpy arrays; pandas 3's string columns are
    # extension arrays, which onnxruntime does not take: object columns work.
    pyfunc = mlflow.pyfunc.load_model(run.model_path)
    out = pyfunc.predict(test_frame.astype({"city": object}))
    assert list(out.columns) == ["label", "probabilities_0", "probabilities_1"]
    np.testing.assert_array_equal(out["label"].to_numpy(), expected)
    np.testing.assert_allclose(out[["probabilities_0", "probabilities_1"]].to_numpy(),
                               model.predict_proba(test_frame), atol=1e-5)
    assert mlflow.onnx.load_model(run.model_path).graph.input[1].name == "score (z)"


def test_onnx_only_numpy_regressor_in_mlflow(store_path):
    import mlflow.pyfunc

    store = _enable(store_path, "onnx")
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    model = LinearRegression().fit(X, y * 100 + 500)
    run = _only_run(store)
    parity = read_model_folder(run.model_path).metadata["onnx"]["parity"]
    assert parity["verdict"] == "pass"
    expected = model.predict(X)
    out = mlflow.pyfunc.load_model(run.model_path).predict(X)
    # float32 arithmetic: within the parity rule |diff| <= 1e-4 * max(1, |native|)
    np.testing.assert_allclose(out["variable"].ravel(), expected, rtol=1e-4, atol=1e-4)
    loaded = autolog.load_model(run.model_path)
    result = loaded.predict(X)
    assert result.shape == expected.shape and result.dtype == expected.dtype
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)


def test_load_onnx_in_subprocess_imports_no_framework(store_path, clf_data):
    store = _enable(store_path, "both")
    X, y = clf_data
    model = LogisticRegression().fit(X, y)
    run = _only_run(store)
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "import autolog\n"
        f"m = autolog.load_model({run.model_path!r}, format='onnx')\n"
        f"x = np.array({X[:20].tolist()!r})\n"
        "print(json.dumps({'pred': m.predict(x).tolist(), 'format': m.format,\n"
        "                  'loaded': sorted(k for k in ('sklearn', 'torch', 'scipy')\n"
        "                                   if k in sys.modules)}))\n"
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["format"] == "onnx"
    assert result["pred"] == model.predict(X[:20]).tolist()


def test_allow_pickle_false_refuses_pickle_only_folder(store, clf_data):
    X, y = clf_data
    LogisticRegression().fit(X, y)
    autolog.flush()
    run = store.search_runs()[0]
    with pytest.raises(UnsafeFormatError, match="allow_pickle=False") as info:
        autolog.load_model(run.model_path, allow_pickle=False)
    assert "format='onnx'" in str(info.value)
    with pytest.raises(autolog.ModelFolderError, match="no 'onnx' format"):
        autolog.load_model(run.model_path, format="onnx")


def test_unsupported_custom_estimator_falls_back_with_one_warning(store_path):
    import mlflow.pyfunc

    from tests.model.onnx_cases import sklearn_cases

    store = _enable(store_path, "onnx")
    case = next(c for c in sklearn_cases() if c.name == "custom BaseEstimator")
    model, X, y = case.build(50)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert model.fit(X, y) is model
        run = _only_run(store)
    messages = _autolog_warnings(caught)
    assert len(messages) == 1, messages
    assert "MeanRegressor could not be converted to ONNX" in messages[0]
    assert "native sklearn format" in messages[0]
    assert run.status == "FINISHED"
    folder = read_model_folder(run.model_path)
    assert set(folder.flavors) == {"python_function", "sklearn"}
    assert folder.flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    report = folder.metadata["onnx"]
    assert report["status"] == "fallback" and "MissingShapeCalculator" in report["error"]
    np.testing.assert_allclose(mlflow.pyfunc.load_model(run.model_path).predict(X),
                               model.predict(X))


def test_parity_miss_keeps_pickle_and_records_the_difference(store_path):
    # Tree ensembles output float32; against float64 predictions in the hundreds no
    # conversion can be within 1e-12, so every candidate misses the tolerance.
    store = _enable(store_path, "both", onnx_tolerance=1e-12)
    X, y = make_regression(n_samples=120, n_features=4, noise=1.0, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y * 10 + 300)
        run = _only_run(store)
    messages = _autolog_warnings(caught)
    assert len(messages) == 1, messages
    assert "does not match the native model" in messages[0]
    folder = read_model_folder(run.model_path)
    assert set(folder.flavors) == {"python_function", "sklearn"}
    assert "model.onnx" not in {p.name for p in folder.path.iterdir()}
    report = folder.metadata["onnx"]
    assert report["status"] == "fallback"
    assert report["parity"]["verdict"] == "fail"
    assert report["parity"]["max_abs_diff"] > 1e-12
    assert report["candidates_tried"] == 2  # float32, then float64


def spy_convert(model: Any, example: Any, config: Any) -> Any:
    """The real sklearn converter, recording where it runs and training a model inside."""
    from autolog_sklearn.onnx_convert import convert

    X, y = make_classification(n_samples=30, n_features=3, n_informative=2, n_redundant=0,
                               random_state=1)
    LogisticRegression().fit(X, y)  # would be a second run if autolog's patches were live
    SPY.append({"thread": threading.current_thread().name, "suspended": patching.is_suspended()})
    return convert(model, example, config)


SPY: list[dict[str, Any]] = []


def test_conversion_runs_on_the_writer_with_patches_suspended(store_path, monkeypatch,
                                                              clf_data):
    from autolog_sklearn.flavor import FLAVOR

    monkeypatch.setitem(FLAVOR.extras, "onnx_converter",
                        "tests.model.test_onnx_format:spy_convert")
    SPY.clear()
    store = _enable(store_path, "onnx")
    X, y = clf_data
    LogisticRegression().fit(X, y)
    run = _only_run(store)  # the fit inside the converter left no run
    assert SPY == [{"thread": "autolog-writer", "suspended": True}]
    assert read_model_folder(run.model_path).metadata["onnx"]["status"] == "converted"


def test_pickle_format_captures_no_parity_sample_and_writes_no_onnx(store, clf_data):
    X, y = clf_data
    LogisticRegression().fit(X, y)
    autolog.flush()
    folder = read_model_folder(store.search_runs()[0].model_path)
    assert "onnx" not in folder.flavors and "onnx" not in folder.metadata


def test_parity_sample_is_a_bounded_copy(clf_data):
    import pandas as pd

    from autolog_sklearn.integration import PARITY_ROWS, _parity_sample

    X = np.random.default_rng(0).normal(size=(4321, 3))
    sample = _parity_sample(X)
    assert sample.shape == (PARITY_ROWS, 3) == (1000, 3)
    assert not np.shares_memory(sample, X)
    np.testing.assert_array_equal(sample[:2], X[[0, 4]])  # spread over the data, not the head
    frame = pd.DataFrame(X, columns=list("abc"))
    assert _parity_sample(frame).shape == (1000, 3)
    assert _parity_sample(X[:10]).shape == (10, 3)


def test_large_training_set_checks_at_most_1000_rows(store_path):
    store = _enable(store_path, "onnx")
    X, y = make_regression(n_samples=5000, n_features=3, random_state=0)
    LinearRegression().fit(X, y)
    parity = read_model_folder(_only_run(store).model_path).metadata["onnx"]["parity"]
    assert parity["values_compared"] == 5 + 1000


def test_format_option_is_validated_and_read_from_the_environment(monkeypatch):
    with pytest.raises(ConfigError, match="Valid choices: pickle, onnx, both"):
        autolog.enable(format="xml")
    monkeypatch.setenv("AUTOLOG_FORMAT", "both")
    from autolog.config import resolve

    assert resolve().format == "both"


def test_autolog_format_environment_variable_in_a_fresh_interpreter(tmp_path):
    """AUTOLOG=1 AUTOLOG_FORMAT=onnx, no code change: the script's model is logged as ONNX."""
    store = tmp_path / "env-store"
    proc = run_python(
        "from sklearn.datasets import make_classification\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X, y = make_classification(n_samples=100, n_features=4, random_state=0)\n"
        "LogisticRegression().fit(X, y)\n",
        env={"AUTOLOG": "1", "AUTOLOG_FORMAT": "onnx", "AUTOLOG_STORE": str(store)})
    assert proc.returncode == 0, proc.stderr
    (run,) = LocalStore(store).search_runs()
    folder = read_model_folder(run.model_path)
    assert set(folder.flavors) == {"python_function", "onnx"}
    assert folder.metadata["onnx"]["status"] == "converted"
