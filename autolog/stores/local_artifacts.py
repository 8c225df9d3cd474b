"""The artifact part of the local store: folders and files placed in a run, read in place.

An artifact folder appears whole or not at all: it is copied under a ``.tmp-*`` name (or built
in ``.staging``) and renamed into the run in one step. Artifacts are write-once, and a reader
gets the artifact's own path in the store (nothing is copied).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

from autolog.errors import NotFoundError, StoreError
from autolog.stores.base import write_files
from autolog.stores.names import check_artifact_path

__all__ = ["LocalArtifactsMixin"]


class LocalArtifactsMixin:
    """Artifact methods of the Store contract for :class:`~autolog.stores.local.LocalStore`."""

    root: Path

    def _ensure(self) -> None:  # provided by LocalStore
        raise NotImplementedError

    def _existing_run_dir(self, run_id: str, reading: bool = False) -> Path:  # LocalStore's
        raise NotImplementedError

    def _note(self, run_id: str) -> None:  # provided by LocalStore
        raise NotImplementedError

    def _held_dir(self, run_id: str) -> str | None:  # provided by LocalStore
        raise NotImplementedError

    def log_artifacts(self, run_id: str, local_dir: Path, artifact_path: str,
                      move: bool = False) -> None:
        """Place ``local_dir`` at ``artifact_path``; ``move=True`` may rename it instead of copying
        (``local_dir`` must then be complete: it appears in the run in one rename).

        Raises:
            StoreError: the artifact already exists or the folder cannot be written.
        """
        rel = check_artifact_path(artifact_path)
        target = self._existing_run_dir(run_id) / "artifacts" / rel
        if target.exists():
            raise StoreError(f"Artifact {rel!r} of run {run_id} already exists; artifacts are "
                             "write-once.")
        # A run's artifacts folder exists, except in a held run (made with its first artifact).
        if "/" in rel or self._held_dir(run_id) is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:
                # rename() would replace an empty folder created at ``target`` meanwhile; each
                # run is written by one process, which checked above that there is none.
                os.rename(local_dir, target)
                self._note(run_id)
                return
            except OSError:
                pass  # another file system: copy below
        tmp = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex}"
        try:
            shutil.copytree(local_dir, tmp)
            os.rename(tmp, target)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"Cannot write artifact {rel!r} of run {run_id}: {exc}") from exc
        if move:
            shutil.rmtree(local_dir, ignore_errors=True)
        self._note(run_id)

    def log_files(self, run_id: str, artifact_path: str, files: Mapping[str, bytes | str]
                  ) -> None:
        """The folder is written under ``.staging`` and renamed into the run (straight into a
        held run's folder, which nobody sees yet)."""
        self._ensure()
        held = self._held_dir(run_id)
        if held is not None:
            rel = check_artifact_path(artifact_path)
            target = Path(held) / "artifacts" / rel
            if target.exists():
                raise StoreError(f"Artifact {rel!r} of run {run_id} already exists; artifacts "
                                 "are write-once.")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_files(target, files)
            except OSError as exc:
                raise StoreError(f"Cannot write artifact {rel!r} of run {run_id}: {exc}"
                                 ) from exc
            return
        tmp = self.root / ".staging" / f"files-{uuid.uuid4().hex}"
        try:
            write_files(tmp, files)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"Cannot write artifact {artifact_path!r} of run {run_id}: "
                             f"{exc}") from exc
        try:
            self.log_artifacts(run_id, tmp, artifact_path, move=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def download_artifacts(self, run_id: str, artifact_path: str) -> Path:
        """The artifact's own path in the store.

        Raises:
            NotFoundError: the run has no such artifact.
            StoreError: the artifact is a symbolic link leading out of the run's folder
                (never followed: a store's contents stay inside the store).
        """
        artifacts = self._existing_run_dir(run_id, reading=True) / "artifacts"
        path = artifacts / check_artifact_path(artifact_path)
        if not path.exists():
            raise NotFoundError(f"Run {run_id} has no artifact {artifact_path!r}.")
        if artifacts.resolve() not in path.resolve().parents:
            raise StoreError(f"Artifact {artifact_path!r} of run {run_id} is a symbolic link to "
                             f"{path.resolve()}, outside the store at {self.root}; autolog does "
                             "not follow it. Replace the link with the folder itself.")
        return path
