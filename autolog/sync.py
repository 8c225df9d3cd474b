"""Send the runs of one store to another: what ``autolog sync LOCAL --to URI`` does.

Runs recorded while a remote store was unreachable wait in a local store (see
:mod:`autolog.stores.fallback`); :func:`sync_runs` sends each of them, whole: info, params,
every metric value with its step and timestamp, tags and artifacts (model folders included),
keeping autolog's run id.

* **Idempotent.** A run sent completely carries the tag ``autolog.sync=complete`` in the
  target; the next sync finds it there and sends nothing again. The target is the record (no
  ledger file to lose or to disagree with it).
* **Resumable.** A run is sent as ``RUNNING`` with ``autolog.sync=pending`` and gets its real
  status and ``complete`` last. After an interruption (Ctrl-C, network drop), the next sync
  deletes such a partial run in the target and sends it again; finished runs are skipped.
* **Order.** Oldest first, a parent before its children, so the target can link them.
* Runs still being written (``RUNNING`` by a live process on this host, or by any process on
  another host) are left for a later sync.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from autolog.errors import StoreError
from autolog.liveness import observed_status
from autolog.runs import RUNNING, Run, RunInfo
from autolog.stores.base import Store

__all__ = ["SYNC_TAG", "SyncPlan", "SyncReport", "plan_sync", "send_planned", "sync_runs"]

SYNC_TAG = "autolog.sync"
PENDING = "pending"
COMPLETE = "complete"


@dataclass
class SyncReport:
    """What a sync did (or, from :func:`plan_sync`, would do), as lists of run ids.

    Attributes:
        to_send: runs to send (:func:`plan_sync`) / sent (:func:`sync_runs`).
        present: runs the target already has completely.
        resent: runs an interrupted sync left partial in the target (among ``to_send``).
        running: runs still being written, left for a later sync.
    """

    to_send: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return {"sent": self.to_send, "already_present": self.present,
                "resent_partial": self.resent, "still_running": self.running}


def _complete(run: Run) -> bool:
    state = run.tags.get(SYNC_TAG)
    if state is None:  # logged to the target directly, not by a sync
        return run.info.status != RUNNING
    return state == COMPLETE


def _ordered(runs: list[Run]) -> list[Run]:
    by_id = {r.run_id: r for r in runs}
    ordered: list[Run] = []
    seen: set[str] = set()

    def visit(run: Run) -> None:
        if run.run_id in seen:
            return
        seen.add(run.run_id)
        parent = by_id.get(run.info.parent_run_id or "")
        if parent is not None:
            visit(parent)
        ordered.append(run)

    for run in sorted(runs, key=lambda r: (r.info.start_time, r.run_id)):
        visit(run)
    return ordered


@dataclass
class SyncPlan:
    """What :func:`plan_sync` found: the report, the runs to send in order, and the target's
    copies of the source's runs (by run id; a copy of a run to send is a partial one)."""

    report: SyncReport
    runs: list[Run]
    existing: dict[str, Run]


def plan_sync(source: Store, target: Store, experiment: str | None = None) -> SyncPlan:
    """Compare the stores: which runs of ``source`` (of ``experiment``, or all) the target
    lacks. Nothing is written."""
    runs = source.search_runs(experiment)
    existing: dict[str, Run] = {}
    for name in sorted({r.info.experiment for r in runs}):
        for run in target.search_runs(name):
            existing[run.run_id] = run
    report = SyncReport()
    to_send = []
    for run in _ordered(runs):
        there = existing.get(run.run_id)
        if there is not None and _complete(there):
            report.present.append(run.run_id)
        elif observed_status(run.info) == RUNNING:
            report.running.append(run.run_id)
        else:
            report.to_send.append(run.run_id)
            if there is not None:
                report.resent.append(run.run_id)
            to_send.append(run)
    return SyncPlan(report, to_send, existing)


def _send(source: Store, target: Store, run: Run, partial: Run | None) -> None:
    run_id = run.run_id
    if partial is not None:
        delete = getattr(target, "delete_run", None)
        if delete is None:
            raise StoreError(
                f"Run {run_id} was partly sent to {target.uri} by an interrupted sync, and that "
                "store cannot delete runs: delete it there, then run the sync again.")
        delete(run_id)
    full = source.get_run(run_id)  # search results may lack the metric history
    info = RunInfo(**full.info.to_dict())
    info.status, info.end_time = RUNNING, None
    target.create_run(info)
    target.log_batch(run_id, params=full.params, tags={**full.tags, SYNC_TAG: PENDING})
    target.log_batch(run_id, metrics=[m for values in full.metric_history.values()
                                      for m in values])
    for name in full.artifacts:
        target.log_artifacts(run_id, source.download_artifacts(run_id, name), name)
    target.update_run(run_id, full.info.status, full.info.end_time)
    target.set_tag(run_id, SYNC_TAG, COMPLETE)


def send_planned(source: Store, target: Store, plan: SyncPlan,
                 on_run: Callable[[Run], None] | None = None) -> SyncReport:
    """Send the runs of ``plan`` in order; ``on_run`` is called after each (progress bars).

    Raises:
        StoreUnavailableError: the target cannot be reached; the runs sent so far stay sent and
            the next sync resumes after them.
        StoreError: the target refused a run.
    """
    for run in plan.runs:
        _send(source, target, run, plan.existing.get(run.run_id))
        if on_run is not None:
            on_run(run)
    return plan.report


def sync_runs(source: Store, target: Store, experiment: str | None = None,
              on_run: Callable[[Run], None] | None = None) -> SyncReport:
    """Send the runs of ``source`` (of one experiment, or all) that ``target`` lacks.

    Parameters:
        source: where the runs are (usually the local offline store).
        target: where they go; open it with ``open_store(uri, offline_fallback=False)`` so that
            an unreachable target is an error rather than a detour.
        experiment: only this experiment's runs.
        on_run: called after each run is sent.

    Returns:
        A :class:`SyncReport`; ``to_send`` lists the runs sent.

    Raises:
        StoreUnavailableError: the target cannot be reached (see :func:`send_planned`).
        StoreError: the target refused a run.
    """
    ping = getattr(target, "ping", None)
    if ping is not None:
        ping()
    return send_planned(source, target, plan_sync(source, target, experiment), on_run)
