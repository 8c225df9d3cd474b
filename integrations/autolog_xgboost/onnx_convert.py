"""XGBoost -> ONNX through onnxmltools (the ``onnx_converter`` of the xgboost flavor).

One float input ``input`` as wide as the input example (float32: XGBoost computes in it).
The booster is converted without its feature names (onnxmltools reads features as ``f<i>``;
the ONNX input takes the columns in training order). The first output is what the native model
predicts: labels for a scikit-learn classifier, the positive class's probability for a
``binary:*`` booster, every class's for ``multi:softprob`` (see
:mod:`autolog_boosting.onnx_outputs`); :func:`native_outputs` adds the class probabilities of
a classifier wrapper to the parity check.
"""

from __future__ import annotations

import json
from typing import Any

from autolog.errors import ConversionError
from autolog_boosting.onnx_outputs import onnx_input, put_first, target_opset

__all__ = ["convert", "native_outputs"]


def _first_output(model: Any, booster: Any) -> str:
    import xgboost

    if isinstance(model, xgboost.XGBModel):
        return "label"
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    if objective.startswith("binary:") and objective != "binary:hinge":
        return "probability"
    if objective == "multi:softprob":
        return "probabilities"
    return "label"


def convert(model: Any, example: Any, config: Any) -> bytes:
    """The model as a serialized ONNX ``ModelProto``.

    Raises:
        ConversionError: onnxmltools cannot convert it (objective, booster type).
    """
    import xgboost
    from onnxmltools.convert import convert_xgboost

    booster = model.get_booster() if isinstance(model, xgboost.XGBModel) else model
    plain = booster.copy()
    plain.feature_names = None
    plain.feature_types = None
    try:
        proto = convert_xgboost(plain, initial_types=onnx_input(example),
                                target_opset=target_opset(config.onnx_opset))
    except (RuntimeError, ValueError, TypeError, NotImplementedError, KeyError,
            AttributeError) as exc:
        raise ConversionError(f"onnxmltools cannot convert this XGBoost model: {exc}") from exc
    return put_first(proto, _first_output(model, booster))


def native_outputs(model: Any, data: Any) -> dict[str, Any]:
    """The class probabilities of a scikit-learn classifier, compared with ONNX's too."""
    if hasattr(model, "predict_proba"):
        return {"probabilities": model.predict_proba(data)}
    return {}
