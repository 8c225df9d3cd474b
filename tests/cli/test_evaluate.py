"""``autolog evaluate`` and ``autolog runs plot``: a real store, real files, the real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_iris, make_regression
from sklearn.linear_model import LogisticRegression, Ridge

import autolog
from autolog.cli import cli
from autolog.stores.local import LocalStore


@pytest.fixture
def iris_store(tmp_path: Path) -> tuple[str, str, Path]:
    """A store with an iris model registered as models:/iris/1; (store, run id, test.csv)."""
    store = str(tmp_path / "store")
    X, y = load_iris(return_X_y=True, as_frame=True)
    X, y = X.sample(frac=1, random_state=0), y.sample(frac=1, random_state=0)
    autolog.enable(store=store, testing=True)
    try:
        LogisticRegression(max_iter=500).fit(X[:100], y[:100])
        autolog.flush()
        (run,) = autolog.search_runs()
        autolog.register_model(f"runs:/{run.run_id}/model", "iris")
    finally:
        autolog.disable()
    test = X[100:].assign(species=y[100:])
    path = tmp_path / "test.csv"
    test.to_csv(path, index=False)
    return store, run.run_id, path


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_evaluate_a_version_on_a_csv_logs_to_its_run(iris_store):
    store, run_id, path = iris_store
    out = invoke("evaluate", "models:/iris/1", "--input", str(path), "--target", "species",
                 "--name", "holdout", "--store", store)
    assert "accuracy_score_holdout" in out and f"logged to the model's run {run_id}" in out
    data = json.loads(invoke("evaluate", "models:/iris/1", "-i", str(path), "-t", "species",
                             "-n", "holdout", "--store", store, "--json"))
    assert data["run_id"] == run_id and data["name"] == "holdout" and not data["new_run"]
    run = LocalStore(store).get_run(run_id)
    assert run.metrics["accuracy_score_holdout"] == data["metrics"]["accuracy_score"]
    assert data["logged_metrics"]["f1_macro_holdout"] == data["metrics"]["f1_macro"]


def test_npy_input_with_a_targets_file(tmp_path):
    X, y = make_regression(n_samples=80, n_features=3, random_state=0)
    store = str(tmp_path / "store")
    autolog.enable(store=store, testing=True)
    try:
        Ridge().fit(X[:60], y[:60])
        autolog.flush()
        (run,) = autolog.search_runs()
    finally:
        autolog.disable()
    np.save(tmp_path / "X.npy", X[60:])
    np.save(tmp_path / "y.npy", y[60:])
    data = json.loads(invoke("evaluate", f"runs:/{run.run_id}/model", "-i",
                             str(tmp_path / "X.npy"), "--target-file", str(tmp_path / "y.npy"),
                             "--store", store, "--json"))
    assert data["task"] == "regression" and data["name"] == "eval"
    assert LocalStore(store).get_run(run.run_id).metrics["r2_score_eval"] == \
        data["metrics"]["r2_score"]


def test_bad_targets_are_clear_errors(iris_store):
    store, _, path = iris_store
    result = CliRunner().invoke(cli, ["evaluate", "models:/iris/1", "-i", str(path),
                                      "--store", store])
    assert result.exit_code == 2 and "--target COLUMN or --target-file" in result.output
    result = CliRunner().invoke(cli, ["evaluate", "models:/iris/1", "-i", str(path),
                                      "-t", "label", "--store", store])
    assert result.exit_code == 2 and "no column 'label'" in result.output


def test_console_command_and_plots(iris_store, tmp_path):
    store, run_id, path = iris_store
    command = Path(sys.executable).with_name("autolog")
    proc = subprocess.run([str(command), "evaluate", "models:/iris/1", "-i", str(path), "-t",
                           "species", "-n", "holdout", "--store", store],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([str(command), "runs", "plot", run_id, "--out", str(tmp_path / "png"),
                           "--store", store], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    written = sorted(Path(line).name for line in proc.stdout.split())
    assert written == ["calibration_curve.png", "confusion_matrix.png", "pr_curve.png",
                       "roc_curve.png"]
    png = (tmp_path / "png" / "holdout" / "roc_curve.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_plot_of_a_run_without_evaluations_says_what_to_do(iris_store, tmp_path):
    store, run_id, _ = iris_store
    result = CliRunner().invoke(cli, ["runs", "plot", run_id, "--out", str(tmp_path / "p"),
                                      "--store", store])
    assert result.exit_code == 1 and "autolog.evaluate" in result.output
