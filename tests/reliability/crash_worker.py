"""Training processes to kill: a parent that imports everything once and forks one training
process per trial (fork is what makes 60 trials affordable: no interpreter start per trial).

Protocol on stdin/stdout, one line each::

    -> trial <store> <seed> <progress file>
    <- pid <child pid>

The child enables autolog on <store> as a user would and loops forever: fit a model (a random
forest of random size, or every third trial a small PyTorch loop), flush, register it as a
version of ``crash-model`` (through the ``registered_model_name`` option on even seeds,
``autolog.register_model`` on odd ones), flush, and append ``done <run_id> <version>`` to the
progress file. Each line there is written once the run and its version were complete, so after
the kill every listed run and version must still read back whole.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from pathlib import Path

MODEL_NAME = "crash-model"


def _child(store: str, seed: int, progress: str) -> None:
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier

    import autolog
    from autolog import tracking
    from tests.reliability import workloads

    rng = random.Random(seed)
    use_torch = seed % 3 == 2 and "torch" in sys.modules
    by_option = seed % 2 == 0
    autolog.enable(store=store, testing=False,
                   registered_model_name=MODEL_NAME if by_option else None)
    X, y = workloads.iris()
    fd = os.open(progress, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    while True:
        if use_torch:
            import torch

            torch.manual_seed(rng.randrange(1000))
            workloads.torch_train(workloads.torch_net(width=rng.choice([8, 64, 512])), epochs=1)
            autolog.end_run()
        else:
            RandomForestClassifier(n_estimators=rng.randrange(2, 25),
                                   random_state=rng.randrange(1000)).fit(X, np.asarray(y))
        autolog.flush()
        run_id = tracking.last_runs()[-1]
        if by_option:
            versions = autolog.search_model_versions(MODEL_NAME, run_id=run_id)
            version = versions[-1].version if versions else 0
        else:
            version = autolog.register_model(f"runs:/{run_id}/model", MODEL_NAME).version
        os.write(fd, f"done {run_id} {version}\n".encode())


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    # Import everything the children use, before any thread exists (fork-safe).
    import numpy  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import yaml  # noqa: F401

    import autolog  # noqa: F401
    import autolog.model_logging  # noqa: F401
    import autolog.registry  # noqa: F401
    import autolog.stores.local  # noqa: F401
    from tests.reliability import workloads  # noqa: F401

    if "--torch" in sys.argv:
        import torch  # noqa: F401
    # Children vanish when they die (no zombies), as a killed training process does.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print("ready", flush=True)
    for line in sys.stdin:
        command, store, seed, progress = line.split()
        assert command == "trial"
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _child(store, int(seed), progress)
            finally:
                os._exit(1)
        print(f"pid {pid}", flush=True)


if __name__ == "__main__":
    main()
