"""The pickle format: models serialized with cloudpickle.

cloudpickle (not plain pickle) so that classes and functions defined in ``__main__`` or a
notebook travel with the model; MLflow's ``serialization_format: cloudpickle`` loads the same
bytes.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

__all__ = ["SERIALIZATION_FORMATS", "dumps", "load_file", "loads"]

SERIALIZATION_FORMATS = ("cloudpickle", "pickle")


def dumps(model: Any) -> bytes:
    """Serialize ``model`` with cloudpickle (highest protocol)."""
    import cloudpickle

    return cloudpickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[no-any-return]


def loads(data: bytes) -> Any:
    """Deserialize bytes made by :func:`dumps`. Runs code from the bytes: trust them first."""
    return pickle.loads(data)  # noqa: S301 - callers verify checksums before this


def load_file(path: Path, serialization_format: str = "cloudpickle") -> Any:
    """Load a pickled model file (after its checksum was verified by the caller)."""
    if serialization_format not in SERIALIZATION_FORMATS:
        from autolog.errors import ModelFolderError

        raise ModelFolderError(
            f"Unsupported serialization_format {serialization_format!r} in {path}; autolog "
            f"loads {', '.join(SERIALIZATION_FORMATS)} (skops folders: use mlflow)."
        )
    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301
