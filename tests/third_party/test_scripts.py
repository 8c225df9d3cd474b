"""Training scripts run unchanged under ``AUTOLOG=1``: same exit code, same output, no
AutologWarning, and the record a user expects.

The scripts in ``scripts/`` are the project's own, written to exercise the same APIs as
scikit-learn's gallery examples and pytorch/examples (whose code is not copied here, and
which CI, without network, could not fetch); each runs in a fresh interpreter, plain and
with ``AUTOLOG=1``. ``docs/third_party_scripts.md`` also has the table for the real upstream
examples, run with the same runner.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.third_party.runner import run_script, summary

SCRIPTS = Path(__file__).parent / "scripts"

# script -> (top-level runs by model class, child runs, model folders); slow ones marked.
EXPECTED = {
    # 3 data sets x 5 classifiers, each in a pipeline; score() and the metrics make no runs
    "sklearn_classifier_comparison.py": ({"Pipeline": 15}, 0, 15),
    # multi-metric search: parent with the refitted SVC, 5 candidates; classification_report
    # (a LabelEncoder inside) makes no run
    "sklearn_grid_search_digits.py": ({"GridSearchCV": 1}, 5, 1),
    # halving and exhaustive search, 5 candidates each
    "sklearn_successive_halving.py": ({"GridSearchCV": 1, "HalvingGridSearchCV": 1}, 10, 2),
    "sklearn_column_transformer_mixed_types.py": ({"GridSearchCV": 1, "Pipeline": 1}, 5, 2),
    # the vectorizer's fit_transform and three classifiers; f1_score makes no run
    "sklearn_text_classification.py": ({"TfidfVectorizer": 1, "RidgeClassifier": 1,
                                        "ComplementNB": 1, "SGDClassifier": 1,
                                        "Pipeline": 1}, 0, 5),
    # cross_validate, cross_val_predict, learning_curve, permutation_importance: no runs
    "sklearn_model_evaluation.py": ({"RandomForestRegressor": 1}, 0, 1),
    "sklearn_stacking.py": ({"StackingRegressor": 1, "VotingRegressor": 1}, 0, 2),
    "sklearn_clustering.py": ({"PCA": 1, "Pipeline": 3}, 0, 4),
    "torch_mnist_synthetic.py": ({"Net": 1}, 0, 1),
    "torch_word_language_model.py": ({"RNNModel": 1}, 0, 1),
    # two models, two optimizers whose steps alternate: one run (README, PyTorch)
    "torch_dcgan_synthetic.py": ({"Sequential": 1}, 0, 1),
    "torch_time_sequence_lbfgs.py": ({"Sequence": 1}, 0, 1),
    # hand-written parameter updates, no optimizer: no training loop autolog can see
    "torch_regression_manual_updates.py": ({}, 0, 0),
}
SLOW = {"sklearn_stacking.py", "sklearn_clustering.py", "torch_dcgan_synthetic.py",
        "torch_time_sequence_lbfgs.py", "torch_regression_manual_updates.py"}


def test_every_script_has_an_expectation():
    assert sorted(p.name for p in SCRIPTS.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", [pytest.param(n, marks=(pytest.mark.slow,) if n in SLOW
                                               else ()) for n in EXPECTED])
def test_script_runs_the_same_and_records_what_a_user_expects(name):
    outcome = run_script(SCRIPTS / name, timeout=240)
    assert outcome.exit_plain == 0, outcome.stdout_plain[-2000:]
    assert outcome.exit_autolog == 0, outcome.stderr_autolog[-2000:]
    assert outcome.stdout_autolog == outcome.stdout_plain  # exactly: these print no timings
    assert outcome.autolog_warnings == []
    top_level, children, folders = EXPECTED[name]
    recorded = summary(outcome)
    assert recorded["top_level"] == top_level
    assert recorded["children"] == children
    assert recorded["with_model"] == folders
    assert recorded["tags"] == {}
    assert outcome.failed_runs == 0
