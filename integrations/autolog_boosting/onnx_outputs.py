"""ONNX for boosters through onnxmltools, with the output a booster's ``predict`` gives first.

onnxmltools writes a classifier as two outputs, ``label`` then ``probabilities`` (n, classes).
A scikit-learn wrapper predicts labels, so that order suits it; but a native *booster* trained
for classification predicts probabilities: the positive class's alone (n,) for a binary
objective, every class's (n, classes) for a multi-class one. The core's parity check (and
``mlflow.onnx``'s pyfunc) use an ONNX model's first output, so for such boosters
:func:`put_first` adds or moves the matching output to the front:

* ``"probability"`` — a new output ``probability``: column 1 of ``probabilities``;
* ``"probabilities"`` — ``probabilities`` moved to the front;
* ``"label"`` — unchanged.
"""

from __future__ import annotations

from typing import Any

from autolog.errors import ConversionError

__all__ = ["FIRST_OUTPUTS", "onnx_input", "put_first", "target_opset"]

FIRST_OUTPUTS = ("label", "probability", "probabilities")


def target_opset(wanted: int) -> int:
    """``wanted``, or the highest opset the installed onnxmltools converts to if lower."""
    from onnxmltools.convert.common.onnx_ex import get_maximum_opset_supported

    return min(int(wanted), int(get_maximum_opset_supported()))


def onnx_input(example: Any) -> list[tuple[str, Any]]:
    """onnxmltools ``initial_types``: one float input ``input`` as wide as the example."""
    import numpy as np
    from onnxmltools.convert.common.data_types import FloatTensorType

    shape = np.shape(example)
    if len(shape) != 2:
        raise ConversionError(f"input of shape {shape}: boosters take 2-D input")
    return [("input", FloatTensorType([None, int(shape[1])]))]


def put_first(proto: Any, first: str) -> bytes:
    """The serialized model with output ``first`` (see the module docstring) in front."""
    from onnx import TensorProto, helper

    graph = proto.graph
    names = [o.name for o in graph.output]
    if first == "label" or first not in FIRST_OUTPUTS:
        return bytes(proto.SerializeToString())
    if "probabilities" not in names:
        raise ConversionError(f"the converted model has no probabilities output ({names})")
    if first == "probability":
        index = helper.make_tensor("autolog_positive_class", TensorProto.INT64, [], [1])
        graph.initializer.append(index)
        graph.node.append(helper.make_node("Gather", ["probabilities", index.name],
                                           ["probability"], axis=1))
        added = helper.make_tensor_value_info("probability", TensorProto.FLOAT, [None])
        outputs = [added, *graph.output]
    else:
        outputs = sorted(graph.output, key=lambda o: o.name != "probabilities")
    del graph.output[:]
    graph.output.extend(outputs)
    return bytes(proto.SerializeToString())
