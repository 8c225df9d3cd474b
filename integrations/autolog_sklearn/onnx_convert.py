"""scikit-learn -> ONNX through skl2onnx (the ``onnx_converter`` of the sklearn flavor).

Input types come from the input example, i.e. from what the signature describes:

* a numeric array, or a DataFrame of integer and float columns: one input ``X`` of shape
  ``[None, n_features]`` (int64 when every column is an integer, as ``DataFrame.values`` is);
* a DataFrame with string (object, category) or boolean columns, or a model that selects
  columns by name (``ColumnTransformer``): one input per column, named after it — floats,
  int64, bool (cast to int64 inside the graph) or strings;
* a string array: one string input.

Float data is tried as float32 first (what most ONNX runtimes and converters expect) and, when
the parity check fails, as float64, the precision scikit-learn computes in; the writer keeps the
first variant whose outputs match the native model's.

Outputs are plain tensors: classifiers give ``label`` and ``probabilities`` (``zipmap`` off),
regressors and transformers ``variable``, clusterers ``label`` and ``scores``. The target opset
is the ``onnx_opset`` option (default 18), with ``ai.onnx.ml`` opset :data:`ML_OPSET`.

When a model has several inputs, each takes a 1-D column, as ``mlflow.onnx`` feeds a
DataFrame's columns; inputs keep the exact column names (skl2onnx would sanitize them).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from autolog.plugin import ConversionError

__all__ = ["ML_OPSET", "convert", "native_outputs"]

ML_OPSET = 3


def _final_step(model: Any) -> Any:
    while hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def _needs_column_names(model: Any) -> bool:
    from sklearn.compose import ColumnTransformer

    first = model
    while hasattr(first, "steps"):
        first = first.steps[0][1]
    return isinstance(first, ColumnTransformer)


def _frame_kinds(example: Any) -> dict[str, str] | None:
    """Column name -> numpy kind of a DataFrame example (None for anything else)."""
    if not (hasattr(example, "dtypes") and hasattr(example, "columns")):
        return None
    return {str(c): getattr(t, "kind", "O") for c, t in example.dtypes.items()}


def _variants(example: Any, model: Any) -> list[tuple[str, list[tuple[str, Any]]]]:
    """(label, skl2onnx initial_types) to try, in order of preference."""
    import numpy as np
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    kinds = _frame_kinds(example)
    if kinds is not None:
        has_double = any(example[c].dtype == np.float64 for c in example.columns)
        floats = [("float32", FloatTensorType)] + (
            [("float64", DoubleTensorType)] if has_double else [])

        def per_column(ftype: Any) -> list[tuple[str, Any]]:
            return [(name, ftype([None, 1]) if kind == "f" else
                     Int64TensorType([None, 1]) if kind in "iub" else StringTensorType([None, 1]))
                    for name, kind in kinds.items()]

        columns = [(f"{label} per column", per_column(t)) for label, t in floats]
        # One input X where mlflow.onnx would feed DataFrame.values of a single dtype: all
        # integer columns (int64 values) or integers and floats (float64 values).
        whole: list[tuple[str, Any]] = []
        if not _needs_column_names(model):
            if all(k in "iu" for k in kinds.values()):
                whole = [("int64", Int64TensorType), ("float32", FloatTensorType),
                         ("float64", DoubleTensorType)]
            elif all(k in "iuf" for k in kinds.values()):
                whole = floats
        width = len(kinds)
        return [(label, [("X", t([None, width]))]) for label, t in whole] + columns
    arr = np.asarray(example)
    if arr.ndim not in (1, 2):
        raise ConversionError(f"input of shape {arr.shape}: skl2onnx takes 1-D or 2-D input")
    shapes: list[list[int | None]] = [[None]] if arr.ndim == 1 else [[None, arr.shape[1]]]
    if arr.ndim == 1:
        shapes.append([None, 1])
    if arr.dtype.kind in "OUS":
        types = [("string", StringTensorType)]
    elif arr.dtype.kind in "iub":
        types = [("int64", Int64TensorType), ("float32", FloatTensorType),
                 ("float64", DoubleTensorType)]
    elif arr.dtype.kind == "f":
        types = [("float32", FloatTensorType)] + (
            [("float64", DoubleTensorType)] if arr.dtype == np.float64 else [])
    else:
        raise ConversionError(f"input of dtype {arr.dtype} has no ONNX tensor type")
    return [(label, [("X", t(shape))]) for label, t in types for shape in shapes]


def _options(model: Any) -> dict[int, dict[str, Any]]:
    from sklearn.base import is_classifier

    final = _final_step(model)
    return {id(final): {"zipmap": False}} if is_classifier(final) else {}


class _IntAttributes:
    """A skl2onnx container whose ``add_node`` turns booleans in integer lists into ints.

    skl2onnx 1.20 writes Python ``False`` for the leaves of HistGradientBoosting trees in
    ``nodes_missing_value_tracks_true``; onnx >= 1.18 refuses booleans in an INTS attribute.
    """

    def __init__(self, container: Any) -> None:
        self._container = container

    def __getattr__(self, name: str) -> Any:
        return getattr(self._container, name)

    def add_node(self, *args: Any, **attrs: Any) -> Any:
        for key, value in attrs.items():
            if isinstance(value, list) and any(isinstance(v, bool) for v in value):
                attrs[key] = [int(v) if isinstance(v, bool) else v for v in value]
        return self._container.add_node(*args, **attrs)


def _int_attributes(convert: Any) -> Any:
    def converter(scope: Any, operator: Any, container: Any) -> Any:
        return convert(scope, operator, _IntAttributes(container))

    converter.autolog_fixed = True  # type: ignore[attr-defined]
    return converter


@functools.cache
def _register_fixes() -> None:
    """Re-register skl2onnx's HistGradientBoosting converters behind :class:`_IntAttributes`.

    Through skl2onnx's own registration API, once per process, keeping each converter's shape
    calculator and options; other models are untouched.
    """
    from skl2onnx import get_model_alias, update_registered_converter
    from skl2onnx.common._registration import get_converter, get_shape_calculator
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    for cls in (HistGradientBoostingClassifier, HistGradientBoostingRegressor):
        alias = get_model_alias(cls)
        registered = get_converter(alias)
        if getattr(registered._fct, "autolog_fixed", False):
            continue
        update_registered_converter(cls, alias, get_shape_calculator(alias),
                                    _int_attributes(registered._fct),
                                    options=registered.get_allowed_options())


def _target_opset(opset: int) -> int | dict[str, int]:
    # ai.onnx.ml 3 goes with opset >= 15; skl2onnx would pick 4 or 5 for newer opsets and then
    # refuse some converters (IsolationForest) that it only implements for ml opset 3.
    return {"": opset, "ai.onnx.ml": ML_OPSET} if opset >= 15 else opset


def _to_onnx(model: Any, initial_types: list[tuple[str, Any]], opset: int) -> Any:
    from skl2onnx import convert_sklearn

    _register_fixes()
    target = _target_opset(opset)
    options = _options(model)
    try:
        return convert_sklearn(model, initial_types=initial_types, options=options or None,
                               target_opset=target)
    except (NameError, ValueError) as exc:  # a classifier without the zipmap option
        if not options or "zipmap" not in str(exc):
            raise
    return convert_sklearn(model, initial_types=initial_types, target_opset=target)


def _rename_everywhere(graph: Any, old: str, new: str) -> None:
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for attr in node.attribute:
            if attr.g.node:
                _rename_everywhere(attr.g, old, new)
            for sub in attr.graphs:
                _rename_everywhere(sub, old, new)
    for output in graph.output:
        if output.name == old:
            output.name = new


def _columns_as_inputs(proto: Any, names: list[str], bools: set[str]) -> Any:
    """Inputs named exactly after the columns; 1-D when there are several; bool columns bool.

    ``mlflow.onnx`` feeds a DataFrame column by column as 1-D arrays (``df[name].values``) when
    a model has several inputs, and the signature makes boolean columns numpy bools; skl2onnx
    wants ``[N, 1]`` int64 inputs with sanitized names. Each input gets a Cast (for bools) and
    an Unsqueeze in front of the converted graph.
    """
    import onnx
    from onnx import TensorProto, helper

    graph = proto.graph
    if len(graph.input) != len(names):
        raise ConversionError(f"skl2onnx made {len(graph.input)} inputs for {len(names)} columns")
    flat = len(names) > 1
    if not flat and not bools and graph.input[0].name == names[0]:
        return proto
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 18)
    shape = [None] if flat else [None, 1]
    nodes, new_inputs = [], []
    if flat and opset >= 13:
        nodes.append(helper.make_node("Constant", [], ["autolog_axis1"], value=helper.make_tensor(
            "axis", TensorProto.INT64, [1], [1])))
    for i, (old, name) in enumerate(zip([x.name for x in graph.input], names, strict=True)):
        elem = graph.input[i].type.tensor_type.elem_type
        internal, source = f"autolog_column_{i}", name
        _rename_everywhere(graph, old, internal)
        new_inputs.append(helper.make_tensor_value_info(
            name, TensorProto.BOOL if name in bools else elem, shape))
        if name in bools:
            source = f"autolog_cast_{i}"
            nodes.append(helper.make_node("Cast", [name], [source], to=elem))
        if not flat:
            nodes.append(helper.make_node("Identity", [source], [internal]))
        elif opset >= 13:
            nodes.append(helper.make_node("Unsqueeze", [source, "autolog_axis1"], [internal]))
        else:
            nodes.append(helper.make_node("Unsqueeze", [source], [internal], axes=[1]))
    del graph.input[:]
    graph.input.extend(new_inputs)
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + existing)
    onnx.checker.check_model(proto)
    return proto


def convert(model: Any, example: Any, config: Any) -> Iterator[bytes]:
    """Serialized ONNX models of a fitted estimator, one per input-type variant.

    Parameters:
        model: the fitted estimator (a copy on the writer).
        example: the input example (array, DataFrame or list) that fixes the input types.
        config: the options (``onnx_opset``).

    Yields:
        Serialized ``ModelProto`` bytes, float32 before float64.

    Raises:
        ConversionError: skl2onnx cannot convert the model with any input variant.
    """
    variants = _variants(example, model)
    kinds = _frame_kinds(example) or {}
    bools = {name for name, kind in kinds.items() if kind == "b"}
    errors: list[str] = []
    produced = converted_whole = False
    for label, initial_types in variants:
        per_column = label.endswith("per column")
        if per_column and converted_whole:
            continue  # the single-input model converted; columns would not differ
        try:
            proto = _to_onnx(model, initial_types, config.onnx_opset)
            if per_column:
                proto = _columns_as_inputs(proto, [name for name, _ in initial_types], bools)
        except Exception as exc:  # noqa: BLE001 - skl2onnx raises many unrelated types
            first_line = (str(exc).strip().splitlines() or [""])[0]
            errors.append(f"{label}: {type(exc).__name__}: {first_line[:300]}")
            continue
        produced = True
        converted_whole = converted_whole or not per_column
        yield proto.SerializeToString()
    if not produced:
        raise ConversionError(f"skl2onnx cannot convert {type(model).__name__}: {errors[0]}")


def native_outputs(model: Any, data: Any) -> dict[str, Any]:
    """Native values of the ONNX outputs beyond ``predict``: class probabilities."""
    final = _final_step(model)
    if hasattr(final, "classes_") and hasattr(model, "predict_proba"):
        try:
            return {"probabilities": model.predict_proba(data)}
        except AttributeError:  # e.g. SVC(probability=False): predict_proba is unavailable
            return {}
    return {}
