"""The ``sklearn`` flavor: cloudpickle bytes in ``model.pkl``, loaded by ``mlflow.sklearn``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autolog.plugin import Flavor, pickle_format

__all__ = ["FLAVOR", "predict_output"]

MODEL_FILE = "model.pkl"


def predict_output(model: Any, data: Any) -> Any:
    """The output the model's pyfunc would produce: ``predict``, else ``transform``, else None."""
    if hasattr(model, "predict"):
        return model.predict(data)
    if hasattr(model, "transform"):
        return model.transform(data)
    return None


def _files(snapshot: bytes | Path, model: Any
           ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    import sklearn

    native = {
        "code": None,
        "pickled_model": MODEL_FILE,
        "serialization_format": "cloudpickle",
        "sklearn_version": sklearn.__version__,
    }
    pyfunc = {"loader_module": "mlflow.sklearn", "model_path": MODEL_FILE, "predict_fn": "predict"}
    return native, pyfunc, {MODEL_FILE: snapshot}


FLAVOR = Flavor(
    name="sklearn",
    serialize=pickle_format.dumps,
    deserialize=pickle_format.loads,
    files=_files,
    predict=predict_output,
    base_requirements=("scikit-learn", "cloudpickle"),
    extras={"onnx_converter": "autolog_sklearn.onnx_convert:convert"},
    snapshot_file=MODEL_FILE,
    load_file=pickle_format.load_file,
    pickled_snapshot=True,
)
