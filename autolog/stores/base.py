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

Registry (named models with integer versions; see :mod:`autolog.registry`). A backend without a
registry may leave these out: the defaults raise :class:`~autolog.errors.StoreError`. A backend
with one implements all of them:

* :meth:`Store.create_model_version` — the next version of a name, numbered atomically.
* :meth:`Store.get_model_version`, :meth:`Store.search_model_versions`,
  :meth:`Store.delete_model_version`, :meth:`Store.download_model_version`.
* :meth:`Store.get_registered_model`, :meth:`Store.search_registered_models`,
  :meth:`Store.delete_registered_model`.
* :meth:`Store.set_model_alias`, :meth:`Store.delete_model_alias`.
* :meth:`Store.update_registered_model`, :meth:`Store.update_model_version` — descriptions
  and tags.

Derived: :meth:`Store.get_model_version_by_alias`, :meth:`Store.get_latest_model_version`.

Optional: :meth:`Store.log_inputs` records the datasets a run was evaluated on where the
backend has a place for them (MLflow's run inputs); the default keeps them in the run's tags
only, which :func:`autolog.evaluate` writes anyway.
Names reaching a backend have passed :func:`autolog.registry.check_model_name` and
:func:`autolog.registry.check_alias`; versions are ``int``.

Derived, and overridden where a backend can do them in fewer steps: :meth:`Store.create_run_with`
(a run with its first params, metrics and tags), :meth:`Store.log_files` (an artifact folder
from contents in memory).

Every backend passes one conformance suite (``tests/stores``).
"""

from __future__ import annotations

import abc
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autolog.errors import NotFoundError, StoreError
from autolog.runs import Metric, Run, RunInfo, now_ms

if TYPE_CHECKING:
    from autolog.registry.records import ModelVersion, RegisteredModel

__all__ = ["DatasetInput", "Store", "write_files"]


def write_files(folder: Path, files: Mapping[str, bytes | str]) -> None:
    """Create ``folder`` and write ``files`` (relative name -> bytes, or text as UTF-8) in it."""
    import os

    from autolog.fileio import write_bytes

    folder.mkdir()
    for name, content in files.items():
        path = folder / name
        if os.sep in name or "/" in name:
            path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, content.encode("utf-8") if isinstance(content, str) else content)


@dataclass(frozen=True)
class DatasetInput:
    """A dataset a run used: MLflow's ``Dataset`` with its context (``evaluation``).

    Attributes:
        name: the dataset's name (``holdout``).
        digest: a short digest of its contents.
        source: where it came from, free text (JSON for MLflow's ``code`` source type).
        schema: its columns or shape (JSON), or None.
        profile: counts and sizes (JSON), or None.
        context: what the run did with it; MLflow shows it as ``mlflow.data.context``.
    """

    name: str
    digest: str
    source: str
    schema: str | None = None
    profile: str | None = None
    context: str = "evaluation"


class Store(abc.ABC):
    """Where runs and model folders are kept. Subclasses implement the abstract methods."""

    #: The URI the store was opened with.
    uri: str = ""
    #: True when :meth:`create_run_with` writes all or nothing (a failure leaves no run) and
    #: honours ``hold``. Otherwise the background writer creates a run and logs its first batch
    #: as two steps, so that a batch that fails after the run exists does not cost the run's
    #: later writes.
    creates_whole_runs: bool = False

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

    # -- registry: required when the backend has a registry --------------------------------
    def _no_registry(self) -> StoreError:
        return StoreError(f"The store {self.uri!r} ({type(self).__name__}) has no model "
                          "registry. Use a local folder or an MLflow tracking server.")

    def create_model_version(self, draft: ModelVersion, model_dir: Path) -> ModelVersion:
        """Add the next version of ``draft.name``, creating the registered model if needed.

        Parameters:
            draft: every field of the new version except ``version``, ``created_time``,
                ``updated_time`` and ``aliases``, which the store assigns (``draft.version`` is
                ignored). ``draft.source`` is the URI the model was registered from
                (``runs:/<run_id>/<path>``, ``models:/...`` or a folder path).
            model_dir: a complete local model folder (MLmodel inside) with the version's
                contents. A store that cannot point at ``draft.source`` copies or uploads it.

        Every field of ``draft`` must come back from the read methods. A backend that cannot
        keep the fields computed at registration (``signature``, ``metrics``, ``params``,
        ``formats``, ``onnx_parity``, ``size_bytes``, ``model_class``, ``run_name``,
        ``experiment``) may store them as one JSON tag, or recompute them on read with
        :func:`autolog.registry.describe_model_folder` (folder + source run).

        Returns:
            The stored version, ``version`` set: 1 for a new name, otherwise one more than the
            highest number *ever* given to that name. Numbers are never reused, even after
            versions (or the whole model) are deleted, and concurrent calls from several
            processes get distinct numbers. The version appears whole or not at all.

        Raises:
            StoreError: the version could not be written (nothing is left behind).
        """
        raise self._no_registry()

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """Version ``version`` of ``name``, with its aliases.

        Raises:
            NotFoundError: no such model or version (the message names both).
        """
        raise self._no_registry()

    def search_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        """Versions of ``name`` (of every model when None), by name then version ascending.

        An unknown name gives an empty list.
        """
        raise self._no_registry()

    def delete_model_version(self, name: str, version: int) -> None:
        """Delete one version and every alias pointing at it; its number is not reused.

        Raises:
            NotFoundError: no such model or version.
        """
        raise self._no_registry()

    def download_model_version(self, name: str, version: int) -> Path:
        """A local folder holding the version's model (MLmodel inside); read-only for callers.

        Raises:
            NotFoundError: no such model or version.
        """
        raise self._no_registry()

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The registered model ``name``: description, tags, aliases, latest version.

        Raises:
            NotFoundError: no model of that name (deleted models are gone).
        """
        raise self._no_registry()

    def search_registered_models(self) -> list[RegisteredModel]:
        """Every registered model, sorted by name."""
        raise self._no_registry()

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions and aliases. A later registration of the
        same name continues the old numbering (local store) or starts at 1 where the backend
        cannot remember (document which).

        Raises:
            NotFoundError: no model of that name.
        """
        raise self._no_registry()

    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` of ``name`` at ``version``, moving it if it pointed elsewhere.

        Raises:
            NotFoundError: no such model or version.
        """
        raise self._no_registry()

    def delete_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias.

        Raises:
            NotFoundError: no such model, or the model has no such alias.
        """
        raise self._no_registry()

    def update_registered_model(self, name: str, *, description: str | None = None,
                                tags: Mapping[str, str] | None = None,
                                delete_tags: Iterable[str] = ()) -> RegisteredModel:
        """Change a model's description (None keeps it), set and delete tags.

        Returns:
            The updated model.

        Raises:
            NotFoundError: no model of that name.
        """
        raise self._no_registry()

    def update_model_version(self, name: str, version: int, *, description: str | None = None,
                             tags: Mapping[str, str] | None = None,
                             delete_tags: Iterable[str] = ()) -> ModelVersion:
        """Change a version's description (None keeps it), set and delete tags.

        Returns:
            The updated version.

        Raises:
            NotFoundError: no such model or version.
        """
        raise self._no_registry()

    # -- registry: derived ---------------------------------------------------------------------
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version that ``alias`` of ``name`` points at.

        Raises:
            NotFoundError: no such model or alias (the message lists the model's aliases).
        """
        model = self.get_registered_model(name)
        if alias not in model.aliases:
            known = ", ".join(sorted(model.aliases)) or "none"
            raise NotFoundError(f"Model {name!r} has no alias {alias!r} (aliases: {known}).")
        return self.get_model_version(name, model.aliases[alias])

    def get_latest_model_version(self, name: str) -> ModelVersion:
        """The highest-numbered existing version of ``name``.

        Raises:
            NotFoundError: no model of that name, or it has no versions left.
        """
        versions = self.search_model_versions(name)
        if not versions:
            raise NotFoundError(f"No registered model {name!r} with any version in {self.uri}.")
        return max(versions, key=lambda v: v.version)

    # -- derived ----------------------------------------------------------------------------
    def create_run_with(self, info: RunInfo, params: Mapping[str, str] = {},  # noqa: B006
                        metrics: Iterable[Metric] = (), tags: Mapping[str, str] = {},  # noqa: B006
                        *, hold: bool = False) -> None:
        """Create a run together with its first params, metrics and tags.

        :meth:`create_run` then :meth:`log_batch`; a backend that can write them in one step
        overrides it (the background writer creates most runs with everything logged so far,
        and an ended ``info`` when the run ended before it was written).

        ``hold=True`` (only with ``creates_whole_runs``): ``info`` is the run's end already and
        more writes of the run follow; the store may keep the run out of readers' sight until
        :meth:`update_run` gives that end, so that the run appears whole.
        """
        self.create_run(info)
        if params or tags or metrics:
            self.log_batch(info.run_id, params=params, metrics=metrics, tags=tags)

    def log_files(self, run_id: str, artifact_path: str, files: Mapping[str, bytes | str]
                  ) -> None:
        """Put ``files`` (relative name -> content; text is written as UTF-8) in one artifact
        folder of the run, in one step like :meth:`log_artifacts`.

        The default builds the folder in a temporary directory and hands it to
        :meth:`log_artifacts`; a backend with its own staging area overrides it.
        """
        work = Path(tempfile.mkdtemp(prefix="autolog-files-"))
        try:
            folder = work / "artifact"
            write_files(folder, files)
            self.log_artifacts(run_id, folder, artifact_path)
        finally:
            shutil.rmtree(work, ignore_errors=True)

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

    def search_run_infos(self, experiment: str | None = None) -> list[RunInfo]:
        """The :class:`RunInfo` of every run of ``experiment`` (all when None), newest first.

        A cheap listing for callers that page through many runs and read only the shown ones
        in full (``autolog ui``). The default reads whole runs; a backend that can list run
        records without their params, metrics and tags overrides it.
        """
        return [run.info for run in self.search_runs(experiment)]

    def run_index(self) -> Any:
        """An index of the store's runs that answers listings without reading every run
        (:class:`autolog.stores.local_index.RunIndex` for the local store), or None: callers
        then list through :meth:`search_run_infos` and :meth:`get_run`."""
        return None

    def staging_dir(self) -> Path | None:
        """A folder on the store's own file system where a model folder is built and then
        renamed into its run (so that it appears whole or not at all), or None: the folder is
        built in a temporary folder and handed to :meth:`log_artifacts`."""
        return None

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:  # noqa: B027
        """Record ``datasets`` as inputs of the run, where the backend keeps such records
        (MLflow's run inputs). The default does nothing: the run's tags hold them."""

    def close(self) -> None:  # noqa: B027 - an optional hook, not a required method
        """Release connections; the default has none."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"
