"""System metrics of the active runs: one sampler thread per process.

A run that is *watched* gets the ``system/...`` metrics of :mod:`autolog.context.probes`: a
sample at its start, one every ``system_metrics_interval`` seconds (option, default 10) and
one at its end (a run that ends before its start sample was taken has that one only); the
step is the sample's index (0, 1, ...).

Which runs (option ``log_system_metrics``): ``on`` every run; ``off`` none; ``auto`` (the
default) the runs an integration asks for with :func:`watch_always` (PyTorch's) and every
other run that lasts at least one interval (a short scikit-learn fit records none). An
``auto`` run's start sample is taken a second after its start, so that back-to-back short
fits cost nothing; its samples are held back until it has lasted one interval.

Cost on the training thread: :func:`attach` and :func:`detach` only update a table under a
lock. The sampler thread reads the counters (well under a millisecond per sample) and hands
the values to the run, whose writes go through the background writer like any other metric.
The end sample is taken by the sampler thread as the run ends and written by the writer
just before the run's end. The thread starts with the first watched run and exits one
interval after the last one ended. One thread serves every run: a sample taken once is
recorded by every run that is due. Under ``torch.distributed`` only rank 0 has runs, so only
rank 0's node is sampled.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autolog import writer
from autolog.runs import Metric

if TYPE_CHECKING:
    from autolog.context.probes import Probe, Reading

__all__ = ["Sampler", "attach", "detach", "get_sampler", "prepare", "watch_always"]

# How long after its start an ``auto`` run's first sample is taken (a shorter run has none).
_AUTO_START_DELAY_S = 1.0
# A reading this recent is reused instead of read again (runs starting together share it).
_FRESH_S = 1.0
# When no earlier reading is recent enough, CPU utilization is measured over this window.
_CPU_WINDOW_S = 0.2
# The shortest span CPU utilization is measured over (the counters tick every 10 ms).
_MIN_CPU_SPAN_S = 0.1
# How long a writer job waits for the sampler's end sample before taking one itself.
_END_WAIT_S = 5.0


def _default_probe() -> Probe:
    from autolog.context.probes import Probe, open_gpus  # on the sampler thread, not at import

    return Probe(gpus=open_gpus())


def metrics(reading: Reading, previous: Reading | None, baseline: Reading | None
            ) -> dict[str, float]:
    from autolog.context.probes import metrics as compute

    return compute(reading, previous, baseline)


class _Watch:
    """One watched run."""

    __slots__ = ("always", "baseline", "closed", "interval", "pending", "qualified", "run",
                 "start_due", "started", "step")

    def __init__(self, run: Any, always: bool, interval: float) -> None:
        self.run = run
        self.always = always
        self.interval = interval
        self.started = time.monotonic()
        self.start_due = self.started + (0.0 if always else min(_AUTO_START_DELAY_S, interval))
        self.step = 0
        self.baseline: Reading | None = None
        self.qualified = always
        self.closed = False
        # Samples of an ``auto`` run not yet known to last one interval: (values, step, ms).
        self.pending: list[tuple[dict[str, float], int, int]] = []

    def due_to_qualify(self, now: float) -> bool:
        return self.always or now - self.started >= self.interval


class _EndSlot:
    """The end sample of a run, handed from the sampler thread to the writer."""

    def __init__(self, watch: _Watch) -> None:
        self.watch = watch
        self.done = threading.Event()
        self.metrics: list[Metric] = []


class Sampler:
    """The process's sampler: watched runs, and the thread that samples for them.

    Parameters:
        probe_factory: makes the :class:`~autolog.context.probes.Probe` (on the sampler thread).
    """

    def __init__(self, probe_factory: Callable[[], Probe] | None = None) -> None:
        self._probe_factory = probe_factory or _default_probe
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._watches: dict[str, _Watch] = {}
        self._ends: list[_EndSlot] = []
        self._thread: threading.Thread | None = None
        self._wake_at = 0.0
        self._next_tick = 0.0
        self._last_period = 10.0
        self._probe: Probe | None = None
        # The newest reading and the one CPU utilization was measured from for it; the last
        # few readings (to measure the next one from).
        self._latest: tuple[Reading, Reading | None] | None = None
        self._history: collections.deque[Reading] = collections.deque(maxlen=4)
        self._read_lock = threading.Lock()
        #: CPU seconds the sampler thread spent sampling and handing values over.
        self.cpu_seconds = 0.0
        #: Readings taken.
        self.readings = 0
        self._reported = False

    # -- the training thread's side ---------------------------------------------------------
    def attach(self, run: Any, always: bool, interval: float) -> None:
        """Watch ``run``: ``always``, or only if it lasts ``interval`` seconds."""
        watch = _Watch(run, always, interval)
        with self._cond:
            if not self._watches:
                self._next_tick = watch.started + interval
            self._watches[run.run_id] = watch
            self._ensure_thread()
            if watch.start_due < self._wake_at:
                self._cond.notify()

    def watch_always(self, run: Any) -> None:
        """Record ``run``'s system metrics whatever its length (PyTorch's runs)."""
        with self._cond:
            watch = self._watches.get(run.run_id)
            if watch is not None and not watch.always:
                watch.always = True
                watch.start_due = min(watch.start_due, time.monotonic())
                self._flush_pending(watch)
                self._cond.notify()

    def detach(self, run: Any) -> _EndSlot | None:
        """Stop watching ``run``. Returns the slot its end sample will arrive in, or None
        when the run records no system metrics (not watched, or too short for ``auto``)."""
        with self._cond:
            watch = self._watches.pop(run.run_id, None)
            if watch is None:
                return None
            watch.closed = True
            if not (watch.qualified or watch.due_to_qualify(time.monotonic())):
                return None
            slot = _EndSlot(watch)
            self._ends.append(slot)
            self._ensure_thread()
            self._cond.notify()
        return slot

    def collect_end(self, slot: _EndSlot) -> list[Metric]:
        """The end sample of ``slot`` with any held-back samples (called by the writer).

        Waits for the sampler thread; if it does not answer in time (it is gone, e.g. at
        interpreter exit), the sample is taken here.
        """
        if not slot.done.wait(_END_WAIT_S):
            with self._cond:
                mine = slot in self._ends
                if mine:
                    self._ends.remove(slot)
            if mine:
                self._finish(slot, *self._reading(True, self._last_period))
            else:  # the sampler thread has it in hand
                slot.done.wait(_END_WAIT_S)
        return slot.metrics

    # -- the sampler thread ----------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._loop, name="autolog-system-metrics",
                                        daemon=True)
        self._thread.start()

    def _period(self) -> float:
        """The sampling period: the shortest interval asked for (the last one when idle)."""
        if self._watches:
            self._last_period = min(w.interval for w in self._watches.values())
        return self._last_period

    def _loop(self) -> None:
        idle_until: float | None = None
        while True:
            with self._cond:
                now = time.monotonic()
                if not self._watches and not self._ends:
                    if idle_until is None:
                        idle_until = now + self._period()
                    if now >= idle_until:
                        self._thread = None
                        return
                    self._wake_at = idle_until
                    self._cond.wait(idle_until - now)
                    continue
                idle_until = None
                starts = [w for w in self._watches.values() if w.baseline is None]
                due = min([self._next_tick, *(w.start_due for w in starts)])
                if not self._ends and due > now:
                    self._wake_at = due
                    self._cond.wait(due - now)
                    continue
                ends, self._ends = self._ends, []
                period = self._period()
                tick = now >= self._next_tick
                if tick:
                    self._next_tick = now + period
                starts = [w for w in starts if w.start_due <= now]
            spent = time.thread_time()
            try:
                self._sample(starts, tick, ends, period)
            except Exception as exc:  # noqa: BLE001 - never let the thread die with a traceback
                self._failed(exc, ends)
            self.cpu_seconds += time.thread_time() - spent

    def _failed(self, exc: Exception, ends: list[_EndSlot]) -> None:
        """A sample could not be taken: reported once per process (through the writer, which
        warns, or raises at the next flush in testing mode); the runs ending now get their
        held-back samples without an end sample."""
        for slot in ends:
            if not slot.done.is_set():
                slot.metrics = [Metric(k, v, step, ts) for values, step, ts in
                                slot.watch.pending for k, v in values.items()]
                slot.done.set()
        if self._reported:
            return
        self._reported = True

        def report() -> None:
            raise exc

        writer.submit("sampling system metrics", report)

    def prepare(self) -> None:
        """Make the probe now, on the calling thread (see :func:`prepare`)."""
        if self._probe is None:
            self._probe = self._probe_factory()

    def _read(self) -> Reading:
        if self._probe is None:
            self._probe = self._probe_factory()
        self.readings += 1
        return self._probe.read()

    def _reading(self, fresh: bool, period: float, not_before: float = 0.0
                 ) -> tuple[Reading, Reading | None]:
        """A reading and the earlier one to measure CPU utilization from.

        A reading younger than a second is reused unless ``fresh`` or taken before
        ``not_before`` (a run's start sample never predates the run). CPU counters tick every
        10 ms, so the earlier reading is one at least :data:`_MIN_CPU_SPAN_S` older, from the
        last two periods; without one, CPU is measured over a short window.
        """
        with self._read_lock:
            now = time.monotonic()
            latest = self._latest
            if (latest is not None and not fresh and now - latest[0].time < _FRESH_S
                    and latest[0].time >= not_before):
                return latest
            reading = self._read()
            previous = next((r for r in reversed(self._history)
                             if _MIN_CPU_SPAN_S <= reading.time - r.time
                             <= 2 * period + _MIN_CPU_SPAN_S), None)
            if previous is None:
                time.sleep(_CPU_WINDOW_S)
                previous, reading = reading, self._read()
            self._history.append(reading)
            self._latest = (reading, previous)
            return self._latest

    def _sample(self, starts: list[_Watch], tick: bool, ends: list[_EndSlot],
                period: float) -> None:
        now = time.monotonic()
        # A start may share a reading taken moments ago; a tick or an end reads anew.
        reading, previous = self._reading(tick or bool(ends), period,
                                          min((w.started for w in starts), default=0.0))
        with self._cond:
            for watch in starts:
                if not watch.closed:
                    watch.baseline = reading
                    self._emit(watch, metrics(reading, previous, reading), reading)
            if tick:
                for watch in self._watches.values():
                    if watch.baseline is not None and watch not in starts:
                        watch.step += 1
                        self._emit(watch, metrics(reading, previous, watch.baseline), reading)
                    if not watch.qualified and watch.due_to_qualify(now):
                        self._flush_pending(watch)
        for slot in ends:
            self._finish(slot, reading, previous)

    def _emit(self, watch: _Watch, values: dict[str, float], reading: Reading) -> None:
        """Hand one sample to the run (under the lock: a detached run gets nothing more)."""
        if watch.qualified:
            watch.run.log_metrics(values, step=watch.step, timestamp=reading.timestamp_ms)
        else:
            watch.pending.append((values, watch.step, reading.timestamp_ms))

    def _flush_pending(self, watch: _Watch) -> None:
        watch.qualified = True
        for values, step, timestamp in watch.pending:
            watch.run.log_metrics(values, step=step, timestamp=timestamp)
        watch.pending.clear()

    def _finish(self, slot: _EndSlot, reading: Reading, previous: Reading | None) -> None:
        if slot.done.is_set():
            return
        watch = slot.watch
        out = [Metric(k, v, step, ts) for values, step, ts in watch.pending
               for k, v in values.items()]
        watch.pending.clear()
        step = 0 if watch.baseline is None else watch.step + 1
        values = metrics(reading, previous, watch.baseline or reading)
        out += [Metric(k, v, step, reading.timestamp_ms) for k, v in values.items()]
        slot.metrics = out
        slot.done.set()

    def reset_after_fork(self) -> None:
        """A forked child has no sampler thread and watches none of its parent's runs."""
        self._reset()


_sampler = Sampler()


def get_sampler() -> Sampler:
    return _sampler


def prepare() -> None:
    """Make the probe now (psutil and NVML imported and opened: tens of milliseconds).

    The PyTorch integration calls it while torch is being imported: otherwise the sampler
    thread makes it at a run's first sample, which takes the GIL from the run's first steps.
    """
    _sampler.prepare()


def attach(run: Any, always: bool, interval: float) -> None:
    """Watch ``run`` (see :meth:`Sampler.attach`)."""
    _sampler.attach(run, always, interval)


def watch_always(run: Any) -> None:
    """Record ``run``'s system metrics whatever its length (option ``auto``)."""
    _sampler.watch_always(run)


def detach(run: Any) -> None:
    """Stop watching ``run``; its end sample is written before the run's end."""
    slot = _sampler.detach(run)
    if slot is None:
        return

    def write_end(store: Any) -> None:
        found = _sampler.collect_end(slot)
        if found:
            store.log_batch(run.run_id, metrics=found)

    run.submit("writing the last system metrics of run", write_end)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_sampler.reset_after_fork)
