"""The numpy metrics agree with sklearn.metrics on real models."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge

from autolog_sklearn.metrics import training_metrics


@pytest.mark.parametrize("n_classes, weighted, labels", [
    (2, False, None), (3, False, None), (2, True, None), (4, True, None),
    (3, False, np.array(["cat", "dog", "eel"])),
])
def test_classification_matches_sklearn(n_classes, weighted, labels):
    X, y = make_classification(n_samples=300, n_features=8, n_informative=5,
                               n_classes=n_classes, random_state=1)
    if labels is not None:
        y = labels[y]
    w = np.random.default_rng(0).uniform(0.5, 2, len(y)) if weighted else None
    model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    got = training_metrics(model, X, y, w)
    pred, proba = model.predict(X), model.predict_proba(X)
    assert got["training_accuracy"] == pytest.approx(metrics.accuracy_score(y, pred,
                                                                            sample_weight=w))
    for name, fn in (("precision", metrics.precision_score), ("recall", metrics.recall_score),
                     ("f1", metrics.f1_score)):
        expected = fn(y, pred, average="weighted", sample_weight=w, zero_division=0)
        assert got[f"training_{name}"] == pytest.approx(expected), name
    assert got["training_log_loss"] == pytest.approx(
        metrics.log_loss(y, proba, sample_weight=w, labels=model.classes_))
    auc = (metrics.roc_auc_score(y, proba[:, 1], sample_weight=w) if n_classes == 2 else
           metrics.roc_auc_score(y, proba, multi_class="ovr", average="weighted",
                                 sample_weight=w, labels=model.classes_))
    assert got["training_roc_auc"] == pytest.approx(auc)
    assert got["training_score"] == pytest.approx(model.score(X, y))


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_matches_sklearn(weighted):
    X, y = make_regression(n_samples=200, n_features=5, noise=3.0, random_state=0)
    w = np.random.default_rng(1).uniform(0.5, 2, len(y)) if weighted else None
    model = Ridge().fit(X, y)
    got = training_metrics(model, X, y, w)
    pred = model.predict(X)
    assert got["training_mse"] == pytest.approx(metrics.mean_squared_error(y, pred,
                                                                          sample_weight=w))
    assert got["training_mae"] == pytest.approx(metrics.mean_absolute_error(y, pred,
                                                                           sample_weight=w))
    assert got["training_r2"] == pytest.approx(metrics.r2_score(y, pred, sample_weight=w))
    assert got["training_score"] == pytest.approx(model.score(X, y))


def test_single_class_leaves_auc_out():
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.zeros(20, dtype=int)
    y[0] = 1
    model = LogisticRegression().fit(X, y)
    got = training_metrics(model, X[1:], y[1:])
    assert "training_accuracy" in got and "training_roc_auc" not in got


def test_multioutput_regression_uses_sklearn_metrics():
    X, y = make_regression(n_samples=100, n_features=4, n_targets=2, random_state=0)
    model = Ridge().fit(X, y)
    got = training_metrics(model, X, y)
    pred = model.predict(X)
    assert got["training_mse"] == pytest.approx(metrics.mean_squared_error(y, pred))
    assert got["training_r2"] == pytest.approx(metrics.r2_score(y, pred))


def test_constant_target_score_is_the_models_own():
    X, _ = make_regression(n_samples=50, n_features=3, random_state=0)
    y = np.ones(50)
    model = Ridge().fit(X, y)
    got = training_metrics(model, X, y)
    assert np.isnan(got["training_r2"])
    assert got["training_score"] == pytest.approx(model.score(X, y))


@pytest.mark.parametrize("labels", [np.array([3, 7, 11]), np.array([0.5, 1.5, 2.5]),
                                    np.array(["a", "b", "c"])])
def test_a_class_never_predicted_weighs_nothing(labels):
    """Label codes taken from the model's classes (numbers) or found in the data (others)
    give scikit-learn's values, also for a class the model never predicts."""
    from sklearn.dummy import DummyClassifier

    X = np.zeros((30, 2))
    y = labels[np.array([0] * 15 + [1] * 10 + [2] * 5)]
    model = DummyClassifier(strategy="most_frequent").fit(X, y)
    got = training_metrics(model, X, y)
    # scikit-learn's functions call float labels continuous: its references use the codes
    codes, pred = np.searchsorted(labels, y), np.searchsorted(labels, model.predict(X))
    assert got["training_accuracy"] == pytest.approx(metrics.accuracy_score(codes, pred))
    for name, fn in (("precision", metrics.precision_score), ("recall", metrics.recall_score),
                     ("f1", metrics.f1_score)):
        expected = fn(codes, pred, average="weighted", zero_division=0)
        assert got[f"training_{name}"] == pytest.approx(expected), name
    assert got["training_roc_auc"] == pytest.approx(metrics.roc_auc_score(
        codes, model.predict_proba(X), multi_class="ovr", average="weighted"))


def test_tied_scores_give_scikit_learns_auc():
    from autolog_sklearn.metrics import _binary_auc

    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(2, 40))
        y = rng.integers(0, 2, n)
        y[0], y[1] = 0, 1
        score = rng.integers(0, 4, n).astype(float)
        assert _binary_auc(y == 1, score) == pytest.approx(metrics.roc_auc_score(y, score))
