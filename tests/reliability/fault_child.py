"""A training process for the faults that need their own process (a file-size limit, another
user). Run as ``python fault_child.py <store> <sklearn|torch> <FAULT> <good_run_id>`` where
FAULT is ``none``, ``fsize:BYTES`` (a file-size limit) or ``nobody:SCRATCH`` (run as root, drop
to user nobody before training; SCRATCH is a store used to warm up imports first).

It trains once without autolog (the expected result), applies the fault, enables autolog as a
user would, trains again, and prints one JSON line: whether the results are identical, the
AutologWarnings shown, and whether the store still reads (the good run loads).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import warnings

import numpy as np


def main() -> None:
    store, framework, fault, good_id = sys.argv[1:5]
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    from tests.reliability import workloads

    X, y = workloads.iris()
    if framework == "sklearn":
        from sklearn.ensemble import RandomForestClassifier

        def train() -> object:
            return workloads.fit_predict(
                RandomForestClassifier(n_estimators=300, random_state=0), X, y)

        def same(a: object, b: object) -> bool:
            return bool(np.array_equal(a, b))
    else:
        import torch

        def train() -> object:
            torch.manual_seed(0)
            weights = workloads.torch_train(workloads.torch_net(width=16384))
            autolog.end_run()
            return weights

        same = workloads.same_weights
    import autolog
    from autolog.safety import AutologWarning

    expected = train()
    if fault.startswith("nobody:"):
        # Warm up every lazy import with autolog on a scratch store first: once the process
        # is nobody, the interpreter's own files (under /root) may be unreadable.
        autolog.enable(store=fault.split(":", 1)[1], testing=True)
        assert same(train(), expected)
        autolog.flush()
        autolog.load_model(autolog.search_runs()[0].model_path).predict(
            X.astype(np.float32) if framework == "torch" else X)
        autolog.disable()
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    if fault.startswith("fsize:"):
        # Writing past the limit fails with EFBIG (the signal would kill the process instead).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = int(fault.split(":")[1])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    autolog.enable(store=store, testing=False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = train()
        autolog.flush()
    caught = [str(w.message) for w in seen if issubclass(w.category, AutologWarning)]
    reads = {}
    try:
        reads["runs"] = len(autolog.search_runs())
        good = autolog.get_run(good_id)
        reads["good_status"] = good.status
        reads["good_predicts"] = len(autolog.load_model(good.model_path).predict(X))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        reads["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps({"identical": same(result, expected), "warnings": caught, "reads": reads}))


if __name__ == "__main__":
    main()
