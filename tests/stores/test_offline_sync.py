"""Offline first: an unreachable server sends runs to the local store with one warning;
``autolog sync`` then sends them, once, resumably."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge

import autolog
from autolog.errors import StoreUnavailableError
from autolog.runs import FINISHED, RUNNING, Metric, RunInfo, new_run_id
from autolog.stores.local import LocalStore
from autolog.stores.mlflow import MLflowStore
from autolog.stores.retry import RetryPolicy
from autolog.sync import SYNC_TAG, sync_runs
from tests.stores.servers import free_port

AUTOLOG = str(Path(sys.executable).with_name("autolog"))
QUICK = RetryPolicy(attempts=3, first_delay_s=0.05, max_delay_s=0.1, total_s=2.0)


def _autolog_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    return subprocess.run([AUTOLOG, *args], env=env, text=True, capture_output=True,
                          timeout=300, check=False)


def _snapshot(client: MlflowClient, experiment: str) -> dict[str, tuple]:
    """autolog run id -> what MLflow holds for it (to tell whether a sync changed anything)."""
    exp = client.get_experiment_by_name(experiment)
    out = {}
    for run in client.search_runs([exp.experiment_id]):
        rid = run.info.run_id
        history = {k: [(m.step, m.value) for m in client.get_metric_history(rid, k)]
                   for k in run.data.metrics}
        files = sorted(f.path for f in client.list_artifacts(rid, "model"))
        out[run.data.tags["autolog.run_id"]] = (rid, run.info.status, run.info.end_time,
                                                run.data.params, history, files,
                                                run.data.tags[SYNC_TAG])
    return out


def test_unreachable_server_falls_back_then_sync_sends_each_run_once(
        mlflow_server, experiment, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    offline = tmp_path / "offline"
    X, y = load_iris(return_X_y=True, as_frame=True)
    autolog.enable(store=dead, experiment=experiment, testing=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = LogisticRegression(max_iter=300).fit(X, y)
        reg = Ridge().fit(X, y)
        autolog.flush()
    autolog.disable()
    messages = [str(w.message) for w in caught if issubclass(w.category, autolog.AutologWarning)]
    assert len(messages) == 1, messages
    assert f"autolog sync {offline} --to {dead}" in messages[0]
    local_runs = LocalStore(offline).search_runs(experiment)
    assert len(local_runs) == 2 and all(r.model_path for r in local_runs)

    first = _autolog_cli("sync", str(offline), "--to", mlflow_server.uri)
    assert first.returncode == 0, first.stderr
    assert "Sent 2 run(s)" in first.stdout and "0 already there" in first.stdout
    client = MlflowClient(mlflow_server.uri)
    before = _snapshot(client, experiment)
    assert set(before) == {r.run_id for r in local_runs}  # each run once
    by_class = {}
    for run in local_runs:
        _, status, end, params, history, files, state = before[run.run_id]
        assert (status, end, params, state) == (FINISHED, run.info.end_time, run.params,
                                                "complete")
        assert {k: [(m.step, m.value) for m in v] for k, v in run.metric_history.items()} == \
            history
        assert "model/MLmodel" in files
        by_class[run.model_name] = run.run_id
    store = MLflowStore(mlflow_server.uri)
    for cls, model in (("LogisticRegression", clf), ("Ridge", reg)):
        loaded = autolog.load_model(store.download_artifacts(by_class[cls], "model"))
        np.testing.assert_allclose(loaded.predict(X), model.predict(X))

    second = _autolog_cli("sync", str(offline), "--to", mlflow_server.uri, "--json")
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["sent"] == [] and sorted(report["already_present"]) == sorted(before)
    assert _snapshot(client, experiment) == before


def _local_runs(store: LocalStore, experiment: str, folder: Path, n: int) -> list[str]:
    ids = []
    for i in range(n):
        info = RunInfo(new_run_id(), experiment, f"run-{i}", start_time=1_750_000_000_000 + i)
        store.create_run(info)
        store.log_batch(info.run_id, params={"i": str(i)},
                        metrics=[Metric("loss", 1.0 / (s + 1), s, info.start_time)
                                 for s in range(3)])
        store.log_artifacts(info.run_id, folder, "model")
        store.end_run(info.run_id, FINISHED)
        ids.append(info.run_id)
    return ids


@pytest.fixture
def model_dir(tmp_path) -> Path:
    folder = tmp_path / "model-src"
    folder.mkdir()
    for name in ("MLmodel", "conda.yaml", "model.pkl"):
        (folder / name).write_text(f"{name}\n")
    return folder


def test_a_sync_cut_by_a_network_drop_resumes(proxy, experiment, tmp_path, model_dir):
    local = LocalStore(tmp_path / "offline")
    ids = _local_runs(local, experiment, model_dir, 3)
    # The network drops in the middle of the second run's model upload.
    proxy.go_down_at("PUT", "/artifacts/", skip=len(list(model_dir.iterdir())) + 1)
    with pytest.raises(StoreUnavailableError):
        sync_runs(local, MLflowStore(proxy.uri, retry=QUICK))
    client = MlflowClient(proxy.uri)
    proxy.come_back()
    partial = _snapshot(client, experiment)
    assert partial[ids[0]][6] == "complete"
    assert partial[ids[1]][1:2] == (RUNNING,) and partial[ids[1]][6] == "pending"
    assert ids[2] not in partial

    report = sync_runs(local, MLflowStore(proxy.uri, retry=QUICK))
    assert (report.present, report.to_send, report.resent) == ([ids[0]], ids[1:], [ids[1]])
    done = _snapshot(client, experiment)
    assert set(done) == set(ids)  # the partial copy was replaced, not duplicated
    assert done[ids[0]] == partial[ids[0]]
    for rid in ids:
        assert done[rid][1] == FINISHED and done[rid][6] == "complete"
        assert done[rid][5] == ["model/MLmodel", "model/conda.yaml", "model/model.pkl"]
    assert sync_runs(local, MLflowStore(proxy.uri)).to_send == []


def test_runs_still_being_written_wait_for_a_later_sync(mlflow_server, experiment, tmp_path):
    local = LocalStore(tmp_path / "offline")
    live = RunInfo(new_run_id(), experiment, "live", host=socket.gethostname(), pid=os.getpid())
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()
    crashed = RunInfo(new_run_id(), experiment, "crashed", host=socket.gethostname(),
                      pid=int(dead_pid))
    for info in (live, crashed):
        local.create_run(info)
    report = sync_runs(local, MLflowStore(mlflow_server.uri))
    assert (report.running, report.to_send) == ([live.run_id], [crashed.run_id])


def test_sync_to_an_unreachable_store_fails_fast_with_the_reason(tmp_path):
    local = LocalStore(tmp_path / "offline")
    local.create_run(RunInfo(new_run_id(), "e", "r", status=FINISHED))
    result = _autolog_cli("sync", str(local.root), "--to", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "cannot be reached" in result.stderr


def test_a_server_that_goes_away_sends_later_runs_to_the_local_store(proxy, experiment,
                                                                      tmp_path):
    X, y = load_iris(return_X_y=True)
    autolog.enable(store=proxy.uri, experiment=experiment, testing=True)
    LogisticRegression(max_iter=300).fit(X, y)
    autolog.flush()
    proxy.go_down()
    with pytest.warns(autolog.AutologWarning, match="autolog sync"):
        Ridge().fit(X, y)
        autolog.flush()
    autolog.disable()
    proxy.come_back()
    remote = MLflowStore(proxy.uri).search_runs(experiment)
    offline = LocalStore(tmp_path / "offline").search_runs(experiment)
    assert [r.model_name for r in remote] == ["LogisticRegression"]
    assert [r.model_name for r in offline] == ["Ridge"] and offline[0].status == FINISHED
