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

__all__ = ["evaluate", "training_metrics"]


def _predict(model: Any, X: Any) -> Any:
    """``model.predict(X)``; if the model raises on its own training data (a 5-neighbour model
    fitted on one row), the metrics are not recorded and the run says why in a tag."""
    from autolog.plugin import NotRecorded

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


def _codes(classes: Any, values: Any) -> Any:
    """Positions of ``values`` in ``classes`` (numeric labels), or None if one is missing."""
    import numpy as np

    if (classes is None or classes.ndim != 1 or not len(classes)
            or classes.dtype.kind not in "biuf" or values.dtype.kind not in "biuf"):
        return None
    index = np.searchsorted(classes, values)
    inside = np.minimum(index, len(classes) - 1)
    if np.any(index >= len(classes)) or np.any(classes[inside] != values):
        return None
    return index


def _label_codes(classes: Any, y: Any, pred: Any) -> tuple[Any, Any, int, bool]:
    """(codes of y, codes of pred, number of labels, whether the codes index ``classes``): the
    model's own classes when they hold every label (no sort of the data), else the labels
    found in y and pred."""
    import numpy as np

    yi = _codes(classes, y)
    pi = _codes(classes, pred) if yi is not None else None
    if yi is not None and pi is not None:
        return yi, pi, len(classes), True
    labels, inverse = np.unique(np.concatenate([y, pred]), return_inverse=True)
    return inverse[: len(y)], inverse[len(y):], len(labels), False


def _prf(yi: Any, pi: Any, k: int, w: Any) -> dict[str, float]:
    """Accuracy and support-weighted precision, recall and F1 (scikit-learn's 'weighted'),
    from label codes; labels that occur in neither y nor the predictions weigh nothing."""
    import numpy as np

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
    """ROC AUC as the Mann-Whitney U statistic, ties counted half (unweighted).

    The rank sum of the positives comes from one sort: a value with L smaller and R smaller
    or equal values has the average rank (L + 1 + R) / 2 of its ties.
    """
    import numpy as np

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both classes")
    if np.isnan(score).any():
        return float("nan")
    ordered = np.sort(score)
    pos = score[positive]
    rank_sum = (np.searchsorted(ordered, pos, "left") + np.searchsorted(ordered, pos, "right")
                ).sum() / 2 + n_pos / 2
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _proba_metrics(model: Any, X: Any, y: Any, weight: Any, index: Any) -> dict[str, float]:
    import numpy as np

    try:
        raw = model.predict_proba(X)
    except Exception as exc:  # noqa: BLE001 - the model's own failure: no probability metrics
        raise ValueError(f"predict_proba raised {type(exc).__name__}") from exc
    proba = np.asarray(raw, dtype=float)
    classes = np.asarray(model.classes_)
    if index is None or len(classes) != proba.shape[1]:
        index = np.searchsorted(classes, y)
        if np.any(index >= len(classes)) or np.any(
                classes[np.minimum(index, len(classes) - 1)] != y):
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


def _classifier_metrics(model: Any, X: Any, y: Any, weight: Any, pred: Any
                        ) -> dict[str, float]:
    import numpy as np

    pred = np.asarray(pred)
    classes = getattr(model, "classes_", None)
    classes = np.asarray(classes) if classes is not None else None
    yi, pi, k, of_classes = _label_codes(classes, y, pred)
    out = _prf(yi, pi, k, _weights(weight, len(y)))
    if hasattr(model, "predict_proba") and classes is not None:
        try:
            out.update(_proba_metrics(model, X, y, weight, yi if of_classes else None))
        except (ValueError, AttributeError, IndexError):
            pass  # a single class, unknown labels or no usable probabilities
    return out


def _regressor_metrics(y: Any, weight: Any, pred: Any) -> dict[str, float]:
    import numpy as np

    pred = np.asarray(pred, dtype=float)
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


def _multioutput_regressor_metrics(y: Any, weight: Any, pred: Any) -> dict[str, float]:
    """Several targets: scikit-learn's own metrics, averaged uniformly over the outputs."""
    from sklearn import metrics

    mse = float(metrics.mean_squared_error(y, pred, sample_weight=weight))
    return {
        "training_mse": mse,
        "training_rmse": math.sqrt(mse),
        "training_mae": float(metrics.mean_absolute_error(y, pred, sample_weight=weight)),
        "training_r2": float(metrics.r2_score(y, pred, sample_weight=weight)),
    }


def _own(cls: type, name: str) -> Any:
    """The function ``cls.name`` is, as defined (autolog's wrapper of it looked through: a
    wrapped method is bound anew at every access, so it is never ``is`` itself)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            found = vars(klass)[name]
            return getattr(found, "__wrapped__", found)
    return None


def _score(model: Any, X: Any, y: Any, out: dict[str, float], weight: Any) -> float | None:
    """``model.score`` — reused from the metrics when it is scikit-learn's default one."""
    from sklearn.base import ClassifierMixin, RegressorMixin

    score = _own(type(model), "score")
    if weight is None and score is _own(ClassifierMixin, "score") and "training_accuracy" in out:
        return out["training_accuracy"]
    if (weight is None and score is _own(RegressorMixin, "score") and "training_r2" in out
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
    return evaluate(model, X, y, sample_weight)[0]


def evaluate(model: Any, X: Any, y: Any, sample_weight: Any = None
             ) -> tuple[dict[str, float], Any]:
    """:func:`training_metrics`, and ``model.predict(X)`` when they needed it (else None), so
    that the caller can reuse the predictions (the writer's signature does).

    Run it under ``sklearn.config_context(assume_finite=True, skip_parameter_validation=True)``
    when ``X`` is the input the model was just fitted on: the fit validated it already.
    """
    import numpy as np
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}
    pred = None
    # No warnings.catch_warnings() here: the filters are process-wide, and swapping them on the
    # writer would swap the training thread's too. The writer hides its warnings itself.
    target = None if y is None else np.asarray(y)
    if target is not None and target.ndim == 1:
        if is_classifier(model):
            pred = _predict(model, X)
            out.update(_classifier_metrics(model, X, target, sample_weight, pred))
        elif is_regressor(model):
            pred = _predict(model, X)
            out.update(_regressor_metrics(target, sample_weight, pred))
    elif target is not None and is_regressor(model):
        pred = _predict(model, X)
        out.update(_multioutput_regressor_metrics(target, sample_weight, pred))
    score = _score(model, X, y, out, sample_weight)
    if score is not None:
        out["training_score"] = score
    return {k: float(v) for k, v in out.items()}, pred
