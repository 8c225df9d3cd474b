"""Post-training metrics: a model measured on other data after its fit, with no code change.

Real scikit-learn models, a real local store; every value logged is compared with the value
the user's call returned. The metric functions are imported at the top of this module, before
any test enables autolog: names bound before ``enable()`` are measured too.
"""

from __future__ import annotations

import gc
import json
import threading
import weakref

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    get_scorer,
    log_loss,
    make_scorer,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog import heldout, patching
from autolog.registry.metric_kinds import split_heldout
from tests.helpers import run_python


@pytest.fixture
def data():
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    return X[:200], y[:200], X[200:], y[200:]


def _run(store, run_id=None):
    autolog.flush()
    runs = store.search_runs()
    if run_id is None:
        assert len(runs) == 1, [r.info.name for r in runs]
        return runs[0]
    return store.get_run(run_id)


def _heldout(run):
    """The run's held-out metrics: those named after a dataset its tags declare."""
    datasets = heldout.heldout_datasets(run.tags)
    return {k: v for k, v in run.metrics.items() if split_heldout(k, datasets)}


def test_score_and_metrics_log_exactly_what_they_return(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    score = model.score(X_test, y_test)
    pred = model.predict(X_test)
    acc = accuracy_score(y_test, pred)
    f1 = f1_score(y_test, pred, average="macro")
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    loss = log_loss(y_test, model.predict_proba(X_test))

    run = _run(store)
    assert _heldout(run) == {
        "LogisticRegression_score_X_test": score, "accuracy_score_X_test": acc,
        "f1_score_X_test": f1, "roc_auc_score_X_test": auc, "log_loss_X_test": loss,
    }
    # Values and types are the user's: post-training logging returns them untouched.
    assert type(score) is float and type(acc) is float and isinstance(auc, float)
    assert run.tags["autolog.metric_call.f1_score_X_test"] == \
        "f1_score(y_test, pred=<LogisticRegression.predict(X_test)>, average='macro')"
    assert run.tags["autolog.metric_call.LogisticRegression_score_X_test"] == \
        "LogisticRegression.score(X_test, y_test)"
    assert json.loads(run.tags["autolog.heldout.X_test"]) == {"source": "post_training"}


def test_regressor_metrics_and_decision_function(store):
    X, y = make_regression(n_samples=200, n_features=4, noise=5, random_state=0)
    X_train, X_val, y_train, y_val = X[:150], X[150:], y[:150], y[150:]
    reg = LinearRegression().fit(X_train, y_train)
    mse = mean_squared_error(y_val, reg.predict(X_val))
    r2 = r2_score(y_val, reg.predict(X_val))
    Xc, yc = make_classification(n_samples=200, random_state=1)
    svm = LinearSVC().fit(Xc[:150], yc[:150])
    X_hold, y_hold = Xc[150:], yc[150:]
    auc = roc_auc_score(y_hold, svm.decision_function(X_hold))
    autolog.flush()
    runs = {r.model_name: r for r in store.search_runs()}
    assert _heldout(runs["LinearRegression"]) == {"mean_squared_error_X_val": mse,
                                                  "r2_score_X_val": r2}
    assert _heldout(runs["LinearSVC"]) == {"roc_auc_score_X_hold": auc}


def test_scorers_log_under_their_names(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    f1_macro = get_scorer("f1_macro")(model, X_test, y_test)
    neg_mse = make_scorer(mean_squared_error, greater_is_better=False)(model, X_test, y_test)
    assert neg_mse <= 0
    assert _heldout(_run(store)) == {"f1_macro_X_test": f1_macro,
                                     "neg_mean_squared_error_X_test": neg_mse}


def test_second_different_call_gets_a_suffix_and_a_repeat_logs_once(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    for _ in range(2):  # a notebook cell run twice: the same call, logged once
        first = accuracy_score(y_test, model.predict(X_test))
    X_test, y_test = X_train[:50], y_train[:50]  # the same name, other data
    second = accuracy_score(y_test, model.predict(X_test))
    third = accuracy_score(y_test, model.predict(X_test), normalize=False)
    assert _heldout(_run(store)) == {"accuracy_score_X_test": first,
                                     "accuracy_score-2_X_test": second,
                                     "accuracy_score-3_X_test": third}


def test_unnamed_data_is_dataset_n_and_transform_outputs_keep_their_name(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    a = accuracy_score(y_test, model.predict(X_test[:, :]))   # an expression: no name
    b = accuracy_score(y_train[:20], model.predict(X_train[:20] * 1.0))
    assert _heldout(_run(store)) == {"accuracy_score_dataset_1": a,
                                     "accuracy_score_dataset_2": b}


def test_copies_and_row_slices_are_not_linked_column_views_are(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    pred = model.predict(X_test)
    proba = model.predict_proba(X_test)
    accuracy_score(y_test, pred.copy())            # a copy: another array
    accuracy_score(y_test, list(pred))             # a list made from it
    accuracy_score(y_test[:20], pred[:20])         # a subset of the rows: not X_test
    auc = roc_auc_score(y_test, proba[:, 1])       # a column of the predictions: linked
    assert _heldout(_run(store)) == {"roc_auc_score_X_test": auc}


def test_two_models_on_the_same_data_log_to_their_own_runs(store, data):
    X_train, y_train, X_test, y_test = data
    linear = LogisticRegression().fit(X_train, y_train)
    tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    a = accuracy_score(y_test, linear.predict(X_test))
    b = accuracy_score(y_test, tree.predict(X_test))
    autolog.flush()
    runs = {r.model_name: r for r in store.search_runs()}
    assert _heldout(runs["LogisticRegression"]) == {"accuracy_score_X_test": a}
    assert _heldout(runs["DecisionTreeClassifier"]) == {"accuracy_score_X_test": b}


def test_a_model_autolog_never_saw_logs_nothing(store, data):
    X_train, y_train, X_test, y_test = data
    with patching.suspended():
        unseen = LogisticRegression().fit(X_train, y_train)
    unseen.score(X_test, y_test)
    accuracy_score(y_test, unseen.predict(X_test))
    autolog.flush()
    assert store.search_runs() == []


def test_user_errors_in_metrics_propagate_unchanged(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    pred = model.predict(X_test)
    with pytest.raises(ValueError) as with_autolog:
        accuracy_score(y_test[:10], pred)
    with patching.suspended():
        with pytest.raises(ValueError) as without:
            accuracy_score(y_test[:10], pred)
    assert str(with_autolog.value) == str(without.value)
    with pytest.raises(ValueError, match="average"):
        f1_score(y_test, pred, average="no-such-average")
    with pytest.raises(ValueError):
        model.score(X_test[:, :2], y_test)
    assert _heldout(_run(store)) == {}


def test_metric_calls_fit_nothing_that_becomes_a_run(store):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    model = LogisticRegression().fit(X[:80], y[:80])
    X_test, y_test = X[80:], y[80:]
    # f1_score on string labels fits a LabelEncoder inside scikit-learn.
    f1 = f1_score(y_test, model.predict(X_test), pos_label="yes")
    run = _run(store)
    assert run.model_name == "LogisticRegression"
    assert _heldout(run) == {"f1_score_X_test": f1}


def test_scikit_learn_helpers_calling_the_model_log_nothing(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    permutation_importance(model, X_test, y_test, n_repeats=2, random_state=0)
    assert _heldout(_run(store)) == {}


def test_threads_predict_and_measure_concurrently(store, data):
    X_train, y_train, X_test, y_test = data
    models = [LogisticRegression(C=c).fit(X_train, y_train) for c in (0.01, 0.1, 1.0, 10.0)]
    results: dict[int, float] = {}

    def work(i: int) -> None:
        model = models[i]
        for _ in range(20):
            results[i] = accuracy_score(y_test, model.predict(X_test))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(models))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    autolog.flush()
    by_c = {r.params["C"]: r for r in store.search_runs()}
    for i, c in enumerate(("0.01", "0.1", "1.0", "10.0")):
        assert _heldout(by_c[c]) == {"accuracy_score_X_test": results[i]}


def test_links_die_with_models_and_predictions(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    pred = model.predict(X_test)
    pred_ref, model_ref = weakref.ref(pred), weakref.ref(model)
    model_id = id(model)
    assert heldout.link_of(model) is not None and heldout.prediction_of(pred) is not None
    accuracy_score(y_test, pred)
    autolog.flush()  # the writer is done with the fit (it held the model until then)
    del pred, model
    gc.collect()
    # Nothing autolog holds keeps the user's arrays or model alive, and the tables shrink.
    assert pred_ref() is None and model_ref() is None
    assert model_id not in heldout._links
    autolog.flush()
    assert len(_heldout(_run(store))) == 1


def test_refit_moves_the_link_and_partial_fit_drops_it(store, data):
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression(C=0.1).fit(X_train, y_train)
    first_run = heldout.link_of(model).run_id
    model.set_params(C=10.0).fit(X_train, y_train)
    second = accuracy_score(y_test, model.predict(X_test))
    sgd = SGDClassifier(random_state=0).fit(X_train, y_train)
    sgd.partial_fit(X_test, y_test)       # no longer the model its run recorded
    accuracy_score(y_test, sgd.predict(X_test))
    autolog.flush()
    assert _heldout(store.get_run(first_run)) == {}
    runs = {r.params.get("C"): r for r in store.search_runs()}
    assert _heldout(runs["10.0"]) == {"accuracy_score_X_test": second}
    assert all(_heldout(r) == {} for r in store.search_runs() if r.model_name == "SGDClassifier")


def test_inside_start_run_the_metrics_go_to_that_run(store, data):
    X_train, y_train, X_test, y_test = data
    with autolog.start_run(name="experiment-7") as run:
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    score = model.score(X_test, y_test)  # after the block ended: still its run
    assert _heldout(_run(store, run.run_id)) == {"Pipeline_score_X_test": score}
    assert not hasattr(make_pipeline(StandardScaler()).fit(X_train), "predict_proba")


def test_search_logs_to_its_parent_run(store, data):
    X_train, y_train, X_test, y_test = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3).fit(X_train, y_train)
    score = search.score(X_test, y_test)
    acc = accuracy_score(y_test, search.best_estimator_.predict(X_test))
    autolog.flush()
    (parent,) = [r for r in store.search_runs() if r.info.parent_run_id is None]
    assert _heldout(parent) == {"GridSearchCV_score_X_test": score,
                                "accuracy_score_X_test": acc}


def test_option_off_logs_nothing(tmp_path, data):
    autolog.enable(store=str(tmp_path / "s"), log_post_training_metrics=False, testing=True)
    X_train, y_train, X_test, y_test = data
    model = LogisticRegression().fit(X_train, y_train)
    pred = model.predict(X_test)
    model.score(X_test, y_test)
    accuracy_score(y_test, pred)
    assert heldout.prediction_of(pred) is None
    autolog.flush()
    (run,) = autolog.search_runs()
    assert _heldout(run) == {}


def _inner(function):
    """What a validate_params-decorated function calls: the content of its closure cell."""
    return function.__closure__[function.__code__.co_freevars.index("func")].cell_contents


def test_disable_restores_metric_functions_and_inference_methods(tmp_path):
    import sklearn.metrics
    from sklearn.base import ClassifierMixin
    from sklearn.metrics._scorer import _BaseScorer

    before = (sklearn.metrics.accuracy_score, _inner(accuracy_score),
              vars(ClassifierMixin)["score"], vars(LogisticRegression)["predict_proba"],
              vars(_BaseScorer)["__call__"])
    autolog.enable(store=str(tmp_path / "s"))
    # The public function object is the same one (names imported before enable() see the
    # patch); what it calls is wrapped.
    assert sklearn.metrics.accuracy_score is accuracy_score
    assert patching.is_autolog_wrapper(_inner(accuracy_score))
    assert patching.is_autolog_wrapper(vars(ClassifierMixin)["score"])
    autolog.disable()
    after = (sklearn.metrics.accuracy_score, _inner(accuracy_score),
             vars(ClassifierMixin)["score"], vars(LogisticRegression)["predict_proba"],
             vars(_BaseScorer)["__call__"])
    assert all(a is b for a, b in zip(before, after, strict=True))


USER_CLASS = """
import autolog, numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score
autolog.enable(store={store!r}, testing=True)

class Majority(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.label_ = self.classes_[counts.argmax()]
        return self
    def predict(self, X):
        return np.full(len(X), self.label_)

X = np.zeros((10, 2)); y = np.array([0, 1, 1, 1, 0, 1, 1, 0, 1, 1])
first = Majority().fit(X, y); autolog.flush()
second = Majority().fit(X, y)
X_test, y_test = X[:4], y[:4]
print(accuracy_score(y_test, second.predict(X_test)))
autolog.flush()
runs = autolog.search_runs()
print(len(runs), sorted(k for r in runs for k in r.metrics if k.endswith("X_test")))
"""


def test_a_class_of_the_script_keeps_its_patches_after_a_model_is_logged(tmp_path):
    # Loading the first model back on the writer used to set the class's methods to the
    # originals: the second fit made no run and predict() linked nothing.
    proc = run_python(USER_CLASS.format(store=str(tmp_path / "s")))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "2 ['accuracy_score_X_test']"


SCRIPT = """
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
X, y = make_classification(n_samples=200, random_state=0)
X_train, X_test, y_train, y_test = X[:150], X[150:], y[:150], y[150:]
model = LogisticRegression().fit(X_train, y_train)
print(model.score(X_test, y_test), f1_score(y_test, model.predict(X_test)))
"""


def test_autolog_1_captures_post_training_metrics_with_no_code_change(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    store = tmp_path / "store"
    proc = run_python(f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')",
                      env={"AUTOLOG": "1", "AUTOLOG_STORE": str(store)})
    assert proc.returncode == 0, proc.stderr
    score, f1 = map(float, proc.stdout.split())
    from autolog.stores.local import LocalStore

    (run,) = LocalStore(store).search_runs()
    assert _heldout(run) == {"LogisticRegression_score_X_test": score, "f1_score_X_test": f1}
