"""Cheap facts about training data: the first rows and a bounded fingerprint.

Nothing here copies the whole data set: the example keeps a few rows, and the digest hashes
at most :data:`SAMPLE_ROWS` rows from the start and the end, plus the shape.

Every input a framework accepts is handled: numpy arrays of any dtype and array-likes
(``np.matrix``, objects with ``__array__``), scipy sparse matrices and arrays of every format,
lists, tuples, ``range`` and other sequences, pandas DataFrames and Series, polars DataFrames,
pyarrow Tables (their rows become a pandas DataFrame: the form a model folder's example and
MLflow use), torch tensors. An iterator is never read (that would consume the user's data):
it has no example, and :func:`head` says so with :class:`NoRows`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from autolog.imported import is_instance

__all__ = ["SAMPLE_ROWS", "NoRows", "fingerprint", "head", "is_reiterable"]

SAMPLE_ROWS = 1000


class NoRows(ValueError):
    """The input gives no example rows; the message says why (it becomes a run tag)."""


def _is_pandas(data: Any) -> bool:
    return is_instance(data, "pandas", "DataFrame") or is_instance(data, "pandas", "Series")


def _is_sparse(data: Any) -> bool:
    return (is_instance(data, "scipy.sparse", "spmatrix")
            or is_instance(data, "scipy.sparse", "sparray"))


def _table_head(data: Any, rows: int) -> Any:
    """The first rows of a polars DataFrame, a pyarrow Table or another DataFrame-like object
    as a pandas DataFrame (None when ``data`` is not one of them)."""
    if is_instance(data, "polars", "DataFrame"):
        part = data.head(rows)
        try:
            return part.to_pandas()
        except (ImportError, ModuleNotFoundError):  # polars without pyarrow
            import pandas as pd

            return pd.DataFrame(part.to_dict(as_series=False))
    if is_instance(data, "pyarrow", "Table") or is_instance(data, "pyarrow", "RecordBatch"):
        return data.slice(0, rows).to_pandas()
    if hasattr(data, "__dataframe__"):  # the DataFrame interchange protocol (modin, vaex...)
        import pandas as pd

        return pd.api.interchange.from_dataframe(data).iloc[:rows].copy()
    return None


def _sparse_rows(data: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of a sparse matrix of any format, as CSR."""
    fmt = getattr(data, "format", "")
    if fmt in ("csr", "csc", "lil", "dok"):
        return data[start:stop].tocsr()
    if fmt == "coo":  # not subscriptable as a matrix: select the entries of those rows
        import scipy.sparse as sp

        n_rows = data.shape[0]
        stop = min(stop, n_rows)
        keep = (data.row >= start) & (data.row < stop)
        return sp.csr_matrix((data.data[keep], (data.row[keep] - start, data.col[keep])),
                             shape=(max(0, stop - start), data.shape[1]))
    return data.tocsr()[start:stop]  # bsr, dia: no row slicing of their own


def is_reiterable(data: Any) -> bool:
    """False for an iterator or generator: reading it again would find it consumed."""
    return not isinstance(data, Iterator)


def head(data: Any, rows: int) -> Any:
    """A copy of the first ``rows`` rows of ``data`` (None if ``data`` is None).

    Arrays and array-likes give a numpy array, sparse matrices a dense one, tables a pandas
    DataFrame (or Series), tensors a CPU tensor, sequences a list.

    Raises:
        NoRows: ``data`` is an iterator (it is never read), a string, or of a type that has
            no rows; the message says which.
    """
    if data is None:
        return None
    if _is_pandas(data):
        return data.iloc[:rows].copy()
    if is_instance(data, "torch", "Tensor"):  # keep its dtype, copy to the CPU
        return data[:rows].detach().cpu().clone()
    if _is_sparse(data):
        return _sparse_rows(data, 0, rows).toarray()
    table = _table_head(data, rows)
    if table is not None:
        return table
    import numpy as np

    if isinstance(data, (str, bytes)):
        raise NoRows(f"the input is a single {type(data).__name__}, not rows")
    if hasattr(data, "shape") and hasattr(data, "__getitem__") and hasattr(data, "dtype"):
        return np.array(data[:rows])  # numpy (a copy), np.matrix, dask or cupy-like arrays
    if isinstance(data, Sequence):  # list, tuple, range, other sequences
        return list(data[:rows])
    if hasattr(data, "__array__"):  # array-likes without slicing of their own
        return np.array(np.asarray(data)[:rows])
    if isinstance(data, Iterator):
        raise NoRows(f"the input is an iterator ({type(data).__name__}); autolog does not "
                     "read it, since that would consume it")
    if isinstance(data, Mapping):
        raise NoRows("the input is a mapping, not rows")
    raise NoRows(f"a {type(data).__module__}.{type(data).__qualname__} has no rows autolog "
                 "can read")


def _shape(data: Any) -> list[int]:
    shape = getattr(data, "shape", None)
    if shape is not None:
        try:
            return [int(d) for d in shape]
        except TypeError:  # a shape holding unknown sizes (dask)
            return [-1 if d is None or d != d else int(d) for d in shape]
    if isinstance(data, Iterator):
        return []
    try:
        return [len(data)]
    except TypeError:
        return []


def _hash_frame(digest: Any, frame: Any) -> None:
    import pandas as pd

    try:
        digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
    except TypeError:  # cells holding unhashable values (lists, dicts): hash their text
        digest.update(repr(frame.to_numpy().tolist()).encode())


def _hash_array(digest: Any, part: Any) -> None:
    import numpy as np

    array = np.asarray(part)
    # An object array's bytes are pointers, different in every process: hash values. Other
    # arrays are hashed through their buffer: no copy of the rows (tobytes would make one).
    if array.dtype.kind == "O":
        digest.update(repr(array.tolist()).encode())
    else:
        digest.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8))


def _hash_sparse(digest: Any, part: Any) -> None:
    import numpy as np

    part.sum_duplicates()
    for values in (part.indptr, part.indices, part.data):
        digest.update(np.ascontiguousarray(values).tobytes())


def fingerprint(data: Any) -> dict[str, Any]:
    """Shape, dtypes and a sha256 digest of a bounded sample of ``data``."""
    digest = hashlib.sha256()
    shape = _shape(data)
    digest.update(repr(shape).encode())
    n = shape[0] if shape else 0
    spans = ((0, SAMPLE_ROWS), (max(SAMPLE_ROWS, n - SAMPLE_ROWS), max(n, SAMPLE_ROWS)))
    if _is_pandas(data):
        frame = data.to_frame() if data.ndim == 1 else data
        dtypes: Any = {str(c): str(t) for c, t in frame.dtypes.items()}
        for start, stop in spans:
            _hash_frame(digest, frame.iloc[start:stop])
        digest.update(repr(list(frame.columns)).encode())
    elif _is_sparse(data):
        dtypes = f"{data.dtype} ({data.format})"
        for start, stop in spans:
            _hash_sparse(digest, _sparse_rows(data, start, stop))
    elif is_instance(data, "torch", "Tensor"):
        dtypes = str(data.dtype)
        for start, stop in spans:
            part = data[start:stop].detach().cpu()
            if str(part.dtype) == "torch.bfloat16":  # numpy has no bfloat16
                part = part.float()
            _hash_array(digest, part.numpy())
    elif hasattr(data, "dtype") and hasattr(data, "shape") and hasattr(data, "__getitem__"):
        dtypes = str(data.dtype)
        for start, stop in spans:
            _hash_array(digest, data[start:stop])
    else:
        dtypes = type(data).__name__
        try:
            sample = head(data, SAMPLE_ROWS)
        except NoRows:
            sample = None
        if sample is not None and hasattr(sample, "iloc"):  # a table read as pandas
            dtypes = {str(c): str(t) for c, t in sample.dtypes.items()}
            _hash_frame(digest, sample)
            digest.update(repr(list(sample.columns)).encode())
        elif sample is not None and hasattr(sample, "dtype"):
            _hash_array(digest, sample)
        else:
            digest.update(repr(sample).encode())
            if isinstance(data, Sequence) and n > SAMPLE_ROWS:
                digest.update(repr(list(data[max(SAMPLE_ROWS, n - SAMPLE_ROWS):])).encode())
    return {"shape": shape, "dtypes": dtypes, "digest": digest.hexdigest()[:16],
            "sample_rows": min(n, 2 * SAMPLE_ROWS)}
