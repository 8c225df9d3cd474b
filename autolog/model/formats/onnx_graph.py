"""Graph edits that make a converted model behave under ``mlflow.onnx``'s DataFrame rules.

``mlflow.onnx``'s pyfunc turns the outputs of a model fed a DataFrame into a DataFrame, one
column per output, each output flattened: an output of shape ``[N, k]`` (class probabilities,
PCA components) then no longer fits beside the ``[N]`` labels and prediction fails. For models
whose signature is a table, :func:`split_wide_outputs` replaces each such output with ``k``
outputs ``<name>_0 ... <name>_<k-1>`` of shape ``[N]`` and records the grouping in the model's
``metadata_props`` (:data:`SPLIT_KEY`), from which
:class:`~autolog.model.formats.onnx_runtime.OnnxModel` stacks them back, so autolog's loader
still returns the ``[N, k]`` array.
"""

from __future__ import annotations

import json

__all__ = ["SPLIT_KEY", "split_wide_outputs"]

SPLIT_KEY = "autolog.split_outputs"


def split_wide_outputs(onnx_bytes: bytes) -> bytes:
    """Serialized model with every ``[N, k]`` output (k > 1 known) split into ``k`` columns."""
    import onnx
    from onnx import TensorProto, helper

    proto = onnx.load_model_from_string(onnx_bytes)
    graph = proto.graph
    groups: dict[str, list[str]] = {}
    outputs, nodes = [], []
    for out in graph.output:
        dims = out.type.tensor_type.shape.dim
        width = dims[1].dim_value if len(dims) == 2 and dims[1].HasField("dim_value") else 0
        if width <= 1:
            outputs.append(out)
            continue
        elem = out.type.tensor_type.elem_type
        names = [f"{out.name}_{j}" for j in range(width)]
        for j, name in enumerate(names):
            index = f"autolog_index_{out.name}_{j}"
            nodes.append(helper.make_node("Constant", [], [index], value=helper.make_tensor(
                index, TensorProto.INT64, [], [j])))
            nodes.append(helper.make_node("Gather", [out.name, index], [name], axis=1))
            outputs.append(helper.make_tensor_value_info(name, elem, [None]))
        groups[out.name] = names
    if not groups:
        return onnx_bytes
    graph.node.extend(nodes)
    del graph.output[:]
    graph.output.extend(outputs)
    proto.metadata_props.append(onnx.StringStringEntryProto(key=SPLIT_KEY,
                                                            value=json.dumps(groups)))
    onnx.checker.check_model(proto)
    return proto.SerializeToString()  # type: ignore[no-any-return]
