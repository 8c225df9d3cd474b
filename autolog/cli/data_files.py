"""Data files in and predictions out, for ``autolog predict``.

Input: CSV/TSV, Parquet (needs pyarrow), JSON (records, columns, a list of rows, or MLflow
serving's ``dataframe_split``/``dataframe_records``/``inputs``/``instances``), JSON lines, NPY.
Output: CSV, Parquet, JSON (a list of records), JSON lines. The format follows the file
extension unless given. Output files are written under a temporary name and renamed, so a
failed prediction never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["INPUT_FORMATS", "OUTPUT_FORMATS", "detect_format", "predict_in_chunks", "read_input",
           "to_frame", "write_output"]

INPUT_FORMATS = ("csv", "tsv", "parquet", "json", "jsonl", "npy")
OUTPUT_FORMATS = ("csv", "tsv", "parquet", "json", "jsonl")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet",
               ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".npy": "npy"}


def detect_format(path: str | os.PathLike[str], given: str | None, allowed: tuple[str, ...],
                  role: str) -> str:
    """The file format: ``given``, else from the extension; a clear error if unsupported."""
    fmt = given or _EXTENSIONS.get(Path(path).suffix.lower())
    if fmt not in allowed:
        what = f"format {given!r}" if given else f"extension of {os.fspath(path)!r}"
        raise ValueError(f"Unsupported {role} {what}: use one of {', '.join(allowed)} (by file "
                         f"extension or --{role}-format).")
    return fmt


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("Reading and writing tables needs pandas: "
                          "pip install 'autolog-ml[sklearn]' (or pandas).") from exc
    return pd


def _parquet_check() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ImportError("Parquet needs pyarrow: pip install pyarrow.") from exc


def _from_json(data: Any) -> Any:
    pd = _pandas()
    if isinstance(data, dict):
        if "dataframe_split" in data:
            split = data["dataframe_split"]
            return pd.DataFrame(split.get("data"), columns=split.get("columns"),
                                index=split.get("index"))
        if "dataframe_records" in data:
            return pd.DataFrame.from_records(data["dataframe_records"])
        for key in ("inputs", "instances"):
            if key in data:
                return _from_json(data[key])
        return pd.DataFrame(data)
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return pd.DataFrame.from_records(data)
    import numpy as np

    return np.asarray(data)


def read_input(path: str | os.PathLike[str], fmt: str | None = None) -> Any:
    """Read a data file into a pandas DataFrame (NPY and JSON arrays: a numpy array)."""
    fmt = detect_format(path, fmt, INPUT_FORMATS, "input")
    if fmt == "npy":
        import numpy as np

        return np.load(path, allow_pickle=False)
    if fmt == "json":
        with open(path, encoding="utf-8") as fh:
            return _from_json(json.load(fh))
    pd = _pandas()
    if fmt == "parquet":
        _parquet_check()
        return pd.read_parquet(path)
    if fmt == "jsonl":
        return pd.read_json(path, lines=True)
    return pd.read_csv(path, sep="\t" if fmt == "tsv" else ",")


def _rows(data: Any) -> int:
    return int(data.shape[0]) if hasattr(data, "shape") else len(data)


def _slice(data: Any, start: int, stop: int) -> Any:
    return data.iloc[start:stop] if hasattr(data, "iloc") else data[start:stop]


def _as_host(result: Any) -> Any:
    if hasattr(result, "detach"):  # a torch tensor
        return result.detach().cpu().numpy()
    return result


def predict_in_chunks(predict: Callable[[Any], Any], data: Any, batch_size: int,
                      progress: Callable[[int], None] | None = None) -> Any:
    """``predict`` over ``data`` in chunks of ``batch_size`` rows, results concatenated.

    ``progress(n)`` is called after each chunk with its row count.
    """
    if batch_size < 1:
        raise ValueError(f"Invalid batch size {batch_size}: use a positive number of rows.")
    total = _rows(data)
    parts = []
    for start in range(0, max(total, 1), batch_size):
        chunk = _slice(data, start, start + batch_size)
        parts.append(_as_host(predict(chunk)))
        if progress is not None:
            progress(_rows(chunk))
    if len(parts) == 1:
        return parts[0]
    if "pandas" in sys.modules and hasattr(parts[0], "iloc"):
        return _pandas().concat(parts, ignore_index=True)
    import numpy as np

    return np.concatenate([np.asarray(p) for p in parts])


def to_frame(result: Any, output_names: list[str] | None = None) -> Any:
    """Predictions as a DataFrame: a column ``prediction`` (or ``prediction_<i>``), or the
    names of the model's output schema when they fit."""
    pd = _pandas()
    if isinstance(result, pd.DataFrame):
        return result.reset_index(drop=True)
    if isinstance(result, pd.Series):
        return result.reset_index(drop=True).to_frame(result.name or "prediction")
    import numpy as np

    arr = np.asarray(result)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 1:
        name = output_names[0] if output_names and len(output_names) == 1 else "prediction"
        return pd.DataFrame({name: arr})
    arr = arr.reshape(arr.shape[0], -1)
    names = (output_names if output_names and len(output_names) == arr.shape[1]
             else [f"prediction_{i}" for i in range(arr.shape[1])])
    return pd.DataFrame(arr, columns=names)


def _write(frame: Any, target: Any, fmt: str) -> None:
    if fmt == "parquet":
        _parquet_check()
        frame.to_parquet(target, index=False)
    elif fmt in ("json", "jsonl"):
        frame.to_json(target, orient="records", lines=fmt == "jsonl")
    else:
        frame.to_csv(target, index=False, sep="\t" if fmt == "tsv" else ",")


def write_output(frame: Any, path: str | os.PathLike[str] | None, fmt: str | None = None
                 ) -> None:
    """Write ``frame`` to ``path`` atomically (stdout when ``path`` is None or ``-``)."""
    if path is None or os.fspath(path) == "-":
        text_fmt = fmt or "csv"
        if text_fmt == "parquet":
            raise ValueError("Parquet cannot go to the terminal: give --output FILE.parquet.")
        detect_format("stdout", text_fmt, OUTPUT_FORMATS, "output")
        _write(frame, sys.stdout, text_fmt)
        if text_fmt == "json":
            sys.stdout.write("\n")
        return
    fmt = detect_format(path, fmt, OUTPUT_FORMATS, "output")
    target = Path(path)
    tmp = target.with_name(f".tmp-{target.name}-{uuid.uuid4().hex}")
    try:
        _write(frame, tmp, fmt)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
