"""A run's context: where it came from and what the machine did while it ran.

:mod:`autolog.tracking` calls :func:`run_started` when a run is created and
:func:`run_ending` when it ends. On the training thread these only take what is already at
hand (the cached source, the running notebook cell's text) and queue the rest:

* on the background writer, once per process and cached: the git state
  (:mod:`autolog.source_info`), the installed distributions (:mod:`autolog.installed`) and
  the hardware (:mod:`autolog.hardware`); per run the git tags and, for a run without a parent,
  the artifacts ``code/`` (``diff.patch``, ``untracked.txt``, ``notebook_cell.py``, as they
  apply) and ``environment/`` (``pip-freeze.txt``, ``hardware.json``). A child run's context
  is its parent's.
* on the sampler thread: the system metrics (:mod:`autolog.system_metrics`).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from autolog import hardware, installed, source_info, system_metrics

__all__ = ["CODE_ARTIFACT", "ENVIRONMENT_ARTIFACT", "NOTEBOOK_CELL_FILE", "run_ending",
           "run_started"]

CODE_ARTIFACT = "code"
ENVIRONMENT_ARTIFACT = "environment"
NOTEBOOK_CELL_FILE = "notebook_cell.py"


def run_started(run: Any) -> None:
    """Queue the context of a new run (called on the thread that created it)."""
    from autolog import activation

    config = activation.current_config() or activation.effective_config()
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
        installed.FREEZE_FILE: installed.pip_freeze(),
        hardware.HARDWARE_FILE: json.dumps(hardware.describe(), indent=1, default=str) + "\n",
    })
