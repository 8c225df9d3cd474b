"""The background writer: everything slow happens here, off the training thread.

One daemon thread drains a FIFO of jobs (metrics that need predictions, ONNX conversion, model
folder writes, store I/O). Jobs run in submission order, so "end the run" always follows the
writes of that run. The thread starts on the first job, so enabling autolog costs nothing.

:func:`flush` waits until every submitted job has run; :func:`autolog.disable` and interpreter
exit (``atexit``) call it. A job that raises becomes one warning (see :mod:`autolog.safety`); in
testing mode the first such error is re-raised by the next :func:`flush` instead.

**The writer yields to training.** In CPython the writer and the training thread share one
GIL: a writer job running while a fit runs takes the GIL from the fit whenever the fit releases
it (a numpy call, a system call) and keeps it for up to the interpreter's switch interval
(5 ms). So while a fit is under way (:func:`training`, entered by integrations around the
user's fit), the writer holds back a job until the fits in progress end, or until the job has
waited :data:`MAX_DEFER_S`, which bounds both how stale the records get and how much is held
in memory. In a loop of small fits the records are then written between and after the fits
rather than in the middle of them; a flush, a fork or a full backlog never waits.

Warnings that the writer's jobs cause (a model's ``predict`` in the training metrics, an ONNX
converter) are not shown: they are not the user's, and they must not land in a
``warnings.catch_warnings(record=True)`` list the training thread holds at that moment. The
warning filters are process-wide, so the writer never changes them (a ``catch_warnings`` there
would swap the filters of the training thread too); instead warnings are dropped where they are
shown, when the showing thread is the writer (``AutologWarning`` excepted).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import os
import queue
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from autolog import patching, safety

__all__ = ["MAX_DEFER_S", "Writer", "flush", "get_writer", "submit", "training"]

# How often a waiting flush() checks that the writer thread is still alive.
_POLL_S = 0.2
# Longest wait for queued jobs before a fork (a model folder or an ONNX conversion under way).
_FORK_WAIT_S = 60.0
#: Longest time a job is held back while fits are running (see the module docstring).
MAX_DEFER_S = 2.0
# Jobs queued beyond this many are not held back (each holds a model snapshot).
_MAX_BACKLOG = 2000
# After the last fit ended, how long the writer waits for the next one of a loop to start.
_GRACE_S = 0.005
# How often a writer holding a job back looks whether the fits have ended.
_POLL_S_TRAINING = 0.1

# Runs written at once to a remote store (each run's jobs stay in order in its own lane).
_LANES = 4

_Job = tuple[str, Callable[..., Any], tuple[Any, ...], float, str | None]
_LaneJob = tuple[str, Callable[..., Any], tuple[Any, ...]]

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


def _on_writer() -> bool:
    """True on the writer's threads (its own and its lanes'): they run jobs inline."""
    return bool(getattr(_thread_state, "writer", False))


class _Lanes:
    """Jobs of different runs run at once, each run's in order (for a remote store, whose
    writes wait on the network: one run's requests no longer wait for another's).

    A lane is named by the run its jobs belong to; up to :data:`_LANES` daemon threads take
    the lanes that have jobs. :meth:`wait_idle` waits until every lane is done.
    """

    def __init__(self, run: Callable[[str, Callable[..., Any], tuple[Any, ...]], None]) -> None:
        self._run = run
        self._cond = threading.Condition()
        self._jobs: dict[str, collections.deque[_LaneJob]] = {}
        self._ready: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def put(self, lane: str, what: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        with self._cond:
            jobs = self._jobs.get(lane)
            start = jobs is None
            if jobs is None:
                jobs = self._jobs[lane] = collections.deque()
            jobs.append((what, fn, args))
            if start:
                self._ready.put(lane)
                self._threads = [t for t in self._threads if t.is_alive()]
                if len(self._threads) < min(_LANES, len(self._jobs)):
                    thread = threading.Thread(target=self._work, name="autolog-writer-lane",
                                              daemon=True)
                    self._threads.append(thread)
                    thread.start()

    def busy(self) -> bool:
        return bool(self._jobs)

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._jobs, timeout)

    def _work(self) -> None:
        _thread_state.writer = True
        with patching.suspended():
            while True:
                lane = self._ready.get()
                while True:
                    with self._cond:
                        jobs = self._jobs[lane]
                        if not jobs:
                            del self._jobs[lane]
                            self._cond.notify_all()
                            break
                        what, fn, args = jobs[0]
                    self._run(what, fn, args)
                    with self._cond:
                        jobs.popleft()


class Writer:
    """A single background thread running jobs in order (those of a remote store's runs in
    lanes, see :class:`_Lanes`)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending_error: BaseException | None = None
        self._busy = False  # a job is running (read by drain_before_fork)
        self._carried: _Job | None = None  # the job being held back (see _loop)
        self.synchronous = False
        # Fits in progress, and the callers waiting for the queue (flush, fork): while there
        # are fits and no waiters, jobs are held back (see the module docstring).
        self._state_lock = threading.Lock()
        self._training = 0
        self._waiters = 0
        self._last_end = 0.0
        self._wake = threading.Event()
        self._lanes = _Lanes(self._run)

    def submit(self, what: str, fn: Callable[..., Any], *args: Any,
               lane: str | None = None) -> None:
        """Queue ``fn(*args)``; ``what`` names the job in a warning if it fails.

        Jobs with a ``lane`` (a remote store's run) may run at the same time as other lanes'
        jobs, in order within their lane; a job without one runs after everything before it.
        """
        if self.synchronous or _on_writer():
            self._run(what, fn, args)
            return
        self._ensure_thread()
        self._queue.put((what, fn, args, time.monotonic(), lane))

    @contextlib.contextmanager
    def training(self) -> Iterator[None]:
        """Mark a fit in progress: queued jobs wait (bounded) until no fit is running."""
        self.training_started()
        try:
            yield
        finally:
            self.training_ended()

    def training_started(self) -> None:
        """Training began (a fit, an epoch): see :meth:`training`. Pair with training_ended."""
        with self._state_lock:
            self._training += 1

    def training_ended(self) -> None:
        """The training begun by :meth:`training_started` ended."""
        with self._state_lock:
            self._training = max(0, self._training - 1)
            self._last_end = time.monotonic()

    def _hold_back(self, queued: float) -> None:
        """Wait while fits run, until the job queued at ``queued`` has waited MAX_DEFER_S.

        The writer looks every :data:`_POLL_S_TRAINING` (a fit's end does not wake it: each
        wake-up would take the GIL from the next fit) and goes on once no fit has run for
        :data:`_GRACE_S` (in a loop the next fit starts right away); a flush or a fork wakes
        it at once.
        """
        while not self._waiters:
            now = time.monotonic()
            remaining = queued + MAX_DEFER_S - now
            if remaining <= 0 or self._queue.qsize() > _MAX_BACKLOG:
                return
            if not self._training and now - self._last_end >= _GRACE_S:
                return
            self._wake.wait(min(_POLL_S_TRAINING, remaining))

    def _wait_start(self) -> None:
        with self._state_lock:
            self._waiters += 1
            self._wake.set()

    def _wait_end(self) -> None:
        with self._state_lock:
            self._waiters -= 1
            if not self._waiters:
                self._wake.clear()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until all submitted jobs ran. Returns False if ``timeout`` expired first.

        Raises:
            Exception: in testing mode, the first error a job raised since the last flush.
        """
        if self._thread is not None and not _on_writer():
            self._ensure_thread()  # a writer thread that died is replaced, its queue kept
            done = threading.Event()
            self._wait_start()
            try:
                self._queue.put(("flush marker", done.set, (), time.monotonic(), None))
                deadline = None if timeout is None else time.monotonic() + timeout
                # Wait in slices: a writer thread killed while the marker is queued (an async
                # exception between jobs) is replaced, so that flush never waits forever.
                while not done.wait(_POLL_S if deadline is None
                                    else min(_POLL_S, max(0.0, deadline - time.monotonic()))):
                    if deadline is not None and time.monotonic() >= deadline:
                        return False
                    self._ensure_thread()
            finally:
                self._wait_end()
        error, self._pending_error = self._pending_error, None
        if error is not None:
            raise error
        return True

    def start(self) -> None:
        """Start the writer thread now if it is not running (it starts on the first job
        otherwise); for integrations that know training is about to begin."""
        if not self.synchronous:
            self._ensure_thread()

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
                # A job taken by a writer thread that was stopped while holding it back.
                item, self._carried = self._carried, None
                if item is None:
                    item = self._carried = self._queue.get()
                if item is None:
                    return
                what, fn, args, queued, lane = item
                self._hold_back(queued)
                self._carried = None
                if lane is not None:
                    self._lanes.put(lane, what, fn, args)
                    continue
                self._lanes.wait_idle()  # a job without a lane follows every lane's jobs
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
        self._carried = None
        self._thread = None
        self._lock = threading.Lock()
        self._pending_error = None
        self._state_lock = threading.Lock()
        self._training = self._waiters = 0
        self._last_end = 0.0
        self._wake = threading.Event()
        self._lanes = _Lanes(self._run)

    def drain_before_fork(self, timeout: float = _FORK_WAIT_S) -> None:
        """Let queued jobs finish before the process forks (a ``multiprocessing`` pool).

        A job interrupted by the fork would leave the locks it held (the store cache, a
        store's own) locked forever in the child, which then hangs on its first record.
        Bounded, so that a job waiting on the forking thread cannot hang the fork.
        """
        thread = self._thread
        if thread is None or not thread.is_alive() or threading.current_thread() is thread:
            return
        if not self._busy and self._queue.empty() and not self._lanes.busy():
            return  # idle: no lock can be held, the fork need not wait
        done = threading.Event()
        self._wait_start()
        try:
            self._queue.put(("fork marker", done.set, (), time.monotonic(), None))
            done.wait(timeout)
        finally:
            self._wait_end()


_writer = Writer()


def _configured_synchronous() -> bool:
    """``async_logging=False`` of an enable() that ran before this module was imported."""
    from autolog.config import current

    config = current()
    return config is not None and not config.async_logging


_writer.synchronous = _configured_synchronous()


def get_writer() -> Writer:
    return _writer


def submit(what: str, fn: Callable[..., Any], *args: Any, lane: str | None = None) -> None:
    """Queue a job on the process's writer (see :meth:`Writer.submit`)."""
    _writer.submit(what, fn, *args, lane=lane)


def flush(timeout: float | None = None) -> bool:
    """Wait until the process's writer has run every queued job."""
    return _writer.flush(timeout)


def training() -> contextlib.AbstractContextManager[None]:
    """``with writer.training(): <the user's fit>`` — the writer holds back while it runs."""
    return _writer.training()


def _flush_at_exit() -> None:
    try:
        _writer.flush()
    except Exception as exc:  # noqa: BLE001 - never fail interpreter shutdown
        safety.warn(f"autolog: a record could not be written at exit ({exc}).")


atexit.register(_flush_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_writer.drain_before_fork,
                        after_in_child=_writer.reset_after_fork)
