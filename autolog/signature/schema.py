"""Schemas and signatures and their MLflow JSON, both ways.

:class:`ColSpec` (a typed, optionally named column), :class:`TensorSpec` (an array with a numpy
dtype and a shape), :class:`Schema` (a list of either) and :class:`Signature` (input and output
schemas).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autolog.errors import ModelFolderError, SchemaMismatchError

__all__ = ["COLUMN_TYPES", "ColSpec", "Schema", "Signature", "TensorSpec"]


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
    return str(dt.name)


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
