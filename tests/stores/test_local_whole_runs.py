"""The local store writes a run whole: one folder renamed into place, or held until its end."""

from __future__ import annotations

import os

import pytest

from autolog.errors import StoreError
from autolog.runs import FINISHED, Metric, RunInfo, new_run_id
from autolog.stores.local import LocalStore

T0 = 1_750_000_000_000


def _ended(run_id: str) -> RunInfo:
    return RunInfo(run_id, "exp", "held", start_time=T0, status=FINISHED, end_time=T0 + 5)


def test_a_held_run_is_out_of_sight_until_its_end(tmp_path, tmp_path_factory):
    writer, reader = LocalStore(tmp_path), LocalStore(tmp_path)  # two processes, in effect
    run_id = new_run_id()
    writer.create_run_with(_ended(run_id), params={"C": "1"},
                           metrics=[Metric("fit_time_s", 0.1, 0, T0)], hold=True)
    src = tmp_path_factory.mktemp("src")
    (src / "f.txt").write_text("x")
    writer.log_artifacts(run_id, src, "model")
    writer.log_batch(run_id, metrics=[Metric("training_score", 0.9, 0, T0)])
    assert reader.search_run_infos() == []
    assert not (tmp_path / "runs" / run_id).exists()
    writer.update_run(run_id, FINISHED, T0 + 5)
    run = reader.get_run(run_id)
    assert run.info == _ended(run_id)
    assert run.params == {"C": "1"} and run.artifacts == ["model"]
    assert run.metrics == {"fit_time_s": 0.1, "training_score": 0.9}
    assert os.listdir(tmp_path / ".staging") == []


def test_a_held_run_ends_with_the_status_given_at_its_end(tmp_path):
    store = LocalStore(tmp_path)
    run_id = new_run_id()
    store.create_run_with(_ended(run_id), hold=True)
    store.update_run(run_id, "FAILED", T0 + 9)
    info = LocalStore(tmp_path).get_run(run_id).info
    assert (info.status, info.end_time) == ("FAILED", T0 + 9)


def test_a_held_run_id_cannot_be_created_twice(tmp_path):
    store = LocalStore(tmp_path)
    run_id = new_run_id()
    store.create_run_with(_ended(run_id), hold=True)
    with pytest.raises(StoreError, match="already exists"):
        store.create_run_with(_ended(run_id))


def test_a_failed_create_leaves_nothing(tmp_path):
    store = LocalStore(tmp_path)
    info = RunInfo(new_run_id(), "exp", "x", start_time=T0)
    store.create_run_with(info)
    with pytest.raises(StoreError):
        store.create_run_with(info)
    assert os.listdir(tmp_path / ".staging") == []
    assert [i.run_id for i in store.search_run_infos()] == [info.run_id]
