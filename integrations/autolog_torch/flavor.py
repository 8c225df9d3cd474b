"""The ``pytorch`` flavor: ``torch.save`` of the whole module, loaded by ``mlflow.pytorch``."""

from __future__ import annotations

from typing import Any

from autolog.plugin import Flavor, torch_format

__all__ = ["FLAVOR"]


def _files(snapshot: Any, model: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    import torch

    # The keys mlflow.pytorch.save_model(..., serialization_format="pickle") writes.
    native = {"code": None, "model_data": torch_format.MODEL_DATA,
              "pytorch_version": str(torch.__version__)}
    pyfunc = {"loader_module": "mlflow.pytorch", "data": torch_format.MODEL_DATA,
              "pickle_module_name": torch_format.PICKLE_MODULE_NAME, "config": {"device": None}}
    files = {torch_format.MODEL_FILE: snapshot,
             torch_format.PICKLE_INFO_FILE: torch_format.PICKLE_MODULE_NAME.encode()}
    return native, pyfunc, files


FLAVOR = Flavor(
    name="pytorch",
    serialize=torch_format.dumps,
    deserialize=torch_format.loads,
    files=_files,
    predict=torch_format.predict,
    base_requirements=("torch", "cloudpickle"),
    extras={"onnx_converter": "autolog_torch.onnx_export:convert"},
)
