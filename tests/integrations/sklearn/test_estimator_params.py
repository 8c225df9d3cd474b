"""get_params with cached parameter names returns what scikit-learn's get_params returns."""

from __future__ import annotations

import pytest
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from autolog_sklearn.estimator_params import get_params


class Holder(BaseEstimator):
    """A user's estimator holding another one and an object with its own get_params."""

    def __init__(self, inner=None, other=None, alpha=1.0):
        self.inner = inner
        self.other = other
        self.alpha = alpha


class NotAnEstimator:
    def get_params(self):  # no ``deep`` argument, as scikit-learn calls it
        return {"x": 1}


@pytest.mark.parametrize("estimator", [
    LogisticRegression(C=0.3),
    RandomForestClassifier(n_estimators=3),
    make_pipeline(StandardScaler(), LogisticRegression()),
    GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()),
                 {"logisticregression__C": [1]}),
    ColumnTransformer([("cat", OneHotEncoder(), ["c"])]),
    VotingClassifier([("a", LogisticRegression()), ("b", RandomForestClassifier())]),
    BaggingClassifier(LogisticRegression(C=2.0)),
    Holder(inner=LogisticRegression(C=5.0), other=NotAnEstimator(), alpha=0.1),
    Holder(inner=LogisticRegression, alpha=2),  # a class, not an instance: not expanded
])
def test_same_as_scikit_learn(estimator):
    assert get_params(estimator) == estimator.get_params(deep=True)


def test_a_class_whose_init_changes_gets_its_new_names():
    class Grows(BaseEstimator):
        def __init__(self, a=1):
            self.a = a

    assert get_params(Grows()) == {"a": 1}

    def init(self, a=1, b=2):
        self.a, self.b = a, b

    Grows.__init__ = init
    assert get_params(Grows()) == {"a": 1, "b": 2}
