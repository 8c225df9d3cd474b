"""Active runs in this process: :func:`start_run`, :func:`end_run`, :func:`active_run`.

An :class:`ActiveRun` is a handle; every write it makes goes through the background writer to
the store, in order, so the training thread never waits on I/O. If one write of a run fails
(store unreachable, disk full), that is one warning; the run's later writes are still tried
(so that it ends FINISHED or FAILED, not RUNNING) and their failures are not reported again.
If the run could not be created at all, its later writes are skipped.

Grouping rule: inside ``with autolog.start_run(name=...)``, the first autologged model logs
into that run (params, metrics, ``model/``); each further autologged fit in the same block
becomes a child run of it, so that nothing is overwritten.
"""

from __future__ import annotations

import atexit
import contextvars
import dataclasses
import functools
import getpass
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from autolog import config as config_mod
from autolog import safety, writer
from autolog.context import run as run_context  # here, not at a run's start: the first step
from autolog.liveness import hostname as _host
from autolog.runs import FAILED, FINISHED, RUNNING, Metric, Run, RunInfo, new_run_id, now_ms
from autolog.stores import current_store, open_store, parse_store_uri
from autolog.workers import in_worker_process, watch_worker_exit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from autolog.stores.base import Store

__all__ = ["ActiveRun", "active_run", "add_end_run_hook", "end_open_runs", "end_run", "last_runs",
           "remove_end_run_hook", "start_run"]

_current: contextvars.ContextVar[ActiveRun | None] = contextvars.ContextVar(
    "autolog_active_run", default=None
)
_open: dict[str, ActiveRun] = {}
_open_lock = threading.Lock()
# Runs whose record was completed, newest last (the notebook summary reads these).
_finished_log: list[str] = []
# Called by end_run() so that integrations holding implicit runs (torch) can close them.
# Called when runs end through end_run()/end_open_runs(): integrations' on_end_run methods,
# registered by autolog.integration.Integration.activate (not a module global to append to).
_end_run_hooks: list[Callable[[], None]] = []


def add_end_run_hook(hook: Callable[[], None]) -> None:
    """Call ``hook()`` whenever :func:`end_run` or :func:`end_open_runs` runs (once per hook)."""
    if hook not in _end_run_hooks:
        _end_run_hooks.append(hook)


def remove_end_run_hook(hook: Callable[[], None]) -> None:
    """Undo :func:`add_end_run_hook` (a hook not added is ignored)."""
    if hook in _end_run_hooks:
        _end_run_hooks.remove(hook)


@functools.lru_cache(maxsize=1)
def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return ""


@functools.lru_cache(maxsize=16)
def _remote(store_uri: str) -> bool:
    """Whether a store URI names a store other than a local folder (a tracking server)."""
    try:
        return parse_store_uri(store_uri)[0] != "file"
    except ValueError:
        return False


def default_tags() -> dict[str, str]:
    """Tags every run gets: its source and user (MLflow's names), host, Python version."""
    from autolog.context import source as source_info

    return {**source_info.process_source().tags(), source_info.USER: _user(),
            "autolog.host": _host(), "autolog.python_version": sys.version.split()[0]}


class ActiveRun:
    """A run being recorded in this process."""

    def __init__(self, name: str, experiment: str, store_uri: str,
                 parent: ActiveRun | None = None, tags: Mapping[str, str] | None = None,
                 user_created: bool = False) -> None:
        self.info = RunInfo(run_id=new_run_id(), experiment=experiment, name=name,
                            parent_run_id=parent.run_id if parent else None,
                            host=_host(), pid=os.getpid())
        self.store_uri = store_uri
        # A remote store's runs are written in lanes (see autolog.writer): a run and its
        # children in one, so that a child finds its parent created.
        remote = _remote(store_uri)
        self._lane: str | None = (
            (parent._lane if parent is not None else self.info.run_id) if remote else None)
        if remote:  # its backend imported here, on the user's thread, never on the writer's
            from autolog.stores import import_backend

            import_backend(store_uri)
        self.user_created = user_created
        self.has_model = False
        self.ended = False
        # Called with the status when the run ends, before its end is written (an integration
        # that logs into this run, e.g. PyTorch's, finishes its record there).
        self.end_callbacks: list[Callable[[str], None]] = []
        self._broken = False
        self._created = False
        self._failed = False
        self._token: contextvars.Token[ActiveRun | None] | None = None
        # Params, tags and metrics logged in a burst are coalesced into one store write.
        self._pending_lock = threading.Lock()
        self._pending_params: dict[str, str] = {}
        self._pending_tags: dict[str, str] = {}
        self._pending_metrics: list[Metric] = []
        # The creating job writes what is pending when it runs: no write job is queued before.
        self._write_queued = True
        # Jobs queued through submit() and not yet run, and the end once it is queued: a run
        # that has ended with nothing else queued is written whole when it is created.
        self._jobs = 0
        self._end: tuple[str, int | None] | None = None
        self._end_written = False
        with _open_lock:
            _open[self.run_id] = self
        watch_worker_exit(_finish_worker)  # a forked worker exits without atexit
        self._created_info = dataclasses.replace(self.info)
        self._submit("creating run", self._create, creates=True)
        if tags:
            self.set_tags(tags)
        with safety.guard(f"recording the context of run {self.run_id[:8]}"):
            run_context.run_started(self)  # source, git, environment, system metrics

    @property
    def run_id(self) -> str:
        return self.info.run_id

    def store(self) -> Store:
        return open_store(self.store_uri)

    def _submit(self, what: str, job: Callable[[Store], None], creates: bool = False) -> None:
        def run_job() -> None:
            if self._broken:
                self._drop_pending()
                return
            try:
                job(self.store())
            except BaseException:
                # One warning per run: the first failure is reported; after it the run's
                # remaining writes are still tried (its end status above all), quietly. A run
                # that could not be created skips them: they would all fail.
                reported, self._failed = self._failed, True
                self._broken = creates and not self._created
                if not reported:
                    raise

        writer.submit(f"{what} {self.run_id[:8]}", run_job, lane=self._lane)

    def submit(self, what: str, job: Callable[[Store], None]) -> None:
        """Queue ``job(store)`` on the writer (skipped if the run could not be created; after
        an earlier failed write of this run, a failure of this job is not reported again)."""
        with self._pending_lock:
            self._jobs += 1

        def counted(store: Store) -> None:
            try:
                job(store)
            finally:
                with self._pending_lock:
                    self._jobs -= 1

        self._submit(what, counted)

    def _create(self, store: Store) -> None:
        """Writer job: the run, with what was logged until now (and its end, if it ended with
        no other job of it queued)."""
        info = self._created_info
        whole = store.creates_whole_runs
        hold = False
        # The process's tags are read here, on the writer: the user name alone can take
        # milliseconds (a directory service), which the run's first step must not wait for.
        defaults = default_tags()
        with self._pending_lock:
            params, self._pending_params = self._pending_params, {}
            tags, self._pending_tags = {**defaults, **self._pending_tags}, {}
            metrics, self._pending_metrics = self._pending_metrics, []
            self._write_queued = False
            if self._end is not None and (self._jobs == 0 or whole):
                info = dataclasses.replace(info, status=self._end[0], end_time=self._end[1])
                # With jobs still queued (a model folder), a store that writes whole runs
                # keeps this one out of sight until the end job; otherwise it is complete.
                hold = self._jobs > 0
                self._end_written = not hold
        if whole:
            store.create_run_with(info, params=params, metrics=metrics, tags=tags, hold=hold)
            return
        # Two steps: a batch that fails after the run exists must not cost its later writes.
        store.create_run(info)
        self._created = True
        if params or tags or metrics:
            store.log_batch(self.run_id, params=params, metrics=metrics, tags=tags)

    def _drop_pending(self) -> None:
        """A run that could not be created keeps nothing: later logs would only pile up."""
        with self._pending_lock:
            self._pending_params.clear()
            self._pending_tags.clear()
            self._pending_metrics.clear()
            self._write_queued = False

    def _queue_write(self) -> None:
        with self._pending_lock:
            if self._broken:
                self._pending_params.clear()
                self._pending_tags.clear()
                self._pending_metrics.clear()
                return
            if self._write_queued:
                return
            self._write_queued = True
        self._submit("logging params, metrics and tags of run", self._write_pending)

    def _write_pending(self, store: Store) -> None:
        with self._pending_lock:
            params, self._pending_params = self._pending_params, {}
            tags, self._pending_tags = self._pending_tags, {}
            metrics, self._pending_metrics = self._pending_metrics, []
            self._write_queued = False
        if params or tags or metrics:
            store.log_batch(self.run_id, params=params, metrics=metrics, tags=tags)

    def log_params(self, params: Mapping[str, Any]) -> None:
        with self._pending_lock:
            self._pending_params.update({str(k): str(v) for k, v in params.items()})
        self._queue_write()

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0,
                    timestamp: int | None = None) -> None:
        ts = now_ms() if timestamp is None else timestamp
        batch = [Metric(str(k), float(v), step, ts) for k, v in metrics.items()]
        with self._pending_lock:
            self._pending_metrics.extend(batch)
        self._queue_write()

    def log_metric(self, key: str, value: float, step: int = 0) -> None:
        self.log_metrics({key: value}, step=step)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        with self._pending_lock:
            self._pending_tags.update({str(k): str(v) for k, v in tags.items()})
        self._queue_write()

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def record_system_metrics(self) -> None:
        """Record this run's system metrics whatever its length (with the default option
        ``log_system_metrics=auto``, only runs lasting one interval get them otherwise)."""
        from autolog.context import sampler as system_metrics

        system_metrics.watch_always(self)

    def end(self, status: str = FINISHED) -> None:
        """End the run (idempotent)."""
        if self.ended:
            return
        self.ended = True
        for callback in list(self.end_callbacks):
            with safety.guard(f"finishing the record of run {self.run_id[:8]}"):
                callback(status)
        with safety.guard(f"ending the system metrics of run {self.run_id[:8]}"):
            run_context.run_ending(self)
        self.info.status = status
        self.info.end_time = now_ms()
        end_time = self.info.end_time

        def finish(store: Store) -> None:
            if not self._end_written:
                store.update_run(self.run_id, status, end_time)
            _finished_log.append(self.run_id)

        with self._pending_lock:
            self._end = (status, end_time)
        self._submit("ending run", finish)
        with _open_lock:
            _open.pop(self.run_id, None)
        if in_worker_process():
            # A pool may terminate its worker as soon as the task returns: write the run now.
            writer.flush()

    def get(self) -> Run:
        """Flush and read the run back from the store."""
        writer.flush()
        return self.store().get_run(self.run_id)

    # -- context manager ------------------------------------------------------------------
    def __enter__(self) -> ActiveRun:
        self._token = _current.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        self.end(FAILED if exc_type is not None else FINISHED)

    def __repr__(self) -> str:
        return f"<ActiveRun {self.run_id} {self.info.name!r} {self.info.status}>"

    def _repr_html_(self) -> str:
        return self.get()._repr_html_()


def start_run(name: str | None = None, experiment: str | None = None,
              tags: Mapping[str, str] | None = None, nested: bool = True) -> ActiveRun:
    """Start a run; use it as a context manager to group the fits inside it.

    Parameters:
        name: run name (default: ``run-<time>``).
        experiment: experiment name (default: the ``experiment`` option).
        tags: extra tags.
        nested: when a run is already active, make the new one its child.

    Returns:
        The :class:`ActiveRun`; ``with`` ends it as FINISHED, or FAILED on an exception.
    """
    config = config_mod.effective()
    parent = _current.get() if nested else None
    run = ActiveRun(name or f"run-{now_ms()}", experiment or config.experiment,
                    config.store_uri, parent=parent, tags=tags, user_created=True)
    return run


def active_run() -> ActiveRun | None:
    """The run opened by the innermost ``with start_run()`` in this context, if any."""
    return _current.get()


def end_run(status: str = FINISHED) -> None:
    """End the innermost active run and any run an integration holds open (e.g. PyTorch's)."""
    for hook in list(_end_run_hooks):
        with safety.guard("ending an integration's open run"):
            hook()
    run = _current.get()
    if run is not None:
        run.end(status)


def end_open_runs() -> None:
    """End every run still open in this process (at disable() and interpreter exit)."""
    for hook in list(_end_run_hooks):
        with safety.guard("ending an integration's open run"):
            hook()
    with _open_lock:
        runs = list(_open.values())
    for run in runs:
        run.end(FINISHED if run.info.status == RUNNING else run.info.status)


def last_runs(since: int = 0) -> list[str]:
    """Ids of runs completed by this process, from position ``since`` on."""
    return _finished_log[since:]


def _finish_worker() -> None:
    """At a worker process's exit (see :mod:`autolog.workers`): end and write its open runs."""
    with safety.guard("ending the runs of a worker process at its exit"):
        end_open_runs()
        writer.flush()


# atexit runs last-registered first: this runs before the writer's final flush (registered
# when autolog.writer was imported above), so open runs are ended and then written.
atexit.register(end_open_runs)


def _after_fork_in_child() -> None:
    # A forked child must not end (and so write) its parent's runs, nor log a model into the
    # run it inherited as active (two children would overwrite it): its fits become child runs.
    _open.clear()
    inherited = _current.get()
    if inherited is not None:
        inherited.has_model = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def get_run(run_id: str) -> Run:
    """A run from the current store (pending writes are flushed first)."""
    writer.flush()
    return current_store().get_run(run_id)


def search_runs(experiment: str | None = None, max_results: int | None = None) -> list[Run]:
    """Runs of the current store, newest first (pending writes are flushed first)."""
    writer.flush()
    return current_store().search_runs(experiment, max_results)
