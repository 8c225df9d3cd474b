"""Running an ONNX model with onnxruntime, and comparing its outputs with the native model's.

Used twice: on the writer for the parity check right after conversion, and by
``load_model(..., format="onnx")``. Nothing here imports scikit-learn or PyTorch; pandas and torch
objects are recognised through ``sys.modules``, so a caller without them never loads them.

Input feeding follows MLflow's ``mlflow.onnx`` pyfunc, so one model file behaves the same in both:
a model with one input takes the whole array (a DataFrame's values); a model with one input per
column takes a DataFrame (or a dict) column by column. Values are cast to each input's element
type and reshaped to its rank (a column ``(n,)`` becomes ``(n, 1)`` where the model wants 2-D).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autolog.errors import SchemaMismatchError
from autolog.model.formats.onnx_graph import SPLIT_KEY

__all__ = ["DEFAULT_PROVIDERS", "OnnxModel", "Parity", "compare", "make_session"]

# The list mlflow.onnx.save_model writes by default; only the available ones are used.
DEFAULT_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")

_NUMPY_TYPES = {
    "tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
    "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int16)": "int16",
    "tensor(int8)": "int8", "tensor(uint8)": "uint8", "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32", "tensor(uint64)": "uint64", "tensor(bool)": "bool",
    "tensor(string)": "object",
}


def _provider_name(entry: Any) -> str:
    return entry if isinstance(entry, str) else str(entry[0])


def make_session(model: bytes | Path, providers: Sequence[Any] | None = None,
                 threads: int = 0) -> Any:
    """An ``onnxruntime.InferenceSession`` on the available ones of ``providers``.

    Parameters:
        model: the serialized model or the path of a ``.onnx`` file.
        providers: execution providers in order of preference (default: CUDA, then CPU);
            unavailable ones are skipped, CPU is the last resort.
        threads: intra-op threads (0 = onnxruntime's default, all cores). The writer passes 1
            so that a parity check never competes with the user's training for cores.
    """
    import onnxruntime as ort

    available = set(ort.get_available_providers())
    wanted = [p if isinstance(p, str) else tuple(p) for p in (providers or DEFAULT_PROVIDERS)
              if _provider_name(p) in available] or ["CPUExecutionProvider"]
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: no provider chatter on the user's console
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
    source = bytes(model) if isinstance(model, (bytes, bytearray, memoryview)) else str(model)
    return ort.InferenceSession(source, sess_options=options, providers=wanted)


@dataclass(frozen=True)
class _Input:
    name: str
    dtype: str  # numpy dtype name
    rank: int | None


def _is(obj: Any, module: str, attr: str) -> bool:
    from autolog.imported import is_instance

    return is_instance(obj, module, attr)


def _to_numpy(value: Any, dtype: str) -> Any:
    """``value`` as a numpy array (pandas column, torch tensor, list), before any cast."""
    import numpy as np

    if _is(value, "torch", "Tensor"):
        return value.detach().cpu().numpy()
    if hasattr(value, "to_numpy"):  # pandas Series / DataFrame / extension array
        return value.to_numpy(dtype=object) if dtype == "object" else value.to_numpy()
    return np.asarray(value)


class OnnxModel:
    """An ONNX model behind an onnxruntime session.

    Attributes:
        session: the ``onnxruntime.InferenceSession``.
        output_names: the model's outputs in order; the first is what :meth:`predict` returns.
    """

    def __init__(self, session: Any, output_spec: Any = None) -> None:
        self.session = session
        self.inputs = [
            _Input(i.name, _NUMPY_TYPES.get(i.type, ""), len(i.shape) if i.shape is not None
                   else None)
            for i in session.get_inputs()
        ]
        self._raw_names = [o.name for o in session.get_outputs()]
        meta = session.get_modelmeta().custom_metadata_map
        self._groups: dict[str, list[str]] = json.loads(meta.get(SPLIT_KEY, "{}"))
        part_of = {part: name for name, parts in self._groups.items() for part in parts}
        self.output_names = list(dict.fromkeys(part_of.get(n, n) for n in self._raw_names))
        self._output_spec = output_spec

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self.inputs]

    def _cast(self, value: Any, spec: _Input) -> Any:
        import numpy as np

        arr = _to_numpy(value, spec.dtype)
        if spec.dtype == "object":
            arr = np.asarray([v if isinstance(v, str) else str(v) for v in arr.ravel()],
                             dtype=object).reshape(arr.shape)
        elif spec.dtype and arr.dtype != np.dtype(spec.dtype):
            arr = arr.astype(spec.dtype)
        if spec.rank == 2 and arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        elif spec.rank == 1 and arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr.reshape(-1)
        return arr

    def feeds(self, data: Any) -> dict[str, Any]:
        """The onnxruntime feed dict for ``data`` (array, tensor, list, DataFrame or dict).

        Raises:
            SchemaMismatchError: a named input is missing, or a single array was given to a
                model with several inputs.
        """
        names = self.input_names
        if isinstance(data, Mapping) or (_is(data, "pandas", "DataFrame") and len(names) > 1):
            columns = list(data.keys()) if isinstance(data, Mapping) else list(data.columns)
            missing = [n for n in names if n not in columns]
            if missing:
                raise SchemaMismatchError(
                    f"missing input(s) {missing}: the ONNX model takes {names}, got {columns}")
            return {i.name: self._cast(data[i.name], i) for i in self.inputs}
        if len(names) != 1:
            raise SchemaMismatchError(
                f"the ONNX model takes {len(names)} inputs {names}; pass a DataFrame or a dict "
                f"with those names, not a {type(data).__name__}")
        return {names[0]: self._cast(data, self.inputs[0])}

    def run(self, data: Any) -> dict[str, Any]:
        """Every output of the model for ``data``, by name (split outputs stacked back)."""
        import numpy as np

        values = self.session.run(self._raw_names, self.feeds(data))
        raw = dict(zip(self._raw_names, values, strict=True))
        for name, parts in self._groups.items():
            raw[name] = np.stack([raw.pop(part) for part in parts], axis=1)
        return {name: raw[name] for name in self.output_names}

    def predict(self, data: Any) -> Any:
        """The first output, shaped and typed like the native model's (from the signature)."""
        return _like_spec(self.run(data)[self.output_names[0]], self._output_spec)

    def __repr__(self) -> str:
        return f"<OnnxModel inputs={self.input_names} outputs={self.output_names}>"


def _like_spec(out: Any, spec: Any) -> Any:
    """Reshape ``(n, 1)`` to ``(n,)`` and cast numbers where the output signature says so."""
    import numpy as np

    if spec is None or len(spec.inputs) != 1:
        return out
    item = spec.inputs[0]
    shape = getattr(item, "shape", None)
    wants_vector = shape is None or len(shape) == 1  # a column, or a 1-D tensor
    if wants_vector and out.ndim == 2 and out.shape[1] == 1:
        out = out.reshape(-1)
    dtype = getattr(item, "dtype", None)
    if dtype is not None and out.dtype.kind in "biuf":
        target = np.dtype(dtype) if dtype not in ("str", "bytes", "object") else None
        if target is not None and target.kind in "biuf" and target != out.dtype:
            out = out.astype(target)
    return out


@dataclass
class Parity:
    """How far the ONNX outputs are from the native ones.

    Attributes:
        passed: every compared value within tolerance, and every label equal.
        max_abs_diff: largest ``|onnx - native|`` over numeric outputs (None if none).
        max_rel_diff: largest ``|onnx - native| / |native|`` over nonzero native values.
        mismatches: values that differ beyond tolerance (or differ at all, for labels).
        compared: number of values compared.
        detail: the first problem found, for the warning.
    """

    passed: bool = True
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    mismatches: int = 0
    compared: int = 0
    detail: str = ""

    def merge(self, other: Parity) -> None:
        self.passed = self.passed and other.passed
        self.max_abs_diff = _max(self.max_abs_diff, other.max_abs_diff)
        self.max_rel_diff = _max(self.max_rel_diff, other.max_rel_diff)
        self.mismatches += other.mismatches
        self.compared += other.compared
        self.detail = self.detail or other.detail

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": "pass" if self.passed else "fail",
                "max_abs_diff": self.max_abs_diff, "max_rel_diff": self.max_rel_diff,
                "mismatches": self.mismatches, "values_compared": self.compared}


def _max(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


def compare(native: Any, produced: Any, tolerance: float, label: str = "output") -> Parity:
    """Compare a native output with the ONNX one.

    Numbers pass when ``|onnx - native| <= tolerance * max(1, |native|)``: absolute below 1
    (probabilities, scaled features), relative above (regression targets in the thousands,
    where float32 arithmetic cannot be closer). NaN equals NaN. Anything else (string labels)
    must be equal. ``(n,)`` and ``(n, 1)`` compare as the same shape.
    """
    import numpy as np

    want = _to_numpy(native, "")
    got = np.asarray(produced)
    if want.shape != got.shape:
        if want.size != got.size:
            return Parity(False, detail=f"{label}: shape {got.shape} instead of {want.shape}",
                          mismatches=max(want.size, got.size))
        got = got.reshape(want.shape)
    if want.dtype.kind in "biuf" and got.dtype.kind in "biuf":
        w, g = want.astype(np.float64), got.astype(np.float64)
        both_nan = np.isnan(w) & np.isnan(g)
        diff = np.where(both_nan, 0.0, np.abs(g - w))
        diff = np.where(np.isnan(diff), np.inf, diff)
        bad = diff > tolerance * np.maximum(1.0, np.abs(np.nan_to_num(w)))
        nonzero = np.abs(w) > 0
        rel = diff[nonzero] / np.abs(w[nonzero])
        max_abs = float(diff.max()) if diff.size else 0.0
        max_rel = float(rel.max()) if rel.size else 0.0
        result = Parity(not bool(bad.any()), max_abs, max_rel, int(bad.sum()), int(diff.size))
        if not result.passed:
            result.detail = (f"{label}: {result.mismatches} of {diff.size} values beyond "
                             f"tolerance {tolerance:g} (max abs diff {max_abs:.3g})")
        return result
    equal = np.asarray([str(a) == str(b) for a, b in zip(want.ravel(), got.ravel(),
                                                            strict=True)])
    result = Parity(bool(equal.all()), mismatches=int((~equal).sum()), compared=int(equal.size))
    if not result.passed:
        result.detail = f"{label}: {result.mismatches} of {equal.size} labels differ"
    return result
