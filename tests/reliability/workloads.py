"""Small, deterministic training workloads shared by the reliability tests and their
subprocesses (import this module only where scikit-learn, and for torch_* torch, may load)."""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np


def iris() -> tuple[Any, Any]:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    return X, y


def fit_predict(estimator: Any, X: Any, y: Any) -> Any:
    """What the user gets: ``fit`` returns the estimator itself; its predictions."""
    fitted = estimator.fit(X, y)
    assert fitted is estimator
    return np.asarray(estimator.predict(X))


def sklearn_classes() -> dict[str, type]:
    """Estimators that break autolog in one specific place each (real failures, no mocks)."""
    from sklearn.base import BaseEstimator
    from sklearn.linear_model import LogisticRegression

    class Unpicklable(LogisticRegression):
        """Holds a lock after fit: pickling the fitted model raises TypeError."""

        def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
            super().fit(X, y, sample_weight)
            self.lock_ = threading.Lock()
            return self

    class SetPredictor(BaseEstimator):
        """Predicts a Python set: no schema can be inferred from it."""

        def fit(self, X: Any, y: Any = None) -> Any:
            self.n_ = len(X)
            return self

        def predict(self, X: Any) -> Any:
            return {int(v) for v in np.asarray(X)[:, 0]}

    class ProbaRaises(LogisticRegression):
        """predict_proba fails: the training metrics cannot be computed."""

        def predict_proba(self, X: Any) -> Any:
            raise RuntimeError("predict_proba is broken in this estimator")

    class ExitInProba(LogisticRegression):
        """predict_proba calls sys.exit(): a SystemExit inside a background-writer job."""

        def predict_proba(self, X: Any) -> Any:
            sys.exit(3)

    class Custom(LogisticRegression):
        """A subclass skl2onnx has no converter for: ONNX conversion fails."""

    return {cls.__name__: cls for cls in
            (Unpicklable, SetPredictor, ProbaRaises, ExitInProba, Custom)}


def torch_net(kind: str = "plain", width: int = 8) -> Any:
    """A small module; ``kind`` builds in one failure: ``unpicklable`` (holds a lock),
    ``no_onnx`` (numpy inside forward: cannot be exported)."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hidden = nn.Linear(4, width)
            self.out = nn.Linear(width, 3)
            if kind == "unpicklable":
                self.lock = threading.Lock()

        def forward(self, x: Any) -> Any:
            h = torch.relu(self.hidden(x))
            if kind == "no_onnx":
                h = h + 0.0 * torch.from_numpy(np.sort(h.detach().numpy(), axis=1))
            return self.out(h)

    return Net()


def torch_train(net: Any, epochs: int = 3, dtype: Any = None,
                between_epochs: Any = None, lr: float = 0.05) -> dict[str, Any]:
    """Train ``net`` on iris with a DataLoader; returns its final weights as numpy arrays
    (what the user keeps). ``between_epochs(epoch)`` runs after each epoch."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    X, y = iris()
    features = torch.tensor(X, dtype=torch.float32)
    if dtype is not None:
        net = net.to(dtype)
        features = features.to(dtype)
    loader = DataLoader(TensorDataset(features, torch.tensor(y)), batch_size=32, shuffle=True)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    for epoch in range(epochs):
        net.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xb), yb)
            loss.backward()
            optimizer.step()
        if between_epochs is not None:
            between_epochs(epoch)
    return {k: v.detach().float().numpy().copy() for k, v in net.state_dict().items()}


def same_weights(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
