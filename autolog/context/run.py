"""A run's context: where it came from and what the machine did while it ran.

:mod:`autolog.tracking` calls :func:`run_started` when a run is created and
:func:`run_ending` when it ends. On the training thread these only take what is already at
hand (the cached source, the running notebook cell's text) and queue the rest:

* on the background writer, once per process and cached: the git state
  (:mod:`autolog.context.source`), the installed distributions
  (:mod:`autolog.context.packages`) and the hardware (:mod:`autolog.context.hardware`); per run
  the git tags and, for a run without a parent, the artifacts ``code/`` (``diff.patch``,
  ``untracked.txt``, ``notebook_cell.py``, as they apply) and ``environment/``
  (``pip-freeze.txt``, ``hardware.json``). A child run's context is its parent's.
* on the sampler thread: the system metrics (:mod:`autolog.context.sampler`).

:func:`read_context` gathers it back for ``autolog runs show`` and the UI's run page.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autolog.context import sampler as system_metrics
from autolog.context import source as source_info
from autolog.errors import AutologError
from autolog.runs import SYSTEM_METRIC_PREFIX, Run, is_system_metric

__all__ = ["CODE_ARTIFACT", "ENVIRONMENT_ARTIFACT", "FREEZE_FILE", "HARDWARE_FILE",
           "NOTEBOOK_CELL_FILE", "RunContext",
           "read_context", "run_ending", "run_started"]

CODE_ARTIFACT = "code"
ENVIRONMENT_ARTIFACT = "environment"
NOTEBOOK_CELL_FILE = "notebook_cell.py"
FREEZE_FILE = "pip-freeze.txt"
HARDWARE_FILE = "hardware.json"


def run_started(run: Any) -> None:
    """Queue the context of a new run (called on the thread that created it)."""
    from autolog.config import effective

    config = effective()
    source = source_info.process_source()
    top_level = run.info.parent_run_id is None
    cell = source_info.current_cell() if top_level and source.type == "NOTEBOOK" else None
    run.submit("recording the source and environment of run",
               functools.partial(_record, run.run_id, source, cell, config.log_git_diff,
                                 top_level))
    mode = config.log_system_metrics
    if mode != "off":
        system_metrics.attach(run, always=mode == "on", interval=config.system_metrics_interval)


def run_ending(run: Any) -> None:
    """The run ends: its last system metrics are written before its end."""
    system_metrics.detach(run)


def _record(run_id: str, source: source_info.Source, cell: str | None, with_diff: bool,
            top_level: bool, store: Any) -> None:
    """Writer job: git tags; for a top-level run, ``code/`` and ``environment/``."""
    from autolog.context import hardware
    from autolog.context import packages as installed

    git = source_info.git_state(source, with_diff)
    if git is not None:
        store.log_batch(run_id, tags=git.tags())
    if not top_level:
        return
    code: dict[str, str | bytes] = {}
    if git is not None:
        code.update(git.code_files())
    if cell is not None:
        code[NOTEBOOK_CELL_FILE] = cell
    if code:
        store.log_files(run_id, CODE_ARTIFACT, code)
    store.log_files(run_id, ENVIRONMENT_ARTIFACT, {
        FREEZE_FILE: installed.pip_freeze(),
        HARDWARE_FILE: json.dumps(hardware.describe(), indent=1, default=str) + "\n",
    })


@dataclass
class RunContext:
    """What a run recorded of its context, ready to display.

    Attributes:
        source: the script or notebook and the commit (None when not recorded).
        hardware: ``environment/hardware.json`` (None when absent).
        files: the context's artifact files, e.g. ``code/diff.patch``.
        system: one row per system metric (its name without ``system/``, the number of
            samples, the last, mean and largest value), by name.
    """

    source: source_info.SourceSummary | None = None
    hardware: dict[str, Any] | None = None
    files: list[str] = field(default_factory=list)
    system: list[dict[str, Any]] = field(default_factory=list)

    @property
    def artifacts(self) -> list[str]:
        """The top-level artifacts whose files :attr:`files` lists."""
        return sorted({f.partition("/")[0] for f in self.files})

    @property
    def hardware_text(self) -> str:
        from autolog.context.hardware import summary

        return summary(self.hardware) if self.hardware else ""


def _files(store: Any, run: Run) -> tuple[list[str], dict[str, Any] | None]:
    files: list[str] = []
    machine = None
    for artifact in (CODE_ARTIFACT, ENVIRONMENT_ARTIFACT):
        if artifact not in run.artifacts:
            continue
        try:
            folder = Path(store.download_artifacts(run.run_id, artifact))
        except (AutologError, OSError):
            continue
        files += sorted(f"{artifact}/{p.name}" for p in folder.iterdir() if p.is_file())
        if artifact == ENVIRONMENT_ARTIFACT and (folder / HARDWARE_FILE).is_file():
            try:
                machine = json.loads((folder / HARDWARE_FILE).read_text("utf-8"))
            except (OSError, ValueError):
                machine = None
    return files, machine if isinstance(machine, dict) else None


def read_context(run: Run, store: Any = None) -> RunContext:
    """The context ``run`` recorded: source, hardware and the summary of its system metrics.

    Parameters:
        store: where to read the run's ``code/`` and ``environment/`` artifacts from; without
            it only the tags and metrics are used.
    """
    rows = []
    for key in sorted(k for k in run.metrics if is_system_metric(k)):
        values = [m.value for m in run.metric_history.get(key, [])] or [run.metrics[key]]
        rows.append({"name": key[len(SYSTEM_METRIC_PREFIX):], "samples": len(values),
                     "last": values[-1], "mean": sum(values) / len(values),
                     "max": max(values)})
    files, machine = _files(store, run) if store is not None else ([], None)
    return RunContext(source=source_info.summarize(run.tags), hardware=machine, files=files,
                      system=rows)
