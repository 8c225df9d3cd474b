"""Recognising pandas, torch and numpy objects without importing their libraries.

Through ``sys.modules``, fully imported modules only (:mod:`autolog.imported`): an object can
only be a ``torch.Tensor`` if torch is already imported.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any

from autolog import imported


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
