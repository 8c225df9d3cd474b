"""Post-training metrics: what they add to ``predict`` and to a metric call, side by side.

One interpreter, autolog enabled, a model fitted through autolog (so linked to its run). Each
measure alternates blocks of calls *with* autolog's wrapper in place and *without* it (the
patch taken out and put back between blocks: the same function objects, the same data, the
same process), repeated. Each call is timed on its own and a block counts its median call (a
call preempted for milliseconds by another process does not count); the figure is the median
over blocks of the with-minus-without difference.

* ``predict``, linked model: ``LogisticRegression.predict`` on 20 rows (registering the
  output: the link, the dataset name from the caller's bytecode, one weak reference; its
  inner ``decision_function`` call passes a second wrapper), every inference method of the
  class with and without its wrapper;
* ``predict``, model autolog never saw (the wrapper only looks the model up);
* a tiny estimator whose ``predict`` does nearly nothing: the wrapper's cost alone;
* ``accuracy_score(y_test, pred)`` on a linked prediction, the same call again (found in the
  run's call list: logged once), and on an array no model produced;
* the same three paths through a trivial metric function wrapped exactly like
  ``sklearn.metrics``' ones, which isolates the wrapper from scikit-learn's own time (hundreds
  of µs of input validation per real metric call, whose run-to-run noise on a loaded machine
  is larger than the wrapper): a new value on every call (each call logs one metric: name,
  call description, tags, handed to the writer), the same call again, an unlinked array.

Targets: at most 5 µs per ``predict``, at most 20 µs per metric call. Prints a table and writes
``benchmarks/results/bench_post_training.json``.

    python benchmarks/bench_post_training.py [--blocks 15] [--calls 400]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(fn: Callable[[], Any], calls: int) -> float:
    """The median µs of ``calls`` calls, each timed on its own: on a shared machine a call now
    and then waits milliseconds for the CPU, which would dominate a block's average."""
    clock = time.perf_counter_ns
    times = []
    for _ in range(calls):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times) / 1e3


def side_by_side(fn: Callable[[], Any], on: Callable[[], None], off: Callable[[], None],
                 blocks: int, calls: int) -> dict[str, float]:
    """Median µs per call with the patch in place and without, in alternating blocks.

    Starts with an idle writer: the metrics an earlier measure logged are written first.
    """
    import autolog

    autolog.flush()
    with_patch, without = [], []
    fn()
    for i in range(blocks):
        for patched in ((True, False) if i % 2 == 0 else (False, True)):
            (on if patched else off)()
            (with_patch if patched else without).append(_timed(fn, calls))
    on()
    diffs = [a - b for a, b in zip(with_patch, without, strict=True)]
    return {"patched_us": statistics.median(with_patch),
            "unpatched_us": statistics.median(without),
            "added_us": statistics.median(diffs)}


def toggler(cls: type) -> tuple[Callable[[], None], Callable[[], None]]:
    """(put the wrappers back, take them out) for every inference method autolog wrapped
    where ``cls`` finds it (``LogisticRegression.predict`` calls ``decision_function``: both
    go, so "without" is scikit-learn as it is)."""
    from autolog import patching
    from autolog_sklearn.post_training import PREDICT_METHODS

    wrapped = []
    for name in (*PREDICT_METHODS, "score"):
        owner = next((c for c in cls.__mro__ if name in vars(c)), None)
        if owner is not None and patching.is_autolog_wrapper(vars(owner)[name]):
            wrapped.append((owner, name, vars(owner)[name]))

    def on() -> None:
        for owner, name, wrapper in wrapped:
            setattr(owner, name, wrapper)

    def off() -> None:
        for owner, name, wrapper in wrapped:
            setattr(owner, name, wrapper.__wrapped__)

    return on, off


def cell_toggler(function: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    """(put the wrapper back, take it out) for a function wrapped inside its decorator."""
    index = function.__code__.co_freevars.index("func")
    cell = function.__closure__[index]
    wrapper = cell.cell_contents
    original = wrapper.__wrapped__

    def on() -> None:
        cell.cell_contents = wrapper

    def off() -> None:
        cell.cell_contents = original

    return on, off


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import autolog

    store = tempfile.mkdtemp(prefix="bench-post-training-")
    autolog.enable(store=store, log_models=False)

    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    from autolog import heldout, patching

    class Tiny(ClassifierMixin, BaseEstimator):
        def fit(self, X: Any, y: Any) -> Tiny:
            self.classes_ = np.unique(y)
            return self

        def predict(self, X: Any) -> Any:
            return np.zeros(len(X), dtype=int)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 10))
    y = (X[:, 0] + rng.normal(scale=0.5, size=2000) > 0).astype(int)
    X_test, y_test = X[:20], y[:20]
    model = LogisticRegression().fit(X[200:], y[200:])
    tiny = Tiny().fit(X[200:], y[200:])
    with patching.suspended():
        unseen = LogisticRegression().fit(X[200:], y[200:])
    autolog.flush()
    assert heldout.link_of(model) is not None and heldout.link_of(unseen) is None

    pred = model.predict(X_test)
    other = np.zeros(20, dtype=int)
    integration = __import__("autolog.activation", fromlist=["_"])._integrations["sklearn"]
    fake = types.ModuleType("fake_metrics")
    counter = iter(range(10**9))

    def fresh_score(y_true: Any, y_pred: Any) -> float:
        return float(next(counter))  # a new value every call: a new metric every call

    def same_score(y_true: Any, y_pred: Any) -> float:
        return 0.5

    fake.fresh_score, fake.same_score = fresh_score, same_score
    wrapper = integration.post_training._metric_wrapper
    fresh = patching.wrap_attribute(fake, "fresh_score", wrapper).replacement
    same = patching.wrap_attribute(fake, "same_score", wrapper).replacement

    def fake_on() -> None:
        fake.fresh_score, fake.same_score = fresh, same

    def fake_off() -> None:
        fake.fresh_score, fake.same_score = fresh_score, same_score

    predict_on, predict_off = toggler(LogisticRegression)
    tiny_on, tiny_off = toggler(Tiny)
    metric_on, metric_off = cell_toggler(accuracy_score)
    b, c = args.blocks, args.calls
    results = {
        "predict, linked LogisticRegression (20 rows)":
            side_by_side(lambda: model.predict(X_test), predict_on, predict_off, b, c),
        "predict, model autolog never saw":
            side_by_side(lambda: unseen.predict(X_test), predict_on, predict_off, b, c),
        "predict, linked trivial estimator":
            side_by_side(lambda: tiny.predict(X_test), tiny_on, tiny_off, b, c),
        "accuracy_score on a linked prediction (repeat)":
            side_by_side(lambda: accuracy_score(y_test, pred), metric_on, metric_off, b, c),
        "accuracy_score on an unlinked array":
            side_by_side(lambda: accuracy_score(y_test, other), metric_on, metric_off, b, c),
        "trivial metric, linked prediction, same call again":
            side_by_side(lambda: fake.same_score(y_test, pred), fake_on, fake_off, b, c),
        "trivial metric, unlinked array":
            side_by_side(lambda: fake.same_score(y_test, other), fake_on, fake_off, b, c),
        "trivial metric, linked prediction, new value each call (logs)":
            side_by_side(lambda: fake.fresh_score(y_test, pred), fake_on, fake_off, b,
                         max(50, c // 4)),
    }
    autolog.flush()
    run = autolog.search_runs()
    logged = sum(1 for r in run for k in r.metrics if k.startswith("fresh_score"))
    logged_same = sum(1 for r in run for k in r.metrics if k.startswith("same_score"))
    autolog.disable()

    print(f"{'call':<64}{'with (µs)':>11}{'without (µs)':>14}{'added (µs)':>12}")
    for label, r in results.items():
        print(f"{label:<64}{r['patched_us']:>11.2f}{r['unpatched_us']:>14.2f}"
              f"{r['added_us']:>12.2f}")
    trivial = results["predict, linked trivial estimator"]["added_us"]
    real = results["predict, linked LogisticRegression (20 rows)"]["added_us"]
    metric_added = max(r["added_us"] for k, r in results.items() if k.startswith("trivial"))
    print(f"\npredict: the wrapper's own work adds {trivial:.2f} µs (trivial estimator), "
          f"{real:.2f} µs to a real LogisticRegression.predict, whose inner "
          "decision_function call passes a second wrapper (target <= 5 µs); a metric call: "
          f"at most {metric_added:.2f} µs (target <= 20 µs). Sanity: the 'new value' measure "
          f"logged {logged} metrics, the 'same call' one {logged_same}.")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_post_training.json").write_text(json.dumps(
        {"python": sys.version.split()[0], "blocks": b, "calls": c, "results": results,
         "metrics_logged": logged, "same_call_logged": logged_same}, indent=2))


if __name__ == "__main__":
    main()
