"""What only the MLflow store does: MLflow's own client sees plain MLflow runs, either run id
reads a run, and network faults are retried within bounds (through a fault-injecting proxy)."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient

from autolog.errors import NotFoundError, StoreError, StoreUnavailableError
from autolog.runs import FINISHED, Metric, RunInfo, new_run_id
from autolog.stores.mlflow import MLflowStore
from autolog.stores.retry import RetryPolicy
from tests.stores.servers import free_port

T0 = 1_750_000_000_000
QUICK = RetryPolicy(attempts=4, first_delay_s=0.05, max_delay_s=0.2, total_s=5.0)


def _mlflow_run(client: MlflowClient, run_id: str):
    (found,) = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        f"tags.`autolog.run_id` = '{run_id}'")
    return found


def test_runs_are_plain_mlflow_runs(mlflow_server, experiment, tmp_path):
    store = MLflowStore(mlflow_server.uri)
    parent = RunInfo(new_run_id(), experiment, "grid", start_time=T0, host="box", pid=7)
    child = RunInfo(new_run_id(), experiment, "cand-1", start_time=T0 + 1,
                    parent_run_id=parent.run_id)
    store.create_run(parent)
    store.create_run(child)
    store.log_batch(parent.run_id, params={"C": "0.5"}, tags={"team": "risk"},
                    metrics=[Metric("loss", 1.0 / (s + 1), s, T0 + s) for s in range(5)])
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "model.pkl").write_bytes(b"\x80\x04N.")
    store.log_artifacts(parent.run_id, folder, "model")
    store.update_run(parent.run_id, FINISHED, T0 + 60_000)

    client = MlflowClient(mlflow_server.uri)
    mine = _mlflow_run(client, parent.run_id)
    assert client.get_experiment(mine.info.experiment_id).name == experiment
    assert (mine.info.run_name, mine.info.status) == ("grid", "FINISHED")
    assert (mine.info.start_time, mine.info.end_time) == (T0, T0 + 60_000)
    assert mine.data.params == {"C": "0.5"} and mine.data.tags["team"] == "risk"
    history = client.get_metric_history(mine.info.run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (s, 1.0 / (s + 1), T0 + s) for s in range(5)]
    assert sorted(f.path for f in client.list_artifacts(mine.info.run_id, "model")) == [
        "model/MLmodel", "model/model.pkl"]
    child_run = _mlflow_run(client, child.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == mine.info.run_id
    assert store.mlflow_run_id(parent.run_id) == mine.info.run_id


def test_either_id_reads_a_run_and_mlflow_own_runs_read_too(mlflow_server, experiment):
    store = MLflowStore(mlflow_server.uri)
    info = RunInfo(new_run_id(), experiment, "ours", start_time=T0)
    store.create_run(info)
    mlflow_id = store.mlflow_run_id(info.run_id)
    assert mlflow_id != info.run_id
    assert MLflowStore(mlflow_server.uri).get_run(mlflow_id).run_id == info.run_id

    client = MlflowClient(mlflow_server.uri)
    theirs = client.create_run(client.get_experiment_by_name(experiment).experiment_id,
                               run_name="logged-by-mlflow")
    client.log_metric(theirs.info.run_id, "rmse", 0.3, step=2)
    run = store.get_run(theirs.info.run_id)
    assert (run.run_id, run.info.name, run.metrics) == (theirs.info.run_id, "logged-by-mlflow",
                                                        {"rmse": 0.3})
    assert {r.run_id for r in store.search_runs(experiment)} == {info.run_id,
                                                                theirs.info.run_id}


def test_transient_faults_are_retried_and_a_lost_create_makes_one_run(proxy, experiment):
    store = MLflowStore(proxy.uri, retry=QUICK)
    proxy.faults = ["503", "cut"]  # the experiment lookup fails twice
    proxy.fail_matching("POST", "/runs/create", "lose")  # the server creates, the answer is lost
    proxy.fail_matching("POST", "/runs/log-batch", "503", times=2)
    info = RunInfo(new_run_id(), experiment, "flaky", start_time=T0)
    store.create_run(info)
    store.log_batch(info.run_id, params={"a": "1"}, metrics=[Metric("m", 2.0, 0, T0)])
    assert proxy.injected == 5
    client = MlflowClient(proxy.uri)
    assert _mlflow_run(client, info.run_id).data.params == {"a": "1"}  # exactly one run


def test_a_refusal_is_not_retried(proxy, experiment):
    store = MLflowStore(proxy.uri, retry=QUICK)
    info = RunInfo(new_run_id(), experiment, "r", start_time=T0)
    store.create_run(info)
    store.log_param(info.run_id, "alpha", "1")
    before = len(proxy.log)
    with pytest.raises(StoreError, match="alpha") as caught:
        store.log_param(info.run_id, "alpha", "2")  # MLflow params are immutable
    assert not isinstance(caught.value, StoreUnavailableError)
    assert [m for m, p, _ in proxy.log[before:] if "log-batch" in p] == ["POST"]


def test_model_folder_is_uploaded_mlmodel_last(proxy, experiment, tmp_path):
    store = MLflowStore(proxy.uri)
    info = RunInfo(new_run_id(), experiment, "r", start_time=T0)
    store.create_run(info)
    folder = tmp_path / "model"
    (folder / "data").mkdir(parents=True)
    for name in ("MLmodel", "conda.yaml", "requirements.txt", "data/model.pth"):
        (folder / name).write_text(name)
    store.log_artifacts(info.run_id, folder, "model")
    puts = [p for m, p, _ in proxy.log if m == "PUT"]
    assert len(puts) == 4 and puts[-1].endswith("/model/MLmodel")


def test_unreachable_server_fails_fast_and_clearly():
    dead = f"http://127.0.0.1:{free_port()}"
    store = MLflowStore(dead, retry=QUICK)
    with pytest.raises(StoreUnavailableError, match="cannot be reached"):
        store.ping()
    with pytest.raises(StoreUnavailableError, match=dead):
        store.create_run(RunInfo(new_run_id(), "e", "r"))


def test_a_deleted_experiment_is_a_clear_error(mlflow_server, experiment):
    store = MLflowStore(mlflow_server.uri)
    store.create_run(RunInfo(new_run_id(), experiment, "r"))
    client = MlflowClient(mlflow_server.uri)
    client.delete_experiment(client.get_experiment_by_name(experiment).experiment_id)
    with pytest.raises(StoreError, match="deleted.*restore"):
        MLflowStore(mlflow_server.uri).create_run(RunInfo(new_run_id(), experiment, "r"))


def test_deleted_runs_are_gone(mlflow_server, experiment):
    store = MLflowStore(mlflow_server.uri)
    info = RunInfo(new_run_id(), experiment, "r")
    store.create_run(info)
    store.delete_run(info.run_id)
    with pytest.raises(NotFoundError):
        MLflowStore(mlflow_server.uri).get_run(info.run_id)
    assert store.search_runs(experiment) == []


# -- the retry policy itself ---------------------------------------------------------------------
def _flaky(failures: list[BaseException]):
    calls = []

    def fn() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "done"

    return fn, calls


def test_retry_policy_retries_transient_errors_with_growing_waits():
    waits: list[float] = []
    fn, calls = _flaky([ConnectionError(), ConnectionError(), ConnectionError()])
    policy = RetryPolicy(attempts=4, first_delay_s=1.0, max_delay_s=3.0, total_s=60)
    assert policy.call(fn, lambda e: isinstance(e, ConnectionError), sleep=waits.append) == "done"
    assert len(calls) == 4
    assert policy.delays() == [1.0, 2.0, 3.0]
    assert all(0.5 * d <= w <= d for w, d in zip(waits, policy.delays(), strict=True))


def test_retry_policy_gives_up_on_refusals_and_after_its_budget():
    fn, calls = _flaky([ValueError("bad name")])
    with pytest.raises(ValueError):
        RetryPolicy().call(fn, lambda e: isinstance(e, ConnectionError), sleep=lambda s: None)
    assert len(calls) == 1
    fn, calls = _flaky([ConnectionError()] * 20)
    with pytest.raises(ConnectionError):  # waits of 0.05-0.1 s within a 0.3 s budget
        RetryPolicy(attempts=20, first_delay_s=0.1, max_delay_s=0.1, total_s=0.3).call(
            fn, lambda e: True)
    assert 3 <= len(calls) <= 7


def test_mlflow_is_imported_by_the_thread_that_starts_a_run_not_by_the_writer(tmp_path):
    """The writer importing mlflow (which imports polars) while the user's code runs let
    scikit-learn find polars half-initialized in sys.modules: an intermittent failure of the
    user's fit. The backend is imported where the run is created, on the user's thread."""
    import json
    import textwrap

    from tests.helpers import run_python

    code = textwrap.dedent(f"""
        import json, sys, threading
        importers = []

        class Spy:
            def find_spec(self, name, path=None, target=None):
                if name in ("mlflow", "polars"):
                    importers.append([name, threading.current_thread().name])
                return None

        sys.meta_path.insert(0, Spy())
        import autolog
        autolog.enable(store="http://127.0.0.1:{free_port()}", testing=False)
        from sklearn.linear_model import LinearRegression
        LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
        autolog.flush()
        print(json.dumps(importers))
    """)
    result = run_python(code, env={"AUTOLOG_STORE": str(tmp_path / "unused")})
    assert result.returncode == 0, result.stderr
    importers = json.loads(result.stdout.strip().splitlines()[-1])
    assert ["mlflow", "MainThread"] in importers, importers
    assert all(thread == "MainThread" for _, thread in importers), importers
