"""A PyTorch module's predictions for :func:`autolog.evaluate`, on tensors or a DataLoader.

The module runs in eval mode under ``torch.no_grad()`` (its mode is restored after), on the
device of its parameters. The task, unless ``task=`` says it:

* outputs with two or more columns and integer targets: classification; the outputs are the
  class probabilities when every row is a distribution, else logits (softmax); the classes are
  the column indices;
* one output per row and targets that are all 0 or 1 (integers or booleans): binary
  classification; the output is the probability of 1 when it lies in [0, 1], else a logit
  (sigmoid);
* anything else: regression.
"""

from __future__ import annotations

from typing import Any

from autolog.plugin import Outputs

__all__ = ["outputs"]


def _module(model: Any) -> Any:
    import torch

    if isinstance(model, torch.nn.Module):
        return model
    inner = getattr(model, "module", None)  # a model loaded by autolog.load_model
    return inner if isinstance(inner, torch.nn.Module) else None


def _run(module: Any, X: Any, y: Any) -> tuple[Any, Any]:
    """(outputs, targets) as numpy; a DataLoader's batches are ``(x, y, ...)``."""
    import numpy as np
    import torch

    from autolog.plugin import torch_format
    predict = torch_format.predict
    to_numpy = torch_format.to_numpy

    if isinstance(X, torch.utils.data.DataLoader):
        first = next(iter(module.parameters()), None)
        device = first.device if first is not None else None
        outs, targets = [], []
        with torch.no_grad():
            for batch in X:
                if not isinstance(batch, (list, tuple)) or len(batch) < 2:
                    raise ValueError("evaluate() on a DataLoader needs batches of (inputs, "
                                     "targets); give X and y as tensors otherwise.")
                xb = batch[0].to(device) if device is not None else batch[0]
                outs.append(to_numpy(module(xb)))
                targets.append(to_numpy(batch[1]))
        return np.concatenate(outs), np.concatenate(targets)
    if y is None:
        raise ValueError("evaluate() needs the targets y of the data X (or a DataLoader of "
                         "(inputs, targets) batches).")
    return predict(module, X), to_numpy(y) if hasattr(y, "detach") else np.asarray(
        y.to_numpy() if hasattr(y, "to_numpy") else y)


def _is_distribution(out: Any) -> bool:
    import numpy as np

    return bool(((out >= 0) & (out <= 1)).all() and np.allclose(out.sum(axis=1), 1, atol=1e-3))


def _classification(out: Any, y: Any) -> Outputs:
    import numpy as np

    if out.ndim == 2 and out.shape[1] >= 2:
        if _is_distribution(out):
            proba = out.astype(float)
        else:
            shifted = out - out.max(axis=1, keepdims=True)
            exp = np.exp(shifted.astype(float))
            proba = exp / exp.sum(axis=1, keepdims=True)
        classes = np.arange(out.shape[1])
        return Outputs("classification", y.reshape(-1), proba.argmax(axis=1), proba, classes)
    score = out.reshape(-1).astype(float)
    p = score if ((score >= 0) & (score <= 1)).all() else 1 / (1 + np.exp(-score))
    y_true = y.reshape(-1)
    if y_true.dtype.kind == "f":
        y_true = y_true.astype(int)
    return Outputs("classification", y_true, (p >= 0.5).astype(int), np.c_[1 - p, p],
                   np.array([0, 1]))


def outputs(model: Any, X: Any, y: Any, task: str | None) -> Outputs | None:
    """Predictions of a torch module on ``X`` (tensor, array, DataFrame or DataLoader); None
    for anything that is not a torch module."""
    import numpy as np

    module = _module(model)
    if module is None:
        return None
    was_training = module.training
    module.eval()
    try:
        out, y_true = _run(module, X, y)
    finally:
        module.train(was_training)
    out = np.asarray(out)
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true.reshape(-1)  # (n, 1) targets, as BCE and MSE losses take them
    if task is None:
        columns = out.shape[1] if out.ndim == 2 else 1
        labels = y_true.dtype.kind in "iub" and y_true.ndim == 1
        if columns >= 2 and labels:
            task = "classification"
        elif columns == 1 and labels and set(np.unique(y_true).tolist()) <= {0, 1}:
            task = "classification"
        else:
            task = "regression"
    if task == "classification":
        return _classification(out, y_true)
    if y_true.ndim == 1 and out.ndim == 2 and out.shape[1] == 1:
        out = out.reshape(-1)
    return Outputs("regression", y_true, out)
