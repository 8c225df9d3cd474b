"""Bad input: damaged model folders, hostile names and URIs, links out of the store, huge and
odd parameters, NaN and infinite metrics.

Each gets a clear error (an :class:`~autolog.AutologError` naming the bad thing) or a
documented safe handling; never another exception type, never a crash of the user's program.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autolog
from autolog.errors import AutologError, InvalidNameError, ModelFolderError, StoreError
from autolog.stores.local import LocalStore
from tests.reliability.checks import assert_clean
from tests.reliability.conftest import autolog_warnings
from tests.reliability.workloads import iris, torch_net, torch_train


@pytest.fixture
def logged(store) -> tuple[Path, Any, Any]:
    """A logged LogisticRegression: (model folder, X, expected predictions)."""
    from sklearn.linear_model import LogisticRegression

    X, y = iris()
    est = LogisticRegression(max_iter=300).fit(X, y)
    autolog.flush()
    return Path(autolog.search_runs()[0].model_path), X, est.predict(X)


def _outcome(folder: Path, X: Any, expected: Any) -> str:
    """'error' (a clear AutologError naming the folder), 'ok' (loads and predicts right) or
    raises AssertionError for anything else."""
    try:
        model = autolog.load_model(folder)
        result = model.predict(X)
    except AutologError as exc:
        assert str(folder) in str(exc), f"the error does not name the folder: {exc}"
        return "error"
    except Exception as exc:  # noqa: BLE001 - the finding
        raise AssertionError(f"{type(exc).__name__} instead of a clear error: {exc}") from exc
    assert np.array_equal(result, expected), "loaded, but predicts something else"
    return "ok"


def test_truncated_mlmodel(logged, tally, tmp_path):
    folder, X, expected = logged
    text = (folder / "MLmodel").read_bytes()
    case = tally.case("bad input", "truncated MLmodel",
                      "every 16th byte offset of a real MLmodel: load_model on the cut file")
    outcomes = {"error": 0, "ok": 0}
    for cut in range(0, len(text), 16):
        with case.trial():
            copy = tmp_path / f"cut-{cut}"
            shutil.copytree(folder, copy)
            (copy / "MLmodel").write_bytes(text[:cut])
            outcomes[_outcome(copy, X, expected)] += 1
    case.note("clear ModelFolderError", outcomes["error"])
    case.note("cut after the flavors: loads, predicts correctly", outcomes["ok"])
    assert outcomes["error"] > 0


def _replace(old: str, new: str) -> Any:
    def mutate(folder: Path) -> None:
        path = folder / "MLmodel"
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))

    return mutate


def _write(name: str, content: str | bytes) -> Any:
    def mutate(folder: Path) -> None:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    return mutate


def _delete(name: str) -> Any:
    def mutate(folder: Path) -> None:
        path = folder / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return mutate


# name -> (mutation, expected outcome)
DAMAGE = {
    "invalid YAML": (_write("MLmodel", "flavors: [unclosed\n  x: {"), "error"),
    "binary MLmodel": (_write("MLmodel", b"\xff\xfe\x00\x81garbage"), "error"),
    "MLmodel is a YAML list": (_write("MLmodel", "- a\n- b\n"), "error"),
    "flavors is a string": (_write("MLmodel", "flavors: sklearn\n"), "error"),
    "flavor block is a string": (_replace("  sklearn:\n", "  sklearn: oops\n  unused:\n"),
                                 "error"),
    "checksums is a number": (_replace("  checksums:\n", "  checksums: 7\n  unused:\n"),
                              "error"),
    "checksum altered": (_replace("model.pkl: sha256:", "model.pkl: sha256:00"), "error"),
    "signature not JSON": (_replace("inputs: '[", "inputs: 'xx["), "error"),
    "signature of unknown type": (_replace('"type": "tensor"', '"type": "quantum"'), "error"),
    "pickled_model path traversal": (_replace("pickled_model: model.pkl",
                                              "pickled_model: ../../../../../etc/passwd"),
                                     "error"),
    "pickled_model absolute path": (_replace("pickled_model: model.pkl",
                                             "pickled_model: /etc/passwd"), "error"),
    # MLflow's skops folders are valid models autolog cannot load: they register.
    "unknown serialization_format": (_replace("serialization_format: cloudpickle",
                                              "serialization_format: joblib"), "error", "ok"),
    "model file missing": (_delete("model.pkl"), "error"),
    "model file truncated": (lambda f: (f / "model.pkl").write_bytes(
        (f / "model.pkl").read_bytes()[:100]), "error"),
    "MLmodel missing": (_delete("MLmodel"), "error"),
    "requirements.txt missing": (_delete("requirements.txt"), "ok"),
    "conda.yaml missing": (_delete("conda.yaml"), "ok"),
    "input_example.json missing": (_delete("input_example.json"), "ok"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_model_folder(damage, logged, tally, tmp_path):
    folder, X, expected = logged
    mutate, want, *registers = DAMAGE[damage]
    copy = tmp_path / "damaged"
    shutil.copytree(folder, copy)
    mutate(copy)
    case = tally.case("bad input", "malformed MLmodel, wrong signature JSON, missing files",
                      f"{len(DAMAGE)} kinds of damage to a real model folder (invalid YAML, "
                      "wrong types, bad signature JSON, paths leading out, missing or cut "
                      "files): load_model, register_model, input_example")
    with case.trial():
        assert _outcome(copy, X, expected) == want
        if (registers or [want]) == ["error"]:
            versions = autolog.search_model_versions()
            with pytest.raises(AutologError) as info:
                autolog.register_model(copy, "damaged")
            assert str(copy) in str(info.value)
            assert autolog.search_model_versions() == versions
        else:
            assert autolog.register_model(copy, "damaged").version >= 1
        if damage == "input_example.json missing":
            with pytest.raises(ModelFolderError, match="input_example.json"):
                autolog.load_model(copy).input_example()


def test_damaged_folder_through_the_cli(logged, tally, tmp_path):
    """`autolog predict` on a damaged folder: one line 'Error: ...', exit code 1, no
    traceback."""
    folder, X, _ = logged
    copy = tmp_path / "damaged"
    shutil.copytree(folder, copy)
    (copy / "MLmodel").write_text("flavors: [unclosed")
    data = tmp_path / "x.npy"
    np.save(data, X)
    case = tally.case("bad input", "damaged folder through `autolog predict`",
                      "invalid YAML in MLmodel; the CLI in a subprocess")
    with case.trial():
        done = subprocess.run([sys.executable, "-m", "autolog.cli", "predict", str(copy),
                               "--input", str(data)], capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 1, done
        assert done.stderr.startswith("Error: ") and "Traceback" not in done.stderr
        assert str(copy) in done.stderr


HOSTILE_NAMES = ["../evil", "..", "a/b", "/etc/evil", "C:\\evil", "x\x00y", "x\ny", "x" * 201,
                 "", " padded ", ".hidden", "name@alias", "models:/x"]


def test_hostile_names_and_uris(logged, tally, tmp_path):
    folder, _, _ = logged
    store = LocalStore(Path(folder).parents[3])
    run_id = folder.parent.parent.name
    case = tally.case("bad input", "hostile names and URIs",
                      "model names, aliases, runs:/ and models:/ URIs, artifact paths with "
                      "'..', absolute paths, control characters, unknown schemes")
    before = set(os.listdir(tmp_path))
    for name in HOSTILE_NAMES:
        with case.trial(), pytest.raises(InvalidNameError, match="Invalid model name"):
            autolog.register_model(f"runs:/{run_id}/model", name)
    for alias in ["../x", "latest", "a b", "", "1st", "x" * 64]:
        with case.trial(), pytest.raises(InvalidNameError, match="Invalid alias"):
            autolog.set_alias("m", alias, 1)
    for uri in ["runs:/../../etc/model", f"runs:/{run_id}/../../../../etc/passwd",
                f"runs:/{run_id}//etc/passwd", "runs://", "runs:/x", f"runs:/{run_id}/",
                "models:/../x/1", "models:/x/../../1", "models:/x/-1", "models:/x/1.5",
                "models:/x@../y", "models:/", "models:/x", "models:/a/b/c/1"]:
        with case.trial(), pytest.raises((InvalidNameError, ValueError),
                                         match="^(Invalid|Malformed)"):
            autolog.load_model(uri)
    for path in ["../x", "/etc", "a/../../b", "C:/x", "..", "a/\x01"]:
        with case.trial(), pytest.raises(InvalidNameError, match="Invalid artifact path"):
            store.log_artifacts(run_id, folder, path)
    with case.trial(), pytest.raises(AutologError, match="Known schemes"):
        autolog.enable(store="ftp://example.com/store")
    assert set(os.listdir(tmp_path)) == before, "something was written outside the store"
    assert not Path("/etc/evil").exists()
    assert_clean(store.root)


def test_symlinks_out_of_the_store(logged, tally, tmp_path):
    """A link to a file or folder outside is never followed: load_model and register_model
    refuse it by name, and the registry copies nothing from outside."""
    folder, X, expected = logged
    store = LocalStore(Path(folder).parents[3])
    run_id = folder.parent.parent.name
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    outside = tmp_path / "outside-model"
    shutil.copytree(folder, outside)
    case = tally.case("bad input", "symlinks pointing out of the store",
                      "a model file linked to a secret file and to /etc/passwd, a linked "
                      "sub-folder, a run's model folder and a registry version linked "
                      "elsewhere")
    for target in (secret, Path("/etc/passwd"), tmp_path):
        with case.trial():
            copy = tmp_path / f"linked-{target.name}"
            shutil.copytree(folder, copy)
            link = copy / ("model.pkl" if target.is_file() else "data")
            if link.exists():
                link.unlink()
            link.symlink_to(target)
            with pytest.raises(ModelFolderError, match="symbolic link"):
                autolog.load_model(copy)
            with pytest.raises(ModelFolderError, match="symbolic link"):
                autolog.register_model(copy, "linked")
    with case.trial():
        autolog.register_model(f"runs:/{run_id}/model", "m")
        version_model = store.root / "models" / "m" / "versions" / "1" / "model"
        shutil.rmtree(version_model)
        version_model.symlink_to(outside)
        with pytest.raises(StoreError, match="symbolic link"):
            autolog.load_model("models:/m/1")
    with case.trial():
        shutil.rmtree(folder)
        folder.symlink_to(outside)
        with pytest.raises(StoreError, match="symbolic link"):
            autolog.load_model(f"runs:/{run_id}/model")
        with pytest.raises(StoreError, match="symbolic link"):
            autolog.register_model(f"runs:/{run_id}/model", "m")
    with case.trial():  # a link that stays inside the folder is fine
        inside = tmp_path / "inside-link"
        shutil.copytree(outside, inside)
        (inside / "model-copy.pkl").symlink_to(inside / "model.pkl")
        assert np.array_equal(autolog.load_model(inside).predict(X), expected)
    for path in store.root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert b"TOP-SECRET-CONTENT" not in path.read_bytes()
            assert b"root:x:0:0" not in path.read_bytes()


class _BadStr:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    def __repr__(self) -> str:
        raise RuntimeError("no repr either")


def _odd_estimator() -> Any:
    from sklearn.linear_model import LogisticRegression

    class Odd(LogisticRegression):
        def __init__(self, blob: Any = None, broken: Any = None, array: Any = None,
                     text: Any = None, mapping: Any = None, max_iter: int = 300) -> None:
            super().__init__(max_iter=max_iter)
            self.blob, self.broken, self.array = blob, broken, array
            self.text, self.mapping = text, mapping

    return Odd


def test_huge_and_odd_params(user_mode, tally):
    X, y = iris()
    odd = _odd_estimator()
    kwargs = dict(blob="x" * 10_000_000, broken=_BadStr(), array=np.arange(1_000_000),
                  text="line1\nline2\t\x00 \u00e9\u4e2d\U0001F600",
                  mapping={"../../etc": 1, "nested": {"deep": [1, 2]}})
    expected = odd(**kwargs).fit(X, y).predict(X)
    root = user_mode()
    case = tally.case("bad input", "huge and non-string parameter values",
                      "a 10 MB string, an object whose str() raises, a 10^6-element array, "
                      "control characters and emoji, a dict with a '../' key: real fits")
    with case.trial():
        with autolog_warnings() as caught:
            result = odd(**kwargs).fit(X, y).predict(X)
        assert not caught, caught
        assert np.array_equal(result, expected)
        [run] = autolog.search_runs()
        params = run.params
        assert len(params["blob"]) == 500 and params["blob"].endswith("...")
        assert params["broken"] == "<_BadStr>"
        assert len(params["array"]) <= 500
        assert params["text"] == kwargs["text"]
        assert params["mapping.../../etc"] == "1" and params["mapping.nested.deep"] == "[1, 2]"
        assert_clean(root)
        assert not (root / "etc").exists()
        total = sum(p.stat().st_size for p in (root / "runs").rglob("*.json"))
        assert total < 200_000, f"params made the run {total} bytes"


def test_nan_and_inf_metrics(user_mode, tally, tmp_path):
    import torch
    from sklearn.linear_model import LinearRegression

    X, _ = iris()
    root = user_mode()
    case = tally.case("bad input", "NaN and infinite metrics",
                      "real: R^2 of a constant target (NaN), a diverging PyTorch loss, "
                      "log_metric(nan/inf/-inf); read back, CLI text and --json")
    with case.trial():
        with autolog_warnings() as caught:
            LinearRegression().fit(X, np.ones(len(X)))
            with autolog.start_run(name="explicit") as run:
                run.log_metrics({"nan": math.nan, "inf": math.inf, "ninf": -math.inf})
            torch.manual_seed(0)
            torch_train(torch_net(), lr=1e30)  # the loss overflows to inf, then NaN
            autolog.end_run()
        assert not caught, caught
        runs = {r.info.name: r for r in autolog.search_runs()}
        assert math.isnan(runs["LinearRegression"].metrics["training_r2"])
        [torch_run] = [r for r in runs.values() if r.tags.get("autolog.integration") == "torch"]
        losses = [m.value for values in torch_run.metric_history.values() for m in values
                  if "loss" in m.key]
        assert losses and not all(math.isfinite(v) for v in losses), losses
        assert torch_run.status == "FINISHED" and torch_run.model_path
        metrics = runs["explicit"].metrics
        assert math.isnan(metrics["nan"]) and metrics["inf"] == math.inf
        assert metrics["ninf"] == -math.inf
        for args in (["runs", "list"], ["runs", "list", "--json"],
                     ["runs", "show", run.run_id, "--json"]):
            done = subprocess.run([sys.executable, "-m", "autolog.cli", *args, "--store",
                                   str(root)], capture_output=True, text=True, timeout=120,
                                  check=False)
            assert done.returncode == 0, done.stderr
            if "--json" in args:
                json.loads(done.stdout)  # Python's reader accepts NaN and Infinity
        assert_clean(root)
