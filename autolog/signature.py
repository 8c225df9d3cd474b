"""Model signatures: what a model takes and returns, in MLflow's format.

A :class:`Signature` holds an input :class:`Schema` and an optional output one. A schema is a list
of either :class:`ColSpec` (typed, optionally named columns of a table) or :class:`TensorSpec`
(arrays with a numpy dtype and a shape, ``-1`` marking a dimension of any size). Both serialize to
the JSON strings MLflow writes under the ``signature:`` key of an MLmodel file, so folders written
here load in MLflow and folders written by MLflow load here.

numpy and pandas are imported inside the functions that need them. pandas objects and torch
tensors are recognised through ``sys.modules`` (fully imported modules only, see
:mod:`autolog.imported`): an object can only be a ``torch.Tensor`` if torch is already
imported, so inspecting a numpy array never imports pandas or torch.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autolog import imported
from autolog.errors import ModelFolderError, SchemaMismatchError

__all__ = [
    "COLUMN_TYPES",
    "ColSpec",
    "Schema",
    "Signature",
    "TensorSpec",
    "enforce",
    "example_from_json",
    "example_to_json",
    "infer_schema",
    "infer_signature",
]

COLUMN_TYPES = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")
_NUMERIC_COLUMN_DTYPES = {
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
}
# Canonical dtype names accepted without importing numpy; anything else is normalized by numpy.
_PLAIN_DTYPES = frozenset({
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128", "object", "str", "bytes",
})
_EXAMPLE_FILE = "input_example.json"


def _type_name(obj: Any) -> str:
    cls = type(obj)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _canonical_dtype(dtype: Any) -> str:
    """Normalize a numpy dtype (or its name) the way MLflow names it: ``<U5`` -> ``str``."""
    if isinstance(dtype, str) and dtype in _PLAIN_DTYPES:
        return dtype
    if dtype is None:  # np.dtype(None) would silently mean float64
        raise ValueError("a tensor dtype is required")
    import numpy as np

    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"{dtype!r} is not a numpy dtype") from exc
    if dt.kind == "U":
        return "str"
    if dt.kind == "S":
        return "bytes"
    if dt.kind == "V":
        raise ValueError(f"structured dtype {dt} is not supported in a tensor spec")
    return dt.name


def _torch_dtype_name(dtype: Any) -> str:
    name = str(dtype).removeprefix("torch.")
    if name not in _PLAIN_DTYPES:
        raise SchemaMismatchError(
            f"torch dtype {dtype} has no numpy equivalent and cannot be written to a tensor spec;"
            " convert the tensor first, e.g. with tensor.float()"
        )
    return name


@dataclass(frozen=True)
class ColSpec:
    """One column of a table: an MLflow column type, an optional name and whether it is required."""

    type: str
    name: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"unknown column type {self.type!r}; expected one of {COLUMN_TYPES}")
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"column name must be a string or None, got {self.name!r}")
        if not isinstance(self.required, bool):
            raise TypeError(f"required must be a bool, got {self.required!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict MLflow writes for this column."""
        d: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d


@dataclass(frozen=True)
class TensorSpec:
    """An array: a numpy dtype name, a shape (-1 marks any size) and an optional name."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", _canonical_dtype(self.dtype))
        shape = tuple(self.shape)
        if any(isinstance(d, bool) or not isinstance(d, int) or d < -1 for d in shape):
            raise ValueError(f"shape must hold integers >= -1, got {shape!r}")
        object.__setattr__(self, "shape", shape)
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"tensor name must be a string or None, got {self.name!r}")

    @property
    def required(self) -> bool:
        """Tensors are always required."""
        return True

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict MLflow writes for this tensor (name first when named)."""
        d: dict[str, Any] = {} if self.name is None else {"name": self.name}
        d["type"] = "tensor"
        d["tensor-spec"] = {"dtype": self.dtype, "shape": list(self.shape)}
        return d


class Schema:
    """An ordered list of ColSpecs or of TensorSpecs (never both), as MLflow defines it."""

    def __init__(self, inputs: Sequence[ColSpec] | Sequence[TensorSpec]) -> None:
        """Validate and hold the specs.

        Args:
            inputs: a non-empty list of ColSpec, or of TensorSpec.

        Raises:
            ValueError: mixed spec kinds, names on some specs only, duplicate names, several
                unnamed tensors, or an unnamed optional column.
        """
        specs: list[Any] = list(inputs)
        if not specs:
            raise ValueError("a schema needs at least one column or tensor")
        kinds = {type(s) for s in specs}
        if kinds not in ({ColSpec}, {TensorSpec}):
            raise ValueError("a schema holds either only ColSpecs or only TensorSpecs")
        names = [s.name for s in specs]
        if any(n is None for n in names):
            if any(n is not None for n in names):
                raise ValueError(f"either all or none of the inputs must be named, got {names}")
            if len(specs) > 1 and isinstance(specs[0], TensorSpec):
                raise ValueError("several tensors in one schema must all be named")
            if not all(s.required for s in specs):
                raise ValueError("unnamed columns cannot be optional")
        elif len(set(names)) != len(names):
            raise ValueError(f"input names must be unique, got {names}")
        self._specs = specs

    @property
    def inputs(self) -> list[Any]:
        """The specs, in order (a copy)."""
        return list(self._specs)

    @property
    def is_tensor(self) -> bool:
        """True when the schema is made of TensorSpecs."""
        return isinstance(self._specs[0], TensorSpec)

    @property
    def names(self) -> list[str | None]:
        """The spec names in order (None for each unnamed spec)."""
        return [s.name for s in self._specs]

    def to_json(self) -> str:
        """Return the JSON string MLflow stores for this schema."""
        return json.dumps([s.to_dict() for s in self._specs])

    @classmethod
    def from_json(cls, text: str | list[Any]) -> Schema:
        """Parse a schema JSON string as written by MLflow (or by :meth:`to_json`).

        Args:
            text: the JSON string (an already parsed list is accepted too).

        Returns:
            The Schema.

        Raises:
            ModelFolderError: the text is not valid JSON or does not describe a valid schema.
        """
        try:
            items = json.loads(text) if isinstance(text, (str, bytes)) else text
        except ValueError as exc:
            raise ModelFolderError(f"signature schema is not valid JSON: {exc}") from exc
        if not isinstance(items, list) or not items:
            raise ModelFolderError(f"signature schema must be a non-empty JSON list, got {text!r}")
        try:
            specs: list[Any] = [_spec_from_dict(item) for item in items]
            return cls(specs)
        except (ValueError, TypeError) as exc:
            raise ModelFolderError(f"invalid signature schema {text!r}: {exc}") from exc

    def __len__(self) -> int:
        return len(self._specs)

    def __iter__(self) -> Any:
        return iter(self._specs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self._specs == other._specs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Schema({self._specs!r})"


def _spec_from_dict(item: Any) -> ColSpec | TensorSpec:
    if not isinstance(item, dict) or "type" not in item:
        raise ValueError(f"each schema entry must be an object with a 'type', got {item!r}")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        # MLflow writes integer names for DataFrames with integer column labels.
        if isinstance(name, bool) or not isinstance(name, int):
            raise ValueError(f"input name must be a string, got {name!r}")
        name = str(name)
    if item["type"] == "tensor":
        info = item.get("tensor-spec")
        if not isinstance(info, dict) or not isinstance(info.get("shape"), list):
            raise ValueError(f"tensor entry needs 'tensor-spec' with 'dtype' and 'shape': {item!r}")
        if not isinstance(info.get("dtype"), str):
            raise ValueError(f"tensor dtype must be a string, got {info.get('dtype')!r}")
        return TensorSpec(info["dtype"], tuple(info["shape"]), name)
    if item["type"] not in COLUMN_TYPES:
        raise ValueError(
            f"unsupported column type {item['type']!r}; expected one of {COLUMN_TYPES}"
        )
    return ColSpec(item["type"], name, item.get("required", True))


class Signature:
    """The input schema of a model and, optionally, its output schema."""

    def __init__(self, inputs: Schema, outputs: Schema | None = None) -> None:
        """Hold the schemas.

        Args:
            inputs: what the model takes.
            outputs: what the model returns, if known.

        Raises:
            TypeError: inputs or outputs is not a Schema.
        """
        if not isinstance(inputs, Schema) or not (outputs is None or isinstance(outputs, Schema)):
            raise TypeError("inputs must be a Schema and outputs a Schema or None")
        self.inputs = inputs
        self.outputs = outputs

    def to_dict(self) -> dict[str, str | None]:
        """Return the value of the MLmodel ``signature:`` key (schemas as JSON strings)."""
        return {
            "inputs": self.inputs.to_json(),
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Signature:
        """Read the MLmodel ``signature:`` value; missing outputs and params are fine.

        Args:
            d: a mapping with ``inputs`` and optionally ``outputs``/``params`` (params are
                ignored: autolog models take no inference params).

        Returns:
            The Signature.

        Raises:
            ModelFolderError: d is not a mapping, has no inputs, or holds invalid schemas.
        """
        if not isinstance(d, Mapping):
            raise ModelFolderError(f"signature must be a mapping, got {_type_name(d)}")
        if not d.get("inputs"):
            raise ModelFolderError("signature has no 'inputs' schema")
        outputs = Schema.from_json(d["outputs"]) if d.get("outputs") else None
        return cls(Schema.from_json(d["inputs"]), outputs)

    def describe(self) -> list[dict[str, Any]]:
        """Return one row per input and output, for display in tables.

        Returns:
            Dicts with keys ``section`` ("inputs"/"outputs"), ``name`` (None when unnamed),
            ``type`` (column type or tensor dtype), ``shape`` (tuple for tensors, None for
            columns) and ``required``.
        """
        rows = []
        for section, schema in (("inputs", self.inputs), ("outputs", self.outputs)):
            for spec in schema or []:
                tensor = isinstance(spec, TensorSpec)
                rows.append({
                    "section": section,
                    "name": spec.name,
                    "type": spec.dtype if tensor else spec.type,
                    "shape": spec.shape if tensor else None,
                    "required": spec.required,
                })
        return rows

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Signature)
            and self.inputs == other.inputs
            and self.outputs == other.outputs
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Signature(inputs={self.inputs!r}, outputs={self.outputs!r})"


# --- recognising objects without importing their libraries -------------------------------------


def _is_instance(obj: Any, module: str, attr: str) -> bool:
    # never a module another thread is still importing (see autolog.imported)
    return imported.is_instance(obj, module, attr)


def _is_frame(obj: Any) -> bool:
    return _is_instance(obj, "pandas", "DataFrame")


def _is_series(obj: Any) -> bool:
    return _is_instance(obj, "pandas", "Series")


def _is_tensor(obj: Any) -> bool:
    return _is_instance(obj, "torch", "Tensor")


def _is_array(obj: Any) -> bool:
    return _is_instance(obj, "numpy", "ndarray")


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, bytes, bytearray, int, float, _dt.date)) or _is_instance(
        v, "numpy", "generic"
    )


def _is_records(data: Any) -> bool:
    """A non-empty list of row dicts."""
    if not isinstance(data, (list, tuple)) or not data:
        return False
    return all(isinstance(row, Mapping) for row in data)


def _is_missing(v: Any) -> bool:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return True
    if _is_instance(v, "numpy", "floating"):
        return bool(math.isnan(v))
    return type(v).__name__ in ("NAType", "NaTType") or (
        type(v).__name__ == "datetime64" and str(v) == "NaT"
    )


# --- inference ----------------------------------------------------------------------------------


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


# --- enforcement --------------------------------------------------------------------------------


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


# --- input examples -----------------------------------------------------------------------------


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
