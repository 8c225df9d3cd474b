"""The local store: a plain directory tree, the default (``~/.autolog``).

Layout (format version 1)::

    <root>/
      autolog-store.json          {"format": "autolog-local-store", "version": 1}
      runs/<run_id>/
        run.json                  RunInfo: id, experiment, name, status, times, parent, host, pid
        params.json               {name: value}
        tags.json                 {name: value}
        metrics.jsonl             one {"key", "value", "step", "timestamp"} object per line
        artifacts/<path>/...      artifacts; a model folder is artifacts/model/ (a run
                                  written whole without artifacts has no artifacts/)
      models/<name>/...           the model registry (see autolog.stores.local_registry)
      .staging/                   temporary folders, renamed into place when complete
      .index/                     derived, may be deleted: the runs index (SQLite) and the
                                  journal of runs written (see autolog.stores.local_index)

Guarantees: a run folder and every artifact folder appear whole or not at all (they are
built under ``.staging`` or a ``.tmp-*`` name and renamed in one step; the rename is atomic on
one file system). JSON files are replaced atomically (``os.replace``). Metric lines are
appended with one ``write`` each, and a reader skips a line cut short by a crash. A run left
``RUNNING`` by a process on this host that no longer exists reads back as ``KILLED``
(:mod:`autolog.liveness`; run.json is not changed). Each run is
written by one process, so several processes can share a store without locks; the registry
(which numbers versions across processes) takes a file lock. Nothing here needs a server, and
the tree survives ``rsync`` and shared file systems. No ``fsync``: a killed process loses
nothing that was renamed into place, a power cut may lose the last seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from autolog.errors import NotFoundError, StoreError
from autolog.fileio import write_text
from autolog.liveness import observed
from autolog.runs import Metric, Run, RunInfo
from autolog.stores.base import Store
from autolog.stores.jsonfiles import read_json as _read_json
from autolog.stores.jsonfiles import read_metrics, write_json_atomic
from autolog.stores.local_artifacts import LocalArtifactsMixin
from autolog.stores.local_index import RunIndex, note_runs
from autolog.stores.local_registry import LocalRegistryMixin
from autolog.stores.names import check_artifact_path, check_run_id

__all__ = ["LocalStore", "check_artifact_path", "check_run_id", "write_json_atomic"]

FORMAT = {"format": "autolog-local-store", "version": 1}
_MAX_OPEN_INFOS = 10_000


def _dump_json(path: str, data: Any) -> None:
    write_text(path, json.dumps(data, sort_keys=True, allow_nan=True))


def _metric_lines(metrics: Iterable[Metric]) -> str:
    return "".join(json.dumps({"key": m.key, "value": m.value, "step": m.step,
                               "timestamp": m.timestamp}) + "\n" for m in metrics)


class _Record:
    """A run's run.json, params, tags and metric lines in memory, written out at once."""

    __slots__ = ("dirty", "info", "lines", "params", "tags")

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.params: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.lines: list[str] = []
        self.dirty = True

    def add(self, params: Mapping[str, str], metrics: Iterable[Metric],
            tags: Mapping[str, str]) -> None:
        if params:
            self.params.update({str(k): str(v) for k, v in params.items()})
        if tags:
            self.tags.update({str(k): str(v) for k, v in tags.items()})
        lines = _metric_lines(metrics)
        if lines:
            self.lines.append(lines)
        self.dirty = True

    def write(self, folder: str) -> None:
        """Write the files into ``folder`` (not yet in readers' sight: plain writes)."""
        if not self.dirty:
            return
        _dump_json(os.path.join(folder, "run.json"), self.info)
        if self.params:
            _dump_json(os.path.join(folder, "params.json"), self.params)
        if self.tags:
            _dump_json(os.path.join(folder, "tags.json"), self.tags)
        if self.lines:
            write_text(os.path.join(folder, "metrics.jsonl"), "".join(self.lines))
        self.dirty = False


class LocalStore(LocalRegistryMixin, LocalArtifactsMixin, Store):
    """A store in a local (or shared) folder. See the module docstring for the layout; the
    artifacts part is in :mod:`autolog.stores.local_artifacts`, the registry part in
    :mod:`autolog.stores.local_registry`."""

    creates_whole_runs = True

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)
        self._ready = False
        # run.json of the runs this instance created and has not ended yet: each run is
        # written by one process, so its end need not read the file back.
        self._open_infos: dict[str, dict[str, Any]] = {}
        self._infos_lock = threading.Lock()
        self._index: RunIndex | None = None
        # Runs created with hold=True and not ended yet: run id -> (folder in .staging, record)
        self._held: dict[str, tuple[str, _Record]] = {}

    # -- paths --------------------------------------------------------------------------------
    def _ensure(self) -> None:
        if self._ready:
            return
        try:
            (self.root / "runs").mkdir(parents=True, exist_ok=True)
            (self.root / ".staging").mkdir(exist_ok=True)
            marker = self.root / "autolog-store.json"
            if not marker.exists():
                write_json_atomic(marker, FORMAT)
        except OSError as exc:
            raise StoreError(
                f"Cannot create the autolog store at {self.root}: {exc}. "
                "Choose a writable folder with enable(store=...) or AUTOLOG_STORE."
            ) from exc
        self._ready = True

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / check_run_id(run_id)

    def _existing_run_dir(self, run_id: str, reading: bool = False) -> Path:
        held = self._held.get(run_id)
        if held is not None:
            if reading:  # a reader of a held run (the registry) finds its files
                held[1].write(held[0])
            return Path(held[0])
        path = self.run_dir(run_id)
        if not (path / "run.json").is_file():
            raise NotFoundError(f"No run {run_id!r} in the store at {self.root}.")
        return path

    def _note(self, run_id: str) -> None:
        """Tell the index (through its journal) that the run changed; see local_index."""
        if run_id in self._held:
            return  # not in sight yet: its end is noted
        try:
            note_runs(self.root, (run_id,))
        except OSError:
            pass  # the index finds the change through the runs folder, or is rebuilt

    def run_index(self) -> RunIndex | None:
        """The store's index of its runs (see :mod:`autolog.stores.local_index`), or None
        when it cannot be kept (a read-only store): callers then read the folders."""
        if self._index is None:
            index = RunIndex(self.root)
            try:
                index.refresh()
            except (OSError, sqlite3.Error):
                return None
            self._index = index
        return self._index

    def staging_dir(self) -> Path:
        """A folder on the store's file system for building things that are renamed in."""
        self._ensure()
        return self.root / ".staging"

    # -- required -----------------------------------------------------------------------------
    def create_run(self, info: RunInfo) -> None:
        self.create_run_with(info)

    def create_run_with(self, info: RunInfo, params: Mapping[str, str] = {},  # noqa: B006
                        metrics: Iterable[Metric] = (), tags: Mapping[str, str] = {},  # noqa: B006
                        *, hold: bool = False) -> None:
        """The run folder with all its files, built under ``.staging`` and renamed in at once.

        With ``hold``, the folder stays in ``.staging`` until :meth:`update_run` ends the run:
        meanwhile its params, tags and metrics are kept in memory and its artifacts go straight
        into the folder, and at the end each file is written once and the folder renamed in.
        """
        self._ensure()
        final = self.run_dir(info.run_id)
        if final.exists() or info.run_id in self._held:
            raise StoreError(f"Run {info.run_id} already exists in {self.root}.")
        tmp = os.path.join(self.root, ".staging", f"run-{uuid.uuid4().hex}")
        record = _Record(info.to_dict())
        record.add(params, metrics, tags)
        try:
            os.mkdir(tmp)
            if hold:  # its artifacts folder is made with its first artifact, if any
                with self._infos_lock:
                    self._held[info.run_id] = (tmp, record)
                return
            os.mkdir(os.path.join(tmp, "artifacts"))
            # Plain writes: nobody sees the folder before the rename.
            record.write(tmp)
            os.rename(tmp, final)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"Cannot create run {info.run_id} in {self.root}: {exc}") from exc
        self._note(info.run_id)
        if info.end_time is None:
            with self._infos_lock:
                if len(self._open_infos) >= _MAX_OPEN_INFOS:
                    self._open_infos.pop(next(iter(self._open_infos)))
                self._open_infos[info.run_id] = record.info

    def update_run(self, run_id: str, status: str, end_time: int | None) -> None:
        with self._infos_lock:
            held = self._held.pop(run_id, None)
        if held is not None:
            self._publish(run_id, held[0], held[1], status, end_time)
            return
        path = self._existing_run_dir(run_id) / "run.json"
        with self._infos_lock:
            data = self._open_infos.pop(run_id, None)
        if data is None:
            data = _read_json(path)
        data["status"] = status
        data["end_time"] = end_time
        write_json_atomic(path, data)
        self._note(run_id)

    def _publish(self, run_id: str, tmp: str, record: _Record, status: str,
                 end_time: int | None) -> None:
        """Write a held run's files, with its end, and rename its folder into place."""
        try:
            record.info["status"], record.info["end_time"] = status, end_time
            record.write(tmp)
            os.rename(tmp, self.run_dir(run_id))
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"Cannot write run {run_id} in {self.root}: {exc}") from exc
        self._note(run_id)

    def _held_record(self, run_id: str) -> _Record | None:
        held = self._held.get(run_id)
        return held[1] if held is not None else None

    def _held_dir(self, run_id: str) -> str | None:
        """The folder in ``.staging`` of a run created with ``hold=True`` and not ended."""
        held = self._held.get(run_id)
        return held[0] if held is not None else None

    def log_batch(self, run_id: str, params: Mapping[str, str] = {},  # noqa: B006
                  metrics: Iterable[Metric] = (), tags: Mapping[str, str] = {}  # noqa: B006
                  ) -> None:
        record = self._held_record(run_id)
        if record is not None:
            record.add(params, metrics, tags)
            return
        run_dir = self._existing_run_dir(run_id)
        for name, values in (("params.json", params), ("tags.json", tags)):
            if values:
                path = run_dir / name
                merged = _read_json(path, {})
                merged.update({str(k): str(v) for k, v in values.items()})
                write_json_atomic(path, merged)
        lines = _metric_lines(metrics)
        if lines:
            # One write per batch in append mode: lines of one batch are never interleaved.
            with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
                fh.write(lines)
        self._note(run_id)

    def get_run(self, run_id: str) -> Run:
        run_dir = self._existing_run_dir(run_id, reading=True)
        info = observed(RunInfo.from_dict(_read_json(run_dir / "run.json")))
        history: dict[str, list[Metric]] = {}
        for metric in read_metrics(run_dir / "metrics.jsonl"):
            history.setdefault(metric.key, []).append(metric)
        for values in history.values():
            values.sort(key=lambda m: (m.step, m.timestamp))
        artifacts_dir = run_dir / "artifacts"
        artifacts = sorted(p.name for p in artifacts_dir.iterdir()
                           if not p.name.startswith(".tmp-")) if artifacts_dir.is_dir() else []
        model = artifacts_dir / "model" / "MLmodel"
        return Run(
            info=info,
            params=_read_json(run_dir / "params.json", {}),
            tags=_read_json(run_dir / "tags.json", {}),
            metrics={k: v[-1].value for k, v in history.items()},
            metric_history=history,
            artifacts=artifacts,
            model_path=str(model.parent) if model.is_file() else None,
        )

    def search_runs(self, experiment: str | None = None, max_results: int | None = None
                    ) -> list[Run]:
        infos = self._infos(experiment, max_results)
        if max_results is not None:
            infos = infos[:max_results]
        return [self.get_run(i.run_id) for i in infos]

    def search_run_infos(self, experiment: str | None = None) -> list[RunInfo]:
        """Run records only, newest first: no params, metrics or tags read (from the index
        when the store has one, else from every ``run.json``)."""
        return self._infos(experiment, None)

    def _infos(self, experiment: str | None, limit: int | None) -> list[RunInfo]:
        index = self.run_index()
        if index is not None:
            try:
                return index.infos(experiment, limit)
            except (OSError, sqlite3.Error):
                pass
        return self._scan_infos(experiment)

    def _scan_infos(self, experiment: str | None = None) -> list[RunInfo]:
        runs_dir = self.root / "runs"
        if not runs_dir.is_dir():
            return []
        infos = []
        for entry in os.scandir(runs_dir):
            # Plain str paths: for 10,000 runs, pathlib costs as much as reading the files.
            try:
                with open(os.path.join(entry.path, "run.json"), "rb") as fh:
                    data = json.loads(fh.read())
            except (FileNotFoundError, NotADirectoryError):
                continue
            info = observed(RunInfo.from_dict(data))
            if experiment is None or info.experiment == experiment:
                infos.append(info)
        infos.sort(key=lambda i: (i.start_time, i.run_id), reverse=True)
        return infos

    def list_experiments(self) -> list[str]:
        runs_dir = self.root / "runs"
        if not runs_dir.is_dir():
            return []
        names = set()
        for entry in os.scandir(runs_dir):
            data = _read_json(Path(entry.path) / "run.json")
            if data:
                names.add(data.get("experiment", ""))
        return sorted(names)
