"""ONNX export of PyTorch modules: dynamic batch, folders MLflow loads, no torch to load it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import autolog
from autolog.config import resolve
from autolog.errors import ConversionError
from autolog.model.folder import read_model_folder
from autolog.model.formats.onnx_runtime import OnnxModel, make_session
from autolog.stores.local import LocalStore
from autolog_torch.onnx_export import convert
from tests.helpers import run_python
from tests.model.onnx_cases import torch_cases, train_torch


def _case(name: str) -> Any:
    return next(c for c in torch_cases() if c.name == name)


def _trained(store_path: Path, fmt: str, name: str = "MLP + BatchNorm1d + Dropout",
             ) -> tuple[Any, Any, Any]:
    autolog.enable(store=str(store_path), format=fmt, testing=True)
    model, X, y = _case(name).build(96)
    with autolog.start_run(name=name) as run:
        train_torch(model, X, y)
    autolog.flush()
    (found,) = LocalStore(store_path).search_runs()
    assert found.run_id == run.run_id
    model.eval()
    return model, X, read_model_folder(found.model_path)


@pytest.mark.parametrize("rows", [1, 5])
def test_export_has_a_dynamic_batch_dimension(rows):
    model, X, _ = _case("CNN + BatchNorm2d + Dropout").build(40)
    onnx_bytes = convert(model, X[:rows], resolve({}))
    runner = OnnxModel(make_session(onnx_bytes))
    assert runner.input_names == ["input"] and runner.output_names == ["output"]
    assert not isinstance(runner.session.get_inputs()[0].shape[0], int)
    assert not model.training  # exported as it serves: eval mode
    with torch.no_grad():
        for batch in (1, 3, 40):
            np.testing.assert_allclose(runner.predict(X[:batch].numpy()),
                                       model(X[:batch]).numpy(), atol=1e-5)


def test_export_failure_is_a_conversion_error():
    model, X, _ = _case("data-dependent control flow").build(10)
    with pytest.raises(ConversionError, match="torch.onnx.export failed for DataDependent"):
        convert(model, X[:4], resolve({}))
    with pytest.raises(ConversionError, match="not a torch.nn.Module"):
        convert(object(), X[:4], resolve({}))


def test_onnx_only_torch_folder_loads_in_mlflow_and_autolog(store_path):
    import mlflow.pyfunc

    model, X, folder = _trained(store_path, "onnx")
    assert set(folder.flavors) == {"python_function", "onnx"}
    assert folder.flavors["python_function"]["loader_module"] == "mlflow.onnx"
    assert folder.metadata["onnx"]["parity"]["verdict"] == "pass"
    assert not (folder.path / "data").exists()
    with torch.no_grad():
        expected = model(X).numpy()
    out = mlflow.pyfunc.load_model(str(folder.path)).predict(X.numpy())
    np.testing.assert_allclose(out["output"], expected, atol=1e-5)
    loaded = autolog.load_model(folder.path)
    assert loaded.format == "onnx"
    np.testing.assert_allclose(loaded.predict(X), expected, atol=1e-5)


def test_both_format_torch_folder_predicts_the_same(store_path):
    import mlflow.pyfunc

    model, X, folder = _trained(store_path, "both", "CNN + BatchNorm2d + Dropout")
    assert set(folder.flavors) == {"python_function", "onnx", "pytorch"}
    assert folder.flavors["python_function"]["loader_module"] == "mlflow.pytorch"
    assert {"data/model.pth", "model.onnx"} <= set(folder.checksums)
    with torch.no_grad():
        expected = model(X).numpy()
    pyfunc = mlflow.pyfunc.load_model(str(folder.path))  # mlflow.pytorch: eval mode
    np.testing.assert_allclose(np.asarray(pyfunc.predict(X.numpy())), expected, atol=1e-5)
    as_onnx = autolog.load_model(folder.path, format="onnx")
    np.testing.assert_allclose(as_onnx.predict(X.numpy()), expected, atol=1e-5)
    native = autolog.load_model(folder.path)
    assert native.format == "native" and native.flavor == "pytorch"
    native.native.module.eval()
    np.testing.assert_allclose(native.predict(X.numpy()), expected, atol=1e-5)


def test_torch_onnx_loads_in_a_subprocess_without_torch(store_path):
    model, X, folder = _trained(store_path, "both", "Embedding (int64 token ids)")
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "import autolog\n"
        f"m = autolog.load_model({str(folder.path)!r}, format='onnx')\n"
        f"x = np.array({X[:8].tolist()!r}, dtype=np.int64)\n"
        "print(json.dumps({'out': m.predict(x).tolist(),\n"
        "                  'loaded': [k for k in ('torch', 'sklearn') if k in sys.modules]}))\n"
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    with torch.no_grad():
        np.testing.assert_allclose(result["out"], model(X[:8]).numpy(), atol=1e-5)
