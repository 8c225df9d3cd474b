"""The safety every patched training call needs, written once for every integration.

An integration's wrapper hands the user's call to :func:`recorded_call` with a ``start``
function that begins the record (on the training thread) and returns a :class:`Recording`.
The core then guarantees what the contract promises the user:

* autolog off, or a call made inside another recorded call (library code calling the
  framework again), or inside ``autolog``'s own code: the call passes straight through;
* a failure inside ``start``, ``fail`` or ``finish`` is one AutologWarning, never the user's
  problem: the user's call still runs and returns exactly what it returns;
* an exception raised by the user's call propagates unchanged, after ``fail()`` marked the
  run failed;
* while the call runs, calls it makes to patched functions do not record (one run, not one
  per nested fit), and the background writer holds back so as not to compete with training.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from autolog import config, patching, safety, writer

__all__ = ["Recording", "recorded_call"]


class Recording(Protocol):
    """What ``start`` returns: the record of one call in progress."""

    def fail(self) -> None:
        """The user's call raised: mark the run failed (the exception then propagates)."""

    def finish(self, result: Any) -> None:
        """The user's call returned ``result``: complete the record (hand work to the writer)."""


def recorded_call(wrapped: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any],
                  start: Callable[[], Recording | None], what: str) -> Any:
    """Call ``wrapped(*args, **kwargs)`` and record it through ``start()``.

    Parameters:
        wrapped: the user's call (the original function).
        start: begins the record and returns it, or None to let this call pass unrecorded.
        what: a few words naming the call in warnings ("the fit of LogisticRegression").

    Returns:
        Exactly what ``wrapped`` returns.
    """
    if not patching.should_record() or config.current() is None:  # off: pass through
        return wrapped(*args, **kwargs)
    recording: Recording | None = None
    with safety.guard("starting a run for " + what):
        recording = start()
    with patching.recording():  # nothing the call does records a run of its own
        try:
            if recording is None:
                return wrapped(*args, **kwargs)
            with writer.training():  # the writer holds back while the user's code trains
                result = wrapped(*args, **kwargs)
        except BaseException:
            if recording is not None:
                with safety.guard("ending a failed run"):
                    recording.fail()
            raise
    with safety.guard("recording " + what):
        recording.finish(result)
    return result
