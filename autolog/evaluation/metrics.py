"""Held-out metrics of a classifier or a regressor, computed with numpy alone.

The names and definitions are those of ``mlflow.evaluate``'s default evaluator and of
scikit-learn's metric functions and scorers (``accuracy_score``, ``f1_macro``, ``roc_auc``...),
so that values match what a user computes with ``sklearn.metrics`` (the test suite compares
them). numpy only: a PyTorch environment without scikit-learn evaluates too.

Classification (``y_pred`` labels, optional ``proba`` with one column per class of ``classes``):

* ``example_count``, ``accuracy_score``, ``balanced_accuracy_score``;
* ``precision_macro``, ``recall_macro``, ``f1_macro`` and the ``_weighted`` ones (averaged over
  the labels in ``y_true`` and ``y_pred``; a class never predicted has precision 0);
* with ``proba``: ``log_loss``; ``roc_auc`` (binary: of the second class; more classes:
  one-vs-rest, weighted by support, when every class occurs in ``y_true``);
* binary: ``precision_recall_auc`` (area under the precision-recall curve, as MLflow computes
  it), ``true_negatives``, ``false_positives``, ``false_negatives``, ``true_positives``;
* per class (at most :data:`MAX_CLASS_METRICS` classes): ``precision_class_<label>``,
  ``recall_class_<label>``, ``f1_class_<label>``, ``support_class_<label>``.

Regression: ``example_count``, ``mean_absolute_error``, ``mean_squared_error``,
``root_mean_squared_error``, ``r2_score``, ``max_error``, ``mean_absolute_percentage_error``,
``mean_on_target``, ``sum_on_target`` (several targets: averaged uniformly over them;
``max_error`` only for one).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from autolog.evaluation.curves import area, binary_auc, pr_points

__all__ = ["MAX_CLASS_METRICS", "Classification", "classification_metrics", "label_key",
           "regression_metrics"]

MAX_CLASS_METRICS = 50


def label_key(label: Any) -> str:
    """A class label as part of a metric name: letters, digits, ``_ - .`` only."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(label)).strip("_")
    return text or "_"


@dataclass
class Classification:
    """Labels encoded once for every classification metric and curve."""

    labels: Any  # sorted unique labels of y_true, y_pred (and the model's classes)
    true: Any  # index of each y_true in labels
    pred: Any  # index of each y_pred in labels
    proba: Any  # (n, len(labels)) probabilities aligned with labels, or None
    matrix: Any  # confusion counts, rows true, columns predicted
    known: Any  # per label: a column of the model's probabilities (False without them)

    @classmethod
    def build(cls, y_true: Any, y_pred: Any, proba: Any = None, classes: Any = None
              ) -> Classification:
        import numpy as np

        y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
        if len(y_true) != len(y_pred):
            raise ValueError(f"y has {len(y_true)} rows but the model predicted {len(y_pred)}.")
        parts = [y_true, y_pred] + ([np.asarray(classes)] if classes is not None else [])
        labels, inverse = np.unique(np.concatenate(parts), return_inverse=True)
        n = len(y_true)
        true, pred = inverse[:n], inverse[n:2 * n]
        aligned = None
        known = np.zeros(len(labels), dtype=bool)
        if proba is not None and classes is not None:
            proba = np.asarray(proba, dtype=float)
            if proba.ndim == 2 and proba.shape == (n, len(classes)):
                columns = np.searchsorted(labels, np.asarray(classes))
                aligned = np.zeros((n, len(labels)))
                aligned[:, columns] = proba
                known[columns] = True
        k = len(labels)
        matrix = np.bincount(true * k + pred, minlength=k * k).reshape(k, k)
        return cls(labels, true, pred, aligned, matrix, known)


def _safe_div(num: Any, den: Any) -> Any:
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def _per_class(c: Classification) -> dict[str, Any]:
    import numpy as np

    tp = np.diag(c.matrix).astype(float)
    support = c.matrix.sum(axis=1).astype(float)
    predicted = c.matrix.sum(axis=0).astype(float)
    precision = _safe_div(tp, predicted)
    recall = _safe_div(tp, support)
    f1 = _safe_div(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def classification_metrics(c: Classification) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The classification metrics of ``c`` and a per-class table (label, precision, recall,
    f1, support, and roc_auc when probabilities exist).

    Averages run over the labels that occur in ``y_true`` or ``y_pred`` (as scikit-learn's);
    a class the model knows but the data lacks appears in the table with support 0.
    """
    import numpy as np

    n = len(c.true)
    per = _per_class(c)
    support = per["support"]
    total = support.sum()
    seen = (support > 0) | (c.matrix.sum(axis=0) > 0)
    out: dict[str, float] = {
        "example_count": float(n),
        "accuracy_score": float(np.trace(c.matrix) / n) if n else float("nan"),
    }
    present = support > 0
    out["balanced_accuracy_score"] = float(per["recall"][present].mean()) if present.any() \
        else float("nan")
    for name in ("precision", "recall", "f1"):
        out[f"{name}_macro"] = float(per[name][seen].mean()) if seen.any() else 0.0
        out[f"{name}_weighted"] = float((per[name] * support).sum() / total) if total else 0.0
    table = [{"label": _plain(label), "precision": float(per["precision"][i]),
              "recall": float(per["recall"][i]), "f1": float(per["f1"][i]),
              "support": int(support[i])} for i, label in enumerate(c.labels)]
    k = len(c.labels)
    if c.proba is not None:
        if bool(c.known[c.true].all()):  # every true label has a probability column
            eps = np.finfo(float).eps
            picked = np.clip(c.proba[np.arange(n), c.true], eps, 1 - eps)
            out["log_loss"] = float(-np.log(picked).mean())
        aucs = [binary_auc(c.true == i, c.proba[:, i]) for i in range(k)]
        for row, auc in zip(table, aucs, strict=True):
            row["roc_auc"] = auc
        if k == 2:
            out["roc_auc"] = aucs[1]
        elif k > 2 and bool(present.all()):
            out["roc_auc"] = float(np.dot(aucs, support) / total)
    if k == 2:
        tn, fp, fn, tp = (float(v) for v in c.matrix.reshape(-1))
        out.update(true_negatives=tn, false_positives=fp, false_negatives=fn,
                   true_positives=tp)
        if c.proba is not None:
            recall, precision, _ = pr_points(c.true == 1, c.proba[:, 1])
            if len(recall):
                out["precision_recall_auc"] = area(recall, precision)
    if int(seen.sum()) <= MAX_CLASS_METRICS:
        for row in (row for i, row in enumerate(table) if seen[i]):
            key = label_key(row["label"])
            for name in ("precision", "recall", "f1", "support"):
                out[f"{name}_class_{key}"] = float(row[name])
    return out, table


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON can hold."""
    return value.item() if hasattr(value, "item") else value


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """The regression metrics of predictions ``y_pred`` for targets ``y_true``."""
    import numpy as np

    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if y.ndim == 1 and p.ndim == 2 and p.shape[1] == 1:
        p = p.reshape(-1)
    if y.shape != p.shape:
        raise ValueError(f"y has shape {y.shape} but the model predicted {p.shape}.")
    y2 = y.reshape(len(y), -1)
    p2 = p.reshape(len(p), -1)
    err = y2 - p2
    mse = (err ** 2).mean(axis=0)
    total = ((y2 - y2.mean(axis=0)) ** 2).sum(axis=0)
    residual = (err ** 2).sum(axis=0)
    r2 = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1),
                  np.where(residual == 0, 1.0, 0.0))
    eps = np.finfo(float).eps
    mape = (np.abs(err) / np.maximum(np.abs(y2), eps)).mean(axis=0)
    out = {
        "example_count": float(len(y)),
        "mean_absolute_error": float(np.abs(err).mean()),
        "mean_squared_error": float(mse.mean()),
        "root_mean_squared_error": float(np.sqrt(mse).mean()),
        "r2_score": float(r2.mean()),
        "mean_absolute_percentage_error": float(mape.mean()),
        "sum_on_target": float(y.sum()),
        "mean_on_target": float(y.sum() / len(y)) if len(y) else math.nan,
    }
    if y.ndim == 1:
        out["max_error"] = float(np.abs(err).max()) if len(y) else math.nan
    return out
