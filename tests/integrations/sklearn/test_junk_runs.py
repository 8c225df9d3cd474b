"""Only the user's fits are runs.

scikit-learn fits estimators for its own purposes: ``f1_score`` and ``classification_report``
fit a LabelEncoder, ``log_loss`` a LabelBinarizer, the cross-validation helpers fit clones.
None of those may become a run; a third-party estimator class the user fits, a user's fit in
a thread pool or a joblib task, still records.
"""

from __future__ import annotations

import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn import calibration, inspection, metrics, model_selection
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

import autolog
import autolog_sklearn.integration as sklearn_integration
from autolog.stores.local import LocalStore

X, Y = make_classification(n_samples=120, n_classes=3, n_informative=4, random_state=0)
LABELS = np.array(["ant", "bee", "cat"])[Y]


def _helpers(model):
    predicted, proba = model.predict(X), model.predict_proba(X)
    return {
        # metrics
        "f1_score": lambda: metrics.f1_score(LABELS, predicted, average="macro"),
        "balanced_accuracy_score": lambda: metrics.balanced_accuracy_score(LABELS, predicted),
        "classification_report": lambda: metrics.classification_report(LABELS, predicted),
        "roc_auc_score": lambda: metrics.roc_auc_score(LABELS, proba, multi_class="ovr"),
        "top_k_accuracy_score": lambda: metrics.top_k_accuracy_score(LABELS, proba, k=2),
        "log_loss": lambda: metrics.log_loss(LABELS, proba),
        "hinge_loss": lambda: metrics.hinge_loss(LABELS, model.decision_function(X)),
        # inspection
        "permutation_importance": lambda: inspection.permutation_importance(
            model, X, LABELS, n_repeats=2, random_state=0),
        "partial_dependence": lambda: inspection.partial_dependence(model, X, [0]),
        # calibration
        "calibration_curve": lambda: calibration.calibration_curve(LABELS == "ant",
                                                                   proba[:, 0]),
        # model selection
        "cross_val_score": lambda: model_selection.cross_val_score(
            LogisticRegression(), X, LABELS, cv=3),
        "cross_val_predict": lambda: model_selection.cross_val_predict(
            LogisticRegression(), X, LABELS, cv=3),
        "cross_validate": lambda: model_selection.cross_validate(
            LogisticRegression(), X, LABELS, cv=3, return_estimator=True),
        "learning_curve": lambda: model_selection.learning_curve(
            LogisticRegression(), X, LABELS, cv=3, train_sizes=[0.5, 1.0]),
        "validation_curve": lambda: model_selection.validation_curve(
            LogisticRegression(), X, LABELS, param_name="C", param_range=[0.1, 1.0], cv=3),
        "permutation_test_score": lambda: model_selection.permutation_test_score(
            LogisticRegression(), X, LABELS, cv=3, n_permutations=2, random_state=0),
    }


def _run_names(store):
    autolog.flush()
    return sorted(r.info.name for r in LocalStore(store.root).search_runs())


def test_library_helpers_make_no_runs(store):
    model = LogisticRegression(max_iter=500).fit(X, LABELS)
    assert _run_names(store) == ["LogisticRegression"]
    for name, helper in _helpers(model).items():
        helper()
        assert _run_names(store) == ["LogisticRegression"], name


def test_without_the_rule_those_helpers_would_make_runs(store, monkeypatch):
    # The control: the helpers above really fit estimators inside scikit-learn.
    model = LogisticRegression(max_iter=500).fit(X, LABELS)
    monkeypatch.setattr(sklearn_integration, "LIBRARY", "no-library")
    made = {}
    for name, helper in _helpers(model).items():
        before = len(_run_names(store))
        helper()
        made[name] = len(_run_names(store)) - before
    assert made["f1_score"] >= 1 and made["classification_report"] >= 1
    assert made["log_loss"] >= 1 and made["cross_val_score"] == 3


class _FitsInside(ClassifierMixin, BaseEstimator):
    """A user's estimator whose fit fits another model (in user code)."""

    def fit(self, X, y):
        self.inner_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.inner_.classes_
        return self

    def predict(self, X):
        return self.inner_.predict(X)


def test_nothing_inside_a_library_fit_records(store):
    model_selection.cross_val_score(_FitsInside(), X, LABELS, cv=3)
    assert _run_names(store) == []
    _FitsInside().fit(X, LABELS)  # the user's own call: one run, the inner fit is part of it
    assert _run_names(store) == ["_FitsInside"]


def test_a_calibration_the_user_fits_records_once(store):
    model = LogisticRegression(max_iter=500).fit(X, LABELS)
    CalibratedClassifierCV(FrozenEstimator(model)).fit(X, LABELS)
    assert _run_names(store) == ["CalibratedClassifierCV", "LogisticRegression"]


def test_a_third_party_estimator_records(store, tmp_path, monkeypatch):
    package = tmp_path / "thirdparty_models"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent('''
        import numpy as np
        from sklearn.base import BaseEstimator, ClassifierMixin
        from sklearn.preprocessing import LabelEncoder


        class NearestCentroidLite(ClassifierMixin, BaseEstimator):
            def fit(self, X, y):
                self.encoder_ = LabelEncoder().fit(y)   # a fit inside the user's fit
                codes = self.encoder_.transform(y)
                self.classes_ = self.encoder_.classes_
                self.centroids_ = np.stack([X[codes == k].mean(axis=0)
                                            for k in range(len(self.classes_))])
                return self

            def predict(self, X):
                distances = ((X[:, None, :] - self.centroids_[None]) ** 2).sum(axis=2)
                return self.classes_[distances.argmin(axis=1)]
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    from thirdparty_models import NearestCentroidLite

    try:
        model = NearestCentroidLite().fit(X, LABELS)
        autolog.flush()
        runs = LocalStore(store.root).search_runs()
        assert [r.info.name for r in runs] == ["NearestCentroidLite"]
        run = runs[0]
        assert run.tags["autolog.model_module"] == "thirdparty_models"
        assert run.metrics["training_accuracy"] == pytest.approx(model.score(X, LABELS))
        assert run.model_path is not None
    finally:
        sys.modules.pop("thirdparty_models", None)


def test_fits_in_thread_pools_and_joblib_tasks_are_the_users(store):
    estimators = [LogisticRegression(C=c, max_iter=500) for c in (0.1, 1.0)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda est: est.fit(X, LABELS), estimators))
    Parallel(n_jobs=2, backend="threading")(
        delayed(est.fit)(X, LABELS) for est in estimators)
    assert _run_names(store) == ["LogisticRegression"] * 4
