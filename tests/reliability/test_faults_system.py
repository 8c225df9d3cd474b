"""Faults the operating system makes: a full disk, a file-size limit, permission denied.

* Full disk: the store on a 256 KiB tmpfs (needs root to mount; skipped otherwise, the
  file-size limit below still runs). ENOSPC while the model folder is written.
* File-size limit: RLIMIT_FSIZE in a child process; EFBIG while the model file is written.
* Permission denied: a child process running as ``nobody`` (when the suite runs as root,
  where chmod would not stop writes) or a read-only store (otherwise).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import autolog
from autolog.stores.local import LocalStore
from tests.reliability.checks import assert_clean, good_run, lost_records
from tests.reliability.conftest import autolog_warnings
from tests.reliability.workloads import fit_predict, iris, same_weights, torch_net, torch_train

CHILD = Path(__file__).with_name("fault_child.py")
FRAMEWORKS = {"sklearn": "scikit-learn", "torch": "PyTorch"}


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (skips the test where mounting is not allowed)."""
    path.mkdir(parents=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _train(framework: str) -> object:
    if framework == "sklearn":
        from sklearn.ensemble import RandomForestClassifier

        X, y = iris()
        return fit_predict(RandomForestClassifier(n_estimators=300, random_state=0), X, y)
    import torch

    torch.manual_seed(0)
    weights = torch_train(torch_net(width=16384))
    autolog.end_run()
    return weights


def _same(framework: str, a: object, b: object) -> bool:
    return bool(np.array_equal(a, b)) if framework == "sklearn" else same_weights(a, b)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_full_disk(framework, user_mode, tally, tmp_path):
    if framework == "torch":
        import torch  # noqa: F401 - required by this test
    X, y = iris()
    expected = _train(framework)
    with tmpfs(tmp_path / "tiny", "256k") as mount:
        root = user_mode(mount / "store")
        good_id, good_pred = good_run(root, X, y)
        case = tally.case("faults", f"full disk ({FRAMEWORKS[framework]})",
                          "real: the store on a 256 KiB tmpfs, the model does not fit (ENOSPC)")
        with case.trial():
            with autolog_warnings() as caught:
                result = _train(framework)
            assert "No space left on device" in caught.one()
            assert _same(framework, result, expected)
            assert_clean(root)
            runs = LocalStore(root).search_runs()
            assert len(runs) == 2 and {r.status for r in runs} == {"FINISHED"}
            case.lost(lost_records(root, {good_id: good_pred}, X))
            # Space freed by the cleanup: the store takes the next small run whole.
            good_run(root, X, y)
            assert_clean(root)
        autolog.disable()
    assert case.data_lost == 0


def _child(store: Path, framework: str, fault: str, good_id: str, **popen: object) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    env.update(OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    env.update(popen.pop("env", {}))  # type: ignore[arg-type]
    done = subprocess.run([sys.executable, str(CHILD), str(store), framework, fault, good_id],
                          capture_output=True, text=True, timeout=180, env=env, check=False,
                          **popen)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_file_size_limit(framework, user_mode, tally):
    if framework == "torch":
        import torch  # noqa: F401 - required by this test
    X, y = iris()
    root = user_mode()
    good_id, good_pred = good_run(root, X, y)
    autolog.disable()
    case = tally.case("faults", f"file size limit ({FRAMEWORKS[framework]})",
                      "real: RLIMIT_FSIZE 48 KiB in the training process (EFBIG)")
    with case.trial():
        report = _child(root, framework, f"fsize:{48 * 1024}", good_id)
        assert report["identical"], report
        assert len(report["warnings"]) == 1 and "File too large" in report["warnings"][0], report
        assert report["reads"].get("good_predicts") == len(X), report
        assert_clean(root)
        runs = LocalStore(root).search_runs()
        assert len(runs) == 2 and {r.status for r in runs} == {"FINISHED"}
        case.lost(lost_records(root, {good_id: good_pred}, X))
    assert case.data_lost == 0


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder other users can enter (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="autolog-reliability-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_permission_denied(framework, user_mode, tally, shared_dir):
    if framework == "torch":
        import torch  # noqa: F401 - required by this test
    X, y = iris()
    root = user_mode(shared_dir / "store")
    good_id, good_pred = good_run(root, X, y)
    autolog.disable()
    home = shared_dir / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    if os.geteuid() == 0:
        how = "real: the training process drops to user nobody (setuid); the store is root's"
        fault = f"nobody:{shared_dir / 'scratch'}"
    else:
        how = "real: the store's folders are read-only (chmod a-w)"
        fault = "none"
        for folder, _, _ in os.walk(root):
            os.chmod(folder, 0o555)
    case = tally.case("faults", f"permission denied ({FRAMEWORKS[framework]})", how)
    try:
        with case.trial():
            report = _child(root, framework, fault, good_id, env={"HOME": str(home)})
            assert report["identical"], report
            assert len(report["warnings"]) == 1, report
            assert "Permission denied" in report["warnings"][0], report
            assert report["reads"].get("good_predicts") == len(X), report
            assert_clean(root)
            assert [r.run_id for r in LocalStore(root).search_runs()] == [good_id]
            case.lost(lost_records(root, {good_id: good_pred}, X))
    finally:
        for folder, _, _ in os.walk(root):
            os.chmod(folder, 0o755)
    assert case.data_lost == 0
