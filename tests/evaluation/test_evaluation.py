"""autolog.evaluate: metrics equal to scikit-learn's, the run it logs to, the files it writes."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as M
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog import patching
from autolog.errors import InvalidNameError, NotFoundError
from autolog.evaluation.curves import pr_points, roc_points
from autolog.evaluation.metrics import Classification, classification_metrics, regression_metrics


def _sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("labels", [[0, 1], ["ham", "spam"], [0, 1, 2], ["a", "b", "c", "d"]])
def test_classification_metrics_equal_scikit_learns(labels):
    rng = np.random.default_rng(len(labels))
    k, n = len(labels), 400
    true = rng.integers(0, k, n)
    true[:k] = np.arange(k)
    proba = rng.dirichlet(np.ones(k), n)
    proba[np.arange(n), true] += rng.uniform(0, 0.8, n)
    proba = np.round(proba / proba.sum(axis=1, keepdims=True), 3)  # ties, as real models have
    proba /= proba.sum(axis=1, keepdims=True)
    classes = np.array(labels)
    y, pred = classes[true], classes[proba.argmax(axis=1)]
    got, table = classification_metrics(Classification.build(y, pred, proba, classes))
    expected = {
        "accuracy_score": M.accuracy_score(y, pred),
        "balanced_accuracy_score": M.balanced_accuracy_score(y, pred),
        "log_loss": M.log_loss(y, proba, labels=classes),
        "example_count": n,
    }
    for avg in ("macro", "weighted"):
        for name, fn in (("precision", M.precision_score), ("recall", M.recall_score),
                         ("f1", M.f1_score)):
            expected[f"{name}_{avg}"] = _sk(fn, y, pred, average=avg, zero_division=0)
    if k == 2:
        expected["roc_auc"] = M.roc_auc_score(y, proba[:, 1])
        precision, recall, _ = M.precision_recall_curve(y, proba[:, 1], pos_label=classes[1])
        expected["precision_recall_auc"] = M.auc(recall, precision)
        tn, fp, fn, tp = M.confusion_matrix(y, pred, labels=classes).ravel()
        expected.update(true_negatives=tn, false_positives=fp, false_negatives=fn,
                        true_positives=tp)
    else:
        expected["roc_auc"] = M.roc_auc_score(y, proba, multi_class="ovr", average="weighted",
                                              labels=classes)
    per_class = _sk(M.precision_recall_fscore_support, y, pred, labels=classes, zero_division=0)
    for i, label in enumerate(labels):
        for j, name in enumerate(("precision", "recall", "f1", "support")):
            expected[f"{name}_class_{label}"] = per_class[j][i]
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(float(value), abs=1e-12), key
    assert [row["label"] for row in table] == labels


def test_curves_equal_scikit_learns():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    score = np.round(rng.random(300) + 0.3 * y, 2)
    fpr, tpr, _ = M.roc_curve(y, score, drop_intermediate=False)
    ours = roc_points(y == 1, score)
    np.testing.assert_allclose(ours[0], fpr)
    np.testing.assert_allclose(ours[1], tpr)
    precision, recall, _ = M.precision_recall_curve(y, score)
    ours = pr_points(y == 1, score)
    np.testing.assert_allclose(ours[0], recall)
    np.testing.assert_allclose(ours[1], precision)


def test_regression_metrics_equal_scikit_learns():
    rng = np.random.default_rng(0)
    y = rng.normal(10, 3, 200)
    p = y + rng.normal(0, 1, 200)
    got = regression_metrics(y, p)
    assert got == pytest.approx({
        "example_count": 200, "mean_absolute_error": M.mean_absolute_error(y, p),
        "mean_squared_error": M.mean_squared_error(y, p),
        "root_mean_squared_error": M.root_mean_squared_error(y, p),
        "r2_score": M.r2_score(y, p), "max_error": M.max_error(y, p),
        "mean_absolute_percentage_error": M.mean_absolute_percentage_error(y, p),
        "sum_on_target": y.sum(), "mean_on_target": y.mean()}, rel=1e-12)
    Y, P = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    multi = regression_metrics(Y, P)
    assert multi["r2_score"] == pytest.approx(M.r2_score(Y, P))
    assert multi["root_mean_squared_error"] == pytest.approx(M.root_mean_squared_error(Y, P))
    assert "max_error" not in multi


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X, y = X.sample(frac=1, random_state=0), y.sample(frac=1, random_state=0)
    return X[:100], y[:100], X[100:], y[100:]


def test_evaluate_an_autologged_model_logs_to_its_run(store, iris):
    X_train, y_train, X_test, y_test = iris
    model = LogisticRegression(max_iter=500).fit(X_train, y_train)
    result = autolog.evaluate(model, X_test, y_test, name="holdout")
    autolog.flush()
    (run,) = store.search_runs()
    assert result.run_id == run.run_id and not result.new_run
    assert result.task == "classification"
    assert result.metrics["accuracy_score"] == M.accuracy_score(y_test, model.predict(X_test))
    assert result.metrics["log_loss"] == pytest.approx(
        M.log_loss(y_test, model.predict_proba(X_test)), rel=1e-12)
    assert {f"{k}_holdout" for k in result.metrics} <= set(run.metrics)
    assert run.metrics["f1_macro_holdout"] == result.metrics["f1_macro"]
    record = json.loads(run.tags["autolog.heldout.holdout"])
    assert record["source"] == "evaluate" and record["shape"] == [50, 4]
    assert record["digest"] == result.digest and record["task"] == "classification"
    files = Path(store.download_artifacts(run.run_id, "evaluation/holdout"))
    assert sorted(p.name for p in files.iterdir()) == [
        "calibration_curve.json", "confusion_matrix.json", "metrics.json", "pr_curve.json",
        "roc_curve.json"]
    confusion = json.loads((files / "confusion_matrix.json").read_text())
    assert confusion["matrix"] == M.confusion_matrix(y_test, model.predict(X_test)).tolist()
    roc = json.loads((files / "roc_curve.json").read_text())
    assert len(roc["curves"]) == 3 and all(len(c["fpr"]) <= 200 for c in roc["curves"])
    assert "<table>" in result._repr_html_() and "holdout" in str(result)


def test_evaluate_names_other_data_apart_and_same_data_the_same(store, iris):
    X_train, y_train, X_test, y_test = iris
    model = LogisticRegression(max_iter=500).fit(X_train, y_train)
    first = autolog.evaluate(model, X_test, y_test, name="holdout")
    again = autolog.evaluate(model, X_test, y_test, name="holdout")
    other = autolog.evaluate(model, X_train, y_train, name="holdout")
    assert (first.name, again.name, other.name) == ("holdout", "holdout", "holdout-2")
    assert first.digest == again.digest != other.digest
    autolog.flush()
    (run,) = store.search_runs()
    assert run.metrics["accuracy_score_holdout-2"] == other.metrics["accuracy_score"]


def test_evaluate_a_regressor_and_big_unseen_models(store):
    X, y = make_regression(n_samples=150, n_features=3, noise=3, random_state=0)
    model = Ridge().fit(X[:100], y[:100])
    result = autolog.evaluate(model, X[100:], y[100:], name="val")
    assert result.task == "regression"
    assert result.metrics["r2_score"] == pytest.approx(M.r2_score(y[100:], model.predict(X[100:])))
    assert set(result.plots) == {"residuals"}
    assert sum(result.plots["residuals"]["counts"]) == 50


def test_evaluate_uris_and_loaded_models_log_to_the_source_run(store, iris):
    X_train, y_train, X_test, y_test = iris
    LogisticRegression(max_iter=500).fit(X_train, y_train)
    DecisionTreeClassifier(max_depth=2, random_state=0).fit(X_train, y_train)
    autolog.flush()
    runs = {r.model_name: r.run_id for r in store.search_runs()}
    lr, tree = runs["LogisticRegression"], runs["DecisionTreeClassifier"]
    autolog.register_model(f"runs:/{lr}/model", "iris")
    autolog.register_model(f"runs:/{tree}/model", "iris")
    autolog.set_alias("iris", "champion", 2)
    targets = {f"runs:/{lr}/model": lr, "models:/iris/1": lr, "models:/iris@champion": tree,
               "models:/iris/latest": tree}
    for i, (uri, run_id) in enumerate(targets.items()):
        result = autolog.evaluate(uri, X_test, y_test, name=f"data{i}")
        assert result.run_id == run_id and not result.new_run, uri
    loaded = autolog.load_model(f"runs:/{tree}/model")
    assert autolog.evaluate(loaded, X_test, y_test, name="loaded").run_id == tree
    folder = store.download_artifacts(lr, "model")
    assert autolog.evaluate(str(folder), X_test, y_test, name="folder").run_id == lr
    autolog.flush()
    assert "accuracy_score_data2" in store.get_run(tree).metrics
    with pytest.raises(NotFoundError):
        autolog.evaluate("models:/iris/9", X_test, y_test)


def test_a_model_without_a_run_gets_an_evaluation_run(store, iris):
    X_train, y_train, X_test, y_test = iris
    with patching.suspended():
        model = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    result = autolog.evaluate(model, X_test, y_test, name="holdout")
    autolog.flush()
    (run,) = store.search_runs()
    assert result.new_run and run.run_id == result.run_id
    assert run.info.name == "evaluate holdout" and run.status == "FINISHED"
    assert run.tags["autolog.evaluation.model"] == "DecisionTreeClassifier"
    assert run.metrics["accuracy_score_holdout"] == result.metrics["accuracy_score"]


def test_evaluate_refuses_bad_input_clearly(store, iris):
    X_train, y_train, X_test, y_test = iris
    model = LogisticRegression(max_iter=500).fit(X_train, y_train)
    with pytest.raises(InvalidNameError, match="evaluation name"):
        autolog.evaluate(model, X_test, y_test, name="hold out/1")
    with pytest.raises(ValueError, match="targets"):
        autolog.evaluate(model, X_test)
    with pytest.raises(ValueError, match="task"):
        autolog.evaluate(model, X_test, y_test, task="ranking")
    with pytest.raises(ValueError, match="rows"):
        autolog.evaluate(model, X_test, y_test[:10])
    with pytest.raises(TypeError, match="no predict"):
        autolog.evaluate(object(), X_test, y_test)


def test_task_can_be_given_and_labels_are_inferred(store):
    X, y = make_classification(n_samples=200, random_state=0)
    model = LinearRegression().fit(X[:150], y[:150])  # a regressor on 0/1 targets
    as_regression = autolog.evaluate(model, X[150:], y[150:], name="r")
    assert as_regression.task == "regression"
    frame = pd.DataFrame(X)
    clf = LogisticRegression().fit(frame[:150], pd.Series(np.where(y, "yes", "no"))[:150])
    result = autolog.evaluate(clf, frame[150:], pd.Series(np.where(y, "yes", "no"))[150:],
                              name="strings")
    assert result.task == "classification"
    assert "precision_class_yes" in result.metrics and "roc_auc" in result.metrics


def test_post_training_metrics_on_an_evaluated_name_keep_its_record(store, iris):
    from sklearn.metrics import accuracy_score

    X_train, y_train, X_test, y_test = iris
    model = LogisticRegression(max_iter=500).fit(X_train, y_train)
    result = autolog.evaluate(model, X_test, y_test, name="X_test")
    accuracy_score(y_test, model.predict(X_test))  # the same name, post-training
    autolog.flush()
    (run,) = store.search_runs()
    assert json.loads(run.tags["autolog.heldout.X_test"])["digest"] == result.digest
    assert run.metrics["accuracy_score_X_test"] == result.metrics["accuracy_score"]
