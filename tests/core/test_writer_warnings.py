"""The writer's warnings stay on the writer; the training thread's warning state is its own."""

from __future__ import annotations

import threading
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

import autolog
from autolog import safety, writer


class _SlowPredict(ClassifierMixin, BaseEstimator):
    """predict() warns, then waits until the test lets it go (it runs on the writer)."""

    entered = threading.Event()
    release = threading.Event()

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        warnings.warn("predict was called", UserWarning, stacklevel=2)
        type(self).entered.set()
        type(self).release.wait(30)
        return np.full(len(X), self.classes_[0])


def test_metrics_on_the_writer_leave_the_user_warnings_alone(tmp_path):
    autolog.enable(store=str(tmp_path / "store"), testing=True)
    X = np.arange(20, dtype=float).reshape(10, 2)
    y = np.arange(10) % 2
    _SlowPredict.entered.clear()
    _SlowPredict.release.clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            filters = list(warnings.filters)
            _SlowPredict().fit(X, y)
            assert _SlowPredict.entered.wait(30), "the writer never computed the metrics"
            # The writer is inside the model's predict (training metrics) right now.
            assert warnings.filters == filters
            warnings.warn("the user's own warning", UserWarning, stacklevel=1)
            _SlowPredict.release.set()
            autolog.flush()
        assert [str(w.message) for w in caught] == ["the user's own warning"]
    finally:
        _SlowPredict.release.set()


def test_an_autolog_warning_from_the_writer_is_shown(tmp_path):
    autolog.enable(store=str(tmp_path / "store"))

    def job() -> None:
        warnings.warn("a writer job's own warning", UserWarning, stacklevel=1)
        safety.warn("autolog: something could not be recorded")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer.submit("a test job", job)
        writer.flush()
    assert [(w.category, str(w.message)) for w in caught] == [
        (safety.AutologWarning, "autolog: something could not be recorded")]
