"""Checking input against a schema before predicting.

Lossless casts are applied; anything else is a clear :class:`~autolog.errors.SchemaMismatchError`.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Mapping
from typing import Any

from autolog.errors import SchemaMismatchError
from autolog.signature.infer import _as_array
from autolog.signature.schema import (
    _NUMERIC_COLUMN_DTYPES,
    _PLAIN_DTYPES,
    ColSpec,
    Schema,
    TensorSpec,
    _canonical_dtype,
    _torch_dtype_name,
    _type_name,
)
from autolog.signature.sniff import (
    _is_array,
    _is_frame,
    _is_missing,
    _is_records,
    _is_scalar,
    _is_series,
    _is_tensor,
)

__all__ = ["enforce"]



def enforce(schema: Schema, data: Any) -> Any:
    """Check data against a schema and return it in the form the model's predict expects.

    Tensor schemas return a numpy array (a torch tensor stays a tensor), or a dict of them for
    named tensors; column schemas return a pandas DataFrame with the schema's columns in order.
    Lossless casts are applied (e.g. int32 -> float64); lossy ones are refused.

    Args:
        schema: the model's input (or output) schema.
        data: for tensors an array, tensor, list or DataFrame (a dict for named tensors); for
            columns a DataFrame, dict of columns, list of row dicts or a 2-D array/list whose
            width equals the number of columns.

    Returns:
        The validated, possibly cast, data.

    Raises:
        SchemaMismatchError: a missing input, wrong shape, or dtype that cannot be cast safely.
    """
    if schema.is_tensor:
        return _enforce_tensors(schema, data)
    return _enforce_columns(schema, data)


def _enforce_tensors(schema: Schema, data: Any) -> Any:
    specs = schema.inputs
    if specs[0].name is None:
        return _enforce_tensor(specs[0], data, "input")
    if _is_frame(data):
        data = {c: data[c].to_numpy() for c in data.columns}
    if not isinstance(data, Mapping):
        if len(specs) != 1:
            raise SchemaMismatchError(
                f"the model takes named tensors {schema.names}; pass a dict mapping each name "
                f"to an array, not a {_type_name(data)}"
            )
        data = {specs[0].name: data}
    missing = [s.name for s in specs if s.name not in data]
    if missing:
        raise SchemaMismatchError(
            f"missing input(s) {missing}; the model expects {schema.names}, got {list(data)}"
        )
    return {s.name: _enforce_tensor(s, data[s.name], f"input {s.name!r}") for s in specs}


def _enforce_tensor(spec: TensorSpec, value: Any, label: str) -> Any:
    import numpy as np

    if _is_tensor(value):
        _check_shape(spec, tuple(value.shape), label)
        found = _torch_dtype_name(value.dtype)
        if found == spec.dtype:
            return value
        if spec.dtype in _PLAIN_DTYPES - {"object", "str", "bytes"} and np.can_cast(
            found, spec.dtype, "safe"
        ):
            return value.to(getattr(sys.modules["torch"], spec.dtype))
        raise _dtype_error(label, found, spec.dtype)
    from_python = not (_is_array(value) or _is_frame(value) or _is_series(value))
    if _is_frame(value) or _is_series(value):
        arr = value.to_numpy()
    elif _is_array(value):
        arr = value
    elif isinstance(value, (list, tuple)) or _is_scalar(value):
        arr = _as_array(value, label)
    else:
        raise SchemaMismatchError(f"{label} is a {_type_name(value)}; expected an array or a list")
    _check_shape(spec, arr.shape, label)
    found = _canonical_dtype(arr.dtype)
    if found == spec.dtype:
        return arr
    if spec.dtype == "object":
        return arr.astype(object)
    target = np.dtype(spec.dtype)
    if target.kind in "US":
        wanted = str if target.kind == "U" else bytes
        if arr.dtype == object and all(isinstance(v, wanted) for v in arr.flat):
            return arr.astype(target)
        raise _dtype_error(label, found, spec.dtype)
    # Python lists carry no precision, so a float list may become float32 and an int list int8
    # (same kind); numpy then refuses out-of-range integers. float -> int is never the same kind.
    if from_python and np.can_cast(arr.dtype, target, "same_kind"):
        try:
            return np.asarray(value, dtype=target)
        except (OverflowError, ValueError) as exc:
            raise SchemaMismatchError(f"{label} does not fit in {spec.dtype}: {exc}") from exc
    # numpy's "safe" rule: int32 -> float64 passes, float64 -> float32 or -> int64 does not. It
    # also passes int64 -> float64 (exact up to 2**53). MLflow itself demands the exact dtype for
    # tensors; we deliberately accept these lossless casts.
    if np.can_cast(arr.dtype, target, "safe"):
        return arr.astype(target)
    raise _dtype_error(label, found, spec.dtype)


def _check_shape(spec: TensorSpec, actual: tuple[int, ...], label: str) -> None:
    expected = spec.shape

    def fits(dims: tuple[int, ...]) -> bool:
        if len(dims) != len(actual):
            return False
        return all(e in (-1, a) for e, a in zip(dims, actual, strict=True))

    if fits(expected):
        return
    hint = ""
    if expected and fits(expected[1:]):
        hint = " For a single sample, add a leading batch dimension (e.g. x[None])."
    raise SchemaMismatchError(
        f"{label} has shape {tuple(actual)}, but the model expects shape {expected} "
        f"(-1 = any size).{hint}"
    )


def _dtype_error(label: str, found: str, expected: str) -> SchemaMismatchError:
    return SchemaMismatchError(
        f"{label} has dtype {found}, but the model expects {expected}; {found} cannot be "
        f"converted to {expected} without losing information. Convert it yourself "
        f"(e.g. .astype('{expected}')) if that is what you intend."
    )


def _enforce_columns(schema: Schema, data: Any) -> Any:
    import pandas as pd

    specs = schema.inputs
    frame = _to_frame(data, schema)
    if specs[0].name is None:
        if frame.shape[1] < len(specs):
            raise SchemaMismatchError(
                f"input has {frame.shape[1]} column(s), but the model expects {len(specs)} "
                "unnamed column(s)"
            )
        pairs = list(zip(specs, frame.columns[: len(specs)], strict=True))
    else:
        if not all(isinstance(c, str) for c in frame.columns):
            frame = frame.rename(columns=str)
        missing = [s.name for s in specs if s.required and s.name not in frame.columns]
        if missing:
            raise SchemaMismatchError(
                f"missing required column(s) {missing}; the model expects columns "
                f"{schema.names}, got {list(frame.columns)}"
            )
        pairs = [(s, s.name) for s in specs if s.name in frame.columns]
    columns = {col: _cast_column(spec, frame[col], f"column {col!r}") for spec, col in pairs}
    return pd.DataFrame(columns, index=frame.index)


def _to_frame(data: Any, schema: Schema) -> Any:
    import pandas as pd

    names = [n if n is not None else i for i, n in enumerate(schema.names)]
    if _is_frame(data):
        return data
    if _is_series(data):
        return data.to_frame(data.name if data.name is not None else names[0])
    if isinstance(data, Mapping):
        rows = [dict(data)] if all(_is_scalar(v) for v in data.values()) else dict(data)
        try:
            return pd.DataFrame(rows)
        except ValueError as exc:
            raise SchemaMismatchError(f"dict input cannot be read as a table: {exc}") from exc
    if _is_records(data):
        return pd.DataFrame(list(data))
    if _is_tensor(data):
        data = data.detach().cpu().numpy()
    if _is_scalar(data):
        data = [data]
    if not (_is_array(data) or isinstance(data, (list, tuple))):
        raise SchemaMismatchError(
            f"the model takes columns {schema.names}; a {_type_name(data)} cannot be read as a "
            "table (pass a DataFrame, a dict of columns, a list of row dicts or a 2-D array)"
        )
    arr = _as_array(data, "input")
    if arr.ndim == 1 and len(names) > 1 and len(arr) == len(names):  # a single row
        arr = arr[None]
        data = arr if _is_array(data) else [data]
    if arr.ndim == 1 and len(names) == 1:
        return pd.DataFrame({names[0]: data})
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise SchemaMismatchError(
            f"input has shape {arr.shape}, but the model expects {len(names)} column(s) "
            f"{schema.names}; pass a 2-D array or list of rows with that many values per row"
        )
    # lists keep a dtype per column; arrays have one dtype for all
    return pd.DataFrame(arr if _is_array(data) else list(data), columns=names)


def _cast_column(spec: ColSpec, col: Any, label: str) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(col.dtype, pd.StringDtype) and spec.type == "string":
        return col
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    if col.dtype == object and spec.type not in ("string", "binary"):
        col = col.infer_objects()
    kind = getattr(col.dtype, "kind", "O")

    def holds(*types: type) -> bool:
        return kind == "O" and all(isinstance(v, types) for v in col if not _is_missing(v))

    if spec.type == "string":
        if kind == "U" or holds(str):
            return col
    elif spec.type == "binary":
        if kind == "S" or holds(bytes, bytearray):
            return col
    elif spec.type == "datetime":
        if kind == "M":
            return col
        if holds(_dt.date, np.datetime64):
            return pd.to_datetime(col)
    elif spec.type == "boolean":
        if kind == "b" or holds(bool, np.bool_):
            return col
    elif kind in "iuf":
        target = np.dtype(_NUMERIC_COLUMN_DTYPES[spec.type])
        source = getattr(col.dtype, "numpy_dtype", col.dtype)  # nullable Int64/Float64 too
        # Same "safe" rule as tensors, so long -> double is accepted (MLflow refuses it unless
        # every value is 0 or 1); double -> long and double -> float are refused, as in MLflow.
        if source == target or np.can_cast(source, target, "safe"):
            has_na = bool(col.isna().any())
            if has_na and target.kind == "i" and not spec.required:
                return col.astype(f"Int{target.itemsize * 8}")  # pandas' nullable integers
            if has_na and target.kind == "i":
                raise SchemaMismatchError(
                    f"{label} has missing values, but the model expects {spec.type}, which "
                    "cannot hold them; fill them in, or declare the column as double"
                )
            values = col.to_numpy(dtype=target, na_value=np.nan) if has_na else col.to_numpy(target)
            return pd.Series(values, index=col.index, name=col.name)
        hint = ""
        if kind == "f" and target.kind == "i" and col.isna().any():
            hint = (
                " It probably holds integers with missing values, which pandas stores as floats;"
                " declare the column as double if values can be missing."
            )
        raise SchemaMismatchError(
            f"{label} has dtype {col.dtype}, but the model expects {spec.type} ({target}); "
            f"{col.dtype} cannot be converted to {target} without losing information. Convert "
            f"it first (e.g. df[{col.name!r}].astype('{target}')) if that is intended.{hint}"
        )
    raise SchemaMismatchError(
        f"{label} has dtype {col.dtype}, but the model expects {spec.type}; convert the column "
        f"to {spec.type} values first"
    )
