"""Hyper-parameter searches (GridSearchCV, RandomizedSearchCV, successive halving, anything
with scikit-learn's ``cv_results_``): the parent run's best params and scores, its
``cv_results``, and the top candidates as child runs."""

from __future__ import annotations

from typing import Any

from autolog.plugin import FINISHED, ActiveRun, Config

__all__ = ["is_search", "record_search"]


def is_search(model: Any) -> bool:
    """A hyper-parameter search (GridSearchCV, RandomizedSearchCV, successive halving, or
    anything with scikit-learn's ``cv_results_`` dict), refitted or not."""
    results = getattr(model, "cv_results_", None)
    return isinstance(results, dict) and "params" in results


def _search_metrics(results: dict[str, Any]) -> list[str]:
    """The scorer names of a search, in its order: ``score``, or those of ``scoring=[...]``."""
    return [k[len("rank_test_"):] for k in results
            if k.startswith("rank_test_") and f"mean_test_{k[len('rank_test_'):]}" in results]


def _candidate_order(results: dict[str, Any], metric: str, first: int | None) -> list[int]:
    """Distinct candidates, best first by ``rank_test_<metric>``.

    Successive halving ranks every candidate of every iteration together, so candidates that
    reached a later iteration (more resources) come first, as the search itself chooses; a
    candidate evaluated in several iterations appears once. ``first`` (the search's
    ``best_index_``) leads when given.
    """
    ranks = results[f"rank_test_{metric}"]
    iters = results.get("iter") or [0] * len(ranks)
    order = sorted(range(len(ranks)), key=lambda i: (-iters[i], ranks[i], i))
    if first is not None and 0 <= first < len(ranks):
        order.remove(first)
        order.insert(0, first)
    seen: set[str] = set()
    distinct = []
    for i in order:
        key = repr(sorted(results["params"][i].items(), key=lambda kv: kv[0]))
        if key not in seen:
            seen.add(key)
            distinct.append(i)
    return distinct


def record_search(run: ActiveRun, config: Config, search: Any) -> Any:
    """Parent run: best params, the best mean CV score of every metric, cv_results;
    children: the top ``max_tuning_runs`` candidates. Returns the refitted best estimator
    (None when the search was run with ``refit=False``)."""
    from autolog.plugin import params

    results = {k: (v.tolist() if hasattr(v, "tolist") else list(v))
               for k, v in search.cv_results_.items()}
    if hasattr(search, "best_params_"):
        run.log_params({f"best_{k}": v for k, v in params.flatten(
            search.best_params_, config.max_param_length).items()})
    best: dict[str, float] = {}
    if isinstance(getattr(search, "best_score_", None), (int, float)):
        best["best_cv_score"] = float(search.best_score_)
    for metric in _search_metrics(results):
        top = _candidate_order(results, metric, None)[0]
        score = results[f"mean_test_{metric}"][top]
        if isinstance(score, (int, float)) and f"best_cv_{metric}" not in best:
            best[f"best_cv_{metric}"] = float(score)
    run.log_metrics(best)
    run.submit("writing cv_results of run", lambda store: _write_cv_results(store, run,
                                                                            results))
    metrics = _search_metrics(results)
    if metrics and config.max_tuning_runs > 0:
        refit = getattr(search, "refit", True)
        ranked_by = refit if isinstance(refit, str) and refit in metrics else metrics[0]
        best_index = getattr(search, "best_index_", None)
        order = _candidate_order(results, ranked_by, best_index)
        for i in order[:config.max_tuning_runs]:
            _candidate_run(run, config, search, results, i, is_best=i == best_index)
    estimator = getattr(search, "best_estimator_", None)
    if estimator is None:
        run.set_tags({"autolog.model": "not logged: the search was run with "
                                            "refit=False and holds no fitted model"})
    return estimator

def _candidate_run(run: ActiveRun, config: Config, search: Any, results: dict[str, Any],
               i: int, is_best: bool) -> None:
    from autolog.plugin import params

    child = ActiveRun(f"{type(search).__name__}-candidate-{i}",
                               config.experiment, config.store_uri,
                               parent=run)
    child.set_tags({"autolog.integration": "sklearn", "autolog.candidate": i,
                    **({"autolog.best_candidate": "true"} if is_best else {})})
    child.log_params(params.flatten(results["params"][i], config.max_param_length))
    scores = {k: v[i] for k, v in results.items()
              if (k.startswith(("mean_", "std_", "rank_")) or k in ("iter", "n_resources"))
              and isinstance(v[i], (int, float)) and not isinstance(v[i], bool)}
    child.log_metrics(scores)
    child.end(FINISHED)


def _write_cv_results(store: Any, run: Any, results: dict[str, Any]) -> None:
    import json

    store.log_files(run.run_id, "cv_results",
                    {"cv_results.json": json.dumps(results, default=str, indent=1)})
