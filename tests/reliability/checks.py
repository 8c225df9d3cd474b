"""The checks every fault trial ends with: no partial folder, and the store still reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import autolog
from autolog import tracking
from autolog.stores.local import LocalStore
from tests.reliability.scan import Scan, scan_store


def assert_clean(root: Path, allow_leftovers: bool = False) -> Scan:
    """Everything visible in the store is complete; a handled fault left no temporary files."""
    scan = scan_store(root)
    assert scan.ok, f"incomplete or corrupt records visible in {root}: {scan.problems}"
    if not allow_leftovers:
        assert not scan.leftovers, f"temporary files left behind: {scan.leftovers}"
    return scan


def lost_records(root: Path, good: dict[str, Any], X: Any) -> int:
    """How many of the ``good`` runs (run id -> expected predictions on ``X``; None for runs
    without a model) no longer read back whole. Also exercises search_runs and get_run."""
    store = LocalStore(root)
    listed = {r.run_id for r in store.search_runs()}
    lost = 0
    for run_id, expected in good.items():
        try:
            run = store.get_run(run_id)
            assert run_id in listed and run.status == "FINISHED", run.status
            if expected is not None:
                model = autolog.load_model(run.model_path)
                assert np.array_equal(np.asarray(model.predict(X)), expected)
        except Exception:  # noqa: BLE001 - any failure to read back is a lost record
            lost += 1
    return lost


def good_run(root: Path, X: Any, y: Any) -> tuple[str, Any]:
    """Fit a plain model with autolog on (already enabled); return its run id and
    predictions."""
    from sklearn.linear_model import LogisticRegression

    est = LogisticRegression(max_iter=300).fit(X, y)
    autolog.flush()
    run_id = tracking.last_runs()[-1]
    return run_id, np.asarray(est.predict(X))
