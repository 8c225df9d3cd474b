"""MLflow's ``lightgbm`` flavor: the booster in LightGBM's own text format, never a pickle.

Writing: :data:`BOOSTER_FLAVOR` for a ``Booster`` from ``lightgbm.train``, and
:data:`ESTIMATOR_FLAVOR` for the scikit-learn wrappers (``LGBMClassifier``, ``LGBMRegressor``,
``LGBMRanker``). Either way the folder holds ``model.lgb`` (``Booster.model_to_string``) and
the MLmodel block has the keys ``mlflow.lightgbm.save_model`` writes for a booster
(``code``, ``data``, ``lgb_version``, ``model_class: lightgbm.basic.Booster``,
``serialization_format``, ``skops_trusted_types``; the last two are null: no Python
serialization is involved), so ``mlflow.lightgbm.load_model`` and ``mlflow.pyfunc.load_model``
load it without unpickling anything.

A wrapper's folder therefore predicts what its booster predicts: the same values for a
regressor or a ranker; for a classifier, the class probabilities (binary: the positive class's)
rather than labels — MLflow keeps wrappers loadable as wrappers only by pickling them.
The wrapper's snapshot on its way to the writer (where the scikit-learn integration computes
its training metrics) is a cloudpickle in memory, never written.

Loading: :data:`LOADER`, registered in the entry-point group ``autolog.flavors`` as
``lightgbm``. MLflow's own folders of pickled wrappers are refused (load them with MLflow).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from autolog.errors import ModelFolderError
from autolog.plugin import Flavor, FlavorLoader, pickle_format
from autolog_lightgbm.booster import booster_of

__all__ = ["BOOSTER_FLAVOR", "ESTIMATOR_FLAVOR", "LOADER", "MODEL_FILE"]

MODEL_FILE = "model.lgb"
BOOSTER_CLASS = "lightgbm.basic.Booster"
_CONVERTER = "autolog_lightgbm.onnx_convert:convert"


def predict(model: Any, data: Any) -> Any:
    """What the folder's pyfunc returns: the booster's prediction."""
    return booster_of(model).predict(data)


def _text(model: Any) -> bytes:
    return booster_of(model).model_to_string().encode("utf-8")


def _files(snapshot: bytes | Path, model: Any
           ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    import lightgbm

    native = {"code": None, "data": MODEL_FILE, "lgb_version": lightgbm.__version__,
              "model_class": BOOSTER_CLASS, "serialization_format": None,
              "skops_trusted_types": None}
    pyfunc = {"loader_module": "mlflow.lightgbm", "data": MODEL_FILE}
    native_file = snapshot if isinstance(snapshot, Path) else _text(model)
    return native, pyfunc, {MODEL_FILE: native_file}


def _booster_from_bytes(data: bytes) -> Any:
    import lightgbm

    return lightgbm.Booster(model_str=data.decode("utf-8"))


def _booster_from_file(path: Path) -> Any:
    import lightgbm

    return lightgbm.Booster(model_file=os.fspath(path))


BOOSTER_FLAVOR = Flavor(
    name="lightgbm",
    serialize=_text,
    deserialize=_booster_from_bytes,
    files=_files,
    predict=predict,
    base_requirements=("lightgbm",),
    extras={"onnx_converter": _CONVERTER},
    snapshot_file=MODEL_FILE,
    load_file=_booster_from_file,
)


ESTIMATOR_FLAVOR = Flavor(
    name="lightgbm",
    serialize=pickle_format.dumps,
    deserialize=pickle_format.loads,
    files=_files,
    predict=predict,
    base_requirements=("lightgbm",),
    extras={"onnx_converter": _CONVERTER},
)


def _load(folder: Any, conf: dict[str, Any]) -> Any:
    model_class = conf.get("model_class", BOOSTER_CLASS)
    if model_class != BOOSTER_CLASS:
        raise ModelFolderError(
            f"{folder.path} holds a {model_class} serialized with "
            f"{conf.get('serialization_format')!r}, not a LightGBM booster file: load it with "
            "mlflow.lightgbm.load_model if you trust its source.")
    return _booster_from_file(folder.path / conf.get("data", MODEL_FILE))


def _model_files(conf: dict[str, Any]) -> list[str]:
    return [str(conf.get("data", MODEL_FILE))]


LOADER = FlavorLoader(name="lightgbm", load=_load, predict=predict, pickled=False,
                      model_files=_model_files)
