"""Cheap facts about training data: the first rows and a bounded fingerprint.

Nothing here copies the whole data set: the example keeps a few rows, and the digest hashes
at most :data:`SAMPLE_ROWS` rows from the start and the end, plus the shape.
"""

from __future__ import annotations

import hashlib
import sys
from typing import Any

__all__ = ["SAMPLE_ROWS", "fingerprint", "head"]

SAMPLE_ROWS = 1000


def _is_pandas(data: Any) -> bool:
    return "pandas" in sys.modules and hasattr(data, "iloc")


def head(data: Any, rows: int) -> Any:
    """A copy of the first ``rows`` rows of an array, DataFrame, tensor or list (None if none)."""
    if data is None:
        return None
    if _is_pandas(data):
        return data.iloc[:rows].copy()
    if hasattr(data, "detach"):  # torch tensor: keep it on its device's dtype, copy to CPU
        return data[:rows].detach().cpu().clone()
    if hasattr(data, "toarray") and hasattr(data, "shape"):  # scipy sparse
        return data[:rows].toarray()
    if hasattr(data, "shape") and hasattr(data, "copy"):
        return data[:rows].copy()
    if isinstance(data, (list, tuple)):
        return list(data[:rows])
    return None


def _shape(data: Any) -> list[int]:
    shape = getattr(data, "shape", None)
    if shape is not None:
        return [int(d) for d in shape]
    try:
        return [len(data)]
    except TypeError:
        return []


def fingerprint(data: Any) -> dict[str, Any]:
    """Shape, dtypes and a sha256 digest of a bounded sample of ``data``."""
    digest = hashlib.sha256()
    shape = _shape(data)
    digest.update(repr(shape).encode())
    n = shape[0] if shape else 0
    if _is_pandas(data):
        dtypes: Any = {str(c): str(t) for c, t in data.dtypes.items()}
        parts = [data.iloc[:SAMPLE_ROWS], data.iloc[max(SAMPLE_ROWS, n - SAMPLE_ROWS):]]
        import pandas as pd

        for part in parts:
            digest.update(pd.util.hash_pandas_object(part, index=False).values.tobytes())
        digest.update(repr(list(data.columns)).encode())
    elif hasattr(data, "dtype") and hasattr(data, "shape") and not hasattr(data, "toarray"):
        dtypes = str(data.dtype)
        for part in (data[:SAMPLE_ROWS], data[max(SAMPLE_ROWS, n - SAMPLE_ROWS):]):
            if hasattr(part, "detach"):
                part = part.detach().cpu().numpy()
            import numpy as np

            array = np.asarray(part)
            # An object array's bytes are pointers, different in every process: hash values.
            digest.update(repr(array.tolist()).encode() if array.dtype.kind == "O"
                          else np.ascontiguousarray(array).tobytes())
    else:
        dtypes = type(data).__name__
        digest.update(repr(head(data, SAMPLE_ROWS)).encode())
    return {"shape": shape, "dtypes": dtypes, "digest": digest.hexdigest()[:16],
            "sample_rows": min(n, 2 * SAMPLE_ROWS)}
