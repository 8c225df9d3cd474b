"""The runs part of the Store contract: create, read, end, log, search.

Part of :class:`autolog.testing.stores.StoreSuite`; see that module for how to use it.
"""

from __future__ import annotations

import math

import pytest

from autolog.errors import InvalidNameError, NotFoundError, StoreError
from autolog.runs import FAILED, FINISHED, KILLED, RUNNING, Metric, RunInfo, new_run_id
from autolog.stores.base import Store
from autolog.testing._store_fixtures import T0, StoreFixtures, new_run

__all__ = ["RunsTests"]


class RunsTests(StoreFixtures):
    """Runs: created once, read back exactly, ended, logged to, searched newest first."""

    def test_a_new_run_reads_back_as_created(self, store: Store, experiment: str) -> None:
        info = new_run(store, experiment, name="first")
        run = store.get_run(info.run_id)
        assert run.info == info
        assert run.info.status == RUNNING and run.info.end_time is None
        assert (run.params, run.metrics, run.tags, run.artifacts) == ({}, {}, {}, [])
        assert run.model_path is None

    def test_a_run_id_is_created_once(self, store: Store, experiment: str) -> None:
        info = new_run(store, experiment)
        with pytest.raises(StoreError, match=info.run_id):
            store.create_run(info)

    def test_unknown_run_ids_are_not_found_errors_naming_the_id(self, store: Store) -> None:
        missing = new_run_id()
        for call in (lambda: store.get_run(missing),
                     lambda: store.update_run(missing, FINISHED, T0),
                     lambda: store.log_batch(missing, params={"a": "1"})):
            with pytest.raises(NotFoundError, match=missing):
                call()

    @pytest.mark.parametrize("bad", ["../../etc", "a/b", "", "x" * 65, "tab\tid"])
    def test_unsafe_run_ids_are_invalid_names(self, store: Store, bad: str) -> None:
        with pytest.raises(InvalidNameError, match="Invalid run id"):
            store.get_run(bad)

    @pytest.mark.parametrize("status", [FINISHED, FAILED, KILLED])
    def test_ending_a_run_sets_status_and_end_time(self, store: Store, experiment: str,
                                                   status: str) -> None:
        info = new_run(store, experiment)
        store.update_run(info.run_id, status, T0 + 5_000)
        run = store.get_run(info.run_id)
        assert (run.info.status, run.info.end_time) == (status, T0 + 5_000)
        assert run.duration_s == 5.0

    def test_params_tags_and_metrics_with_steps(self, store: Store, experiment: str) -> None:
        rid = new_run(store, experiment).run_id
        store.log_batch(
            rid, params={"alpha": "0.5", "solver": "lbfgs"}, tags={"team": "risk"},
            metrics=[Metric("loss", 1.0, 0, T0), Metric("loss", 0.5, 1, T0 + 1),
                     Metric("acc", 0.9, 0, T0)])
        # Out of step order on purpose: history is by step, "latest" is the highest step.
        store.log_batch(rid, metrics=[Metric("loss", 0.125, 3, T0 + 3),
                                      Metric("loss", 0.25, 2, T0 + 2)])
        store.log_batch(rid, tags={"team": "fraud"})
        store.log_param(rid, "max_iter", "100")
        store.log_param(rid, "alpha", "0.5")  # the same value again is fine
        store.log_metric(rid, "acc", 0.95, step=1, timestamp=T0 + 9)
        store.set_tag(rid, "stage", "dev")
        run = store.get_run(rid)
        assert run.params == {"alpha": "0.5", "solver": "lbfgs", "max_iter": "100"}
        assert run.tags == {"team": "fraud", "stage": "dev"}
        assert run.metrics == {"loss": 0.125, "acc": 0.95}
        assert [(m.step, m.value) for m in run.metric_history["loss"]] == [
            (0, 1.0), (1, 0.5), (2, 0.25), (3, 0.125)]
        assert [m.timestamp for m in run.metric_history["loss"]] == [T0, T0 + 1, T0 + 2, T0 + 3]
        assert [(m.step, m.value) for m in run.metric_history["acc"]] == [(0, 0.9), (1, 0.95)]

    def test_values_keep_their_text(self, store: Store, experiment: str) -> None:
        rid = new_run(store, experiment).run_id
        text = {"unicode": "caf\u00e9 \u2603", "spaces": " padded ", "json": '{"a": [1, 2]}',
                "long": "x" * 500}
        store.log_batch(rid, params=text, tags=text)
        run = store.get_run(rid)
        assert run.params == text and run.tags == text

    def test_nan_metric_values_survive(self, store: Store, experiment: str) -> None:
        rid = new_run(store, experiment).run_id
        store.log_batch(rid, metrics=[Metric("loss", float("nan"), 0, T0)])
        assert math.isnan(store.get_run(rid).metrics["loss"])

    def test_parent_and_child_runs(self, store: Store, experiment: str) -> None:
        parent = new_run(store, experiment, name="search")
        child = new_run(store, experiment, name="candidate", start=T0 + 1,
                        parent=parent.run_id)
        assert store.get_run(child.run_id).info.parent_run_id == parent.run_id
        assert store.get_run(parent.run_id).info.parent_run_id is None

    def test_end_run_and_run_info_are_derived(self, store: Store, experiment: str) -> None:
        info = new_run(store, experiment)
        store.end_run(info.run_id, FINISHED)
        read = store.get_run_info(info.run_id)
        assert read.status == FINISHED and read.end_time is not None

    def test_search_runs_newest_first_per_experiment(self, store: Store, experiment: str
                                                     ) -> None:
        other = experiment + "-other"
        ids = [new_run(store, experiment, start=T0 + i * 1000).run_id for i in range(3)]
        elsewhere = new_run(store, other, start=T0 + 500).run_id
        assert [r.run_id for r in store.search_runs(experiment)] == ids[::-1]
        assert [r.run_id for r in store.search_runs(experiment, max_results=2)] == ids[:0:-1]
        assert [r.run_id for r in store.search_runs(other)] == [elsewhere]
        everywhere = [r.run_id for r in store.search_runs()]
        # Other tests' runs may share the store: check ours, and their order.
        ours = [rid for rid in everywhere if rid in {*ids, elsewhere}]
        assert ours == [ids[2], ids[1], elsewhere, ids[0]]
        assert {experiment, other} <= set(store.list_experiments())
        assert store.search_runs(experiment + "-never-used") == []
        assert [i.run_id for i in store.search_run_infos(experiment)] == ids[::-1]

    def test_search_results_carry_params_metrics_and_tags(self, store: Store, experiment: str
                                                          ) -> None:
        info = new_run(store, experiment)
        store.log_batch(info.run_id, params={"C": "1.0"}, tags={"k": "v"},
                        metrics=[Metric("acc", 0.5, 0, T0), Metric("acc", 0.75, 1, T0)])
        (found,) = store.search_runs(experiment)
        assert found.info == info
        assert (found.params, found.tags, found.metrics) == ({"C": "1.0"}, {"k": "v"},
                                                             {"acc": 0.75})

    def test_a_run_created_with_its_first_batch(self, store: Store, experiment: str) -> None:
        info = RunInfo(new_run_id(), experiment, "whole", start_time=T0, host="h", pid=1)
        store.create_run_with(info, params={"C": "0.5"}, tags={"k": "v"},
                              metrics=[Metric("loss", 0.5, 0, T0), Metric("loss", 0.25, 1, T0)])
        run = store.get_run(info.run_id)
        assert run.info == info
        assert (run.params, run.tags, run.metrics) == ({"C": "0.5"}, {"k": "v"}, {"loss": 0.25})
        assert [m.value for m in run.metric_history["loss"]] == [0.5, 0.25]
        with pytest.raises(StoreError):
            store.create_run_with(info)

    def test_a_run_created_ended(self, store: Store, experiment: str) -> None:
        info = RunInfo(new_run_id(), experiment, "done", start_time=T0, status=FINISHED,
                       end_time=T0 + 1000)
        store.create_run_with(info, params={"a": "1"})
        assert store.get_run(info.run_id).info == info
