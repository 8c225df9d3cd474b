"""scikit-learn's own estimator checks under autolog: the odd but valid inputs users have.

``sklearn.utils.estimator_checks`` feeds each estimator sparse matrices of every format,
``_NotAnArray`` wrappers, object and 32-bit dtypes, lists, single samples, 2-D targets,
pandas frames... Each check is run with autolog on, and the fits it makes are recorded as if
the user had called them (its module is added to ``USER_MODULES``; by default scikit-learn's
own fits are not runs, which :func:`test_check_estimator_makes_no_runs_by_default` shows).
Every check must end as it does without autolog (a check that fails under autolog is run again
without it, and must fail the same way), and no check may cause an AutologWarning.

The default run covers a representative subset; ``--runslow`` runs all of :data:`ESTIMATORS`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any
from unittest import SkipTest

import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.compose import TransformedTargetRegressor
from sklearn.decomposition import NMF, PCA, TruncatedSVD
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import (
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    SGDClassifier,
)
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, RandomizedSearchCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputRegressor
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from sklearn.neighbors import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    LocalOutlierFactor,
    NearestNeighbors,
)
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    MinMaxScaler,
    OneHotEncoder,
    PolynomialFeatures,
    StandardScaler,
)
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier
from sklearn.utils.estimator_checks import estimator_checks_generator

import autolog
import autolog_sklearn.integration as sklearn_integration
from autolog import safety
from autolog.stores.local import LocalStore

# name -> factory. Nested estimators get a fixed random_state: check_estimator only sets the
# outer one, and a check comparing two fits of a randomly seeded tree fails without autolog.
ESTIMATORS: dict[str, Callable[[], Any]] = {
    # linear
    "LogisticRegression": lambda: LogisticRegression(max_iter=200),
    "LinearRegression": LinearRegression,
    "Ridge": Ridge,
    "Lasso": Lasso,
    "SGDClassifier": lambda: SGDClassifier(max_iter=50),
    "Perceptron": Perceptron,
    # trees and ensembles
    "DecisionTreeClassifier": DecisionTreeClassifier,
    "DecisionTreeRegressor": DecisionTreeRegressor,
    "ExtraTreeClassifier": ExtraTreeClassifier,
    "RandomForestClassifier": lambda: RandomForestClassifier(n_estimators=5),
    "ExtraTreesRegressor": lambda: ExtraTreesRegressor(n_estimators=5),
    "GradientBoostingClassifier": lambda: GradientBoostingClassifier(n_estimators=5),
    "HistGradientBoostingRegressor": lambda: HistGradientBoostingRegressor(max_iter=5),
    "AdaBoostClassifier": lambda: AdaBoostClassifier(n_estimators=5),
    "BaggingClassifier": lambda: BaggingClassifier(n_estimators=3),
    "IsolationForest": lambda: IsolationForest(n_estimators=5),
    "StackingClassifier": lambda: StackingClassifier(
        [("lr", LogisticRegression()), ("tree", DecisionTreeClassifier(random_state=0))]),
    "StackingRegressor": lambda: StackingRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))]),
    "VotingClassifier": lambda: VotingClassifier(
        [("lr", LogisticRegression()), ("tree", DecisionTreeClassifier(random_state=0))]),
    "VotingRegressor": lambda: VotingRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(random_state=0))]),
    # SVM
    "SVC": SVC,
    "SVR": SVR,
    "LinearSVC": LinearSVC,
    # neighbors
    "KNeighborsClassifier": KNeighborsClassifier,
    "KNeighborsRegressor": KNeighborsRegressor,
    "NearestNeighbors": NearestNeighbors,
    "LocalOutlierFactor": LocalOutlierFactor,
    # naive Bayes
    "GaussianNB": GaussianNB,
    "MultinomialNB": MultinomialNB,
    "BernoulliNB": BernoulliNB,
    # clustering
    "KMeans": lambda: KMeans(n_init=2),
    "MiniBatchKMeans": lambda: MiniBatchKMeans(n_init=2),
    "DBSCAN": DBSCAN,
    "AgglomerativeClustering": AgglomerativeClustering,
    # decomposition
    "PCA": PCA,
    "TruncatedSVD": lambda: TruncatedSVD(n_components=1),
    "NMF": lambda: NMF(max_iter=50),
    # preprocessing
    "StandardScaler": StandardScaler,
    "MinMaxScaler": MinMaxScaler,
    "OneHotEncoder": OneHotEncoder,
    "PolynomialFeatures": PolynomialFeatures,
    "KBinsDiscretizer": lambda: KBinsDiscretizer(quantile_method="averaged_inverted_cdf"),
    "SimpleImputer": SimpleImputer,
    "FunctionTransformer": FunctionTransformer,
    # text
    "TfidfTransformer": TfidfTransformer,
    # pipelines and meta-estimators
    "Pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
    "FeatureUnion": lambda: make_union(StandardScaler(), PCA(n_components=1)),
    "TransformedTargetRegressor": lambda: TransformedTargetRegressor(
        regressor=LinearRegression()),
    "CalibratedClassifierCV": lambda: CalibratedClassifierCV(cv=2),
    "OneVsRestClassifier": lambda: OneVsRestClassifier(LogisticRegression()),
    "MultiOutputRegressor": lambda: MultiOutputRegressor(Ridge()),
    # searches
    "GridSearchCV": lambda: GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2),
    "RandomizedSearchCV": lambda: RandomizedSearchCV(
        LogisticRegression(), {"C": [0.1, 1.0]}, n_iter=2, cv=2, random_state=0),
    "HalvingGridSearchCV": lambda: HalvingGridSearchCV(
        DecisionTreeClassifier(random_state=0), {"max_depth": [2, 4]}, cv=2, random_state=0),
}

# One of each kind, for the default run (about 25 s on 2 cores): linear, tree, ensemble, SVM,
# neighbors, naive Bayes, clustering, decomposition, preprocessing, text, pipeline,
# meta-estimator, search. (Stacking alone takes 45 s of checks without autolog: slow set.)
DEFAULT = ("Ridge", "DecisionTreeRegressor", "RandomForestClassifier", "LinearSVC",
           "KNeighborsClassifier", "GaussianNB", "KMeans", "TruncatedSVD", "OneHotEncoder",
           "TfidfTransformer", "Pipeline", "TransformedTargetRegressor", "GridSearchCV")


def _params() -> list[Any]:
    return [pytest.param(name, id=name,
                         marks=() if name in DEFAULT else (pytest.mark.slow,))
            for name in ESTIMATORS]


def _check_name(check: Any) -> str:
    return str(getattr(getattr(check, "func", check), "__name__", check))


def _outcome(check: Any, estimator: Any) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the checks' own warnings: not what is measured
            check(estimator)
    except SkipTest:
        return "skipped"
    except Exception as exc:  # noqa: BLE001 - a failing check: compared with no autolog
        return f"{type(exc).__name__}"
    return "passed"


@pytest.mark.parametrize("name", _params())
def test_checks_pass_as_without_autolog_and_never_warn(name, tmp_path, monkeypatch):
    store = tmp_path / "store"
    warned: list[str] = []
    real_warn = safety.warn

    def spy(message: str, stacklevel: int = 3) -> None:
        warned.append(message)
        real_warn(message, stacklevel)

    monkeypatch.setattr(safety, "warn", spy)
    # Record the checks' fits as the user's: each odd input goes down a user fit's path.
    monkeypatch.setattr(sklearn_integration, "USER_MODULES", {"sklearn.utils.estimator_checks"})
    autolog.enable(store=str(store), testing=False)
    differences, ran = [], 0
    for estimator, check in estimator_checks_generator(ESTIMATORS[name](), legacy=True,
                                                       mark="skip"):
        ran += 1
        outcome = _outcome(check, estimator)
        autolog.flush()
        if outcome in ("passed", "skipped"):
            continue
        autolog.disable()
        without = _outcome(check, estimator)
        autolog.enable(store=str(store), testing=False)
        if without != outcome:
            differences.append(f"{_check_name(check)}: {outcome} with autolog, {without} "
                               "without")
    autolog.flush()
    assert ran > 20
    assert differences == []
    assert warned == []
    runs = LocalStore(store).search_runs()
    assert runs, "the checks' fits were not recorded"
    # Every fit that finished has its model folder (a search's candidate runs have none).
    finished = [r for r in runs
                if r.status == "FINISHED" and "autolog.candidate" not in r.tags]
    assert finished
    assert [r.info.name for r in finished if r.model_path is None] == []


def test_check_estimator_makes_no_runs_by_default(tmp_path):
    store = tmp_path / "store"
    autolog.enable(store=str(store), testing=True)
    for estimator, check in estimator_checks_generator(LogisticRegression(), legacy=True,
                                                       mark="skip"):
        _outcome(check, estimator)
    autolog.flush()
    assert LocalStore(store).search_runs() == []
    LogisticRegression().fit([[0.0], [1.0]], [0, 1])  # the user's own fit still records
    autolog.flush()
    assert len(LocalStore(store).search_runs()) == 1
