"""LightGBM -> ONNX through onnxmltools (the ``onnx_converter`` of the lightgbm flavor).

The booster is converted (a wrapper's folder holds its booster, see
:mod:`autolog_lightgbm.flavor`), with one float input ``input`` as wide as the input example
and plain tensor outputs (no ZipMap). The first output is what the booster predicts: the
positive class's probability for a binary objective, every class's for a multi-class one, the
value for the rest (see :mod:`autolog_boosting.onnx_outputs`).
"""

from __future__ import annotations

from typing import Any

from autolog.errors import ConversionError
from autolog_boosting.onnx_outputs import onnx_input, put_first, target_opset
from autolog_lightgbm.booster import booster_of

__all__ = ["convert"]

_BINARY = ("binary", "cross_entropy", "xentropy", "cross_entropy_lambda", "xentlambda")
_MULTICLASS = ("multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr")


def _first_output(booster: Any) -> str:
    objective = str(booster.dump_model(num_iteration=0).get("objective", "")).split(" ")[0]
    if objective in _BINARY:
        return "probability"
    if objective in _MULTICLASS:
        return "probabilities"
    return "label"


def convert(model: Any, example: Any, config: Any) -> bytes:
    """The model's booster as a serialized ONNX ``ModelProto``.

    Raises:
        ConversionError: onnxmltools cannot convert it (objective, linear trees...).
    """
    from onnxmltools.convert import convert_lightgbm

    booster = booster_of(model)
    try:
        proto = convert_lightgbm(booster, initial_types=onnx_input(example),
                                 target_opset=target_opset(config.onnx_opset), zipmap=False)
    except (RuntimeError, ValueError, TypeError, NotImplementedError, KeyError,
            AttributeError) as exc:
        raise ConversionError(f"onnxmltools cannot convert this LightGBM model: {exc}") from exc
    return put_first(proto, _first_output(booster))
