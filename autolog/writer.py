"""The background writer: everything slow happens here, off the training thread.

One daemon thread drains a FIFO of jobs (metrics that need predictions, ONNX conversion, model
folder writes, store I/O). Jobs run in submission order, so "end the run" always follows the
writes of that run. The thread starts on the first job, so enabling autolog costs nothing.

:func:`flush` waits until every submitted job has run; :func:`autolog.disable` and interpreter
exit (``atexit``) call it. A job that raises becomes one warning (see :mod:`autolog.safety`); in
testing mode the first such error is re-raised by the next :func:`flush` instead.

Warnings that the writer's jobs cause (a model's ``predict`` in the training metrics, an ONNX
converter) are not shown: they are not the user's, and they must not land in a
``warnings.catch_warnings(record=True)`` list the training thread holds at that moment. The
warning filters are process-wide, so the writer never changes them (a ``catch_warnings`` there
would swap the filters of the training thread too); instead warnings are dropped where they are
shown, when the showing thread is the writer (``AutologWarning`` excepted).
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from autolog import patching, safety

__all__ = ["Writer", "flush", "get_writer", "submit"]

# How often a waiting flush() checks that the writer thread is still alive.
_POLL_S = 0.2
# Longest wait for queued jobs before a fork (a model folder or an ONNX conversion under way).
_FORK_WAIT_S = 60.0

# Set on the writer thread: warnings shown there are dropped (see the module docstring).
_thread_state = threading.local()
_hide_patch: Any = None


def _hide_writer_warnings(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                          kwargs: dict[str, Any]) -> Any:
    if getattr(_thread_state, "writer", False):
        message = args[0] if args else kwargs.get("msg")
        if not issubclass(getattr(message, "category", Warning), safety.AutologWarning):
            return None
    return wrapped(*args, **kwargs)


def _install_warning_hider() -> None:
    """Wrap ``warnings._showwarnmsg`` (what every warning goes through once the filters let it
    be shown, from Python and C code alike) once per process."""
    global _hide_patch
    if _hide_patch is None and hasattr(warnings, "_showwarnmsg"):
        _hide_patch = patching.wrap_attribute(warnings, "_showwarnmsg", _hide_writer_warnings)


class Writer:
    """A single background thread running jobs in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[str, Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.Queue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending_error: BaseException | None = None
        self._busy = False  # a job is running (read by drain_before_fork)
        self.synchronous = False

    def submit(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)``; ``what`` names the job in a warning if it fails."""
        if self.synchronous or threading.current_thread() is self._thread:
            self._run(what, fn, args)
            return
        self._ensure_thread()
        self._queue.put((what, fn, args))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until all submitted jobs ran. Returns False if ``timeout`` expired first.

        Raises:
            Exception: in testing mode, the first error a job raised since the last flush.
        """
        if self._thread is not None and threading.current_thread() is not self._thread:
            self._ensure_thread()  # a writer thread that died is replaced, its queue kept
            done = threading.Event()
            self._queue.put(("flush marker", done.set, ()))
            deadline = None if timeout is None else time.monotonic() + timeout
            # Wait in slices: a writer thread killed while the marker is queued (an async
            # exception between jobs) is replaced, so that flush never waits forever.
            while not done.wait(_POLL_S if deadline is None
                                else min(_POLL_S, max(0.0, deadline - time.monotonic()))):
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                self._ensure_thread()
        error, self._pending_error = self._pending_error, None
        if error is not None:
            raise error
        return True

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            died = self._thread is not None
            _install_warning_hider()
            self._thread = threading.Thread(target=self._loop, name="autolog-writer", daemon=True)
            self._thread.start()
        if died:
            self._report("the background writer thread", RuntimeError(
                "it was stopped from outside and has been restarted; queued records are kept, "
                "a job it was running may be lost"))

    def _loop(self) -> None:
        _thread_state.writer = True
        # The writer calls predict(), converts and exports models: none of that may record.
        with patching.suspended():
            while True:
                item = self._queue.get()
                if item is None:
                    return
                what, fn, args = item
                self._busy = True
                try:
                    self._run(what, fn, args)
                finally:
                    self._busy = False

    def _run(self, what: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            with patching.suspended():
                fn(*args)
        except BaseException as exc:  # noqa: BLE001 - a job's failure must never escape
            # BaseException too: a job runs user code (predict in the metrics), and a
            # SystemExit there would otherwise end this thread and leave flush() waiting.
            self._report(what, exc)

    def _report(self, what: str, exc: BaseException) -> None:
        try:
            safety.internal_error(what, exc)
        except BaseException as raised:  # testing mode: keep it for the next flush()
            if self._pending_error is None:
                self._pending_error = raised

    def reset_after_fork(self) -> None:
        """In a forked child the thread does not exist; start afresh with an empty queue."""
        self._queue = queue.Queue()
        self._thread = None
        self._lock = threading.Lock()
        self._pending_error = None

    def drain_before_fork(self, timeout: float = _FORK_WAIT_S) -> None:
        """Let queued jobs finish before the process forks (a ``multiprocessing`` pool).

        A job interrupted by the fork would leave the locks it held (the store cache, a
        store's own) locked forever in the child, which then hangs on its first record.
        Bounded, so that a job waiting on the forking thread cannot hang the fork.
        """
        thread = self._thread
        if thread is None or not thread.is_alive() or threading.current_thread() is thread:
            return
        if not self._busy and self._queue.empty():
            return  # idle: no lock can be held, the fork need not wait
        done = threading.Event()
        self._queue.put(("fork marker", done.set, ()))
        done.wait(timeout)


_writer = Writer()


def get_writer() -> Writer:
    return _writer


def submit(what: str, fn: Callable[..., Any], *args: Any) -> None:
    """Queue a job on the process's writer."""
    _writer.submit(what, fn, *args)


def flush(timeout: float | None = None) -> bool:
    """Wait until the process's writer has run every queued job."""
    return _writer.flush(timeout)


def _flush_at_exit() -> None:
    try:
        _writer.flush()
    except Exception as exc:  # noqa: BLE001 - never fail interpreter shutdown
        safety.warn(f"autolog: a record could not be written at exit ({exc}).")


atexit.register(_flush_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_writer.drain_before_fork,
                        after_in_child=_writer.reset_after_fork)
