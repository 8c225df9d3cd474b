"""The Store contract, run against every store: local, MLflow, and MLflow opened by URI.

A new backend adds itself to ``STORE_KINDS`` in conftest.py and must pass all of this.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import autolog
from autolog.errors import InvalidNameError, NotFoundError, StoreError
from autolog.runs import FAILED, FINISHED, KILLED, RUNNING, Metric, RunInfo, new_run_id

T0 = 1_750_000_000_000


def _new_run(store, experiment, name="run", start=T0, parent=None) -> RunInfo:
    info = RunInfo(new_run_id(), experiment, name, start_time=start, parent_run_id=parent,
                   host="trainer-7", pid=4242)
    store.create_run(info)
    return info


@pytest.fixture
def model_folder(tmp_path):
    """A real model folder (scikit-learn, logged by autolog) and data to check predictions."""
    from sklearn.linear_model import LinearRegression

    from autolog.loading import resolve_model_uri

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.1
    model = LinearRegression().fit(X, y)
    uri = autolog.log_model(model, input_example=X[:5])
    return resolve_model_uri(uri), X, model.predict(X)


# -- runs ---------------------------------------------------------------------------------------
def test_a_new_run_reads_back_as_created(any_store, experiment):
    info = _new_run(any_store, experiment, name="first")
    run = any_store.get_run(info.run_id)
    assert run.info == info
    assert run.info.status == RUNNING and run.info.end_time is None
    assert (run.params, run.metrics, run.tags, run.artifacts) == ({}, {}, {}, [])
    assert run.model_path is None


def test_a_run_id_is_created_once(any_store, experiment):
    info = _new_run(any_store, experiment)
    with pytest.raises(StoreError, match=info.run_id):
        any_store.create_run(info)


def test_unknown_and_unsafe_run_ids(any_store):
    with pytest.raises(NotFoundError):
        any_store.get_run(new_run_id())
    with pytest.raises(NotFoundError):
        any_store.update_run(new_run_id(), FINISHED, T0)
    with pytest.raises(InvalidNameError, match="Invalid run id"):
        any_store.get_run("../../etc")


@pytest.mark.parametrize("status", [FINISHED, FAILED, KILLED])
def test_ending_a_run_sets_status_and_end_time(any_store, experiment, status):
    info = _new_run(any_store, experiment)
    any_store.update_run(info.run_id, status, T0 + 5_000)
    run = any_store.get_run(info.run_id)
    assert (run.info.status, run.info.end_time) == (status, T0 + 5_000)
    assert run.duration_s == 5.0


def test_params_tags_and_metrics_with_steps(any_store, experiment):
    info = _new_run(any_store, experiment)
    rid = info.run_id
    any_store.log_batch(
        rid, params={"alpha": "0.5", "solver": "lbfgs"}, tags={"team": "risk"},
        metrics=[Metric("loss", 1.0, 0, T0), Metric("loss", 0.5, 1, T0 + 1),
                 Metric("acc", 0.9, 0, T0)])
    # Out of step order on purpose: history is by step, "latest" is the highest step.
    any_store.log_batch(rid, metrics=[Metric("loss", 0.125, 3, T0 + 3),
                                      Metric("loss", 0.25, 2, T0 + 2)])
    any_store.log_batch(rid, tags={"team": "fraud"})
    any_store.log_param(rid, "max_iter", "100")
    any_store.log_param(rid, "alpha", "0.5")  # the same value again is fine
    any_store.log_metric(rid, "acc", 0.95, step=1, timestamp=T0 + 9)
    any_store.set_tag(rid, "stage", "dev")
    run = any_store.get_run(rid)
    assert run.params == {"alpha": "0.5", "solver": "lbfgs", "max_iter": "100"}
    assert run.tags == {"team": "fraud", "stage": "dev"}
    assert run.metrics == {"loss": 0.125, "acc": 0.95}
    assert [(m.step, m.value) for m in run.metric_history["loss"]] == [
        (0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125)]
    assert [m.timestamp for m in run.metric_history["loss"]] == [T0, T0 + 1, T0 + 2, T0 + 3]
    assert [(m.step, m.value) for m in run.metric_history["acc"]] == [(0, 0.9), (1, 0.95)]


def test_nan_metric_values_survive(any_store, experiment):
    info = _new_run(any_store, experiment)
    any_store.log_batch(info.run_id, metrics=[Metric("loss", float("nan"), 0, T0)])
    assert math.isnan(any_store.get_run(info.run_id).metrics["loss"])


def test_parent_and_child_runs(any_store, experiment):
    parent = _new_run(any_store, experiment, name="search")
    child = _new_run(any_store, experiment, name="candidate", start=T0 + 1,
                     parent=parent.run_id)
    assert any_store.get_run(child.run_id).info.parent_run_id == parent.run_id
    assert any_store.get_run(parent.run_id).info.parent_run_id is None


def test_end_run_and_run_info_are_derived(any_store, experiment):
    info = _new_run(any_store, experiment)
    any_store.end_run(info.run_id, FINISHED)
    read = any_store.get_run_info(info.run_id)
    assert read.status == FINISHED and read.end_time is not None


# -- search -------------------------------------------------------------------------------------
def test_search_runs_newest_first_per_experiment(any_store, experiment):
    other = experiment + "-other"
    ids = [_new_run(any_store, experiment, start=T0 + i * 1000).run_id for i in range(3)]
    elsewhere = _new_run(any_store, other, start=T0 + 500).run_id
    assert [r.run_id for r in any_store.search_runs(experiment)] == ids[::-1]
    assert [r.run_id for r in any_store.search_runs(experiment, max_results=2)] == ids[:0:-1]
    assert [r.run_id for r in any_store.search_runs(other)] == [elsewhere]
    everywhere = [r.run_id for r in any_store.search_runs()]
    # Other tests' runs may share the server: check ours, and their order.
    ours = [rid for rid in everywhere if rid in {*ids, elsewhere}]
    assert ours == [ids[2], ids[1], elsewhere, ids[0]]
    assert {experiment, other} <= set(any_store.list_experiments())
    assert any_store.search_runs(experiment + "-never-used") == []


def test_search_results_carry_params_metrics_and_tags(any_store, experiment):
    info = _new_run(any_store, experiment)
    any_store.log_batch(info.run_id, params={"C": "1.0"}, tags={"k": "v"},
                        metrics=[Metric("acc", 0.5, 0, T0), Metric("acc", 0.75, 1, T0)])
    (found,) = any_store.search_runs(experiment)
    assert found.info == info
    assert (found.params, found.tags, found.metrics) == ({"C": "1.0"}, {"k": "v"},
                                                         {"acc": 0.75})


def test_a_run_created_with_its_first_batch(any_store, experiment):
    info = RunInfo(new_run_id(), experiment, "whole", start_time=T0, host="h", pid=1)
    any_store.create_run_with(info, params={"C": "0.5"}, tags={"k": "v"},
                              metrics=[Metric("loss", 0.5, 0, T0), Metric("loss", 0.25, 1, T0)])
    run = any_store.get_run(info.run_id)
    assert run.info == info
    assert (run.params, run.tags, run.metrics) == ({"C": "0.5"}, {"k": "v"}, {"loss": 0.25})
    assert [m.value for m in run.metric_history["loss"]] == [0.5, 0.25]
    with pytest.raises(StoreError):
        any_store.create_run_with(info)


def test_a_run_created_ended(any_store, experiment):
    info = RunInfo(new_run_id(), experiment, "done", start_time=T0, status=FINISHED,
                   end_time=T0 + 1000)
    any_store.create_run_with(info, params={"a": "1"})
    assert any_store.get_run(info.run_id).info == info


# -- artifacts ----------------------------------------------------------------------------------
def test_files_from_memory_become_an_artifact_folder(any_store, experiment):
    info = _new_run(any_store, experiment)
    any_store.log_files(info.run_id, "notes", {"a.txt": "caf\u00e9\n", "sub/b.bin": b"\x00\x01"})
    assert any_store.get_run(info.run_id).artifacts == ["notes"]
    local = Path(any_store.download_artifacts(info.run_id, "notes"))
    assert (local / "a.txt").read_text(encoding="utf-8") == "caf\u00e9\n"
    assert (local / "sub" / "b.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(StoreError, match="write-once"):
        any_store.log_files(info.run_id, "notes", {"c.txt": "x"})


def test_small_files_as_one_artifact_folder(any_store, experiment):
    info = _new_run(any_store, experiment)
    any_store.log_files(info.run_id, "environment", {"pip-freeze.txt": "numpy==2.0\n",
                                                     "raw.bin": b"\x00\xff"})
    assert any_store.get_run(info.run_id).artifacts == ["environment"]
    local = Path(any_store.download_artifacts(info.run_id, "environment"))
    assert sorted(p.name for p in local.iterdir()) == ["pip-freeze.txt", "raw.bin"]
    assert (local / "pip-freeze.txt").read_text() == "numpy==2.0\n"
    assert (local / "raw.bin").read_bytes() == b"\x00\xff"


def test_artifact_folders_round_trip(any_store, experiment, tmp_path):
    info = _new_run(any_store, experiment)
    src = tmp_path / "report"
    (src / "sub").mkdir(parents=True)
    (src / "summary.txt").write_text("accuracy 0.93\n")
    (src / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 4)
    any_store.log_artifacts(info.run_id, src, "report")
    assert any_store.get_run(info.run_id).artifacts == ["report"]
    local = Path(any_store.download_artifacts(info.run_id, "report"))
    assert (local / "summary.txt").read_text() == "accuracy 0.93\n"
    assert (local / "sub" / "weights.bin").read_bytes() == bytes(range(256)) * 4
    nested = Path(any_store.download_artifacts(info.run_id, "report/sub/weights.bin"))
    assert nested.read_bytes() == bytes(range(256)) * 4


def test_artifact_errors(any_store, experiment, tmp_path):
    info = _new_run(any_store, experiment)
    src = tmp_path / "a"
    src.mkdir()
    (src / "f.txt").write_text("x")
    any_store.log_artifacts(info.run_id, src, "a")
    with pytest.raises(StoreError, match="write-once"):
        any_store.log_artifacts(info.run_id, src, "a")
    with pytest.raises(NotFoundError):
        any_store.download_artifacts(info.run_id, "missing")
    for bad in ("../escape", "/abs", ""):
        with pytest.raises(InvalidNameError):
            any_store.log_artifacts(info.run_id, src, bad)
    with pytest.raises(NotFoundError):
        any_store.log_artifacts(new_run_id(), src, "a")


def test_model_folder_becomes_the_model_artifact(any_store, experiment, model_folder):
    folder, X, expected = model_folder
    info = _new_run(any_store, experiment)
    any_store.log_artifacts(info.run_id, folder, "model")
    run = any_store.get_run(info.run_id)
    assert run.artifacts == ["model"] and run.model_path
    local = any_store.download_artifacts(info.run_id, "model")
    loaded = autolog.load_model(local)
    np.testing.assert_allclose(loaded.predict(X), expected)
    assert sorted(p.name for p in Path(local).iterdir()) == sorted(
        p.name for p in Path(folder).iterdir())
