"""MLflow's ``xgboost`` flavor: the model in XGBoost's own UBJSON format, never a pickle.

Writing: :data:`BOOSTER_FLAVOR` for a ``Booster`` from ``xgboost.train``, and
:func:`estimator_flavor` for the scikit-learn wrappers (``XGBClassifier``, ``XGBRegressor``,
``XGBRanker``...), whose ``save_model`` keeps their own parameters in the same file. The
MLmodel block has the keys ``mlflow.xgboost.save_model`` writes (``code``, ``data``,
``model_class``, ``model_format``, ``xgb_version``), so ``mlflow.xgboost.load_model`` and
``mlflow.pyfunc.load_model`` load the folder.

Loading: :data:`LOADER`, registered in the entry-point group ``autolog.flavors`` under the name
``xgboost``, so that ``autolog.load_model``, ``autolog predict`` and ``autolog evaluate`` load
these folders (and MLflow's own). Only classes of the ``xgboost`` package are instantiated:
a folder cannot make the loader import other code.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from typing import Any

from autolog.errors import ModelFolderError
from autolog.plugin import Flavor, FlavorLoader

__all__ = ["BOOSTER_FLAVOR", "LOADER", "MODEL_FILE", "estimator_flavor"]

MODEL_FORMAT = "ubj"
MODEL_FILE = f"model.{MODEL_FORMAT}"
BOOSTER_CLASS = "xgboost.core.Booster"
_CONVERTER = "autolog_xgboost.onnx_convert:convert"


def class_path(cls: type) -> str:
    """``module.Name`` as MLflow writes ``model_class``."""
    return f"{cls.__module__}.{cls.__name__}"


def predict(model: Any, data: Any) -> Any:
    """What the folder's pyfunc returns: a Booster predicts on a DMatrix of ``data``."""
    import xgboost

    if isinstance(model, xgboost.Booster):
        return model.predict(xgboost.DMatrix(data))
    return model.predict(data)


def _files(model_class: str) -> Any:
    def files(snapshot: bytes | Path, model: Any
              ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        import xgboost

        native = {"code": None, "data": MODEL_FILE, "model_class": model_class,
                  "model_format": MODEL_FORMAT, "xgb_version": xgboost.__version__}
        pyfunc = {"loader_module": "mlflow.xgboost", "data": MODEL_FILE}
        return native, pyfunc, {MODEL_FILE: snapshot}

    return files


# -- Booster --------------------------------------------------------------------------------
def _booster_bytes(booster: Any) -> bytes:
    return bytes(booster.save_raw(raw_format=MODEL_FORMAT))


def _booster_from_bytes(data: bytes) -> Any:
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(bytearray(data))
    return booster


def _booster_from_file(path: Path) -> Any:
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(os.fspath(path))
    return booster


BOOSTER_FLAVOR = Flavor(
    name="xgboost",
    serialize=_booster_bytes,
    deserialize=_booster_from_bytes,
    files=_files(BOOSTER_CLASS),
    predict=predict,
    base_requirements=("xgboost",),
    extras={"onnx_converter": _CONVERTER},
    snapshot_file=MODEL_FILE,
    load_file=_booster_from_file,
)


# -- scikit-learn wrappers --------------------------------------------------------------------
def _estimator_bytes(model: Any) -> bytes:
    # XGBModel.save_model writes to a file only; it keeps the wrapper's parameters in it.
    with tempfile.TemporaryDirectory(prefix="autolog-xgb-") as work:
        path = Path(work) / MODEL_FILE
        model.save_model(os.fspath(path))
        return path.read_bytes()


_ESTIMATOR_FLAVORS: dict[type, Flavor] = {}


def estimator_flavor(cls: type) -> Flavor:
    """The flavor of an XGBoost scikit-learn wrapper class (one per class, kept)."""
    found = _ESTIMATOR_FLAVORS.get(cls)
    if found is None:
        found = _ESTIMATOR_FLAVORS.setdefault(cls, _estimator_flavor(cls))
    return found


def _estimator_flavor(cls: type) -> Flavor:
    def from_bytes(data: bytes) -> Any:
        model = cls()
        model.load_model(bytearray(data))
        return model

    def from_file(path: Path) -> Any:
        model = cls()
        model.load_model(os.fspath(path))
        return model

    return Flavor(
        name="xgboost",
        serialize=_estimator_bytes,
        deserialize=from_bytes,
        files=_files(class_path(cls)),
        predict=predict,
        base_requirements=("xgboost", "scikit-learn"),
        extras={"onnx_converter": _CONVERTER},
        snapshot_file=MODEL_FILE,
        load_file=from_file,
    )


# -- loading ----------------------------------------------------------------------------------
def _model_class(name: str) -> type:
    """The XGBoost class ``name`` names (only classes of the xgboost package)."""
    import xgboost

    module_name, _, class_name = name.rpartition(".")
    if module_name.partition(".")[0] != "xgboost":
        raise ModelFolderError(f"The xgboost flavor names model_class {name!r}; only classes "
                               "of the xgboost package are loaded.")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ModelFolderError(f"model_class {name!r} is not in the installed xgboost "
                               f"{xgboost.__version__}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, (xgboost.Booster, xgboost.XGBModel))):
        raise ModelFolderError(f"model_class {name!r} is not an XGBoost model class.")
    return cls


def _load(folder: Any, conf: dict[str, Any]) -> Any:
    model = _model_class(str(conf.get("model_class", BOOSTER_CLASS)))()
    model.load_model(os.fspath(folder.path / conf.get("data", MODEL_FILE)))
    return model


def _model_files(conf: dict[str, Any]) -> list[str]:
    return [str(conf.get("data", MODEL_FILE))]


LOADER = FlavorLoader(name="xgboost", load=_load, predict=predict, pickled=False,
                      model_files=_model_files)
