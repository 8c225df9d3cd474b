"""Compare ranks versions by held-out metrics: the model that generalizes, not the one that
fits its training data best."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog.cli import cli
from autolog.errors import NotFoundError


@pytest.fixture
def two_versions(store):
    """A deep tree (training accuracy 1.0, overfits) and a logistic regression, measured on
    X_test after the fit and saved as versions 1 and 2 of 'churn'."""
    X, y = make_classification(n_samples=600, n_features=20, n_informative=3, n_redundant=0,
                               n_clusters_per_class=1, flip_y=0.15, random_state=2)
    X_train, X_test, y_train, y_test = X[:400], X[400:], y[:400], y[400:]
    tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    linear = LogisticRegression(max_iter=500).fit(X_train, y_train)
    scores = {}
    for model in (tree, linear):
        scores[type(model).__name__] = model.score(X_test, y_test)
        f1_score(y_test, model.predict(X_test))
    autolog.flush()
    runs = {r.model_name: r.run_id for r in store.search_runs()}
    for name in ("DecisionTreeClassifier", "LogisticRegression"):
        autolog.register_model(f"runs:/{runs[name]}/model", "churn")
    assert scores["LogisticRegression"] > scores["DecisionTreeClassifier"]
    return store, scores, (X_test, y_test)


def test_heldout_metrics_come_first_and_rank_the_versions(two_versions):
    _, scores, _ = two_versions
    comparison = autolog.compare("churn")
    assert comparison.heldout == {"X_test": ["f1_score_X_test", "score_X_test"]}
    assert comparison.values("score_X_test") == {1: scores["DecisionTreeClassifier"],
                                                 2: scores["LogisticRegression"]}
    assert comparison.best("training_accuracy") == [1]  # the tree fits its training data
    ranking = comparison.ranking()
    assert (ranking.metric, ranking.goal, ranking.dataset) == ("score_X_test", "max", "X_test")
    assert "training metrics (training_score) were ignored" in ranking.note
    assert comparison.best_by().version == 2
    assert comparison.best_by("f1").version == 2                # a kind: its held-out metric
    choice = comparison.choose("training_accuracy")               # asked for: given, with a note
    assert choice.version.version == 1 and "rewards overfitting" in choice.note

    text = str(comparison)
    sections = [line for line in text.splitlines() if line.startswith("--")]
    assert sections.index("-- held-out metrics on X_test (best marked *) --") < \
        sections.index("-- training metrics (best marked *) --")
    assert text.splitlines()[-1].startswith("ranking: v2 is best by score_X_test")
    assert "ranking: v2" in comparison._repr_html_()
    data = json.loads(json.dumps(comparison.to_dict()))
    assert data["ranking"]["best"] == 2 and data["heldout"] == comparison.heldout


def test_metrics_logged_after_registration_count(two_versions):
    _, _, (X_test, y_test) = two_versions
    autolog.evaluate("models:/churn/1", X_test, y_test, name="holdout")
    autolog.evaluate("models:/churn/2", X_test, y_test, name="holdout")
    comparison = autolog.compare("churn")
    assert set(comparison.heldout) == {"X_test", "holdout"}
    assert comparison.best("accuracy_score_holdout") == [2]
    assert comparison.best("example_count_holdout") == []  # a count has no best
    assert autolog.get_model_version("churn", 1).metrics.get("accuracy_score_holdout") is None


def test_without_a_shared_heldout_metric_there_is_no_ranking(store):
    X, y = make_classification(n_samples=200, random_state=0)
    for c in (0.1, 1.0):
        with autolog.start_run() as run:
            LogisticRegression(C=c).fit(X, y)
        autolog.flush()
        autolog.register_model(f"runs:/{run.run_id}/model", "plain")
    comparison = autolog.compare("plain")
    assert comparison.ranking() is None and "ranking" not in str(comparison)
    with pytest.raises(NotFoundError, match="share no held-out metric"):
        comparison.best_by()
    assert comparison.choose("accuracy").metric == "training_accuracy"


def test_cli_ranks_by_heldout_and_sets_the_champion(two_versions):
    store, _, _ = two_versions
    runner = CliRunner()
    out = runner.invoke(cli, ["models", "compare", "churn", "--store", str(store.root),
                              "--set-alias", "champion"])
    assert out.exit_code == 0, out.output
    assert "best by score_X_test (max): v2" in out.output
    assert "models:/churn@champion -> models:/churn/2" in out.output
    data = json.loads(runner.invoke(cli, ["models", "compare", "churn", "--json", "--best-by",
                                          "training_accuracy", "--store",
                                          str(store.root)]).output)
    assert data["best"]["version"] == 1 and not data["best"]["heldout"]
    assert "rewards overfitting" in data["best"]["note"]
    assert data["ranking"]["metric"] == "score_X_test" and data["ranking"]["best"] == 2
    assert autolog.load_model("models:/churn@champion").run_id == \
        autolog.get_model_version("churn", 2).run_id
