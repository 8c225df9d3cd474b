"""The background writer: order, flush, and holding jobs back while a fit runs."""

from __future__ import annotations

import ctypes
import threading
import time

import pytest

from autolog import writer as writer_mod
from autolog.writer import Writer


def _eventually(check, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def test_jobs_run_in_order_and_flush_waits_for_them():
    w, done = Writer(), []
    for i in range(50):
        w.submit("job", done.append, i)
    assert w.flush(timeout=10)
    assert done == list(range(50))


def test_a_job_waits_while_a_fit_runs_and_runs_after_it():
    w, done = Writer(), []
    with w.training():
        w.submit("job", done.append, 1)
        time.sleep(0.3)
        assert done == []
    assert _eventually(lambda: done == [1])


def test_flush_runs_held_jobs_at_once_even_during_a_fit():
    w, done = Writer(), []
    with w.training():
        w.submit("job", done.append, 1)
        started = time.monotonic()
        assert w.flush(timeout=10)
        assert done == [1] and time.monotonic() - started < writer_mod.MAX_DEFER_S


def test_a_job_is_held_back_at_most_max_defer(monkeypatch):
    monkeypatch.setattr(writer_mod, "MAX_DEFER_S", 0.2)
    w, done = Writer(), []
    with w.training():
        w.submit("job", done.append, 1)
        assert _eventually(lambda: done == [1], timeout=3)


def test_jobs_outside_fits_are_not_held_back():
    w, done = Writer(), []
    w.submit("job", done.append, 1)
    assert _eventually(lambda: done == [1], timeout=writer_mod.MAX_DEFER_S / 2)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_writer_stopped_while_holding_a_job_back_loses_nothing(recwarn, monkeypatch):
    monkeypatch.setenv("AUTOLOG_TESTING", "0")  # the restart is a warning, as users get it
    w, done = Writer(), []
    with w.training():
        w.submit("job", done.append, 1)
        assert _eventually(lambda: w._carried is not None)
        thread = w._thread
        assert ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(SystemExit)) == 1
        thread.join(5)
        assert not thread.is_alive()
        assert w.flush(timeout=10)
    assert done == [1]
    assert any("writer thread" in str(r.message) for r in recwarn)


def test_training_is_counted_across_threads():
    w, done = Writer(), []
    release = threading.Event()

    def fit() -> None:
        with w.training():
            release.wait(5)

    other = threading.Thread(target=fit)
    other.start()
    time.sleep(0.05)
    w.submit("job", done.append, 1)
    time.sleep(0.2)
    assert done == []
    release.set()
    other.join()
    assert _eventually(lambda: done == [1])


def test_lanes_run_different_runs_at_once_and_each_run_in_order():
    w = Writer()
    started: dict[str, threading.Event] = {"a": threading.Event(), "b": threading.Event()}
    order: list[str] = []
    release = threading.Event()

    def slow(lane: str, i: int) -> None:
        started[lane].set()
        release.wait(5)
        order.append(f"{lane}{i}")

    w.submit("a0", slow, "a", 0, lane="a")
    w.submit("b0", slow, "b", 0, lane="b")
    w.submit("a1", order.append, "a1", lane="a")
    assert started["a"].wait(5) and started["b"].wait(5)  # both lanes at once
    assert order == []
    w.submit("barrier", order.append, "barrier")  # no lane: after every lane's jobs
    release.set()
    assert w.flush(timeout=10)
    assert order.index("a0") < order.index("a1") < order.index("barrier")
    assert order.index("b0") < order.index("barrier") and len(order) == 4


def test_a_job_on_a_lane_submits_and_flushes_inline():
    w, done = Writer(), []

    def job() -> None:
        w.submit("inner", done.append, "inner", lane="x")  # runs at once, on this thread
        assert w.flush(timeout=1)  # does not wait for itself
        done.append("outer")

    w.submit("outer", job, lane="x")
    assert w.flush(timeout=10)
    assert done == ["inner", "outer"]
