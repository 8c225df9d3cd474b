"""Every kind of search gives a parent with the best score of every metric and its top
candidates as children: multi-metric (refit by name, by callable, or not at all) and
successive halving."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
)
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog.stores.local import LocalStore

GRID = {"max_depth": [1, 2, 3, 5, 8], "min_samples_leaf": [1, 10]}


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=400, n_features=8, random_state=0)


def _family(store):
    autolog.flush()
    runs = LocalStore(store.root).search_runs()
    parents = [r for r in runs if r.info.parent_run_id is None]
    assert len(parents) == 1, [r.info.name for r in runs]
    parent = parents[0]
    children = [r for r in runs if r.info.parent_run_id == parent.run_id]
    assert len(children) == len(runs) - 1
    return parent, children


def _best(results, metric):
    return float(np.nanmax(results[f"mean_test_{metric}"]))


def test_multi_metric_refit_by_name(store, data):
    X, y = data
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), GRID, cv=3,
                          scoring=["accuracy", "f1"], refit="f1").fit(X, y)
    parent, children = _family(store)
    results = search.cv_results_
    assert parent.metrics["best_cv_accuracy"] == pytest.approx(_best(results, "accuracy"))
    assert parent.metrics["best_cv_f1"] == pytest.approx(_best(results, "f1"))
    assert parent.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.params["best_max_depth"] == str(search.best_params_["max_depth"])
    assert parent.model_path is not None
    loaded = autolog.load_model(parent.model_path)
    np.testing.assert_array_equal(loaded.predict(X[:20]), search.predict(X[:20]))
    assert len(children) == 5
    by_rank = sorted(children, key=lambda r: r.metrics["rank_test_f1"])
    assert [r.metrics["rank_test_f1"] for r in by_rank] == sorted(
        results["rank_test_f1"])[:5]
    best = [r for r in children if r.tags.get("autolog.best_candidate") == "true"]
    assert [int(r.tags["autolog.candidate"]) for r in best] == [search.best_index_]
    assert {"mean_test_accuracy", "mean_test_f1", "std_test_f1"} <= set(children[0].metrics)


def test_multi_metric_without_refit(store, data):
    X, y = data
    scoring = {"acc": "accuracy", "bal": "balanced_accuracy"}
    search = RandomizedSearchCV(DecisionTreeClassifier(random_state=0), GRID, n_iter=6, cv=3,
                                scoring=scoring, refit=False, random_state=0).fit(X, y)
    parent, children = _family(store)
    results = search.cv_results_
    assert parent.metrics["best_cv_acc"] == pytest.approx(_best(results, "acc"))
    assert parent.metrics["best_cv_bal"] == pytest.approx(_best(results, "bal"))
    assert "best_cv_score" not in parent.metrics
    assert parent.model_path is None
    assert "refit=False" in parent.tags["autolog.model"]
    assert parent.status == "FINISHED"
    # without a refit metric, candidates are ranked by the first one
    assert sorted(r.metrics["rank_test_acc"] for r in children) == sorted(
        results["rank_test_acc"])[:5]


def test_refit_by_callable_puts_its_choice_first(store, data):
    X, y = data

    def smallest_tree_within_a_point(cv_results):
        scores = np.asarray(cv_results["mean_test_accuracy"])
        good = np.flatnonzero(scores >= scores.max() - 0.01)
        depths = np.asarray(cv_results["param_max_depth"], dtype=float)[good]
        return int(good[np.argmin(depths)])

    search = GridSearchCV(DecisionTreeClassifier(random_state=0), GRID, cv=3,
                          scoring=["accuracy", "f1"],
                          refit=smallest_tree_within_a_point).fit(X, y)
    parent, children = _family(store)
    assert parent.metrics["best_cv_accuracy"] == pytest.approx(
        _best(search.cv_results_, "accuracy"))
    best = [r for r in children if r.tags.get("autolog.best_candidate") == "true"]
    assert [int(r.tags["autolog.candidate"]) for r in best] == [search.best_index_]
    assert parent.model_path is not None


@pytest.mark.parametrize("kind", [HalvingGridSearchCV, HalvingRandomSearchCV])
def test_successive_halving(store, data, kind):
    X, y = data
    options = {"n_candidates": 10} if kind is HalvingRandomSearchCV else {}
    search = kind(DecisionTreeClassifier(random_state=0), GRID, cv=3, random_state=0,
                  **options).fit(X, y)
    parent, children = _family(store)
    results = search.cv_results_
    assert parent.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.params["best_max_depth"] == str(search.best_params_["max_depth"])
    best = [r for r in children if r.tags.get("autolog.best_candidate") == "true"]
    assert [int(r.tags["autolog.candidate"]) for r in best] == [search.best_index_]
    # the top candidates are those that reached the last iteration, each once
    last = max(results["iter"])
    survivors = int(np.sum(np.asarray(results["iter"]) == last))
    reached = sorted((r.metrics["iter"] for r in children), reverse=True)
    assert reached[:min(5, survivors)] == [last] * min(5, survivors)
    assert all("n_resources" in r.metrics for r in children)
    assert len({tuple(sorted(r.params.items())) for r in children}) == len(children)
    assert parent.model_path is not None
