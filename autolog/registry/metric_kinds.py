"""What a metric name measures, so that metrics named differently can be compared.

``training_accuracy`` (autolog's training metrics), ``accuracy_score_X_test`` (a post-training
metric), ``accuracy_holdout`` (a scorer's name) and ``accuracy_score_holdout``
(:func:`autolog.evaluate`) are all of the kind ``accuracy``. A held-out metric's name is
``<metric>[-n]_<dataset>``; :func:`split_heldout` takes it apart given the run's held-out
datasets (:func:`autolog.heldout.heldout_datasets`).

:data:`RANKING` orders the kinds a comparison ranks by when none is asked for: the model's own
``score`` first (what ``model.score`` computes: accuracy for classifiers, R² for regressors),
then the common classification and regression metrics.
"""

from __future__ import annotations

import re

__all__ = ["INFORMATIONAL", "RANKING", "kind_of", "split_heldout", "training_kind"]

_KINDS: dict[str, tuple[str, ...]] = {
    "score": ("score",),
    "accuracy": ("accuracy", "accuracy_score"),
    "balanced_accuracy": ("balanced_accuracy", "balanced_accuracy_score"),
    "f1": ("f1", "f1_score", "f1_weighted", "f1_macro", "f1_micro", "f1_samples"),
    "precision": ("precision", "precision_score", "precision_weighted", "precision_macro",
                  "precision_micro", "precision_samples"),
    "recall": ("recall", "recall_score", "recall_weighted", "recall_macro", "recall_micro",
               "recall_samples"),
    "roc_auc": ("roc_auc", "roc_auc_score", "roc_auc_ovr", "roc_auc_ovo",
                "roc_auc_ovr_weighted", "roc_auc_ovo_weighted"),
    "average_precision": ("average_precision", "average_precision_score",
                          "precision_recall_auc"),
    "log_loss": ("log_loss", "neg_log_loss"),
    "r2": ("r2", "r2_score"),
    "mse": ("mse", "mean_squared_error", "neg_mean_squared_error"),
    "rmse": ("rmse", "root_mean_squared_error", "neg_root_mean_squared_error"),
    "mae": ("mae", "mean_absolute_error", "neg_mean_absolute_error"),
}
_BY_NAME = {name: kind for kind, names in _KINDS.items() for name in names}

#: Kinds in the order a comparison prefers them for its default ranking.
RANKING = ("score", "accuracy", "r2", "f1", "roc_auc", "balanced_accuracy", "rmse", "mse",
           "mae", "log_loss", "average_precision", "precision", "recall")

#: Metric names that count things rather than rate a model: no best value.
INFORMATIONAL = re.compile(r"^(example_count|support_class_.*|sum_on_target|mean_on_target)$")

_CLASS_SCORE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*_score$")
_INDEX = re.compile(r"-\d+$")


def kind_of(metric: str, model_class: str = "") -> str | None:
    """The kind of a metric name without its dataset (``f1_macro`` -> ``f1``;
    ``LogisticRegression_score`` with that ``model_class`` -> ``score``), or None."""
    metric = _INDEX.sub("", metric)
    if metric.startswith("training_"):
        metric = metric[len("training_"):]
    if model_class and metric == f"{model_class}_score":
        return "score"
    return _BY_NAME.get(metric)


def training_kind(key: str) -> str | None:
    """The kind of a training metric (``training_accuracy`` -> ``accuracy``), or None."""
    return kind_of(key) if key.startswith("training_") else None


def split_heldout(key: str, datasets: object) -> tuple[str, str] | None:
    """``(metric, dataset)`` of a held-out metric key, or None when ``key`` names none of the
    ``datasets`` (the longest matching ``_<dataset>`` suffix wins)."""
    best = None
    for name in datasets:  # type: ignore[attr-defined]
        if key.endswith("_" + name) and len(key) > len(name) + 1 and \
                (best is None or len(name) > len(best)):
            best = name
    if best is None:
        return None
    return key[:-len(best) - 1], best


def is_class_score(metric: str, model_class: str) -> bool:
    """True for ``<model_class>_score`` (also with a ``-n`` suffix)."""
    return bool(model_class) and _INDEX.sub("", metric) == f"{model_class}_score" and \
        bool(_CLASS_SCORE.match(_INDEX.sub("", metric)))
