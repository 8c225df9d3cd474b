"""The UI over an MLflow tracking server: every page reads through the Store contract."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolog import registry
from tests.helpers import run_python
from tests.stores.servers import MLflowServer, start_mlflow_server
from tests.ui.conftest import SEED


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[MLflowServer]:
    server = start_mlflow_server(tmp_path / "mlflow-server")
    yield server
    server.stop()


def test_ui_over_an_mlflow_server(mlflow_server: MLflowServer, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AUTOLOG_OFFLINE_STORE", str(tmp_path / "offline"))
    result = run_python(SEED.replace("sys.argv[1]", repr(mlflow_server.uri)), timeout=180)
    assert result.returncode == 0, result.stderr
    ids = json.loads(result.stdout.strip().splitlines()[-1])

    from autolog.stores import open_store
    from autolog.ui.app import create_app

    store = open_store(mlflow_server.uri)
    client = create_app(store).test_client()
    runs = client.get("/runs?experiment=iris&sort=metrics.training_score").get_data(as_text=True)
    assert set(re.findall(r'data-run-id="([0-9a-f]+)"', runs)) == set(ids.values())
    page = client.get(f"/runs/{ids['logreg-C1.0']}").get_data(as_text=True)
    assert 'id="metric-charts"' in page and "sklearn:" in page and "sepal length (cm)" in page

    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    for run, form in (("logreg-C0.1", {"mode": "new", "new_name": "iris-mlflow"}),
                      ("logreg-C1.0", {"mode": "existing", "existing_name": "iris-mlflow"})):
        response = client.post(f"/runs/{ids[run]}/save",
                               data={"csrf_token": token.group(1), **form})
        assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    versions = registry.list_versions("iris-mlflow", store=store)
    assert [(v.version, v.run_id) for v in versions] == [(1, ids["logreg-C0.1"]),
                                                          (2, ids["logreg-C1.0"])]
    compare = client.get("/models/iris-mlflow/compare").get_data(as_text=True)
    assert ">v1<" in compare and ">v2<" in compare and 'id="version-charts"' in compare
