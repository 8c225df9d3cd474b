"""The models of the ONNX coverage report: small real data, one factory per model.

Shared by tests/model/test_onnx_coverage.py (tiny data, CI) and benchmarks/bench_onnx.py
(the same models at size). ``expect`` is what the test asserts: ``"converted"`` (ONNX written
and within tolerance) or ``"fallback"`` (one warning, native format kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Case:
    name: str
    framework: str
    build: Callable[[int], tuple[Any, Any, Any]]  # rows -> (model, X, y); fit(X, y) is logged
    expect: str = "converted"
    note: str = ""


def _clf(rows: int, classes: int = 3, features: int = 6, seed: int = 0) -> tuple[Any, Any]:
    from sklearn.datasets import make_classification

    return make_classification(n_samples=rows, n_features=features, n_informative=4,
                               n_redundant=0, n_classes=classes, random_state=seed)


def _reg(rows: int, features: int = 6) -> tuple[Any, Any]:
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=rows, n_features=features, noise=3.0, random_state=0)
    return X, y * 50 + 400  # targets in the hundreds, as real regression targets often are


def mixed_frame(rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A DataFrame with int, float, string and bool columns (column names with spaces)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "visits": rng.integers(0, 10, rows).astype("int64"),
        "score (z)": rng.normal(size=rows),
        "city": rng.choice(["paris", "oslo", "lima"], rows),
        "member": rng.random(rows) > 0.5,
    })
    y = ((frame["score (z)"] > 0) ^ frame["member"]).astype(int).to_numpy()
    return frame, y


def _sk(factory: Callable[[], Any], data: Callable[[int], tuple[Any, Any]]
        ) -> Callable[[int], tuple[Any, Any, Any]]:
    def build(rows: int) -> tuple[Any, Any, Any]:
        X, y = data(rows)
        return factory(), X, y

    return build


def _unsupervised(data: Callable[[int], tuple[Any, Any]]) -> Callable[[int], tuple[Any, Any]]:
    def build(rows: int) -> tuple[Any, Any]:
        return data(rows)[0], None

    return build


def _non_negative(rows: int) -> tuple[Any, Any]:
    X, y = _clf(rows)
    return np.abs(X), y


def _int_features(rows: int) -> tuple[Any, Any]:
    X, y = _clf(rows)
    return np.round(X * 3).astype(np.int64), y


def _string_labels(rows: int) -> tuple[Any, Any]:
    X, y = _clf(rows)
    return X, np.array(["low", "mid", "high"])[y]


def _numeric_frame(rows: int) -> tuple[Any, Any]:
    X, y = _reg(rows, features=4)
    return pd.DataFrame(X, columns=["age", "height", "weight", "income"]), y


def _with_missing(rows: int) -> tuple[Any, Any]:
    X, y = _clf(rows)
    X = X.copy()
    X[::7, 1] = np.nan
    return X, y


def _binary(rows: int) -> tuple[Any, Any]:
    return _clf(rows, classes=2)


def sklearn_cases() -> list[Case]:
    """The scikit-learn models and pipelines of the coverage report."""
    from sklearn import (
        cluster,
        decomposition,
        discriminant_analysis,
        ensemble,
        impute,
        linear_model,
        naive_bayes,
        neighbors,
        neural_network,
        pipeline,
        preprocessing,
        svm,
        tree,
    )
    from sklearn.compose import ColumnTransformer

    def mixed_pipeline(final: Callable[[], Any]) -> Callable[[], Any]:
        def make() -> Any:
            pre = ColumnTransformer([
                ("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"), ["city"]),
                ("num", preprocessing.StandardScaler(), ["visits", "score (z)", "member"]),
            ])
            return pipeline.Pipeline([("pre", pre), ("model", final())])

        return make

    lm, ens = linear_model, ensemble
    cases = [
        ("LogisticRegression", lambda: lm.LogisticRegression(max_iter=500), _clf),
        ("RidgeClassifier", lm.RidgeClassifier, _clf),
        ("SGDClassifier", lambda: lm.SGDClassifier(random_state=0), _clf),
        ("Perceptron", lm.Perceptron, _clf),
        ("DecisionTreeClassifier", lambda: tree.DecisionTreeClassifier(random_state=0), _clf),
        ("RandomForestClassifier", lambda: ens.RandomForestClassifier(10, random_state=0), _clf),
        ("ExtraTreesClassifier", lambda: ens.ExtraTreesClassifier(10, random_state=0), _clf),
        ("GradientBoostingClassifier",
         lambda: ens.GradientBoostingClassifier(n_estimators=10, random_state=0), _clf),
        ("HistGradientBoostingClassifier",
         lambda: ens.HistGradientBoostingClassifier(max_iter=10, random_state=0), _clf),
        ("HistGradientBoostingClassifier (NaN)",
         lambda: ens.HistGradientBoostingClassifier(max_iter=10, random_state=0), _with_missing),
        ("AdaBoostClassifier", lambda: ens.AdaBoostClassifier(n_estimators=10, random_state=0),
         _clf),
        ("SVC", svm.SVC, _clf),
        ("SVC(probability=True)", lambda: svm.SVC(probability=True, random_state=0), _binary),
        ("LinearSVC", lambda: svm.LinearSVC(random_state=0), _clf),
        ("KNeighborsClassifier", neighbors.KNeighborsClassifier, _clf),
        ("GaussianNB", naive_bayes.GaussianNB, _clf),
        ("BernoulliNB", naive_bayes.BernoulliNB, _clf),
        ("MultinomialNB", naive_bayes.MultinomialNB, _non_negative),
        ("LinearDiscriminantAnalysis", discriminant_analysis.LinearDiscriminantAnalysis, _clf),
        ("MLPClassifier", lambda: neural_network.MLPClassifier(
            hidden_layer_sizes=(16,), max_iter=300, random_state=0), _clf),
        ("DecisionTreeClassifier (int64 X)", lambda: tree.DecisionTreeClassifier(random_state=0),
         _int_features),
        ("LogisticRegression (string labels)", lambda: lm.LogisticRegression(max_iter=500),
         _string_labels),
        ("LinearRegression", lm.LinearRegression, _reg),
        ("LinearRegression (numeric DataFrame)", lm.LinearRegression, _numeric_frame),
        ("Ridge", lm.Ridge, _reg),
        ("Lasso", lm.Lasso, _reg),
        ("ElasticNet", lm.ElasticNet, _reg),
        ("HuberRegressor", lm.HuberRegressor, _reg),
        ("DecisionTreeRegressor", lambda: tree.DecisionTreeRegressor(random_state=0), _reg),
        ("RandomForestRegressor", lambda: ens.RandomForestRegressor(10, random_state=0), _reg),
        ("GradientBoostingRegressor",
         lambda: ens.GradientBoostingRegressor(n_estimators=10, random_state=0), _reg),
        ("HistGradientBoostingRegressor",
         lambda: ens.HistGradientBoostingRegressor(max_iter=10, random_state=0), _reg),
        ("SVR", svm.SVR, _reg),
        ("KNeighborsRegressor", neighbors.KNeighborsRegressor, _reg),
        ("MLPRegressor", lambda: neural_network.MLPRegressor(
            hidden_layer_sizes=(16,), max_iter=300, random_state=0), _reg),
        ("KMeans", lambda: cluster.KMeans(3, n_init=2, random_state=0), _unsupervised(_clf)),
        ("PCA", lambda: decomposition.PCA(3), _unsupervised(_clf)),
        ("TruncatedSVD", lambda: decomposition.TruncatedSVD(3, random_state=0),
         _unsupervised(_clf)),
        ("StandardScaler", preprocessing.StandardScaler, _unsupervised(_clf)),
        ("MinMaxScaler", preprocessing.MinMaxScaler, _unsupervised(_clf)),
        ("RobustScaler", preprocessing.RobustScaler, _unsupervised(_clf)),
        ("IsolationForest", lambda: ens.IsolationForest(n_estimators=10, random_state=0),
         _unsupervised(_clf)),
        ("Pipeline(StandardScaler, LogisticRegression)",
         lambda: pipeline.make_pipeline(preprocessing.StandardScaler(),
                                        lm.LogisticRegression()), _clf),
        ("Pipeline(SimpleImputer, StandardScaler, Ridge)",
         lambda: pipeline.make_pipeline(impute.SimpleImputer(), preprocessing.StandardScaler(),
                                        lm.Ridge()), _with_missing),
        ("Pipeline(PolynomialFeatures, Ridge)",
         lambda: pipeline.make_pipeline(preprocessing.PolynomialFeatures(2), lm.Ridge()), _reg),
        ("ColumnTransformer(OneHotEncoder) + LogisticRegression",
         mixed_pipeline(lm.LogisticRegression), mixed_frame),
        ("ColumnTransformer(OneHotEncoder) + RandomForestClassifier",
         mixed_pipeline(lambda: ens.RandomForestClassifier(10, random_state=0)), mixed_frame),
    ]
    misses = {
        "ColumnTransformer(OneHotEncoder) + RandomForestClassifier":
            "parity miss: the float32 graph scales in float32, scikit-learn in float64, so a "
            "few rows cross a tree threshold (probabilities off by 1/n_trees); the float64 "
            "graph does not load (skl2onnx concatenates float and double)",
    }
    out = [Case(name, "scikit-learn", _sk(factory, data),
                expect="fallback" if name in misses else "converted", note=misses.get(name, ""))
           for name, factory, data in cases]
    out.append(Case("custom BaseEstimator", "scikit-learn", _sk(_custom_estimator, _reg),
                    expect="fallback", note="no skl2onnx converter registered"))
    return out


def _custom_estimator() -> Any:
    from sklearn.base import BaseEstimator, RegressorMixin

    class MeanRegressor(RegressorMixin, BaseEstimator):
        """Predicts the training mean: a user's own estimator that skl2onnx cannot know."""

        def fit(self, X: Any, y: Any) -> MeanRegressor:
            self.mean_ = float(np.mean(y))
            return self

        def predict(self, X: Any) -> Any:
            return np.full(len(X), self.mean_)

    return MeanRegressor()


# -- PyTorch -------------------------------------------------------------------------------


def train_torch(model: Any, X: Any, y: Any, epochs: int = 2, batch_size: int = 32) -> Any:
    """A plain training loop (what autolog records): DataLoader, optimizer, loss, backward."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = (torch.nn.functional.cross_entropy if y.dtype == torch.int64
               else torch.nn.functional.mse_loss)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model


def _torch_modules() -> dict[str, Any]:
    import torch
    from torch import nn

    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                nn.AdaptiveAvgPool2d(1))
            self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(16, 3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.features(x))

    class TokenClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(50, 8)
            self.out = nn.Linear(8, 2)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.out(self.embed(ids).mean(dim=1))

    class GRUClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(4, 16, batch_first=True)
            self.out = nn.Linear(16, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.out(self.gru(x)[0][:, -1])

    class DataDependent(nn.Module):
        """Branches on a tensor's value: torch.export cannot trace it."""

        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(6, 1), nn.Linear(6, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.a(x) if x.sum() > 0 else self.b(x)

    return {"CNN": CNN, "TokenClassifier": TokenClassifier, "GRUClassifier": GRUClassifier,
            "DataDependent": DataDependent}


def torch_cases() -> list[Case]:
    """The PyTorch modules of the coverage report (trained with :func:`train_torch`)."""
    import torch
    from torch import nn

    modules = _torch_modules()

    def tabular(rows: int, classes: int = 0) -> tuple[Any, Any]:
        gen = torch.Generator().manual_seed(0)
        X = torch.randn(rows, 6, generator=gen)
        if classes:
            return X, (X[:, 0] + X[:, 1] > 0).long()
        return X, (X @ torch.arange(1.0, 7.0)).unsqueeze(1)

    def build(make: Callable[[], Any], data: Callable[[int], tuple[Any, Any]]
              ) -> Callable[[int], tuple[Any, Any, Any]]:
        def run(rows: int) -> tuple[Any, Any, Any]:
            torch.manual_seed(0)
            return (make(), *data(rows))

        return run

    def images(rows: int) -> tuple[Any, Any]:
        gen = torch.Generator().manual_seed(0)
        X = torch.randn(rows, 1, 8, 8, generator=gen)
        return X, (X.mean(dim=(1, 2, 3)) > 0).long() + (X[:, 0, 0, 0] > 1).long()

    def tokens(rows: int) -> tuple[Any, Any]:
        gen = torch.Generator().manual_seed(0)
        ids = torch.randint(0, 50, (rows, 7), generator=gen)
        return ids, (ids.float().mean(dim=1) > 25).long()

    def sequences(rows: int) -> tuple[Any, Any]:
        gen = torch.Generator().manual_seed(0)
        X = torch.randn(rows, 5, 4, generator=gen)
        return X, (X[:, -1, 0] > 0).long()

    return [
        Case("MLP (regression)", "PyTorch", build(
            lambda: nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1)), tabular)),
        Case("MLP + BatchNorm1d + Dropout", "PyTorch", build(
            lambda: nn.Sequential(nn.Linear(6, 32), nn.BatchNorm1d(32), nn.ReLU(),
                                  nn.Dropout(0.3), nn.Linear(32, 2)),
            lambda rows: tabular(rows, classes=2))),
        Case("CNN + BatchNorm2d + Dropout", "PyTorch", build(modules["CNN"], images)),
        Case("Embedding (int64 token ids)", "PyTorch", build(modules["TokenClassifier"], tokens)),
        Case("GRU", "PyTorch", build(modules["GRUClassifier"], sequences)),
        Case("data-dependent control flow", "PyTorch", build(modules["DataDependent"], tabular),
             expect="fallback", note="torch.export cannot trace `if x.sum() > 0`"),
    ]
