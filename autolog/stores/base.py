"""The Store contract.

A store keeps runs (info, params, metrics with steps, tags) and their artifacts, model folders
among them. A backend implements the small *required* interface below; everything else
(``log_param``, ``log_metric``, ``set_tags``, ``get_model_path`` ...) is derived from it here.

Required:

* :meth:`Store.create_run` — record a new run.
* :meth:`Store.update_run` — change status and end time.
* :meth:`Store.log_batch` — params, metrics and tags of a run.
* :meth:`Store.log_artifacts` — put a complete local folder under the run's artifacts, in one
  step: readers see all of it or nothing.
* :meth:`Store.get_run` — one run, or :class:`~autolog.errors.NotFoundError`.
* :meth:`Store.search_runs` — runs of an experiment (or all), newest first.
* :meth:`Store.download_artifacts` — a local path holding a run's artifact.
* :meth:`Store.list_experiments` — experiment names.

Every backend passes one conformance suite (``tests/stores``).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from pathlib import Path

from autolog.runs import Metric, Run, RunInfo, now_ms

__all__ = ["Store"]


class Store(abc.ABC):
    """Where runs and model folders are kept. Subclasses implement the abstract methods."""

    #: The URI the store was opened with.
    uri: str = ""

    # -- required ---------------------------------------------------------------------------
    @abc.abstractmethod
    def create_run(self, info: RunInfo) -> None:
        """Record a new run. Raises StoreError if a run with that id exists."""

    @abc.abstractmethod
    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        """Set a run's status and end time. Raises NotFoundError for an unknown run."""

    @abc.abstractmethod
    def log_batch(self, run_id: str, params: Mapping[str, str] = (),  # type: ignore[assignment]
                  metrics: Iterable[Metric] = (), tags: Mapping[str, str] = ()  # type: ignore[assignment]
                  ) -> None:
        """Add params, metric values and tags to a run."""

    @abc.abstractmethod
    def log_artifacts(self, run_id: str, local_dir: Path, artifact_path: str) -> None:
        """Place the complete folder ``local_dir`` at ``artifact_path`` in the run, atomically."""

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """The run with its params, metrics (latest and history) and tags."""

    @abc.abstractmethod
    def search_runs(self, experiment: str | None = None, max_results: int | None = None
                    ) -> list[Run]:
        """Runs of ``experiment`` (all experiments when None), newest first."""

    @abc.abstractmethod
    def download_artifacts(self, run_id: str, artifact_path: str) -> Path:
        """A local path with the run's artifact (the store's own file for local stores)."""

    @abc.abstractmethod
    def list_experiments(self) -> list[str]:
        """Names of the experiments that have runs."""

    # -- derived ----------------------------------------------------------------------------
    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        self.log_batch(run_id, params=params)

    def log_param(self, run_id: str, key: str, value: str) -> None:
        self.log_batch(run_id, params={key: value})

    def log_metric(self, run_id: str, key: str, value: float, step: int = 0,
                   timestamp: int | None = None) -> None:
        self.log_batch(run_id, metrics=[Metric(key, value, step, timestamp or now_ms())])

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        self.log_batch(run_id, tags=tags)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self.log_batch(run_id, tags={key: value})

    def end_run(self, run_id: str, status: str) -> None:
        self.update_run(run_id, status, now_ms())

    def get_run_info(self, run_id: str) -> RunInfo:
        return self.get_run(run_id).info

    def close(self) -> None:
        """Release connections; the default has none."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"
