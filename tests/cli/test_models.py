"""``autolog models ...`` and ``autolog predict``: real store, real console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import autolog
from autolog.cli import cli, main

KNOWN = [(0.01, 0.80, 0.50), (1.0, 0.95, 0.30), (100.0, 0.90, 0.20)]  # C, val_accuracy, val_rmse


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with model 'lr': three LogisticRegression versions with known metrics."""
    path = tmp_path_factory.mktemp("cli") / "store"
    X, y = load_iris(return_X_y=True, as_frame=True)
    autolog.enable(store=str(path), testing=True)
    try:
        for c, acc, rmse in KNOWN:
            with autolog.start_run(name=f"C={c}") as run:
                LogisticRegression(C=c, max_iter=500).fit(X, y)
                run.log_metrics({"val_accuracy": acc, "val_rmse": rmse})
            autolog.flush()
            autolog.register_model(f"runs:/{run.run_id}/model", "lr")
    finally:
        autolog.disable()
    return path


@pytest.fixture
def store_dir(built_store: Path, tmp_path: Path) -> str:
    """A private copy of the built store (tests change it)."""
    target = tmp_path / "store"
    shutil.copytree(built_store, target)
    return str(target)


@pytest.fixture
def new_rows() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    X = load_iris(as_frame=True).data
    return pd.DataFrame(rng.normal(X.mean(), X.std() * 1.5, (53, 4)), columns=X.columns)


def invoke(*args: str, input: str | None = None, ok: bool = True):
    result = CliRunner().invoke(cli, list(args), input=input)
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_compare_text_marks_the_best_of_three(store_dir):
    out = invoke("models", "compare", "lr", "--store", store_dir).stdout
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert out.splitlines()[0] == "Model 'lr': 3 versions"
    assert lines["v1"] == ["v1", "v2", "v3"]
    assert lines["val_accuracy"][2:] == ["0.8", "0.95", "*", "0.9"]
    assert lines["val_rmse"][2:] == ["0.5", "0.3", "0.2", "*"]
    assert lines["C"][1:] == ["0.01", "1.0", "100.0"]
    # The header and value columns line up.
    header = next(x for x in out.splitlines() if x.strip().startswith("v1"))
    row = next(x for x in out.splitlines() if x.startswith("val_accuracy"))
    assert row.index("0.8") == header.index("v1") and row.index("0.95") == header.index("v2")


def test_compare_json_and_best_by_sets_the_alias(store_dir):
    data = json.loads(invoke("models", "compare", "lr", "--json", "--store", store_dir).stdout)
    assert data["metrics"]["val_accuracy"]["best"] == [2]
    assert data["metrics"]["val_rmse"] == {"goal": "min", "best": [3],
                                           "values": {"1": 0.5, "2": 0.3, "3": 0.2}}
    assert [v["version"] for v in data["versions"]] == [1, 2, 3]

    out = invoke("models", "compare", "lr", "--best-by", "val_accuracy", "--set-alias",
                 "champion", "--store", store_dir).stdout
    assert "best by val_accuracy (max): v2 (0.95)" in out
    assert "models:/lr@champion -> models:/lr/2" in out
    assert autolog.get_registered_model("lr", store=store_dir).aliases == {"champion": 2}

    data = json.loads(invoke("models", "compare", "lr", "1", "3", "--best-by", "val_rmse",
                             "--max", "--json", "--store", store_dir).stdout)
    assert data["best"]["version"] == 1 and data["best"]["goal"] == "max"
    assert [v["version"] for v in data["versions"]] == [1, 3]

    result = invoke("models", "compare", "lr", "--set-alias", "x", "--store", store_dir,
                    ok=False)
    assert result.exit_code == 2 and "--set-alias needs --best-by" in result.output


def _console(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("autolog")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_predict_csv_and_parquet_match_load_model(store_dir, new_rows, tmp_path):
    csv_in, pq_in = tmp_path / "rows.csv", tmp_path / "rows.parquet"
    new_rows.to_csv(csv_in, index=False)
    new_rows.to_parquet(pq_in)
    from autolog import registry

    expected = autolog.load_model(registry.resolve_model_uri("models:/lr/2", store=store_dir)
                                  ).predict(new_rows)
    # batch size 10 < 53 rows: predicted in 6 chunks, concatenated in order.
    done = _console("predict", "models:/lr/2", "--input", str(csv_in), "--output",
                    str(tmp_path / "out.csv"), "--batch-size", "10", "--store", store_dir)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "out.csv")["prediction"], expected)

    done = _console("predict", "models:/lr/2", "-i", str(pq_in), "-o",
                    str(tmp_path / "out.parquet"), "--store", store_dir, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 53
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "out.parquet")["prediction"],
                                  expected)


def test_predict_json_npy_in_and_json_out(store_dir, new_rows, tmp_path):
    from autolog import registry

    invoke("models", "alias", "lr", "champion", "3", "--store", store_dir)
    loaded = autolog.load_model(registry.resolve_model_uri("models:/lr@champion",
                                                           store=store_dir))
    expected = loaded.predict(new_rows)
    records = tmp_path / "rows.json"
    records.write_text(new_rows.to_json(orient="records"))
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"dataframe_split": json.loads(new_rows.to_json(
        orient="split", index=False))}))
    npy = tmp_path / "rows.npy"
    np.save(npy, new_rows.to_numpy())
    for source in (records, split, npy):
        out = tmp_path / f"{source.stem}-out.json"
        invoke("predict", "models:/lr@champion", "-i", str(source), "-o", str(out),
               "--batch-size", "20", "--store", store_dir)
        got = [r["prediction"] for r in json.loads(out.read_text())]
        np.testing.assert_array_equal(got, expected, err_msg=source.name)
    data = json.loads(invoke("predict", "models:/lr/latest", "-i", str(records), "--json",
                             "--store", store_dir).stdout)
    assert data["rows"] == 53 and len(data["predictions"]) == 53


def test_predict_enforces_the_signature(store_dir, new_rows, tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    new_rows.drop(columns=["petal width (cm)"]).to_csv(missing, index=False)
    out = tmp_path / "never.csv"
    rc = main(["predict", "models:/lr/1", "-i", str(missing), "-o", str(out),
               "--store", store_dir])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("Error:") and "petal width (cm)" in err
    assert not out.exists() and list(tmp_path.glob(".tmp-*")) == []

    rc = main(["predict", "models:/lr/1", "-i", str(missing), "-o", str(tmp_path / "p.txt"),
               "--store", store_dir])
    assert rc == 1 and "Unsupported output extension" in capsys.readouterr().err


def test_delete_asks_for_confirmation(store_dir):
    result = invoke("models", "delete", "lr", "3", "--store", store_dir, input="n\n", ok=False)
    assert result.exit_code == 1 and "Delete version 3 of model 'lr'?" in result.output
    assert [v.version for v in autolog.list_versions("lr", store=store_dir)] == [1, 2, 3]

    invoke("models", "delete", "lr", "3", "--store", store_dir, input="y\n")
    assert [v.version for v in autolog.list_versions("lr", store=store_dir)] == [1, 2]

    result = invoke("models", "delete", "lr", "@nope", "--yes", "--store", store_dir, ok=False)
    assert isinstance(result.exception, autolog.NotFoundError)
    source = autolog.get_model_version("lr", 1, store=store_dir).source
    data = json.loads(invoke("models", "delete", "lr", "--yes", "--json",
                             "--store", store_dir).stdout)
    assert data == {"deleted": "model", "name": "lr"}
    assert autolog.list_models(store=store_dir) == []
    # Numbers are not reused, even after the whole model was deleted.
    again = json.loads(invoke("models", "register", source, "lr", "--json",
                              "--store", store_dir).stdout)
    assert again["version"] == 4


def test_list_versions_show_register_alias_update(store_dir):
    models = json.loads(invoke("models", "list", "--json", "--store", store_dir).stdout)
    assert [(m["name"], m["latest_version"]) for m in models] == [("lr", 3)]
    assert "lr" in invoke("models", "list", "--store", store_dir).stdout

    versions = json.loads(invoke("models", "versions", "lr", "--json", "--store",
                                 store_dir).stdout)
    assert [v["version"] for v in versions] == [1, 2, 3]
    table = invoke("models", "versions", "lr", "--store", store_dir).stdout
    assert table.splitlines()[0].split()[:3] == ["VERSION", "ALIASES", "RUN"]

    shown = json.loads(invoke("models", "show", "models:/lr/2", "--json", "--store",
                              store_dir).stdout)
    assert shown["params"]["C"] == "1.0" and Path(shown["path"], "MLmodel").is_file()
    assert "val_accuracy" in invoke("models", "show", "lr", "2", "--store", store_dir).stdout
    assert "versions:" in invoke("models", "show", "lr", "--store", store_dir).stdout

    registered = json.loads(invoke("models", "register", versions[0]["source"], "lr",
                                   "--tag", "stage=test", "-d", "again", "--json",
                                   "--store", store_dir).stdout)
    assert (registered["version"], registered["tags"]) == (4, {"stage": "test"})

    invoke("models", "alias", "lr", "prod", "4", "--store", store_dir)
    assert json.loads(invoke("models", "alias", "lr", "--json", "--store",
                             store_dir).stdout) == {"prod": 4}
    invoke("models", "alias", "lr", "prod", "--delete", "--yes", "--store", store_dir)
    assert json.loads(invoke("models", "alias", "lr", "--json", "--store",
                             store_dir).stdout) == {}

    updated = json.loads(invoke("models", "update", "lr", "--description", "iris LR",
                                "--tag", "team=ml", "--json", "--store", store_dir).stdout)
    assert (updated["description"], updated["tags"]) == ("iris LR", {"team": "ml"})
    updated = json.loads(invoke("models", "update", "lr", "4", "--delete-tag", "stage",
                                "--json", "--store", store_dir).stdout)
    assert (updated["description"], updated["tags"]) == ("again", {})
    result = invoke("models", "update", "lr", "--tag", "novalue", "--store", store_dir,
                    ok=False)
    assert result.exit_code == 2 and "KEY=VALUE" in result.output


def test_errors_are_one_clear_line(store_dir, capsys):
    assert main(["models", "show", "nope", "--store", store_dir]) == 1
    assert capsys.readouterr().err.strip() == (
        f"Error: No registered model 'nope' in the store at {Path(store_dir).resolve()} "
        "(models: lr).")
    assert main(["models", "register", "runs:/x/model", "a/b", "--store", store_dir]) == 1
    assert "Invalid model name 'a/b'" in capsys.readouterr().err
    assert main(["models", "show", "lr", "9", "--store", store_dir]) == 1
    assert "has no version 9 (versions: 1, 2, 3)" in capsys.readouterr().err


def test_runs_list_and_show(store_dir):
    runs = json.loads(invoke("runs", "list", "--json", "--store", store_dir).stdout)
    assert len(runs) == 3
    run_id = runs[0]["info"]["run_id"]
    assert run_id in invoke("runs", "show", run_id, "--store", store_dir).stdout
    assert json.loads(invoke("runs", "show", run_id, "--json", "--store",
                             store_dir).stdout)["info"]["run_id"] == run_id


def test_predict_with_the_onnx_format_only(tmp_path, new_rows):
    X, y = load_iris(return_X_y=True, as_frame=True)
    store = str(tmp_path / "onnx-store")
    autolog.enable(store=store, testing=True, format="both", registered_model_name="both")
    native = LogisticRegression(max_iter=500).fit(X, y)
    autolog.disable()
    source = tmp_path / "rows.csv"
    new_rows.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    invoke("predict", "models:/both/1", "-i", str(source), "-o", str(out), "--format", "onnx",
           "--no-pickle", "--store", store)
    np.testing.assert_array_equal(pd.read_csv(out)["prediction"], native.predict(new_rows))
