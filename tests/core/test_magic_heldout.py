"""The notebook summary shows the held-out metrics logged in a cell (real Jupyter kernel)."""

from __future__ import annotations

from pathlib import Path

import ipykernel  # noqa: F401 - required by this test
import nbclient
import nbformat

from autolog.stores.local import LocalStore
from tests.core.test_magic import _env, _text

FIT = ("from sklearn.datasets import make_classification\n"
       "from sklearn.linear_model import LogisticRegression\n"
       "from sklearn.metrics import f1_score\n"
       "X, y = make_classification(n_samples=300, random_state=0)\n"
       "X_train, X_test, y_train, y_test = X[:200], X[200:], y[:200], y[200:]\n"
       "model = LogisticRegression().fit(X_train, y_train)")
MEASURE = ("print(model.score(X_test, y_test), f1_score(y_test, model.predict(X_test)))")
EVALUATE = "import autolog\nresult = autolog.evaluate(model, X_test, y_test, name='holdout')"


def test_cells_measuring_a_model_show_its_heldout_metrics(tmp_path: Path) -> None:
    store = tmp_path / "runs"
    cells = ["%load_ext autolog", FIT, MEASURE, EVALUATE, "1 + 1"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=90,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=_env(AUTOLOG_STORE=str(store)))
    _, fit, measure, evaluate, plain = (cell["outputs"] for cell in nb.cells)

    (run,) = LocalStore(store).search_runs()
    score, f1 = map(float, _text([o for o in measure if o["output_type"] == "stream"]).split())
    assert run.metrics["LogisticRegression_score_X_test"] == score
    assert run.metrics["f1_score_X_test"] == f1

    (summary,) = [o for o in measure if o["output_type"] == "display_data"]
    html, text = summary["data"]["text/html"], summary["data"]["text/plain"]
    assert "held-out metrics" in html and run.run_id in html and "X_test" in html
    assert f"LogisticRegression_score_X_test={score:.4g}" in html
    assert f"{run.run_id[:8]}  LogisticRegression  on X_test:" in text

    (summary,) = [o for o in evaluate if o["output_type"] == "display_data"]
    assert "on holdout" in summary["data"]["text/plain"]
    assert "accuracy_score_holdout=" in summary["data"]["text/html"]
    assert not [o for o in plain if o["output_type"] == "display_data"]  # nothing new: no summary
