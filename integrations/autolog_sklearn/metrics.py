"""Training metrics of a fitted estimator, computed on the background writer."""

from __future__ import annotations

import math
import warnings
from typing import Any

__all__ = ["training_metrics"]


def _classifier_metrics(model: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    from sklearn import metrics

    pred = model.predict(X)
    out = {
        "training_accuracy": metrics.accuracy_score(y, pred, sample_weight=weight),
        "training_precision": metrics.precision_score(y, pred, average="weighted",
                                                      sample_weight=weight, zero_division=0),
        "training_recall": metrics.recall_score(y, pred, average="weighted",
                                                sample_weight=weight, zero_division=0),
        "training_f1": metrics.f1_score(y, pred, average="weighted", sample_weight=weight,
                                        zero_division=0),
    }
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        labels = getattr(model, "classes_", None)
        out["training_log_loss"] = metrics.log_loss(y, proba, sample_weight=weight, labels=labels)
        if proba.shape[1] == 2:
            out["training_roc_auc"] = metrics.roc_auc_score(y, proba[:, 1], sample_weight=weight)
        else:
            out["training_roc_auc"] = metrics.roc_auc_score(
                y, proba, multi_class="ovr", average="weighted", sample_weight=weight,
                labels=labels)
    return out


def _regressor_metrics(model: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    from sklearn import metrics

    pred = model.predict(X)
    mse = metrics.mean_squared_error(y, pred, sample_weight=weight)
    return {
        "training_mse": mse,
        "training_rmse": math.sqrt(mse),
        "training_mae": metrics.mean_absolute_error(y, pred, sample_weight=weight),
        "training_r2": metrics.r2_score(y, pred, sample_weight=weight),
    }


def training_metrics(model: Any, X: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
    """Metrics on the training data: classification or regression ones, plus ``training_score``.

    A metric that does not apply (no ``predict_proba``, one class only, no ``score``) is left
    out rather than reported as an error.
    """
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if y is not None and is_classifier(model):
            try:
                out.update(_classifier_metrics(model, X, y, sample_weight))
            except ValueError:
                pass  # e.g. ROC AUC with a single class in y
        elif y is not None and is_regressor(model):
            out.update(_regressor_metrics(model, X, y, sample_weight))
        if hasattr(model, "score"):
            try:
                out["training_score"] = (model.score(X, y) if y is not None else model.score(X))
            except (TypeError, ValueError, AttributeError):
                pass
    return {k: float(v) for k, v in out.items()}
