"""Training metrics of a fitted estimator, computed on the background writer.

The common cases (1-D targets) are computed with numpy in one pass over the predictions:
scikit-learn's metric functions validate their inputs on every call, which costs more than
the fit of a small model (about 11 ms for the six classification metrics on 1000 rows,
against well under 1 ms here). Anything unusual — multi-output targets, sample weights with
ROC AUC — goes to ``sklearn.metrics``. The test suite checks both paths give the same values.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["training_metrics"]


def _predict(model: Any, X: Any) -> Any:
    """``model.predict(X)``; if the model raises on its own training data (a 5-neighbour model
    fitted on one row), the metrics are not recorded and the run says why in a tag."""
    from autolog.model_logging import NotRecorded

    try:
        return model.predict(X)
    except Exception as exc:  # noqa: BLE001 - the user's model raised: its own behaviour
        text = " ".join(str(exc).split())[:300]
        raise NotRecorded("autolog.training_metrics", "not computed: the model's predict "
                          f"raised on its training data ({type(exc).__name__}: {text})"
                          ) from exc


def _weights(weight: Any, n: int) -> Any:
    import numpy as np

    return np.ones(n) if weight is None else np.asarray(weight, dtype=float)


def _prf(y: Any, pred: Any, w: Any) -> dict[str, float]:
    """Accuracy and support-weighted precision, recall and F1 (scikit-learn's 'weighted')."""
    import numpy as np

    labels, inverse = np.unique(np.concatenate([y, pred]), return_inverse=True)
    yi, pi = inverse[: len(y)], inverse[len(y):]
    k = len(labels)
    true_count = np.bincount(yi, weights=w, minlength=k)
    pred_count = np.bincount(pi, weights=w, minlength=k)
    hit = yi == pi
    tp = np.bincount(yi[hit], weights=w[hit], minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_count > 0, tp / pred_count, 0.0)
        recall = np.where(true_count > 0, tp / true_count, 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    support = true_count / true_count.sum()
    return {
        "training_accuracy": float(w[hit].sum() / w.sum()),
        "training_precision": float((precision * support).sum()),
        "training_recall": float((recall * support).sum()),
        "training_f1": float((f1 * support).sum()),
    }


def _binary_auc(positive: Any, score: Any) -> float:
    """ROC AUC as the Mann-Whitney U statistic, ties counted half (unweighted)."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both classes")
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _proba_metrics(model: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    import numpy as np

    try:
        raw = model.predict_proba(X)
    except Exception as exc:  # noqa: BLE001 - the model's own failure: no probability metrics
        raise ValueError(f"predict_proba raised {type(exc).__name__}") from exc
    proba = np.asarray(raw, dtype=float)
    classes = np.asarray(model.classes_)
    index = np.searchsorted(classes, y)
    if np.any(index >= len(classes)) or np.any(classes[np.minimum(index, len(classes) - 1)] != y):
        raise ValueError("y holds labels the model does not know")
    w = _weights(weight, len(y))
    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba[np.arange(len(y)), index], eps, 1 - eps)
    out = {"training_log_loss": float(-(w * np.log(picked)).sum() / w.sum())}
    if weight is None:
        if len(classes) == 2:
            out["training_roc_auc"] = _binary_auc(index == 1, proba[:, 1])
        else:
            present = [c for c in range(len(classes)) if 0 < (index == c).sum() < len(y)]
            prevalence = np.array([(index == c).sum() for c in present], dtype=float)
            aucs = np.array([_binary_auc(index == c, proba[:, c]) for c in present])
            out["training_roc_auc"] = float((aucs * prevalence).sum() / prevalence.sum())
    else:
        from sklearn import metrics

        target = proba[:, 1] if len(classes) == 2 else proba
        out["training_roc_auc"] = float(metrics.roc_auc_score(
            y, target, sample_weight=weight, multi_class="ovr", average="weighted",
            labels=classes if len(classes) > 2 else None))
    return out


def _classifier_metrics(model: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    import numpy as np

    pred = np.asarray(_predict(model, X))
    out = _prf(y, pred, _weights(weight, len(y)))
    if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
        try:
            out.update(_proba_metrics(model, X, y, weight))
        except (ValueError, AttributeError, IndexError):
            pass  # a single class, unknown labels or no usable probabilities
    return out


def _regressor_metrics(model: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    import numpy as np

    pred = np.asarray(_predict(model, X), dtype=float)
    w = _weights(weight, len(y))
    err = y.astype(float) - pred
    mse = float((w * err**2).sum() / w.sum())
    mean = (w * y).sum() / w.sum()
    total = float((w * (y - mean) ** 2).sum())
    return {
        "training_mse": mse,
        "training_rmse": math.sqrt(mse),
        "training_mae": float((w * np.abs(err)).sum() / w.sum()),
        "training_r2": 1.0 - float((w * err**2).sum()) / total if total > 0 else float("nan"),
    }


def _multioutput_regressor_metrics(model: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    """Several targets: scikit-learn's own metrics, averaged uniformly over the outputs."""
    from sklearn import metrics

    pred = _predict(model, X)
    mse = float(metrics.mean_squared_error(y, pred, sample_weight=weight))
    return {
        "training_mse": mse,
        "training_rmse": math.sqrt(mse),
        "training_mae": float(metrics.mean_absolute_error(y, pred, sample_weight=weight)),
        "training_r2": float(metrics.r2_score(y, pred, sample_weight=weight)),
    }


def _score(model: Any, X: Any, y: Any, out: dict[str, float], weight: Any) -> float | None:
    """``model.score`` — reused from the metrics when it is scikit-learn's default one."""
    from sklearn.base import ClassifierMixin, RegressorMixin

    score = getattr(type(model), "score", None)
    if weight is None and score is ClassifierMixin.score and "training_accuracy" in out:
        return out["training_accuracy"]
    if (weight is None and score is RegressorMixin.score and "training_r2" in out
            and math.isfinite(out["training_r2"])):  # a constant target: score() decides
        return out["training_r2"]
    if score is None:
        return None
    try:
        return float(model.score(X, y) if y is not None else model.score(X))
    except (TypeError, ValueError, AttributeError):
        return None


def training_metrics(model: Any, X: Any, y: Any, sample_weight: Any = None) -> dict[str, float]:
    """Metrics on the training data: classification or regression ones, plus ``training_score``.

    A metric that does not apply (no ``predict_proba``, one class only, no ``score``) is left
    out rather than reported as an error.

    Raises:
        NotRecorded: the model's ``predict`` raised on the training data.
    """
    import numpy as np
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}
    # No warnings.catch_warnings() here: the filters are process-wide, and swapping them on the
    # writer would swap the training thread's too. The writer hides its warnings itself.
    target = None if y is None else np.asarray(y)
    if target is not None and target.ndim == 1:
        if is_classifier(model):
            out.update(_classifier_metrics(model, X, target, sample_weight))
        elif is_regressor(model):
            out.update(_regressor_metrics(model, X, target, sample_weight))
    elif target is not None and is_regressor(model):
        out.update(_multioutput_regressor_metrics(model, X, target, sample_weight))
    score = _score(model, X, y, out, sample_weight)
    if score is not None:
        out["training_score"] = score
    return {k: float(v) for k, v in out.items()}
