"""The integration kit (:mod:`autolog.testing.integrations`), run for every integration autolog
ships: scikit-learn, PyTorch, joblib, XGBoost and LightGBM."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np
import pytest

from autolog.testing.integrations import IntegrationSuite

Fail = Callable[[], NoReturn]


@pytest.fixture
def xy() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


class TestSklearn(IntegrationSuite):
    @pytest.fixture
    def framework(self) -> str:
        return "sklearn"

    @pytest.fixture
    def predict_input(self, xy: tuple[Any, Any]) -> Any:
        return xy[0][:20]

    @pytest.fixture
    def train(self, xy: tuple[Any, Any]) -> Callable[[], Any]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return lambda: make_pipeline(StandardScaler(), LogisticRegression()).fit(*xy)

    @pytest.fixture
    def train_nested(self, xy: tuple[Any, Any]) -> Callable[[], Any]:
        """A search over a user's estimator whose fit fits a pipeline: fits inside fits."""
        from sklearn.base import BaseEstimator, ClassifierMixin
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GridSearchCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        class Wrapped(ClassifierMixin, BaseEstimator):
            def __init__(self, C: float = 1.0) -> None:
                self.C = C

            def fit(self, X: Any, y: Any) -> Wrapped:
                self.inner_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C))
                self.inner_.fit(X, y)
                self.classes_ = self.inner_.classes_
                return self

            def predict(self, X: Any) -> Any:
                return self.inner_.predict(X)

        return lambda: GridSearchCV(Wrapped(), {"C": [0.1, 1.0]}, cv=2).fit(*xy)

    @pytest.fixture
    def train_raising(self, xy: tuple[Any, Any]) -> Callable[[Fail], Any]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        def train(fail: Fail) -> Any:
            def transform(X: Any) -> Any:
                fail()

            return make_pipeline(FunctionTransformer(transform), LogisticRegression()).fit(*xy)

        return train


class TestTorch(IntegrationSuite):
    @pytest.fixture
    def framework(self) -> str:
        return "torch"

    @pytest.fixture
    def predict_input(self, xy: tuple[Any, Any]) -> Any:
        return xy[0][:20].astype(np.float32)

    def native_predict(self, model: Any, data: Any) -> Any:
        import torch

        model.eval()
        with torch.no_grad():
            return model(torch.as_tensor(data))

    @staticmethod
    def _loop(xy: tuple[Any, Any], fail: Fail | None = None, nested: bool = False) -> Any:
        import torch
        from torch import nn
        from torch.utils.data import DataLoader, TensorDataset

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.hidden = nn.Linear(4, 8)
                self.out = nn.Linear(8, 2)
                self.calls = 0

            def forward(self, x: Any) -> Any:
                self.calls += 1
                if fail is not None and self.calls == 3:
                    fail()  # the user's forward raises at the third batch
                return self.out(torch.relu(self.hidden(x)))

        torch.manual_seed(0)
        X, y = torch.as_tensor(xy[0], dtype=torch.float32), torch.as_tensor(xy[1])
        model = Net()
        loader = DataLoader(TensorDataset(X, y), batch_size=30, shuffle=True)
        optimizers = [torch.optim.SGD(model.hidden.parameters(), lr=0.1)]
        if nested:  # a second optimizer of the same model, gradient clipping, eval passes
            optimizers.append(torch.optim.Adam(model.out.parameters(), lr=0.01))
        loss_fn = nn.CrossEntropyLoss()
        for _ in range(3):
            model.train()
            for xb, yb in loader:
                for opt in optimizers:
                    opt.zero_grad()
                loss_fn(model(xb), yb).backward()
                if nested:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                for opt in optimizers:
                    opt.step()
            if nested:
                model.eval()
                with torch.no_grad():
                    loss_fn(model(X), y)
        return model

    @pytest.fixture
    def train(self, xy: tuple[Any, Any]) -> Callable[[], Any]:
        return lambda: self._loop(xy)

    @pytest.fixture
    def train_nested(self, xy: tuple[Any, Any]) -> Callable[[], Any]:
        return lambda: self._loop(xy, nested=True)

    @pytest.fixture
    def train_raising(self, xy: tuple[Any, Any]) -> Callable[[Fail], Any]:
        return lambda fail: self._loop(xy, fail=fail)


class TestJoblib(IntegrationSuite):
    """joblib trains nothing itself: its integration carries autolog's re-entry state into
    joblib's workers, so a scikit-learn search run in parallel is one run like a serial one.
    The threading backend: context variables do not follow a task into a thread either, and
    the exception a task raises comes back as the same object."""

    @pytest.fixture
    def framework(self) -> str:
        return "joblib"

    @pytest.fixture
    def predict_input(self, xy: tuple[Any, Any]) -> Any:
        return xy[0][:20]

    @pytest.fixture
    def train(self, xy: tuple[Any, Any]) -> Callable[[], Any]:
        import joblib
        from sklearn.model_selection import GridSearchCV
        from sklearn.tree import DecisionTreeClassifier

        def train() -> Any:
            search = GridSearchCV(DecisionTreeClassifier(random_state=0),
                                  {"max_depth": [1, 2, 3]}, cv=3, n_jobs=2)
            with joblib.parallel_config(backend="threading"):
                return search.fit(*xy)

        return train

    @pytest.fixture
    def train_raising(self, xy: tuple[Any, Any]) -> Callable[[Fail], Any]:
        import joblib
        from sklearn.base import BaseEstimator, ClassifierMixin
        from sklearn.model_selection import GridSearchCV

        def train(fail: Fail) -> Any:
            class Failing(ClassifierMixin, BaseEstimator):
                def __init__(self, depth: int = 1) -> None:
                    self.depth = depth

                def fit(self, X: Any, y: Any) -> Failing:
                    fail()

            search = GridSearchCV(Failing(), {"depth": [1, 2]}, cv=2, n_jobs=2,
                                  error_score="raise")
            with joblib.parallel_config(backend="threading"):
                return search.fit(*xy)

        return train


class TestXGBoost(IntegrationSuite):
    """The native ``xgboost.train``; ``XGBClassifier.fit`` calls it inside itself (nesting)."""

    @pytest.fixture
    def framework(self) -> str:
        return "xgboost"

    @pytest.fixture
    def predict_input(self, xy: tuple[Any, Any]) -> Any:
        return xy[0][:20].astype(np.float32)

    def native_predict(self, model: Any, data: Any) -> Any:
        import xgboost as xgb

        return model.predict(xgb.DMatrix(data))

    @staticmethod
    def _train(xy: tuple[Any, Any], callbacks: list[Any] | None = None) -> Any:
        import xgboost as xgb

        X, y = xy
        train = xgb.DMatrix(X.astype(np.float32), label=y)
        return xgb.train({"objective": "binary:logistic", "max_depth": 2}, train, 5,
                         evals=[(train, "train")], verbose_eval=False, callbacks=callbacks)

    @pytest.fixture
    def train(self, xy: tuple[Any, Any]) -> Callable[[], Any]:
        return lambda: self._train(xy)

    @pytest.fixture
    def train_nested(self, xy: tuple[Any, Any]) -> Callable[[], Any]:
        """The scikit-learn wrapper's fit calls xgboost.train inside itself."""
        from xgboost import XGBClassifier

        return lambda: XGBClassifier(n_estimators=5, max_depth=2).fit(*xy)

    @pytest.fixture
    def train_raising(self, xy: tuple[Any, Any]) -> Callable[[Fail], Any]:
        import xgboost as xgb

        class Failing(xgb.callback.TrainingCallback):
            def __init__(self, fail: Fail) -> None:
                self.fail = fail

            def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
                if epoch == 2:
                    self.fail()
                return False

        return lambda fail: self._train(xy, [Failing(fail)])


class TestLightGBM(IntegrationSuite):
    """The native ``lightgbm.train``."""

    @pytest.fixture
    def framework(self) -> str:
        return "lightgbm"

    @pytest.fixture
    def predict_input(self, xy: tuple[Any, Any]) -> Any:
        return xy[0][:20]

    @staticmethod
    def _train(xy: tuple[Any, Any], callbacks: list[Any] | None = None) -> Any:
        import lightgbm as lgb

        X, y = xy
        train = lgb.Dataset(X, label=y, free_raw_data=False)
        return lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4,
                          "min_data_in_leaf": 5}, train, 5, valid_sets=[train],
                         callbacks=callbacks)

    @pytest.fixture
    def train(self, xy: tuple[Any, Any]) -> Callable[[], Any]:
        return lambda: self._train(xy)

    @pytest.fixture
    def train_raising(self, xy: tuple[Any, Any]) -> Callable[[Fail], Any]:
        def train(fail: Fail) -> Any:
            def callback(env: Any) -> None:
                if env.iteration == 2:
                    fail()

            return self._train(xy, [callback])

        return train
