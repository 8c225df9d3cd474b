"""The writer never touches a module that another thread is still importing."""

from __future__ import annotations

import json
import sys
import types

from autolog import imported
from tests.helpers import run_python

# A fresh interpreter: a thread starts importing the real ``{module}`` and is held inside the
# module's own code (it is in sys.modules, half-initialized) while the main thread fits a
# model and waits for the writer to write its folder; then the import is let go.
RACE = r"""
import importlib.abc, importlib.util, json, sys, threading, warnings

started, release = threading.Event(), threading.Event()

class HoldImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != {module!r}:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        real = spec.loader

        class Held(importlib.abc.Loader):
            def create_module(self, spec):
                return real.create_module(spec)

            def exec_module(self, module):
                started.set()
                release.wait(60)
                real.exec_module(module)

        spec.loader = Held()
        return spec

import numpy as np
import autolog
from autolog.stores.local import LocalStore

autolog.enable(store=sys.argv[1] if len(sys.argv) > 1 else {store!r})
from sklearn.linear_model import LogisticRegression

assert {module!r} not in sys.modules
sys.meta_path.insert(0, HoldImport())
importer = threading.Thread(target=__import__, args=({module!r},))
importer.start()
assert started.wait(60)
assert {module!r} in sys.modules
X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    LogisticRegression().fit(X, y)
    autolog.flush()
still_importing = {module!r} in sys.modules and importer.is_alive()
release.set()
importer.join(60)
runs = LocalStore({store!r}).search_runs()
from autolog.model.folder import read_model_folder
folder = read_model_folder(runs[0].model_path)
print(json.dumps({{
    "warnings": [str(w.message) for w in caught if w.category.__name__ == "AutologWarning"],
    "still_importing": still_importing,
    "runs": len(runs),
    "signature": folder.mlmodel.get("signature", {{}}).get("inputs"),
    "example": "saved_input_example_info" in folder.mlmodel,
}}))
"""


def test_writer_ignores_torch_while_it_is_being_imported(tmp_path):
    # torch: autolog looks for tensors in every input example. (pandas cannot be held the
    # same way: importing scikit-learn's estimators imports it.)
    code = RACE.format(module="torch", store=str(tmp_path / "store"))
    proc = run_python(code, timeout=240)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["still_importing"], "the import finished before the writer ran"
    assert result["warnings"] == []
    assert result["runs"] == 1
    assert json.loads(result["signature"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]
    assert result["example"]


def test_loaded_refuses_a_half_initialized_module(monkeypatch):
    module = types.ModuleType("half_done")
    module.__spec__ = types.SimpleNamespace(_initializing=True)
    monkeypatch.setitem(sys.modules, "half_done", module)
    assert imported.loaded("half_done") is None
    assert not imported.is_instance(object(), "half_done", "Thing")
    module.__spec__._initializing = False
    module.Thing = type("Thing", (), {})
    assert imported.loaded("half_done") is module
    assert imported.is_instance(module.Thing(), "half_done", "Thing")
    assert not imported.is_instance(object(), "not_a_module_here", "Thing")
