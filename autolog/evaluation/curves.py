"""The data behind the diagnostic plots of an evaluation, as small JSON-ready dicts.

* ``confusion_matrix``: labels and counts (rows: true label, columns: predicted);
* ``roc_curve`` and ``pr_curve``: per class (the positive class for a binary classifier, each
  class one-vs-rest otherwise, at most :data:`MAX_CURVE_CLASSES`), at most
  :data:`MAX_POINTS` points each, with the area under the curve;
* ``calibration_curve``: mean predicted probability against the observed frequency in
  :data:`CALIBRATION_BINS` equal-width bins (binary: the positive class; more classes: the
  top-label confidence against accuracy);
* ``residuals``: a histogram of ``y_true - y_pred`` for a regressor.

The points are those of ``sklearn.metrics.roc_curve`` and ``precision_recall_curve`` (same
thresholds), thinned evenly by index with the first and last points kept.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CALIBRATION_BINS", "MAX_CURVE_CLASSES", "MAX_POINTS", "calibration_curve",
           "area", "classifier_plots", "downsample", "pr_points", "regressor_plots", "roc_points"]

MAX_POINTS = 200
MAX_CURVE_CLASSES = 10
MAX_MATRIX_LABELS = 50
CALIBRATION_BINS = 10
RESIDUAL_BINS = 30


def _counts(positive: Any, score: Any) -> tuple[Any, Any, Any]:
    """True and false positives at each distinct score, highest score first."""
    import numpy as np

    positive = np.asarray(positive, dtype=float)
    score = np.asarray(score, dtype=float)
    order = np.argsort(score, kind="mergesort")[::-1]
    score, positive = score[order], positive[order]
    last = np.r_[np.where(np.diff(score))[0], len(score) - 1]
    tps = np.cumsum(positive)[last]
    fps = 1 + last - tps
    return fps, tps, score[last]


def roc_points(positive: Any, score: Any) -> tuple[Any, Any, Any]:
    """(fpr, tpr, thresholds) as ``sklearn.metrics.roc_curve(drop_intermediate=False)``."""
    import numpy as np

    fps, tps, thresholds = _counts(positive, score)
    fps, tps = np.r_[0, fps], np.r_[0, tps]
    thresholds = np.r_[np.inf, thresholds]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def pr_points(positive: Any, score: Any) -> tuple[Any, Any, Any]:
    """(recall, precision, thresholds) as ``sklearn.metrics.precision_recall_curve``: recall
    decreasing, ending at recall 0 and precision 1. Empty without positives."""
    import numpy as np

    fps, tps, thresholds = _counts(positive, score)
    if len(tps) == 0 or tps[-1] == 0:
        return np.array([]), np.array([]), np.array([])
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return np.r_[recall[::-1], 0.0], np.r_[precision[::-1], 1.0], thresholds[::-1]


def binary_auc(positive: Any, score: Any) -> float:
    """ROC AUC: the Mann-Whitney U statistic with ties counted half (nan with one class)."""
    import numpy as np

    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    values, inverse, counts = np.unique(np.asarray(score, dtype=float), return_inverse=True,
                                        return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inverse]  # average rank of each tie group
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def area(x: Any, y: Any) -> float:
    """The area under the curve through the points ``(x, y)`` (trapezoidal rule, either
    direction of ``x``), as ``sklearn.metrics.auc``."""
    import numpy as np

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2:
        return float("nan")
    return float(abs(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2)))


def downsample(*series: Any, limit: int = MAX_POINTS) -> list[list[float | None]]:
    """The series (equal lengths) thinned to at most ``limit`` points, as plain lists; the
    first and last points are kept, infinities and NaNs become None."""
    import math

    import numpy as np

    n = len(series[0]) if series else 0
    if n > limit:
        index = np.unique(np.r_[np.linspace(0, n - 1, limit).round().astype(int), n - 1])
    else:
        index = np.arange(n)

    def clean(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    return [[clean(float(v)) for v in np.asarray(s, dtype=float)[index]] for s in series]


def calibration_curve(positive: Any, probability: Any, bins: int = CALIBRATION_BINS
                      ) -> dict[str, list[float]]:
    """Equal-width bins of ``probability``: mean predicted, observed frequency, count (empty
    bins are left out)."""
    import numpy as np

    probability = np.clip(np.asarray(probability, dtype=float), 0.0, 1.0)
    positive = np.asarray(positive, dtype=float)
    which = np.minimum((probability * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    predicted = np.bincount(which, weights=probability, minlength=bins)
    observed = np.bincount(which, weights=positive, minlength=bins)
    keep = count > 0
    return {"mean_predicted": (predicted[keep] / count[keep]).tolist(),
            "fraction_positive": (observed[keep] / count[keep]).tolist(),
            "count": count[keep].astype(int).tolist()}


def _curves(c: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    import numpy as np

    k = len(c.labels)
    present = np.bincount(c.true, minlength=k) > 0
    if k == 2:
        targets = [1]
    else:
        targets = [i for i in range(k) if present[i] and c.known[i]][:MAX_CURVE_CLASSES]
    roc, pr = [], []
    for i in targets:
        positive, score = c.true == i, c.proba[:, i]
        if not positive.any() or positive.all():
            continue
        label = c.labels[i].item() if hasattr(c.labels[i], "item") else c.labels[i]
        fpr, tpr, _ = roc_points(positive, score)
        xs, ys = downsample(fpr, tpr)
        roc.append({"label": label, "fpr": xs, "tpr": ys, "auc": binary_auc(positive, score)})
        recall, precision, _ = pr_points(positive, score)
        rs, ps = downsample(recall, precision)
        pr.append({"label": label, "recall": rs, "precision": ps, "auc": area(recall, precision)})
    return roc, pr


def classifier_plots(c: Any) -> dict[str, dict[str, Any]]:
    """Plot data of a classification (:class:`autolog.evaluation.metrics.Classification`)."""
    import numpy as np

    labels = [v.item() if hasattr(v, "item") else v for v in c.labels]
    out: dict[str, dict[str, Any]] = {}
    if len(labels) <= MAX_MATRIX_LABELS:
        out["confusion_matrix"] = {"labels": labels, "matrix": c.matrix.tolist()}
    if c.proba is None:
        return out
    roc, pr = _curves(c)
    if roc:
        out["roc_curve"] = {"curves": roc}
        out["pr_curve"] = {"curves": pr}
    if len(labels) == 2 and c.known[1]:
        calibration = calibration_curve(c.true == 1, c.proba[:, 1])
        out["calibration_curve"] = {"kind": f"probability of {labels[1]}", **calibration}
    elif len(labels) > 2:
        top = c.proba.argmax(axis=1)
        calibration = calibration_curve(top == c.true, c.proba[np.arange(len(top)), top])
        out["calibration_curve"] = {"kind": "top-label confidence", **calibration}
    return out


def regressor_plots(y_true: Any, y_pred: Any) -> dict[str, dict[str, Any]]:
    """Plot data of a regression: the residuals histogram."""
    import numpy as np

    residuals = (np.asarray(y_true, dtype=float).reshape(len(y_true), -1)
                 - np.asarray(y_pred, dtype=float).reshape(len(y_pred), -1)).reshape(-1)
    residuals = residuals[np.isfinite(residuals)]
    if not len(residuals):
        return {}
    counts, edges = np.histogram(residuals, bins=RESIDUAL_BINS)
    return {"residuals": {"edges": edges.tolist(), "counts": counts.tolist(),
                          "mean": float(residuals.mean()), "std": float(residuals.std())}}
