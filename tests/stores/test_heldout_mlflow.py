"""Held-out metrics with a real MLflow tracking server as the store: post-training metrics
logged after the fit's run ended, an evaluation with its files and dataset input, and the
comparison ranking versions kept in MLflow's registry."""

from __future__ import annotations

import json
import uuid

from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog import registry


def test_heldout_metrics_reach_mlflow_runs_and_rank_versions(mlflow_server, experiment):
    from mlflow.tracking import MlflowClient

    X, y = make_classification(n_samples=500, n_features=10, n_informative=3, n_redundant=0,
                               n_clusters_per_class=1, flip_y=0.1, random_state=2)
    X_train, X_test, y_train, y_test = X[:350], X[350:], y[:350], y[350:]
    name = f"churn-{uuid.uuid4().hex[:8]}"
    autolog.enable(store=mlflow_server.uri, experiment=experiment, testing=True)
    tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    linear = LogisticRegression().fit(X_train, y_train)
    expected = {}
    for model in (tree, linear):
        expected[type(model).__name__] = (model.score(X_test, y_test),
                                          f1_score(y_test, model.predict(X_test)))
    result = autolog.evaluate(linear, X_test, y_test, name="holdout")
    autolog.flush()
    runs = {r.model_name: r for r in autolog.search_runs(experiment)}
    for cls in ("DecisionTreeClassifier", "LogisticRegression"):
        registry.register_model(f"runs:/{runs[cls].run_id}/model", name)
    comparison = autolog.compare(name)
    assert comparison.ranking().metric == "score_X_test"
    assert comparison.best_by().run_id == runs["LogisticRegression"].run_id
    autolog.disable()

    client = MlflowClient(tracking_uri=mlflow_server.uri)
    mlflow_id = {r.data.tags["autolog.run_id"]: r.info.run_id
                 for r in client.search_runs([client.get_experiment_by_name(experiment)
                                             .experiment_id])}
    linear_run = client.get_run(mlflow_id[runs["LogisticRegression"].run_id])
    score, f1 = expected["LogisticRegression"]
    assert linear_run.info.status == "FINISHED"
    assert linear_run.data.metrics["LogisticRegression_score_X_test"] == score
    assert linear_run.data.metrics["f1_score_X_test"] == f1
    assert linear_run.data.metrics["accuracy_score_holdout"] == result.metrics["accuracy_score"]
    assert json.loads(linear_run.data.tags["autolog.heldout.holdout"])["digest"] == result.digest
    (dataset_input,) = linear_run.inputs.dataset_inputs
    assert dataset_input.dataset.name == "holdout"
    assert dataset_input.dataset.digest == result.digest
    assert {t.key: t.value for t in dataset_input.tags} == {"mlflow.data.context": "evaluation"}
    files = {a.path for a in client.list_artifacts(linear_run.info.run_id, "evaluation/holdout")}
    assert "evaluation/holdout/roc_curve.json" in files
    tree_run = client.get_run(mlflow_id[runs["DecisionTreeClassifier"].run_id])
    assert tree_run.data.metrics["DecisionTreeClassifier_score_X_test"] == \
        expected["DecisionTreeClassifier"][0]
