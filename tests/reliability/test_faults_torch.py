"""Faults while PyTorch training loops are logged (real failures, as for scikit-learn).

The user's result is the trained weights: they must be bit-identical to the same loop run
without autolog.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

import autolog
from autolog import writer
from autolog.stores.local import LocalStore
from tests.reliability.checks import assert_clean, good_run, lost_records
from tests.reliability.conftest import autolog_warnings
from tests.reliability.test_faults_sklearn import _kill_thread
from tests.reliability.workloads import iris, same_weights, torch_net, torch_train

# (net kind, fault, how, options, train kwargs, words in the warning, model folder expected)
CASES = [
    ("unpicklable", "serialization", "real: the module holds a threading.Lock", {}, {},
     "pickle", False),
    ("plain", "signature inference", "real: a bfloat16 model (numpy has no bfloat16)", {},
     {"dtype": "bfloat16"}, "signature", True),
    ("no_onnx", "ONNX conversion", "real: format='onnx', numpy inside forward() cannot be "
     "exported", {"format": "onnx"}, {}, "ONNX", True),
]


def _train(kind: str, **kwargs: object) -> dict:
    if kwargs.get("dtype") == "bfloat16":
        kwargs["dtype"] = torch.bfloat16
    torch.manual_seed(0)
    weights = torch_train(torch_net(kind), **kwargs)
    autolog.end_run()  # ends the run the loop started (a no-op without autolog)
    return weights


def _torch_runs(root: Path) -> list:
    return [r for r in LocalStore(root).search_runs()
            if r.tags.get("autolog.integration") == "torch"]


@pytest.mark.parametrize(("kind", "fault", "how", "options", "train", "words", "has_model"),
                         CASES, ids=[c[1] for c in CASES])
def test_fault(kind, fault, how, options, train, words, has_model, user_mode, tally):
    X, y = iris()
    expected = _train(kind, **train)
    root = user_mode(**options)
    good_id, good_pred = good_run(root, X, y)
    case = tally.case("faults", f"{fault} (PyTorch)", how)
    with case.trial():
        with autolog_warnings() as caught:
            weights = _train(kind, **train)
        assert words in caught.one()
        assert same_weights(weights, expected)
        assert_clean(root)
        [run] = _torch_runs(root)
        assert run.status == "FINISHED"
        assert bool(run.model_path) == has_model, run.model_path
        case.lost(lost_records(root, {good_id: good_pred}, X))
    assert case.data_lost == 0


def test_store_write_fails_mid_run(user_mode, tally):
    X, y = iris()
    expected = _train("plain")
    root = user_mode()
    good_id, good_pred = good_run(root, X, y)
    case = tally.case("faults", "store write (PyTorch)",
                      "real: the run's artifacts folder is a file when the model is written")
    with case.trial():
        with autolog_warnings() as caught:
            with autolog.start_run(name="occupied") as run:
                autolog.flush()
                artifacts = root / "runs" / run.run_id / "artifacts"
                shutil.rmtree(artifacts)  # the run's environment/ is already there
                artifacts.write_text("not a folder")
                weights = _train("plain")
        assert len(caught) == 1, caught
        assert same_weights(weights, expected)
        assert_clean(root)
        assert LocalStore(root).get_run(run.run_id).status == "FINISHED"
        case.lost(lost_records(root, {good_id: good_pred}, X))
    assert case.data_lost == 0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_writer_thread_killed(user_mode, tally):
    X, y = iris()
    expected = _train("plain")
    root = user_mode()
    good_id, good_pred = good_run(root, X, y)
    case = tally.case("faults", "writer thread killed (PyTorch)",
                      "SystemExit injected into the idle writer thread with "
                      "PyThreadState_SetAsyncExc (internal: the thread found via "
                      "autolog.writer)")
    with case.trial():
        with autolog_warnings() as caught:
            _kill_thread(writer.get_writer()._thread)
            weights = _train("plain")
        assert "writer thread" in caught.one()
        assert same_weights(weights, expected)
        assert_clean(root)
        [run] = _torch_runs(root)
        assert run.status == "FINISHED" and run.model_path and run.metrics
        case.lost(lost_records(root, {good_id: good_pred}, X))
    assert case.data_lost == 0
