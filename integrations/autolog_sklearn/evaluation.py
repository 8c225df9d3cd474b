"""A scikit-learn estimator's predictions for :func:`autolog.evaluate`."""

from __future__ import annotations

from typing import Any

from autolog.plugin import Outputs, infer_task

__all__ = ["outputs"]


def outputs(model: Any, X: Any, y: Any, task: str | None) -> Outputs | None:
    """Predictions (and class probabilities) of ``model`` on ``X``; None for a model that is
    not a scikit-learn estimator.

    The task is ``task``, else the estimator's own (``is_classifier``/``is_regressor``), else
    inferred from the targets and predictions.
    """
    import numpy as np
    from sklearn.base import BaseEstimator, is_classifier, is_regressor

    if not isinstance(model, BaseEstimator):
        return None
    if y is None:
        raise ValueError("evaluate() needs the targets y of the data X.")
    if not hasattr(model, "predict"):
        raise TypeError(f"A {type(model).__name__} has no predict(): only models that predict "
                        "(classifiers, regressors, pipelines ending in one) can be evaluated.")
    y_pred = np.asarray(model.predict(X))
    y_true = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if task is None:
        task = ("classification" if is_classifier(model) else
                "regression" if is_regressor(model) else infer_task(y_true, y_pred))
    proba = classes = None
    if task == "classification" and hasattr(model, "predict_proba"):
        classes = getattr(model, "classes_", None)
        if classes is not None:
            proba = np.asarray(model.predict_proba(X))
    return Outputs(task, y_true, y_pred, proba, classes)
