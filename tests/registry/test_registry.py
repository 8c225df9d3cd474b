"""The model registry on the local store: versions, aliases, URIs, compare, integrity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog import registry
from autolog.errors import InvalidNameError, NotFoundError, StoreError
from autolog.model.folder import read_model_folder, verify_checksums
from autolog.registry.comparison import metric_goal
from tests.helpers import ROOT


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


def _fit_runs(store, X, y, estimators):
    """Fit each estimator with autolog on; return (run, fitted) pairs in fit order."""
    out = []
    for est in estimators:
        with autolog.start_run(name=type(est).__name__) as run:
            est.fit(X, y)
        out.append((run.run_id, est))
    autolog.flush()
    return out


def test_versions_from_runs_of_different_estimators(store, iris):
    X, y = iris
    fitted = _fit_runs(store, X, y, [LogisticRegression(max_iter=500),
                                     RandomForestClassifier(n_estimators=5, random_state=0),
                                     DecisionTreeClassifier(max_depth=2)])
    versions = [autolog.register_model(f"runs:/{run_id}/model", "iris") for run_id, _ in fitted]

    assert [v.version for v in versions] == [1, 2, 3]
    for v, (run_id, est) in zip(versions, fitted, strict=True):
        run = store.get_run(run_id)
        assert v.run_id == run_id and v.source == f"runs:/{run_id}/model"
        assert v.model_class == type(est).__name__
        assert v.metrics == run.metrics and v.metrics  # the source run's metrics
        assert v.params == run.params and v.params
        assert v.formats == ["sklearn"]
        assert v.size_bytes and v.size_bytes > 0
        assert json.loads(v.signature["inputs"])[0]["name"] == "sepal length (cm)"
        assert v.created_time > 0
        loaded = autolog.load_model(f"models:/iris/{v.version}")
        np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    model = autolog.get_registered_model("iris")
    assert (model.latest_version, model.version_count) == (3, 3)
    assert [v.version for v in autolog.list_versions("iris")] == [1, 2, 3]
    assert [m.name for m in autolog.list_models()] == ["iris"]
    assert autolog.search_model_versions("iris", run_id=fitted[1][0])[0].version == 2
    # The version keeps its own copy: the run's folder is not what it loads.
    assert "models" in Path(registry.resolve_model_uri("models:/iris/1")).parts


def test_aliases_and_every_uri_form_load(store, iris):
    X, y = iris
    fitted = _fit_runs(store, X, y, [DecisionTreeClassifier(max_depth=1),
                                     DecisionTreeClassifier(max_depth=3)])
    for run_id, _ in fitted:
        autolog.register_model(f"runs:/{run_id}/model", "trees")
    shallow, deep = (est.predict(X) for _, est in fitted)
    assert (shallow != deep).any()  # otherwise the URI checks below prove nothing

    mv = autolog.set_alias("trees", "champion", 1)
    assert mv.aliases == ["champion"]
    cases = {"models:/trees/1": shallow, "models:/trees/2": deep,
             "models:/trees/latest": deep, "models:/trees@champion": shallow}
    for uri, expected in cases.items():
        np.testing.assert_array_equal(autolog.load_model(uri).predict(X), expected, err_msg=uri)

    autolog.set_alias("trees", "champion", 2)  # moving an alias
    np.testing.assert_array_equal(autolog.load_model("models:/trees@champion").predict(X), deep)
    assert autolog.get_model_version("trees", "@champion").version == 2
    assert autolog.get_model_version("trees", "latest").version == 2
    assert autolog.get_registered_model("trees").aliases == {"champion": 2}

    autolog.delete_alias("trees", "champion")
    with pytest.raises(NotFoundError, match="no alias 'champion'"):
        autolog.load_model("models:/trees@champion")
    with pytest.raises(NotFoundError, match="no version 7"):
        autolog.set_alias("trees", "champion", 7)
    with pytest.raises(NotFoundError, match="No registered model 'nope'"):
        autolog.load_model("models:/nope/1")


def test_deleted_version_number_is_not_reused(store, iris):
    X, y = iris
    [(run_id, _)] = _fit_runs(store, X, y, [DecisionTreeClassifier(max_depth=2)])
    uri = f"runs:/{run_id}/model"
    for _ in range(3):
        autolog.register_model(uri, "m")
    autolog.set_alias("m", "prod", 3)
    autolog.delete_model_version("m", 3)
    assert autolog.get_registered_model("m").aliases == {}  # its alias went with it
    with pytest.raises(NotFoundError):
        autolog.load_model("models:/m/3")
    assert autolog.register_model(uri, "m").version == 4
    assert [v.version for v in autolog.list_versions("m")] == [1, 2, 4]
    assert autolog.get_model_version("m", "latest").version == 4

    autolog.delete_model("m")
    assert autolog.list_models() == []
    with pytest.raises(NotFoundError):
        autolog.get_registered_model("m")
    # Even a deleted model's numbers are not given again.
    assert autolog.register_model(uri, "m").version == 5


@pytest.mark.parametrize("name", [
    "", "a/b", "a\\b", "..", "a..b", "../escape", "x\x00y", "tab\tname", "new\nline",
    "a" * 201, ".hidden", " padded", "padded ", "a@b", "c:d", None, 3,
])
def test_invalid_model_names_are_rejected(store, iris, name):
    X, y = iris
    [(run_id, _)] = _fit_runs(store, X, y, [DecisionTreeClassifier(max_depth=1)])
    with pytest.raises(InvalidNameError, match="Invalid model name") as info:
        autolog.register_model(f"runs:/{run_id}/model", name)
    assert repr(name)[:40] in str(info.value)
    assert not (Path(store.root) / "models").exists()


@pytest.mark.parametrize("alias", ["latest", "1st", "has space", "", "a/b", "x" * 64])
def test_invalid_aliases_are_rejected(alias):
    with pytest.raises(InvalidNameError, match="Invalid alias"):
        registry.check_alias(alias)


@pytest.mark.parametrize("uri", ["models:/iris", "models:/iris/abc", "models:/iris/0",
                                 "models:/iris@", "models:/", "models:/a/b/1"])
def test_malformed_model_uris(uri):
    with pytest.raises(InvalidNameError):
        registry.parse_model_uri(uri)


def test_parse_model_uri_forms():
    assert registry.parse_model_uri("models:/my model/12") == ("my model", "version", 12)
    assert registry.parse_model_uri("models:/m@champion") == ("m", "alias", "champion")
    assert registry.parse_model_uri("models:/m/latest") == ("m", "latest", None)


def test_registering_needs_a_model(store):
    with pytest.raises(NotFoundError):
        autolog.register_model("runs:/0123456789abcdef/model", "m")
    with pytest.raises(InvalidNameError, match="Malformed run URI"):
        autolog.register_model("runs:/onlyrun", "m")


def test_descriptions_and_tags(store, iris):
    X, y = iris
    [(run_id, _)] = _fit_runs(store, X, y, [DecisionTreeClassifier(max_depth=1)])
    mv = autolog.register_model(f"runs:/{run_id}/model", "m", description="first try",
                                tags={"data": "iris", "rows": 150})
    assert (mv.description, mv.tags) == ("first try", {"data": "iris", "rows": "150"})
    model = autolog.update_model("m", description="Iris classifiers", tags={"team": "ml"})
    assert (model.description, model.tags) == ("Iris classifiers", {"team": "ml"})
    model = autolog.update_model("m", delete_tags=["team"])
    assert (model.description, model.tags) == ("Iris classifiers", {})
    mv = autolog.update_model_version("m", 1, description="validated", tags={"ok": True},
                                      delete_tags=["rows"])
    assert (mv.description, mv.tags) == ("validated", {"data": "iris", "ok": "True"})
    assert autolog.get_model_version("m", 1).description == "validated"
    with pytest.raises(InvalidNameError, match="Invalid tag name"):
        autolog.update_model("m", tags={"": "x"})
    with pytest.raises(NotFoundError):
        autolog.update_model_version("m", 2, description="x")


def test_register_from_a_folder_and_from_another_version(store, iris, tmp_path):
    X, y = iris
    est = DecisionTreeClassifier(max_depth=2).fit(X, y)
    uri = autolog.log_model(est, input_example=X.head())
    folder = store.download_artifacts(uri.split("/")[1], "model")
    a = autolog.register_model(folder, "from-folder")
    assert a.version == 1 and a.run_id == uri.split("/")[1]
    b = autolog.register_model("models:/from-folder/1", "copied")
    assert (b.name, b.version, b.source, b.run_id) == ("copied", 1, "models:/from-folder/1",
                                                       a.run_id)
    np.testing.assert_array_equal(autolog.load_model("models:/copied/1").predict(X),
                                  est.predict(X))


def test_enable_registered_model_name_registers_every_logged_model(store_path, iris):
    X, y = iris
    autolog.enable(store=str(store_path), testing=True, registered_model_name="auto")
    first = DecisionTreeClassifier(max_depth=1).fit(X, y)
    second = LogisticRegression(max_iter=300).fit(X, y)
    autolog.flush()
    versions = autolog.list_versions("auto")
    assert [(v.version, v.model_class) for v in versions] == [
        (1, "DecisionTreeClassifier"), (2, "LogisticRegression")]
    assert all(v.source == f"runs:/{v.run_id}/model" for v in versions)
    for v, est in zip(versions, (first, second), strict=True):
        np.testing.assert_array_equal(autolog.load_model(v.uri).predict(X), est.predict(X))


def test_a_failed_registration_leaves_nothing(store, iris, tmp_path):
    X, y = iris
    [(run_id, _)] = _fit_runs(store, X, y, [DecisionTreeClassifier(max_depth=1)])
    autolog.register_model(f"runs:/{run_id}/model", "m")
    broken = tmp_path / "broken-model"
    import shutil

    shutil.copytree(store.download_artifacts(run_id, "model"), broken)
    # A dangling link inside the folder: copying it fails (links out of it are refused earlier).
    os.symlink(broken / "does-not-exist", broken / "weights.bin")
    with pytest.raises(StoreError, match="Cannot register a version of 'm'"):
        autolog.register_model(broken, "m")
    assert [v.version for v in autolog.list_versions("m")] == [1]
    assert sorted(os.listdir(Path(store.root) / "models" / "m" / "versions")) == ["1"]
    assert os.listdir(Path(store.root) / ".staging") == []
    assert autolog.register_model(f"runs:/{run_id}/model", "m").version == 2


_RACER = """
import os, sys, time
from autolog import registry
store, folder, go, ready = sys.argv[1:5]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
print(registry.register_model(folder, "race", store=store).version)
"""


def test_eight_processes_registering_at_once_get_eight_consecutive_versions(store, iris):
    X, y = iris
    [(run_id, _)] = _fit_runs(store, X, y, [DecisionTreeClassifier(max_depth=2)])
    folder = store.download_artifacts(run_id, "model")
    go = Path(store.root) / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    ready = [Path(store.root) / f"ready-{i}" for i in range(8)]
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(store.root), str(folder),
                               str(go), str(flag)], env=env, cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for flag in ready]
    deadline = time.monotonic() + 120
    while not all(f.exists() for f in ready) and time.monotonic() < deadline:
        time.sleep(0.01)  # every interpreter is up and waiting: then all start at once
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    numbers = sorted(int(out.strip()) for out, _ in results)
    assert numbers == list(range(1, 9))
    versions = autolog.list_versions("race", store=store)
    assert [v.version for v in versions] == list(range(1, 9))
    for v in versions:  # every entry whole: record and a verifiable model folder
        path = store.download_model_version("race", v.version)
        verify_checksums(read_model_folder(path))
        assert v.run_id == run_id
    assert json.loads((Path(store.root) / "models" / "race" / "counter").read_text()) == 8
    assert os.listdir(Path(store.root) / ".staging") == []


@pytest.mark.parametrize(("metric", "goal"), [
    ("training_accuracy", "max"), ("training_log_loss", "min"), ("val_rmse", "min"),
    ("mean_absolute_error", "min"), ("neg_mean_squared_error", "max"), ("r2_score", "max"),
    ("fit_time_s", "min"), ("training_roc_auc", "max"), ("lossless_ratio", "max"),
])
def test_metric_goal_rule(metric, goal):
    assert metric_goal(metric) == goal


def _three_versions(store, X, y):
    """Three LogisticRegression versions differing in C, with known validation metrics."""
    known = [(0.01, 0.80, 0.50), (1.0, 0.95, 0.30), (100.0, 0.90, 0.20)]
    for c, acc, rmse in known:
        with autolog.start_run(name=f"C={c}") as run:
            LogisticRegression(C=c, max_iter=500).fit(X, y)
            run.log_metrics({"val_accuracy": acc, "val_rmse": rmse})
        autolog.flush()
        autolog.register_model(f"runs:/{run.run_id}/model", "lr")


def test_compare_three_versions_marks_the_best(store, iris):
    X, y = iris
    _three_versions(store, X, y)
    comparison = autolog.compare("lr")
    assert [v.version for v in comparison.versions] == [1, 2, 3]
    assert list(comparison.differing_params()) == ["C"]
    assert comparison.best("val_accuracy") == [2]
    assert comparison.best("val_rmse") == [3]
    assert comparison.best("val_rmse", "max") == [1]
    assert comparison.best_by("val_accuracy").version == 2
    assert comparison.best_by("val_rmse").version == 3

    text = str(comparison)
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert lines["val_accuracy"].split()[2:] == ["0.8", "0.95", "*", "0.9"]
    assert lines["val_rmse"].split()[2:] == ["0.5", "0.3", "0.2", "*"]
    assert lines["C"].split()[1:] == ["0.01", "1.0", "100.0"]
    assert "max_iter" not in lines  # equal params are left out
    assert "formats" in lines and "onnx" in lines

    data = json.loads(json.dumps(comparison.to_dict()))
    assert data["metrics"]["val_accuracy"] == {
        "goal": "max", "best": [2], "values": {"1": 0.8, "2": 0.95, "3": 0.9}}
    assert data["metrics"]["val_rmse"]["best"] == [3]
    assert data["params"] == {"C": {"1": "0.01", "2": "1.0", "3": "100.0"}}
    assert data["formats"] == {"1": ["sklearn"], "2": ["sklearn"], "3": ["sklearn"]}

    html = comparison._repr_html_()
    assert html.count("&#9733;") >= 2 and "<b>0.95 &#9733;</b>" in html

    subset = autolog.compare("lr", [3, "1"])
    assert [v.version for v in subset.versions] == [1, 3]
    with pytest.raises(NotFoundError, match="metrics: .*val_accuracy"):
        comparison.best_by("no_such_metric")


def test_compare_shows_signature_differences(store, iris):
    X, y = iris
    for cols in (list(X.columns), list(X.columns[:3])):
        with autolog.start_run() as run:
            DecisionTreeClassifier(max_depth=1).fit(X[cols], y)
        autolog.flush()
        autolog.register_model(f"runs:/{run.run_id}/model", "sig")
    data = autolog.compare("sig").to_dict()
    assert len(data["signature"]["1"]["inputs"]) == 4
    assert len(data["signature"]["2"]["inputs"]) == 3
    row = next(r for r in autolog.compare("sig").rows() if r["label"] == "inputs vs v1")
    assert row["cells"] == ["same", "-petal width (cm)"]


def test_version_record_ignores_unknown_keys_from_a_newer_writer():
    record = autolog.ModelVersion(name="m", version=3, metrics={"a": 1.0}).to_dict()
    record["added_in_a_later_release"] = {"x": 1}
    assert autolog.ModelVersion.from_dict(record).metrics == {"a": 1.0}


def test_onnx_parity_is_read_from_what_the_onnx_format_writes():
    from autolog.registry.api import _onnx_parity as parity
    passed = parity({"metadata": {"onnx": {"parity": {"verdict": "pass", "max_abs_diff": 1e-7}}}})
    assert passed == {"verdict": "pass", "max_abs_diff": 1e-7, "passed": True}
    assert parity({"metadata": {"onnx": {"parity": {"verdict": "fail"}}}})["passed"] is False
    # A conversion that fell back never ran the check: no verdict rather than a failure.
    assert parity({"metadata": {"onnx": {"status": "fallback", "reason": "no converter"}}}) is None
    assert parity({"metadata": {"onnx": "garbage"}}) is None
    assert parity({}) is None


def test_frame_input_through_registry_matches_native(store, iris):
    X, y = iris
    [(run_id, est)] = _fit_runs(store, X, y, [LogisticRegression(max_iter=500)])
    autolog.register_model(f"runs:/{run_id}/model", "lr")
    fresh = pd.DataFrame(np.random.default_rng(0).normal(5, 1, (20, 4)), columns=X.columns)
    np.testing.assert_array_equal(autolog.load_model("models:/lr/latest").predict(fresh),
                                  est.predict(fresh))


def test_compare_renders_as_html_in_a_real_notebook(store, iris, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    X, y = iris
    _three_versions(store, X, y)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        f"import autolog\nautolog.compare('lr', store={str(store.root)!r})")])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}}).execute()
    [output] = nb.cells[0].outputs
    html = output["data"]["text/html"]
    assert html.startswith("<table class='autolog-compare'>")
    assert "<b>0.95 &#9733;</b>" in html and "<b>0.2 &#9733;</b>" in html


def test_a_version_logged_with_onnx_carries_its_parity(store_path, iris):
    X, y = iris
    autolog.enable(store=str(store_path), testing=True, format="both",
                   registered_model_name="both")
    LogisticRegression(max_iter=500).fit(X, y)
    autolog.flush()
    [mv] = autolog.list_versions("both")
    assert mv.formats == ["onnx", "sklearn"]
    assert mv.onnx_parity["passed"] is True and mv.onnx_parity["max_abs_diff"] < 1e-4
    row = next(r for r in autolog.compare("both").rows() if r["label"] == "onnx parity")
    assert row["cells"][0].startswith("ok (max abs diff ")
