"""Small artifact folders written from text: :func:`write_text_files`."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_text_files"]


def write_text_files(store: Any, run_id: str, artifact_path: str, files: dict[str, str]) -> None:
    """Writer job: ``files`` (name -> text) as the run's artifact folder ``artifact_path``.

    The folder is built on the store's file system (its staging folder, when it has one) and
    handed to :meth:`~autolog.stores.base.Store.log_artifacts`, which places it whole or not
    at all.
    """
    staging = store.staging_dir() if hasattr(store, "staging_dir") else None
    work = Path(tempfile.mkdtemp(prefix="autolog-files-", dir=staging))
    try:
        folder = work / artifact_path.replace("/", "_")
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        store.log_artifacts(run_id, folder, artifact_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
