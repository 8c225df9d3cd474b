"""Faults while scikit-learn models are logged: each one is a real failure, not a mock.

After each: the user's fit returns what it returns without autolog, exactly one AutologWarning
was shown, nothing half-written is visible or left behind, the faulted run still ended (not
left RUNNING), and an earlier run in the same store still reads back whole.
"""

from __future__ import annotations

import ctypes
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

import autolog
from autolog import writer
from autolog.stores.local import LocalStore
from tests.reliability.checks import assert_clean, good_run, lost_records
from tests.reliability.conftest import autolog_warnings
from tests.reliability.workloads import fit_predict, iris, sklearn_classes

# (estimator class, fault, how it is made, options, words the warning must contain)
CASES = [
    ("Unpicklable", "serialization", "real: the fitted estimator holds a threading.Lock",
     {}, "serializing"),
    ("Custom", "ONNX conversion", "real: format='onnx', a subclass skl2onnx cannot convert",
     {"format": "onnx"}, "ONNX"),
    ("ExitInProba", "writer job raises SystemExit", "real: predict_proba() calls sys.exit() "
     "on the background writer", {}, "SystemExit"),
]


def _runs_ended(root: Path) -> None:
    statuses = {r.run_id: r.status for r in LocalStore(root).search_runs()}
    assert set(statuses.values()) == {"FINISHED"}, statuses


@pytest.mark.parametrize(("name", "fault", "how", "options", "words"), CASES,
                         ids=[c[1] for c in CASES])
def test_fault(name, fault, how, options, words, user_mode, tally):
    X, y = iris()
    cls = sklearn_classes()[name]
    expected = fit_predict(cls(max_iter=300), X, y)
    root = user_mode(**options)
    good_id, good_pred = good_run(root, X, y)
    case = tally.case("faults", f"{fault} (scikit-learn)", how)
    with case.trial():
        with autolog_warnings() as caught:
            result = fit_predict(cls(max_iter=300), X, y)
        assert words in caught.one()
        assert np.array_equal(result, expected)
        assert_clean(root)
        _runs_ended(root)
        case.lost(lost_records(root, {good_id: good_pred}, X))
    assert case.data_lost == 0


def test_store_write_fails_mid_run(user_mode, tally):
    """The run exists; its artifacts folder has been replaced by a file when the model is
    written (ENOTDIR/EEXIST from the file system)."""
    from sklearn.ensemble import RandomForestClassifier

    X, y = iris()
    expected = fit_predict(RandomForestClassifier(n_estimators=5, random_state=0), X, y)
    root = user_mode()
    good_id, good_pred = good_run(root, X, y)
    case = tally.case("faults", "store write (scikit-learn)",
                      "real: the run's artifacts folder is a file when the model is written")
    with case.trial():
        with autolog_warnings() as caught:
            with autolog.start_run(name="occupied") as run:
                autolog.flush()
                artifacts = root / "runs" / run.run_id / "artifacts"
                shutil.rmtree(artifacts)  # the run's environment/ is already there
                artifacts.write_text("not a folder")
                result = fit_predict(RandomForestClassifier(n_estimators=5, random_state=0), X, y)
        assert "model folder" in caught.one()
        assert np.array_equal(result, expected)
        assert_clean(root)
        _runs_ended(root)
        case.lost(lost_records(root, {good_id: good_pred}, X))
    assert case.data_lost == 0


def test_store_is_a_file(user_mode, tally, tmp_path):
    """The whole store path is unusable (a file where the folder should be)."""
    from sklearn.tree import DecisionTreeClassifier

    X, y = iris()
    expected = fit_predict(DecisionTreeClassifier(random_state=0), X, y)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    user_mode(blocker / "store")
    case = tally.case("faults", "store unusable (scikit-learn)",
                      "real: a file where the store folder should be (ENOTDIR)")
    with case.trial():
        with autolog_warnings() as caught:
            result = fit_predict(DecisionTreeClassifier(random_state=0), X, y)
            result_again = fit_predict(DecisionTreeClassifier(random_state=0), X, y)
        # One warning per run that could not be created, no more (2 fits, 2 runs).
        assert len(caught) == 2 and all("Cannot create the autolog store" in w for w in caught)
        assert np.array_equal(result, expected) and np.array_equal(result_again, expected)
        assert blocker.read_text() == "a file, not a folder"


def _kill_thread(thread: threading.Thread) -> None:
    """Raise SystemExit inside ``thread`` (CPython's PyThreadState_SetAsyncExc)."""
    done = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                                      ctypes.py_object(SystemExit))
    assert done == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_writer_thread_killed(user_mode, tally):
    """The writer thread is killed between jobs: the next submit or flush notices, starts a
    new one, and every queued record is still written."""
    from sklearn.tree import DecisionTreeClassifier

    X, y = iris()
    expected = fit_predict(DecisionTreeClassifier(random_state=1), X, y)
    root = user_mode()
    good_id, good_pred = good_run(root, X, y)
    thread = writer.get_writer()._thread
    case = tally.case("faults", "writer thread killed (scikit-learn)",
                      "SystemExit injected into the idle writer thread with "
                      "PyThreadState_SetAsyncExc (internal: the thread found via "
                      "autolog.writer)")
    with case.trial():
        with autolog_warnings() as caught:
            _kill_thread(thread)
            result = fit_predict(DecisionTreeClassifier(random_state=1), X, y)
        assert "writer thread" in caught.one()
        assert not thread.is_alive() and writer.get_writer()._thread.is_alive()
        assert np.array_equal(result, expected)
        assert_clean(root)
        _runs_ended(root)
        runs = LocalStore(root).search_runs()
        assert len(runs) == 2 and all(r.model_path for r in runs)
        new_id = next(r.run_id for r in runs if r.run_id != good_id)
        case.lost(lost_records(root, {good_id: good_pred, new_id: expected}, X))
    assert case.data_lost == 0


# The user's model behaving oddly is no failure of autolog's: the record leaves out what cannot
# be made and says why in a run tag, without a warning.
MISBEHAVIOUR = [
    ("SetPredictor", "real: predict() returns a Python set", "autolog.signature",
     "inputs only"),
    ("ProbaRaises", "real: predict_proba() raises RuntimeError", None, None),
]


@pytest.mark.parametrize(("name", "how", "tag", "words"), MISBEHAVIOUR,
                         ids=[c[0] for c in MISBEHAVIOUR])
def test_model_misbehaviour_is_a_tag_not_a_warning(name, how, tag, words, user_mode):
    X, y = iris()
    cls = sklearn_classes()[name]
    make = (lambda: cls()) if name == "SetPredictor" else (lambda: cls(max_iter=300))
    expected = fit_predict(make(), X, y)
    root = user_mode()
    with autolog_warnings() as caught:
        result = fit_predict(make(), X, y)
        autolog.flush()
    assert list(caught) == []
    assert np.array_equal(result, expected)
    (run,) = LocalStore(root).search_runs()
    assert run.status == "FINISHED" and run.model_path is not None
    if tag is not None:
        assert words in run.tags[tag]
    else:  # no probabilities: the metrics that need them are left out, the others kept
        assert "training_accuracy" in run.metrics and "training_log_loss" not in run.metrics
    assert_clean(root)
