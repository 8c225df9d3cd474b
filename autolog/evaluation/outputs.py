"""A model's predictions on held-out data, whatever the model: :func:`model_outputs`.

The integration that knows the model's framework answers first (an integration class with a
classmethod ``evaluation_outputs(model, X, y, task)`` returning :class:`Outputs`, or None for a
model it does not know): scikit-learn estimators, PyTorch modules on tensors or a DataLoader.
Any other object with ``predict`` (an ONNX model loaded by :func:`autolog.load_model`, a
third-party model) is evaluated from ``predict`` and, when it has them, ``predict_proba`` and
``classes_``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["TASKS", "Outputs", "infer_task", "model_outputs"]

TASKS = ("classification", "regression")
# A target with at most this many distinct integer values, all also predicted as such, is a
# classification target when nothing else says so.
_MAX_INFERRED_CLASSES = 100


@dataclass
class Outputs:
    """What an evaluation measures.

    Attributes:
        task: ``"classification"`` or ``"regression"``.
        y_true: the targets (numpy).
        y_pred: predicted labels or values (numpy), one row per target row.
        proba: class probabilities (``n x len(classes)``), or None.
        classes: the labels of ``proba``'s columns, or None.
    """

    task: str
    y_true: Any
    y_pred: Any
    proba: Any = None
    classes: Any = None


def check_task(task: str | None) -> str | None:
    if task is not None and task not in TASKS:
        raise ValueError(f"Invalid task {task!r}: use 'classification', 'regression' or None "
                         "(inferred from the model and the targets).")
    return task


def infer_task(y_true: Any, y_pred: Any) -> str:
    """Classification for labels (text, booleans, integers predicted as integers), regression
    for anything else."""
    import numpy as np

    y = np.asarray(y_true)
    p = np.asarray(y_pred)
    if y.dtype.kind in "OUSb" or p.dtype.kind in "OUSb":
        return "classification"
    if y.dtype.kind in "iu" and p.dtype.kind in "iu" and y.ndim == 1 and \
            len(np.unique(y)) <= _MAX_INFERRED_CLASSES:
        return "classification"
    if y.dtype.kind == "f" and p.dtype.kind == "f" and y.ndim == 1 and \
            np.array_equal(y, np.round(y)) and np.array_equal(p, np.round(p)) and \
            len(np.unique(np.r_[y, p])) <= 2:
        return "classification"  # 0.0/1.0 targets and predictions
    return "regression"


def _host(value: Any) -> Any:
    """numpy from a tensor, Series or list."""
    import numpy as np

    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    elif hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value)


def _generic(model: Any, X: Any, y: Any, task: str | None) -> Outputs:
    if not hasattr(model, "predict"):
        raise TypeError(f"autolog cannot evaluate a {type(model).__qualname__}: it has no "
                        "predict() and no installed integration knows it (scikit-learn "
                        "estimators, torch modules and models from autolog.load_model are "
                        "supported).")
    if y is None:
        raise ValueError("evaluate() needs the targets y (only a PyTorch DataLoader carries "
                         "its own).")
    y_pred = _host(model.predict(X))
    y_true = _host(y)
    task = task or infer_task(y_true, y_pred)
    proba = classes = None
    if task == "classification":
        classes = getattr(model, "classes_", None)
        if hasattr(model, "predict_proba") and classes is not None:
            proba = _host(model.predict_proba(X))
        elif hasattr(model, "run"):  # an ONNX model: its probabilities output, if any
            outputs = model.run(X)
            if isinstance(outputs, dict) and "probabilities" in outputs:
                import numpy as np

                proba = np.asarray(outputs["probabilities"])
                classes = np.unique(np.r_[y_true.reshape(-1), y_pred.reshape(-1)])
                if proba.ndim != 2 or proba.shape[1] != len(classes):
                    proba = classes = None
    return Outputs(task, y_true, y_pred, proba, classes)


def model_outputs(model: Any, X: Any, y: Any, task: str | None) -> Outputs:
    """The predictions of ``model`` on ``X`` next to the targets ``y``.

    Raises:
        TypeError: nothing knows how to run the model.
        ValueError: no targets, or targets and predictions of different lengths.
    """
    from autolog.integration import loaded_classes

    check_task(task)
    for cls in loaded_classes():
        hook = getattr(cls, "evaluation_outputs", None)
        found = hook(model, X, y, task) if hook is not None else None
        if found is not None:
            return found  # type: ignore[no-any-return]
    return _generic(model, X, y, task)
