"""The names a store accepts for what it keeps on disk: run ids and artifact paths.

Both become parts of file paths (in the local store) or of requests (in MLflow's), so a store
checks them before using them: a run id is a safe folder name, an artifact path stays inside
its run.
"""

from __future__ import annotations

import re

from autolog.errors import InvalidNameError

__all__ = ["check_artifact_path", "check_run_id"]

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is safe as a folder name, else raise InvalidNameError."""
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise InvalidNameError(
            f"Invalid run id {run_id!r}: use 1-64 letters, digits, '-' or '_' "
            "(autolog's ids are 32 hex characters)."
        )
    return run_id


def check_artifact_path(path: str) -> str:
    """Return a normalized relative artifact path, refusing absolute paths and '..'."""
    if not isinstance(path, str) or not path.strip():
        raise InvalidNameError(f"Invalid artifact path {path!r}: it must be a non-empty string.")
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or ".." in parts or not parts:
        raise InvalidNameError(
            f"Invalid artifact path {path!r}: it must be relative and stay inside the run "
            "(no leading '/', no '..')."
        )
    if any(ord(c) < 32 for c in path):
        raise InvalidNameError(f"Invalid artifact path {path!r}: control characters.")
    return "/".join(parts)
