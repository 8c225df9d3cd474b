"""End to end: autologged training with an MLflow tracking server as the store, then MLflow's
own client, in a fresh interpreter, finds the runs and loads the models."""

from __future__ import annotations

import json
import textwrap
import uuid

import numpy as np
import pytest

import autolog
from autolog import registry
from tests.helpers import run_python

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
