"""Input examples: a few rows to and from the JSON MLflow writes in ``input_example.json``."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from autolog.errors import ModelFolderError, SchemaMismatchError
from autolog.signature.schema import (
    _EXAMPLE_FILE,
    _NUMERIC_COLUMN_DTYPES,
    Schema,
    TensorSpec,
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

__all__ = ["example_from_json", "example_to_json"]



def example_to_json(example: Any, max_rows: int) -> tuple[dict[str, str], str]:
    """Serialize an input example the way MLflow stores it in a model folder.

    NaN, None and NaT become ``null``; infinities become ``1e999``/``-1e999``, which is strict
    JSON that every parser reads back as infinity (MLflow writes the non-JSON ``Infinity``).
    Bytes are base64 encoded and datetimes written as ISO 8601 strings, as MLflow does.

    Args:
        example: a DataFrame, Series or list of row dicts (stored as a DataFrame), a numpy
            array, torch tensor, list or dict of arrays (stored as an ndarray), or a scalar or
            dict of scalars (stored as a JSON object).
        max_rows: keep at most this many rows (first dimension).

    Returns:
        The MLmodel ``saved_input_example_info`` dict and the text of ``input_example.json``.

    Raises:
        ValueError: max_rows is below 1.
        SchemaMismatchError: the example is of an unsupported type or holds unsupported values.
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    info = {"artifact_path": _EXAMPLE_FILE}
    if _is_series(example):
        example = example.to_frame()
    if _is_records(example):
        import pandas as pd

        example = pd.DataFrame(list(example[:max_rows]))
    if _is_frame(example):
        df = example.head(max_rows)
        rows = [list(row) for row in df.itertuples(index=False, name=None)]
        payload: Any = {"columns": list(df.columns), "data": rows}
        # like MLflow: default integer column labels are left out, and the orient says so
        if list(df.columns) == list(range(df.shape[1])):
            del payload["columns"]
        info.update(type="dataframe", pandas_orient="split" if "columns" in payload else "values")
    elif _is_array(example) or _is_tensor(example) or isinstance(example, (list, tuple)):
        payload, info["type"] = _head(example, max_rows), "ndarray"
    elif isinstance(example, Mapping) and not all(_is_scalar(v) for v in example.values()):
        payload, info["type"] = {k: _head(v, max_rows) for k, v in example.items()}, "ndarray"
    elif isinstance(example, Mapping) or _is_scalar(example):
        payload, info["type"] = example, "json_object"
    else:
        raise SchemaMismatchError(f"cannot store a {_type_name(example)} as an input example")
    # Infinities go through unique placeholders: json.dumps cannot write them as numbers.
    pos, neg = (f"__autolog_{sign}inf_{uuid.uuid4().hex}__" for sign in "+-")
    text = json.dumps(_jsonable(payload, pos, neg), allow_nan=False)
    return info, text.replace(f'"{pos}"', "1e999").replace(f'"{neg}"', "-1e999")


def _head(value: Any, max_rows: int) -> Any:
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if _is_array(value) and value.ndim == 0:
        return value
    return value[:max_rows] if isinstance(value, (list, tuple)) or _is_array(value) else value


def _jsonable(v: Any, pos: str, neg: str) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else pos if v == math.inf else neg if v == -math.inf else v
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if _is_missing(v):
        return None
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode("ascii")
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x, pos, neg) for k, x in v.items()}
    if isinstance(v, (list, tuple, range)):
        return [_jsonable(x, pos, neg) for x in v]
    if _is_array(v) or _is_instance(v, "numpy", "generic"):
        import numpy as np

        if v.dtype.kind == "M":  # .tolist() would give integers for ns precision
            v = np.where(np.isnat(v), None, np.datetime_as_string(v)) if v.ndim else (
                None if np.isnat(v) else str(np.datetime_as_string(v))
            )
        return _jsonable(v.tolist() if hasattr(v, "tolist") else v, pos, neg)
    if isinstance(v, _dt.timedelta):
        return v.total_seconds()
    raise SchemaMismatchError(f"cannot write a {_type_name(v)} to an input example")


def example_from_json(info: Mapping[str, Any], text: str, schema: Schema | None = None) -> Any:
    """Read back an input example written by :func:`example_to_json` or by MLflow.

    Args:
        info: the MLmodel ``saved_input_example_info`` dict.
        text: the text of ``input_example.json``.
        schema: the model's input schema, if any; used to restore dtypes JSON loses (tensor
            dtypes, binary and datetime columns).

    Returns:
        A DataFrame ("dataframe"), a numpy array or dict of arrays ("ndarray"), or the parsed
        JSON ("json_object").

    Raises:
        ModelFolderError: the text is not JSON, does not match the type, or the type is unknown.
    """
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise ModelFolderError(f"{_EXAMPLE_FILE} is not valid JSON: {exc}") from exc
    kind = info.get("type")
    tensor = schema is not None and schema.is_tensor
    if kind == "dataframe":
        import pandas as pd

        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise ModelFolderError(
                f"a dataframe example must be an object with 'data', got {text[:80]!r}"
            )
        df = pd.DataFrame(payload["data"], columns=payload.get("columns"))
        columns = [] if schema is None or tensor else [s for s in schema if s.name in df.columns]
        for spec in columns:
            values = df[spec.name]
            if spec.type == "binary":
                df[spec.name] = [None if _is_missing(v) else base64.b64decode(v) for v in values]
            elif spec.type == "datetime":
                df[spec.name] = pd.to_datetime(values)
            elif spec.type in _NUMERIC_COLUMN_DTYPES and not values.isna().any():
                df[spec.name] = values.astype(_NUMERIC_COLUMN_DTYPES[spec.type])
            elif spec.type in ("integer", "long"):  # integers with nulls: pandas' nullable
                df[spec.name] = values.astype(f"Int{32 if spec.type == 'integer' else 64}")
        return df
    if kind == "ndarray":
        specs = {s.name: s for s in schema} if tensor and schema is not None else {}
        if isinstance(payload, dict):
            return {k: _array_from_json(v, specs.get(k)) for k, v in payload.items()}
        return _array_from_json(payload, specs.get(None))
    if kind == "json_object":
        return payload
    raise ModelFolderError(f"unsupported input example type {kind!r}")


def _array_from_json(value: Any, spec: TensorSpec | None) -> Any:
    import numpy as np

    if spec is not None and spec.dtype == "bytes":
        decode = np.frompyfunc(lambda v: b"" if v is None else base64.b64decode(v), 1, 1)
        return decode(np.asarray(value, dtype=object)).astype(bytes)
    if spec is not None and spec.dtype != "object":
        try:
            return np.asarray(value, dtype=spec.dtype)
        except (TypeError, ValueError):
            pass  # fall back to numpy's own reading
    arr = np.asarray(value)
    if arr.dtype == object:  # nulls among numbers: read them as NaN
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    return arr
