"""The torch format: snapshots, our folders read by MLflow, MLflow's folders read by us."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

import autolog
from autolog.errors import ChecksumError
from autolog.model.folder import read_model_folder
from autolog.model.formats import torch_format as torch_format


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encode = nn.Linear(4, 3, bias=False)
        self.decode = nn.Linear(3, 4, bias=False)
        self.decode.weight = nn.Parameter(self.encode.weight.t().contiguous())
        self.shared = self.encode  # the same module twice
        self.register_buffer("scale", torch.tensor(2.0))

    def forward(self, x):
        return self.decode(self.shared(x)) * self.scale


def test_host_copy_is_a_frozen_snapshot_that_keeps_sharing():
    model = Tied()
    copy, wait = torch_format.host_copy(model)
    wait()
    assert copy.shared is copy.encode
    assert copy.encode.weight is not model.encode.weight
    with torch.no_grad():
        model.encode.weight.add_(1.0)
        model.scale.fill_(3.0)
    assert not torch.equal(copy.encode.weight, model.encode.weight)
    assert copy.scale.item() == 2.0
    assert all(p.device.type == "cpu" for p in copy.parameters())


def test_dumps_loads_round_trip_in_eval_mode():
    model = Tied().train()
    data = torch_format.dumps(model)
    loaded = torch_format.loads(data)
    assert not loaded.training and model.training
    x = torch.randn(5, 4)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert "torch" in torch_format.requirement_modules(data)


def test_log_model_folder_loads_in_mlflow_and_refuses_a_tampered_file(tmp_path):
    import mlflow.pytorch

    autolog.enable(store=str(tmp_path / "store"), testing=True)
    model = Tied().eval()
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    uri = autolog.log_model(model, input_example=x[:3])
    loaded = autolog.load_model(uri)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-6)
    folder = read_model_folder(loaded.path)
    assert folder.flavors["pytorch"]["model_data"] == "data"
    assert (folder.path / "data" / "pickle_module_info.txt").read_text() == \
        torch_format.PICKLE_MODULE_NAME
    native = mlflow.pytorch.load_model(str(folder.path))
    with torch.no_grad():
        np.testing.assert_allclose(native(torch.from_numpy(x)).numpy(), expected, rtol=1e-6)
    with open(folder.path / "data" / "model.pth", "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ChecksumError, match="model.pth"):
        autolog.load_model(folder.path)


@pytest.mark.parametrize("serialization_format", ["pickle", "pt2"])
def test_folders_saved_by_mlflow_load(tmp_path, serialization_format):
    import mlflow.pytorch

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).eval()
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    path = tmp_path / "mlflow-model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # pip_requirements given: MLflow would otherwise load the model in a subprocess
        mlflow.pytorch.save_model(model, str(path), input_example=x, pip_requirements=["torch"],
                                  serialization_format=serialization_format)
    loaded = autolog.load_model(path)
    assert loaded.flavor == "pytorch"
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-5)
