"""Inferring a :class:`~autolog.signature.schema.Schema` or a
:class:`~autolog.signature.schema.Signature` from data."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from autolog.errors import SchemaMismatchError
from autolog.signature.schema import (
    ColSpec,
    Schema,
    Signature,
    TensorSpec,
    _canonical_dtype,
    _torch_dtype_name,
    _type_name,
)
from autolog.signature.sniff import (
    _is_array,
    _is_frame,
    _is_instance,
    _is_missing,
    _is_records,
    _is_scalar,
    _is_series,
    _is_tensor,
)

__all__ = ["infer_schema", "infer_signature"]



def _type_of_dtype(dtype: Any) -> str | None:
    """MLflow's column type for a numpy (or pandas extension) dtype, None when there is none."""
    kind, size = getattr(dtype, "kind", "O"), getattr(dtype, "itemsize", 0)
    if kind == "b":
        return "boolean"
    if kind in "iu":
        if size < 4 or (kind == "i" and size == 4):
            return "integer"
        if size < 8 or (kind == "i" and size == 8):
            return "long"
        return None  # uint64 fits neither
    if kind == "f":
        return "float" if size <= 4 else "double" if size <= 8 else None
    return {"M": "datetime", "U": "string", "S": "binary"}.get(kind)


def _type_of_value(v: Any) -> str | None:
    if isinstance(v, bool) or _is_instance(v, "numpy", "generic"):
        return "boolean" if isinstance(v, bool) else _type_of_dtype(v.dtype)
    if isinstance(v, int):
        return "long"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (bytes, bytearray)):
        return "binary"
    if isinstance(v, _dt.date):
        return "datetime"
    return None


def _column_type(series: Any, label: str) -> str:
    found = _type_of_dtype(series.dtype)
    if found is None and getattr(series.dtype, "kind", "O") == "O":
        # object, str and category columns: decide from the values themselves
        types = {_type_of_value(v) for v in series.tolist() if not _is_missing(v)}
        if types == {"long", "double"}:
            types = {"double"}
        if not types and "str" in str(series.dtype).lower():
            types = {"string"}
        found = types.pop() if len(types) == 1 else None
    if found is None:
        raise SchemaMismatchError(
            f"{label} (dtype {series.dtype}) holds values with no MLflow column type; supported "
            f"values are booleans, integers, floats, strings, bytes and datetimes"
        )
    return found


def _frame_schema(df: Any) -> Schema:
    if df.shape[1] == 0:
        raise SchemaMismatchError("cannot infer a schema from a DataFrame without columns")
    if not all(isinstance(c, str) for c in df.columns):
        return Schema([_array_spec(df.to_numpy())])
    if df.columns.has_duplicates:
        raise SchemaMismatchError(f"DataFrame has duplicate column names: {list(df.columns)}")
    return Schema([
        ColSpec(_column_type(df[c], f"column {c!r}"), c, not bool(df[c].isna().any()))
        for c in df.columns
    ])


def _array_spec(arr: Any, name: str | None = None) -> TensorSpec:
    """Tensor spec of a numpy array or torch tensor: its dtype, first dimension variable."""
    dtype = _torch_dtype_name(arr.dtype) if _is_tensor(arr) else _canonical_dtype(arr.dtype)
    shape = tuple(int(d) for d in arr.shape)
    return TensorSpec(dtype, (-1, *shape[1:]) if shape else (), name)


def _as_array(data: Any, label: str) -> Any:
    import numpy as np

    try:
        return np.asarray(data)
    except ValueError as exc:  # ragged nested lists
        raise SchemaMismatchError(f"{label} cannot be read as an array: {exc}") from exc


def infer_schema(data: Any) -> Schema:
    """Infer the schema of example data.

    Args:
        data: a numpy array, torch tensor, scipy sparse matrix, list/tuple (read as a numpy
            array; a list of dicts as table rows), dict of arrays (named tensors) or of scalars
            (named columns), pandas DataFrame (columns; non-string column labels give a tensor
            of its values), pandas Series (one column) or a scalar.

    Returns:
        A tensor Schema for arrays, a column Schema for tables and scalars.

    Raises:
        SchemaMismatchError: the data is of an unsupported type or holds unsupported values.
    """
    if _is_frame(data):
        return _frame_schema(data)
    if _is_series(data):
        name = data.name if isinstance(data.name, str) else None
        # MLflow forbids unnamed optional columns, so only a named Series can be optional.
        required = name is None or not bool(data.isna().any())
        return Schema([ColSpec(_column_type(data, "Series"), name, required)])
    if _is_array(data) or _is_tensor(data):
        return Schema([_array_spec(data)])
    if _is_instance(data, "scipy.sparse", "spmatrix") or _is_instance(data, "scipy.sparse",
                                                                      "sparray"):
        # A sparse matrix (CountVectorizer's output) as MLflow describes it: a tensor of its
        # dtype and shape.
        return Schema([_array_spec(data)])
    if isinstance(data, Mapping):
        if not data or not all(isinstance(k, str) for k in data):
            raise SchemaMismatchError("a dict input needs at least one key, and only string keys")
        if all(_is_scalar(v) for v in data.values()):
            return Schema([_scalar_spec(v, k) for k, v in data.items()])
        return Schema([
            _array_spec(v if _is_array(v) or _is_tensor(v) else _as_array(v, f"input {k!r}"), k)
            for k, v in data.items()
        ])
    if isinstance(data, (list, tuple)):
        if not data:
            raise SchemaMismatchError("cannot infer a schema from an empty list")
        if _is_records(data):
            import pandas as pd

            return _frame_schema(pd.DataFrame(list(data)))
        return Schema([_array_spec(_as_array(data, "list input"))])
    if _is_scalar(data):
        return Schema([_scalar_spec(data, None)])
    raise SchemaMismatchError(
        f"cannot infer a schema from a {_type_name(data)}; expected a numpy array, torch tensor, "
        "list, dict, pandas DataFrame or Series, or a scalar"
    )


def _scalar_spec(value: Any, name: str | None) -> ColSpec:
    found = _type_of_value(value)
    if found is None:
        raise SchemaMismatchError(f"value {value!r} ({_type_name(value)}) has no MLflow type")
    return ColSpec(found, name)


def infer_signature(model_input: Any, model_output: Any = None) -> Signature:
    """Infer a signature from example input and, optionally, the model's output for it.

    Args:
        model_input: example input (see :func:`infer_schema`).
        model_output: the model's prediction for it, or None.

    Returns:
        The Signature.

    Raises:
        SchemaMismatchError: either value cannot be described by a schema.
    """
    outputs = infer_schema(model_output) if model_output is not None else None
    return Signature(infer_schema(model_input), outputs)
