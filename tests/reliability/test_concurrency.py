"""Many writers at once into one store: threads, joblib workers, separate processes.

Every run must be present once, with its own params and a model that predicts like the
estimator that made it; registry versions must be numbered 1..N with no gaps or duplicates;
nothing visible is incomplete.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

import autolog
from autolog.stores.local import LocalStore
from tests.helpers import run_python
from tests.reliability.checks import assert_clean
from tests.reliability.workloads import iris

ROOT = Path(__file__).resolve().parents[2]


def test_four_threads_fit_at_once(store, tally):
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    X, y = iris()
    barrier = threading.Barrier(4)
    fitted: dict[str, np.ndarray] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        try:
            barrier.wait()
            for k in range(3):
                c = float(1 + thread * 10 + k)
                est = (LogisticRegression(C=c, max_iter=500) if k != 1
                       else DecisionTreeClassifier(max_depth=thread + 1, random_state=int(c)))
                est.fit(X, y)
                key = f"C={c}" if k != 1 else f"depth={thread + 1} seed={int(c)}"
                with lock:
                    fitted[key] = est.predict(X)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    case = tally.case("concurrency", "4 threads fitting at once",
                      "real: 4 threads x 3 fits (LogisticRegression, DecisionTree), one store")
    with case.trial():
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        runs = autolog.search_runs()
        assert len(runs) == 12 and len({r.run_id for r in runs}) == 12
        lost = 0
        for run in runs:
            p = run.params
            key = (f"C={float(p['C'])}" if "C" in p
                   else f"depth={p['max_depth']} seed={p['random_state']}")
            try:
                model = autolog.load_model(run.model_path)
                assert np.array_equal(model.predict(X), fitted.pop(key))
            except Exception:  # noqa: BLE001 - counted
                lost += 1
        assert not fitted, f"fits without their own run: {sorted(fitted)}"
        assert_clean(store.root)
        case.lost(lost)
    assert case.data_lost == 0


_JOBLIB = """
import joblib, numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
X, y = load_iris(return_X_y=True)

def train(c):
    return LogisticRegression(C=c, max_iter=500).fit(X, y).predict(X).tolist()

GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0, 10.0]}, cv=3, n_jobs=2).fit(X, y)
with joblib.parallel_backend("loky"):
    joblib.Parallel(n_jobs=2)(joblib.delayed(train)(c) for c in (0.2, 0.3, 0.4, 0.5))
joblib.Parallel(n_jobs=2, backend="threading")(joblib.delayed(train)(c) for c in (0.6, 0.7))
print("ok")
"""


def test_joblib_two_jobs(tally, tmp_path):
    """AUTOLOG=1 (so loky's worker processes record too): a grid search with n_jobs=2 is one
    run with its candidate children, and each task of a top-level Parallel is one run."""
    root = tmp_path / "store"
    case = tally.case("concurrency", "joblib n_jobs=2",
                      "real: GridSearchCV(n_jobs=2), Parallel(n_jobs=2) on loky processes and "
                      "on threads, AUTOLOG=1")
    with case.trial():
        done = run_python(_JOBLIB, env={"AUTOLOG": "1", "AUTOLOG_STORE": str(root),
                                        "OMP_NUM_THREADS": "1"}, timeout=300)
        assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]
        assert "AutologWarning" not in done.stderr, done.stderr[-3000:]
        runs = LocalStore(root).search_runs()
        searches = [r for r in runs if r.model_name == "GridSearchCV"]
        assert len(searches) == 1 and searches[0].model_path
        children = [r for r in runs if r.info.parent_run_id == searches[0].run_id]
        assert len(children) == 3
        tasks = sorted(float(r.params["C"]) for r in runs
                       if r.model_name == "LogisticRegression" and not r.info.parent_run_id)
        assert tasks == [0.2, 0.3, 0.4, 0.5, 0.6, 0.7], tasks
        assert len(runs) == 1 + 3 + 6 and all(r.status == "FINISHED" for r in runs)
        assert_clean(root)
        X, y = iris()
        from sklearn.linear_model import LogisticRegression

        lost = 0
        for run in runs:
            if run.model_name == "LogisticRegression" and not run.info.parent_run_id:
                c = float(run.params["C"])
                expected = LogisticRegression(C=c, max_iter=500).fit(X, y).predict(X)
                try:
                    assert np.array_equal(autolog.load_model(run.model_path).predict(X),
                                          expected)
                except Exception:  # noqa: BLE001 - counted
                    lost += 1
        case.lost(lost)
    assert case.data_lost == 0


_WRITER = """
import os, sys, time
import autolog
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier
store, index, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
X, y = load_iris(return_X_y=True)
by_option = index % 2 == 0
autolog.enable(store=store, testing=True, registered_model_name="shared" if by_option else None)
while not os.path.exists(go):
    time.sleep(0.005)
for k in range(3):
    DecisionTreeClassifier(max_depth=1 + k, random_state=index).fit(X, y)
    autolog.flush()
    if not by_option:
        from autolog import tracking
        autolog.register_model(f"runs:/{tracking.last_runs()[-1]}/model", "shared")
autolog.flush()
print("ok", index)
"""


def test_eight_processes_write_and_register(tally, tmp_path):
    root = tmp_path / "store"
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    env.update(OMP_NUM_THREADS="1")
    case = tally.case("concurrency", "8 processes writing runs and registering versions",
                      "real: 8 interpreters x 3 fits, each registered as a version of one "
                      "model (half through the option, half through register_model)")
    with case.trial():
        procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(root), str(i), str(go)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env, cwd=ROOT) for i in range(8)]
        go.touch()
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0 and "ok" in out, err[-3000:]
        scan = assert_clean(root)
        assert len(scan.runs) == 24 and len(scan.models) == 24
        numbers = sorted(v for (name, v) in scan.versions if name == "shared")
        assert numbers == list(range(1, 25)), numbers
        registered = [record["run_id"] for record in scan.versions.values()]
        assert sorted(registered) == sorted(scan.runs), "each run registered exactly once"
        store = LocalStore(root)
        model = store.get_registered_model("shared")
        assert model.latest_version == 24 and model.version_count == 24
        X, _ = iris()
        lost = 0
        for (_, number), record in scan.versions.items():
            try:
                folder = store.download_model_version("shared", number)
                run = store.get_run(record["run_id"])
                loaded = autolog.load_model(folder).predict(X)
                assert np.array_equal(loaded, autolog.load_model(run.model_path).predict(X))
            except Exception:  # noqa: BLE001 - counted
                lost += 1
        case.lost(lost)
    assert case.data_lost == 0
