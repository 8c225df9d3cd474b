"""Held-out metrics in ``autolog ui``: the run page (metrics by dataset, confusion heat table,
ROC/PR/calibration charts) and the compare page (ranking, ROC curves overlaid), through Flask's
test client and in a real headless Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.tree import DecisionTreeClassifier

import autolog
from autolog.stores.local import LocalStore
from autolog.ui.app import create_app
from tests.ui.conftest import ui_process
from tests.ui.test_browser import _check_page, _wait, browser  # noqa: F401 - the fixture


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Two classifiers measured on X_test after the fit, evaluated on 'holdout', saved as
    versions 1 and 2 of 'churn'; (store path, {model class: run id})."""
    path = tmp_path_factory.mktemp("ui-heldout") / "store"
    X, y = make_classification(n_samples=500, n_features=10, n_informative=3, n_redundant=0,
                               n_clusters_per_class=1, flip_y=0.1, random_state=2)
    X_train, X_test, y_train, y_test = X[:350], X[350:], y[:350], y[350:]
    autolog.enable(store=str(path), testing=True)
    try:
        for model in (DecisionTreeClassifier(random_state=0), LogisticRegression()):
            model.fit(X_train, y_train)
            accuracy_score(y_test, model.predict(X_test))
            autolog.evaluate(model, X_test, y_test, name="holdout")
        autolog.flush()
        runs = {r.model_name: r.run_id for r in autolog.search_runs()}
        for name in ("DecisionTreeClassifier", "LogisticRegression"):
            autolog.register_model(f"runs:/{runs[name]}/model", "churn")
    finally:
        autolog.disable()
    return path, runs


def _curves(html: str, id_: str) -> list[dict[str, Any]]:
    match = re.search(rf'<script type="application/json" id="{id_}-data">(.*?)</script>', html,
                      re.S)
    assert match, f"no chart data {id_!r}"
    return json.loads(match.group(1))


def test_run_page_shows_heldout_metrics_and_evaluation(evaluated):
    path, runs = evaluated
    client = create_app(LocalStore(path)).test_client()
    html = client.get(f"/runs/{runs['LogisticRegression']}").get_data(as_text=True)
    assert 'id="heldout-X_test"' in html and 'id="heldout-holdout"' in html
    assert "accuracy_score(y_test, &lt;LogisticRegression.predict(X_test)&gt;)" in html
    assert 'id="confusion-holdout"' in html and re.search(r'class="num heat-\d">\d+<', html)
    assert 'id="per-class-holdout"' in html
    charts = _curves(html, "curves-holdout")
    assert [c["title"] for c in charts] == ["ROC curve", "precision-recall curve",
                                            "calibration curve"]
    assert len(charts[0]["series"]) == 1 and charts[0]["series"][0]["x"][0] == 0.0
    assert 'id="artifacts"' not in html  # the evaluation folder is shown as the panel above
    # The bookkeeping tags are shown with the metrics, not in the tag table.
    tags = html[html.index('id="tags"'):]
    assert "autolog.metric_call." not in tags and "autolog.heldout." not in tags


def test_compare_page_ranks_and_overlays_roc_curves(evaluated):
    path, _ = evaluated
    html = create_app(LocalStore(path)).test_client().get("/models/churn/compare").get_data(
        as_text=True)
    assert "held-out metrics on X_test" in html and "held-out metrics on holdout" in html
    assert re.search(r'id="ranking">ranking: v2 is best by ', html)
    (overlay,) = _curves(html, "roc-overlays")
    assert overlay["title"] == "ROC curves on holdout"
    assert [s["label"].split(" (")[0] for s in overlay["series"]] == ["v1 · 1", "v2 · 1"]


def test_charts_draw_in_a_browser(browser: Any, evaluated: tuple[Path, dict[str, str]],  # noqa: F811
                                  tmp_path: Path) -> None:
    path, runs = evaluated
    with ui_process(path, log=tmp_path / "server.log") as (url, _):
        browser.get(f"{url}runs/{runs['LogisticRegression']}")
        container = _wait(browser, "#curves-holdout[data-rendered='3']")[0]
        assert len(container.find_elements("css selector", "figure.curve canvas")) == 3
        _check_page(browser, "run-heldout")
        browser.get(f"{url}models/churn/compare")
        _wait(browser, "#roc-overlays[data-rendered='1'] canvas")
        legend = browser.execute_script(
            "return document.querySelectorAll('#roc-overlays .u-series').length;")
        assert legend == 4  # x, v1, v2, chance
        _check_page(browser, "compare-heldout")
