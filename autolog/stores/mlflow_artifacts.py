"""The artifact part of the MLflow store: uploads and cached downloads.

Artifact stores have no rename, so a folder is uploaded file by file, up to :data:`_UPLOADS`
files at once, with its ``MLmodel`` last: a reader never sees an ``MLmodel`` whose files are
missing. Artifacts are write-once; a download is cached under
``$XDG_CACHE_HOME/autolog/mlflow`` and appears there whole or not at all.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import posixpath
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autolog.errors import NotFoundError, StoreError
from autolog.stores.names import check_artifact_path

__all__ = ["MLflowArtifactsMixin"]

# Files of one artifact folder uploaded at once.
_UPLOADS = 8


def _at_once(calls: list[Callable[[], None]]) -> None:
    """Run ``calls`` on up to :data:`_UPLOADS` threads and wait; re-raise the first error.

    Plain threads rather than a ``concurrent.futures`` pool: the writer's last flush runs at
    interpreter exit, when such pools no longer take work.
    """
    if len(calls) < 2:
        for call in calls:
            call()
        return
    pending = list(calls)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not pending or errors:
                    return
                call = pending.pop(0)
            try:
                call()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                with lock:
                    errors.append(exc)

    threads = [threading.Thread(target=work, name="autolog-upload", daemon=True)
               for _ in range(min(_UPLOADS, len(calls)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


class MLflowArtifactsMixin:
    """Artifact methods of the Store contract for :class:`~autolog.stores.mlflow.MLflowStore`."""

    client: Any
    tracking_uri: str
    _call: Callable[..., Any]
    mlflow_run_id: Callable[[str], str]
    # MLflow run id -> artifact paths of the runs this instance created (no listing needed
    # to keep them write-once); MLflow run id -> artifact location of those runs.
    _artifacts: dict[str, set[str]]
    _repos: dict[str, str]

    def _exists(self, mlflow_id: str, rel: str) -> bool:
        known = self._artifacts.get(mlflow_id)
        if known is not None and not any(rel.startswith(k + "/") for k in known):
            return rel in known or any(k.startswith(rel + "/") for k in known)
        parent = posixpath.dirname(rel) or None
        entries = self._call("listing artifacts", self.client.list_artifacts, mlflow_id, parent)
        return any(e.path == rel for e in entries)

    def log_artifacts(self, run_id: str, local_dir: Path, artifact_path: str) -> None:
        """Upload the folder (or file) ``local_dir`` as the artifact ``artifact_path``.

        Raises:
            StoreError: the artifact exists already (artifacts are write-once).
            StoreUnavailableError: the upload failed after retries.
        """
        rel = check_artifact_path(artifact_path)
        mlflow_id = self.mlflow_run_id(run_id)
        if self._exists(mlflow_id, rel):
            raise StoreError(f"Artifact {rel!r} of run {run_id} already exists; artifacts are "
                             "write-once.")
        source = Path(local_dir)
        if source.is_file():
            uploads = [(source, rel)]
        else:
            files = sorted(p for p in source.rglob("*") if p.is_file())
            # MLmodel last: until it is there, the folder is not a model to any reader.
            files.sort(key=lambda p: p == source / "MLmodel")
            uploads = [(p, posixpath.join(rel, p.relative_to(source).as_posix())) for p in files]
        # The files at once (each upload is one request that waits on the server), the MLmodel
        # after all of them.
        last = [u for u in uploads if u[0].name == "MLmodel" and u[0].parent == source]
        first = [u for u in uploads if u not in last]
        _at_once([functools.partial(self._upload, mlflow_id, path, dest) for path, dest in first])
        for path, dest in last:
            self._upload(mlflow_id, path, dest)
        known = self._artifacts.get(mlflow_id)
        if known is not None:
            known.add(rel)

    def _upload(self, mlflow_id: str, path: Path, dest: str) -> None:
        folder, name = posixpath.split(dest)
        if name != path.name:  # MLflow names the uploaded file after the local one
            tmp = Path(tempfile.mkdtemp(prefix="autolog-upload-"))
            try:
                shutil.copyfile(path, tmp / name)
                self._upload(mlflow_id, tmp / name, dest)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            return
        location = self._repos.get(mlflow_id)
        if location is None:
            self._call(f"uploading {dest}", self.client.log_artifact, mlflow_id, str(path),
                       folder or None)
            return
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        repo = get_artifact_repository(location, tracking_uri=self.tracking_uri)
        self._call(f"uploading {dest}", repo.log_artifact, str(path), folder or None)

    def download_artifacts(self, run_id: str, artifact_path: str) -> Path:
        """A local copy of the artifact, cached (artifacts are write-once).

        The cache is ``$XDG_CACHE_HOME/autolog/mlflow`` (``~/.cache/...``); a copy appears
        there whole or not at all.
        """
        rel = check_artifact_path(artifact_path)
        mlflow_id = self.mlflow_run_id(run_id)
        target = self._cache_root() / mlflow_id / rel
        if target.exists():
            return target
        if not self._exists(mlflow_id, rel):
            raise NotFoundError(f"Run {run_id} has no artifact {rel!r} in the MLflow tracking "
                                f"server {self.tracking_uri}.")
        tmp = self._cache_root() / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        try:
            local = self._call(f"downloading {rel}", self.client.download_artifacts, mlflow_id,
                               rel, str(tmp))
            if os.path.isdir(local) and not os.path.exists(os.path.join(local, "MLmodel")):
                # Not a whole model folder (yet): a model folder's MLmodel is uploaded last, so
                # this may be one caught mid-upload. Served, never cached for later readers.
                return self._uncached(Path(local), rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(local, target)
            except OSError:
                if not target.exists():  # else another thread or process got there first
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target

    def _uncached(self, local: Path, rel: str) -> Path:
        """Move ``local`` to a copy of its own under ``.uncached`` (copies older than an hour
        are removed on the way) and return it."""
        import time

        root = self._cache_root() / ".uncached"
        root.mkdir(parents=True, exist_ok=True)
        for old in root.iterdir():
            with contextlib.suppress(OSError):
                if time.time() - old.stat().st_mtime > 3600:
                    shutil.rmtree(old, ignore_errors=True)
        home = root / uuid.uuid4().hex
        home.mkdir()
        copy = home / Path(rel).name
        os.rename(local, copy)
        return copy

    def _cache_root(self) -> Path:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".cache")
        digest = hashlib.sha256(self.tracking_uri.encode()).hexdigest()[:16]
        return Path(base) / "autolog" / "mlflow" / digest
