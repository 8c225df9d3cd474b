"""End to end: autologged training with an MLflow tracking server as the store, then MLflow's
own client, in a fresh interpreter, finds the runs and loads the models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pytest

import autolog
from autolog import registry
from tests.helpers import make_git_repo, run_python

MLFLOW_SIDE = textwrap.dedent("""
    import json, os
    import numpy as np
    import mlflow
    from mlflow.tracking import MlflowClient

    with open(os.environ["CHECK_INPUT"]) as fh:
        experiment, X, uris = json.load(fh)
    client = MlflowClient()
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id])
    run = runs[0]
    uris = [u.replace("<run>", run.info.run_id) for u in uris]
    if isinstance(X, dict):
        import pandas as pd
        X = pd.DataFrame(X["data"], columns=X["columns"])
    else:
        X = np.asarray(X, dtype=np.float32)
    predictions = [np.asarray(mlflow.pyfunc.load_model(u).predict(X)).tolist() for u in uris]
    history = {k: [m.value for m in client.get_metric_history(run.info.run_id, k)]
               for k in run.data.metrics}
    print(json.dumps({"runs": len(runs), "status": run.info.status, "name": run.info.run_name,
                      "autolog_id": run.data.tags.get("autolog.run_id"),
                      "params": run.data.params, "history": history,
                      "predictions": predictions}))
""")


def _from_mlflow(server, tmp_path, experiment, X, uris):
    """What MLflow's client, in another interpreter, sees of the experiment: its first run,
    and the predictions of the models at ``uris`` (``<run>`` stands for that run's id) on
    ``X``: a frame as ``{"columns", "data"}`` or a float32 array as nested lists."""
    payload = tmp_path / "check-input.json"
    payload.write_text(json.dumps([experiment, X, uris]))
    result = run_python(MLFLOW_SIDE, env={"MLFLOW_TRACKING_URI": server.uri,
                                          "CHECK_INPUT": str(payload)})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_autologged_sklearn_fit_is_an_mlflow_run_and_model(mlflow_server, experiment,
                                                              tmp_path):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True, as_frame=True)
    name = f"iris-{uuid.uuid4().hex[:8]}"
    autolog.enable(store=mlflow_server.uri, experiment=experiment, registered_model_name=name,
                   testing=True)
    model = LogisticRegression(C=0.5, max_iter=500).fit(X, y)
    expected = model.predict(X).tolist()
    (run,) = autolog.search_runs(experiment)
    assert run.params["C"] == "0.5" and run.status == "FINISHED"
    assert run.metrics["training_accuracy"] == pytest.approx(model.score(X, y))
    np.testing.assert_array_equal(
        autolog.load_model(f"runs:/{run.run_id}/model").predict(X), expected)
    version = registry.get_model_version(name, "latest")
    assert version.version == 1 and version.run_id == run.run_id
    registry.set_alias(name, "champion", 1)
    np.testing.assert_array_equal(autolog.load_model(f"models:/{name}@champion").predict(X),
                                  expected)
    autolog.disable()

    frame = {"columns": list(X.columns), "data": X.to_numpy().tolist()}
    seen = _from_mlflow(mlflow_server, tmp_path, experiment, frame,
                        ["runs:/<run>/model", f"models:/{name}/1", f"models:/{name}@champion"])
    assert (seen["runs"], seen["status"], seen["autolog_id"]) == (1, "FINISHED", run.run_id)
    assert seen["params"]["C"] == "0.5"
    assert seen["history"]["training_accuracy"] == [run.metrics["training_accuracy"]]
    assert seen["predictions"] == [expected] * 3


def test_an_autologged_pytorch_loop_is_an_mlflow_run_and_model(mlflow_server, tmp_path):
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    experiment = f"torch-{uuid.uuid4().hex[:8]}"
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(256, 5, generator=gen)
    y = X @ torch.randn(5, 1, generator=gen)
    autolog.enable(store=mlflow_server.uri, experiment=experiment, testing=True)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    torch.manual_seed(0)
    for _ in range(3):
        for xb, yb in DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True):
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
    autolog.end_run()
    autolog.flush()
    (found,) = autolog.search_runs(experiment)
    run = autolog.get_run(found.run_id)
    assert run.params["optimizer"] == "Adam" and run.params["epochs"] == "3"
    assert [m.step for m in run.metric_history["train_loss"]] == [0, 1, 2]
    assert {"model", "model_summary"} <= set(run.artifacts)
    autolog.disable()
    model.eval()
    with torch.no_grad():
        expected = model(X[:8]).numpy()

    seen = _from_mlflow(mlflow_server, tmp_path, experiment, X[:8].tolist(),
                        ["runs:/<run>/model"])
    assert (seen["runs"], seen["autolog_id"], seen["params"]["optimizer"]) == (
        1, run.run_id, "Adam")
    assert seen["history"]["train_loss"] == [m.value for m in run.metric_history["train_loss"]]
    np.testing.assert_allclose(np.asarray(seen["predictions"][0]), expected, rtol=1e-5)


CONTEXT_TRAIN = """\
import sys, time
import autolog
autolog.enable(experiment=sys.argv[1], log_system_metrics="on", system_metrics_interval=0.3)
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
X, y = load_iris(return_X_y=True)
with autolog.start_run(name="context-check"):
    LogisticRegression(max_iter=300).fit(X, y)
    DecisionTreeClassifier(max_depth=2).fit(X, y)  # a second fit: a child run
    time.sleep(1.0)
"""


def test_source_tags_system_metrics_and_environment_through_mlflows_client(mlflow_server,
                                                                           experiment,
                                                                           tmp_path):
    from mlflow.tracking import MlflowClient

    repo = tmp_path / "proj"
    commit = make_git_repo(repo, {"train.py": CONTEXT_TRAIN},
                           remote="https://bob:hunter2@git.example.com/team/proj.git")
    (repo / "train.py").write_text(CONTEXT_TRAIN + "# tweaked\n")
    result = subprocess.run(
        [sys.executable, str(repo / "train.py"), experiment], cwd=tmp_path, text=True,
        capture_output=True, timeout=180, check=False,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")},
             "AUTOLOG_STORE": mlflow_server.uri})
    assert result.returncode == 0, result.stderr[-3000:]

    client = MlflowClient(tracking_uri=mlflow_server.uri)
    exp = client.get_experiment_by_name(experiment)
    runs = {r.data.tags["mlflow.runName"]: r for r in client.search_runs([exp.experiment_id])}
    parent, child = runs["context-check"], runs["DecisionTreeClassifier"]
    tags = parent.data.tags
    assert tags["mlflow.source.name"] == str(repo / "train.py")
    assert tags["mlflow.source.type"] == "LOCAL" and tags["mlflow.user"]
    assert tags["mlflow.source.git.commit"] == commit
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.dirty"] == "true"
    assert tags["mlflow.source.git.repoURL"] == "https://git.example.com/team/proj.git"
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.data.tags["mlflow.source.git.commit"] == commit

    history = client.get_metric_history(parent.info.run_id, "system/cpu_utilization_percentage")
    steps = sorted(m.step for m in history)
    assert steps == list(range(len(steps))) and len(steps) >= 3
    assert "system/system_memory_usage_megabytes" in parent.data.metrics

    files = {a.path for folder in ("code", "environment")
             for a in client.list_artifacts(parent.info.run_id, folder)}
    assert {"code/diff.patch", "environment/pip-freeze.txt",
            "environment/hardware.json"} <= files
    assert not [a for a in client.list_artifacts(child.info.run_id) if a.path == "code"]
    local = Path(client.download_artifacts(parent.info.run_id, "code/diff.patch",
                                           str(tmp_path / "dl")))
    assert "+# tweaked" in local.read_text()
    freeze = Path(client.download_artifacts(parent.info.run_id, "environment/pip-freeze.txt",
                                            str(tmp_path / "dl")))
    assert any(line.startswith("mlflow==") for line in freeze.read_text().splitlines())
    assert "hunter2" not in json.dumps(tags)
