"""Offline first: a remote store that keeps recording while its server cannot be reached.

:func:`autolog.stores.open_store` wraps every remote store (a store class with
``remote = True``) in a :class:`FallbackStore`. When a run starts, the remote store is asked
first (one short reachability check, then the create); if it cannot be reached, the run goes to
a local store instead (the ``offline_store`` option, default ``~/.autolog``) and one
:class:`~autolog.safety.AutologWarning` per process says how to send such runs later::

    autolog sync ~/.autolog --to http://mlflow.example:5000

A run stays where it started: all its later writes follow it. Registry operations always go
to the remote store, whose server numbers the versions. After a failure the remote is
not asked again for ``cooldown_s`` seconds, so a dead server costs one bounded wait on the
background writer, not one per write; later runs go straight to the local store until the
server answers again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from autolog import safety
from autolog.errors import NotFoundError, StoreUnavailableError
from autolog.runs import Metric, Run, RunInfo
from autolog.stores.base import DatasetInput, Store
from autolog.stores.local import LocalStore

if TYPE_CHECKING:
    from autolog.registry.records import ModelVersion, RegisteredModel

__all__ = ["FallbackStore", "offline_store_uri"]

T = TypeVar("T")


def offline_store_uri() -> str:
    """The local folder for offline runs: the ``offline_store`` option, else ``~/.autolog``."""
    from autolog.config import default_store, effective

    return effective().values.get("offline_store") or default_store()


class FallbackStore(Store):
    """``primary`` (a remote store) with ``local`` taking the runs it cannot take.

    Parameters:
        primary: the remote store; a ``ping()`` method, if it has one, checks reachability.
        local_uri: the local folder for runs started while ``primary`` is unreachable; None
            reads the ``offline_store`` option each time a run starts (so ``enable()`` can
            change it).
        cooldown_s: after a failure, how long ``primary`` is not asked again.
    """

    #: After a successful request, skip the reachability check for this many seconds.
    fresh_s = 5.0

    def __init__(self, primary: Store, local_uri: str | None = None,
                 cooldown_s: float = 30.0) -> None:
        self.primary = primary
        self.uri = primary.uri
        self.local_uri = local_uri
        self.cooldown_s = cooldown_s
        self._local: LocalStore | None = None
        self._offline_runs: dict[str, LocalStore] = {}
        self._down_until = 0.0
        self._last_ok = float("-inf")
        self._warned = False
        self._lock = threading.Lock()

    @property
    def local(self) -> LocalStore:
        """The local store that takes the runs started while offline."""
        uri = self.local_uri or offline_store_uri()
        with self._lock:
            if self._local is None or self._local.uri != str(Path(uri).expanduser().resolve()):
                self._local = LocalStore(uri)
            return self._local

    @property
    def offline_runs(self) -> set[str]:
        """Ids of the runs of this process that went to the local store."""
        return set(self._offline_runs)

    # -- reachability ----------------------------------------------------------------------------
    def _went_offline(self, exc: BaseException) -> None:
        # The warning below is the one the user gets: the failed write is not reported again.
        safety.mark_reported(exc)
        with self._lock:
            self._down_until = time.monotonic() + self.cooldown_s
            warn, self._warned = not self._warned, True
        if warn:
            local = self.local.root
            reason = str(exc) if len(str(exc)) <= 300 else str(exc)[:300] + "..."
            safety.warn(
                f"autolog: the store {self.uri} cannot be reached; runs are kept in the local "
                f"store {local} until it answers again. Send them later with:  "
                f"autolog sync {local} --to {self.uri}   (reason: {reason})", stacklevel=2)

    def _reachable(self) -> bool:
        now = time.monotonic()
        if now < self._down_until:
            return False
        if now - self._last_ok < self.fresh_s:
            return True
        ping = getattr(self.primary, "ping", None)
        if ping is not None:
            try:
                ping()
            except StoreUnavailableError as exc:
                self._went_offline(exc)
                return False
        self._last_ok = time.monotonic()
        return True

    def _remote(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` against the primary store, failing fast while it is known to be down."""
        if time.monotonic() < self._down_until:
            raise safety.mark_reported(StoreUnavailableError(
                f"The store {self.uri} did not answer a moment ago, so it is not asked again "
                f"for up to {self.cooldown_s:.0f} s; runs started meanwhile go to "
                f"{self.local.root}."))
        try:
            result = fn()
        except StoreUnavailableError as exc:
            self._went_offline(exc)
            raise
        self._last_ok = time.monotonic()
        return result

    def _read(self, run_id: str, fn: Callable[[Store], T]) -> T:
        """Read from where the run is: this process's offline runs locally, others remotely,
        then locally (runs an earlier process kept offline)."""
        offline = self._offline_runs.get(run_id)
        if offline is not None:
            return fn(offline)
        try:
            return fn(self.primary)
        except (NotFoundError, StoreUnavailableError):
            if (self.local.run_dir(run_id) / "run.json").is_file():
                return fn(self.local)
            raise

    # -- required ------------------------------------------------------------------------------
    def create_run(self, info: RunInfo) -> None:
        if self._reachable():
            try:
                self._remote(lambda: self.primary.create_run(info))
                return
            except StoreUnavailableError:
                pass  # _remote() warned; the run goes to the local store
        local = self.local
        local.create_run(info)
        with self._lock:
            self._offline_runs[info.run_id] = local

    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        offline = self._offline_runs.get(run_id)
        if offline is not None:
            offline.update_run(run_id, status, end_time)
        else:
            self._remote(lambda: self.primary.update_run(run_id, status, end_time))

    def log_batch(self, run_id: str, params: Mapping[str, str] = {},  # noqa: B006
                  metrics: Iterable[Metric] = (), tags: Mapping[str, str] = {}  # noqa: B006
                  ) -> None:
        offline = self._offline_runs.get(run_id)
        if offline is not None:
            offline.log_batch(run_id, params=params, metrics=metrics, tags=tags)
        else:
            self._remote(lambda: self.primary.log_batch(run_id, params=params, metrics=metrics,
                                                        tags=tags))

    def log_artifacts(self, run_id: str, local_dir: Path, artifact_path: str) -> None:
        offline = self._offline_runs.get(run_id)
        if offline is not None:
            offline.log_artifacts(run_id, local_dir, artifact_path)
        else:
            self._remote(lambda: self.primary.log_artifacts(run_id, local_dir, artifact_path))

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        offline = self._offline_runs.get(run_id)
        if offline is not None:
            offline.log_inputs(run_id, datasets)
        else:
            self._remote(lambda: self.primary.log_inputs(run_id, datasets))

    def get_run(self, run_id: str) -> Run:
        return self._read(run_id, lambda s: s.get_run(run_id))

    def download_artifacts(self, run_id: str, artifact_path: str) -> Path:
        return self._read(run_id, lambda s: s.download_artifacts(run_id, artifact_path))

    def search_runs(self, experiment: str | None = None, max_results: int | None = None
                    ) -> list[Run]:
        """Runs of the remote store (runs kept offline are in :attr:`local` until synced)."""
        return self._remote(lambda: self.primary.search_runs(experiment, max_results))

    def list_experiments(self) -> list[str]:
        return self._remote(self.primary.list_experiments)

    # -- registry: always the remote store (version numbers are the server's) -----------------
    def create_model_version(self, draft: ModelVersion, model_dir: Path) -> ModelVersion:
        return self._remote(lambda: self.primary.create_model_version(draft, model_dir))

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return self._remote(lambda: self.primary.get_model_version(name, version))

    def search_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        return self._remote(lambda: self.primary.search_model_versions(name))

    def delete_model_version(self, name: str, version: int) -> None:
        self._remote(lambda: self.primary.delete_model_version(name, version))

    def download_model_version(self, name: str, version: int) -> Path:
        return self._remote(lambda: self.primary.download_model_version(name, version))

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._remote(lambda: self.primary.get_registered_model(name))

    def search_registered_models(self) -> list[RegisteredModel]:
        return self._remote(self.primary.search_registered_models)

    def delete_registered_model(self, name: str) -> None:
        self._remote(lambda: self.primary.delete_registered_model(name))

    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        self._remote(lambda: self.primary.set_model_alias(name, alias, version))

    def delete_model_alias(self, name: str, alias: str) -> None:
        self._remote(lambda: self.primary.delete_model_alias(name, alias))

    def update_registered_model(self, name: str, *, description: str | None = None,
                                tags: Mapping[str, str] | None = None,
                                delete_tags: Iterable[str] = ()) -> RegisteredModel:
        return self._remote(lambda: self.primary.update_registered_model(
            name, description=description, tags=tags, delete_tags=delete_tags))

    def update_model_version(self, name: str, version: int, *, description: str | None = None,
                             tags: Mapping[str, str] | None = None,
                             delete_tags: Iterable[str] = ()) -> ModelVersion:
        return self._remote(lambda: self.primary.update_model_version(
            name, version, description=description, tags=tags, delete_tags=delete_tags))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._remote(lambda: self.primary.get_model_version_by_alias(name, alias))

    def get_latest_model_version(self, name: str) -> ModelVersion:
        return self._remote(lambda: self.primary.get_latest_model_version(name))

    # -- beyond the contract -------------------------------------------------------------------
    def ping(self) -> None:
        """Check the remote store (see its ``ping``)."""
        ping = getattr(self.primary, "ping", None)
        if ping is not None:
            ping()

    def __getattr__(self, name: str) -> Any:
        # Store-specific extras (MLflowStore.mlflow_run_id, delete_run ...) of the primary.
        if name.startswith("_") or name == "primary":
            raise AttributeError(name)
        return getattr(self.primary, name)

    def close(self) -> None:
        self.primary.close()
        if self._local is not None:
            self._local.close()

    def __repr__(self) -> str:
        return f"FallbackStore({self.primary!r}, offline={self.local_uri or 'from options'})"
