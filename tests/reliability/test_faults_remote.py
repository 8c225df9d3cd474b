"""The remote store dies mid-run: a real ``mlflow server`` process killed with SIGKILL.

For each framework a run is in progress on the server when the server is killed. Expected:
training goes on with an identical result; one AutologWarning (the store cannot be reached,
later runs kept locally, how to sync them); nothing half-written on the server (a model folder
there is complete or absent: MLmodel is uploaded last); runs started after the death are
complete in the offline store, and ``sync`` sends them once the server is back; runs written
before the death still read back whole.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import mlflow  # noqa: F401 - required by this test
import numpy as np
import pytest

import autolog
import tests.stores.servers as servers
from autolog.stores import open_store
from autolog.stores.local import LocalStore
from autolog.sync import sync_runs
from tests.reliability.checks import assert_clean
from tests.reliability.conftest import autolog_warnings
from tests.reliability.scan import check_model_folder
from tests.reliability.workloads import fit_predict, iris, same_weights, torch_net, torch_train


def _kill(server) -> None:
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)


def _model_complete(store, run_id: str) -> bool:
    """False if the run has a model folder with an MLmodel that is not complete (an upload
    cut short has no MLmodel: it is uploaded last, and nothing loads a folder without it)."""
    run = store.get_run(run_id)
    if "model" not in run.artifacts:
        return True
    folder = Path(store.download_artifacts(run_id, "model"))
    return not (folder / "MLmodel").exists() or check_model_folder(folder) is None


@pytest.fixture
def remote_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    offline = tmp_path / "offline"
    monkeypatch.setenv("AUTOLOG_OFFLINE_STORE", str(offline))
    return offline


def test_remote_store_dies_mid_run(remote_env, tally, tmp_path):
    import torch
    from sklearn.ensemble import RandomForestClassifier
    offline = remote_env
    X, y = iris()

    def rf() -> object:
        return fit_predict(RandomForestClassifier(n_estimators=10, random_state=0), X, y)

    def train(between=None) -> dict:
        torch.manual_seed(0)
        weights = torch_train(torch_net(), between_epochs=between)
        autolog.end_run()
        return weights

    expected_rf, expected_net = rf(), train()
    root = tmp_path / "mlflow"
    server = servers.start_mlflow_server(root)
    try:
        # scikit-learn: the run exists on the server, then the server dies, then the fit.
        autolog.enable(store=server.uri, testing=False)
        good = fit_predict(RandomForestClassifier(n_estimators=3, random_state=1), X, y)
        autolog.flush()
        good_id = autolog.search_runs()[0].run_id
        sk_case = tally.case("faults", "remote store dies mid-run (scikit-learn)",
                             "real: the mlflow server process is SIGKILLed while the run is open")
        with sk_case.trial():
            with autolog_warnings() as caught:
                with autolog.start_run(name="dying-sklearn") as sk_run:
                    autolog.flush()
                    _kill(server)
                    result = rf()
                after = rf()  # a run started after the death: kept in the offline store
            assert "cannot be reached" in caught.one() and "autolog sync" in caught[0]
            assert np.array_equal(result, expected_rf) and np.array_equal(after, expected_rf)
        autolog.disable()

        # PyTorch: the server (restarted) dies between two epochs of the loop's run.
        server = servers.start_mlflow_server(root)
        autolog.enable(store=server.uri, testing=False)

        def die_after_first_epoch(epoch: int) -> None:
            if epoch == 0:
                autolog.flush()  # the run and its first epoch are on the server
                _kill(server)

        torch_case = tally.case("faults", "remote store dies mid-run (PyTorch)",
                                "real: the mlflow server process is SIGKILLed between epochs")
        with torch_case.trial():
            with autolog_warnings() as caught:
                weights = train(die_after_first_epoch)
            assert "cannot be reached" in caught.one()
            assert same_weights(weights, expected_net)
        autolog.disable()

        # Afterwards: the server (restarted on its data) and the offline store read back,
        # and the runs kept offline reach the server with `sync`.
        server = servers.start_mlflow_server(root)
        remote = open_store(server.uri, offline_fallback=False)
        offline_runs = set(assert_clean(offline).runs)
        assert offline_runs, "the run started after the death should be in the offline store"
        sync_runs(LocalStore(offline), remote)
        present = {r.run_id for r in remote.search_runs()}
        for case, run_ids in ((sk_case, [good_id, sk_run.run_id, *offline_runs]),
                              (torch_case, [r for r in present if r not in offline_runs])):
            with case.later_check():
                assert all(_model_complete(remote, r) for r in run_ids if r in present)
            case.lost(len(offline_runs - present) if case is sk_case else 0)
        try:
            model = autolog.load_model(remote.download_artifacts(good_id, "model"))
            assert np.array_equal(model.predict(X), good)
        except Exception:  # noqa: BLE001 - a run written before the death no longer reads
            sk_case.lost(1)
    finally:
        server.stop()
        if autolog.is_enabled():
            autolog.disable()
    assert sk_case.data_lost == 0 and torch_case.data_lost == 0
