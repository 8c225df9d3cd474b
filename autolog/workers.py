"""Worker processes: a parallel program records the same runs as its sequential version.

Under ``AUTOLOG=1`` every Python process turns autologging on, worker processes included:
joblib/loky workers, ``multiprocessing`` and ``concurrent.futures`` children (forked children
inherit the parent's state instead). The rule that keeps their runs right:

1. **A task records what the same call would record in the parent.** The re-entry guard
   ("inside an autologged fit, inner fits do not record") is a context variable, which neither
   threads nor processes inherit. So the joblib integration (``autolog_joblib``) captures it when
   ``joblib.Parallel`` is called and restores it around every task, wherever the task runs:
   the candidate fits of ``GridSearchCV(n_jobs=2)``, the members of
   ``VotingClassifier(n_jobs=2)`` or ``BaggingClassifier(n_jobs=2)`` record nothing, exactly as
   with ``n_jobs=1``, while a user's own top-level ``Parallel(...)(delayed(train)(c) ...)`` or
   ``Pool.map(train, ...)`` records one run per task, exactly as a loop would.
2. **A worker writes a run completely before its task returns** (see
   :func:`in_worker_process`): pools terminate their workers without running ``atexit``, so
   the background writer is flushed when a run ends in a worker. Runs still open when a
   worker exits normally (a PyTorch run ends with its program) are ended and written by a
   ``multiprocessing`` finalizer, since forked workers leave through ``os._exit``. A pool
   terminated by its ``with`` block kills its workers: end a PyTorch run in the task itself
   (``autolog.end_run()``) when the task function is the whole training.
3. **A forked child never writes into its parent's runs**: the parent's open runs are
   forgotten in the child, and a fit in the child under the parent's ``start_run()`` block
   becomes a child run of it (see :mod:`autolog.tracking`), where the sequential loop would
   log its first model into that run itself. The writer finishes its queued jobs before the
   process forks, so that no child inherits a lock held mid-write (:mod:`autolog.writer`).

A worker started without ``AUTOLOG=1`` (the parent called :func:`autolog.enable` in code and
the pool spawns fresh interpreters) does not record; call :func:`autolog.enable` in the
worker's initializer to record there too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

__all__ = ["in_worker_process", "watch_worker_exit"]

_watching_pid: int | None = None


def in_worker_process() -> bool:
    """True in a process started by ``multiprocessing``, loky or ``concurrent.futures``."""
    process = sys.modules.get("multiprocessing.process")
    # Worker start-up imports multiprocessing; a process that never did is not a worker.
    return process is not None and process.parent_process() is not None


def watch_worker_exit(finish: Callable[[], None]) -> None:
    """In a worker, call ``finish`` when the process exits (once per process): the caller,
    :mod:`autolog.tracking`, ends and writes the process's open runs there."""
    global _watching_pid
    if _watching_pid == os.getpid() or not in_worker_process():
        return
    _watching_pid = os.getpid()
    from multiprocessing import util

    util.Finalize(None, finish, exitpriority=100)
