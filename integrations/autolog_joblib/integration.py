"""The joblib integration: joblib tasks run under the re-entry state of the call that started them.

The re-entry guard ("inside an autologged fit, inner fits do not record") is a context
variable, which neither threads nor processes inherit. This integration captures it when
``joblib.Parallel`` is called and restores it around every task, wherever the task runs
(threads, loky, processes): the candidate fits of ``GridSearchCV(n_jobs=2)`` record nothing,
exactly as with ``n_jobs=1``, while a user's own top-level ``Parallel(...)(delayed(train)(c))``
records one run per task. See :mod:`autolog.workers` for the rest of the worker rule.
"""

from __future__ import annotations

from typing import Any

from autolog.plugin import Integration, Target, patching

__all__ = ["JoblibIntegration"]


class _InContext:
    """A joblib task that runs under the parent's re-entry state (picklable, by value)."""

    def __init__(self, function: Any, recording: bool, suspended: bool) -> None:
        self.function = function
        self.recording = recording
        self.suspended = suspended

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.suspended:
            with patching.suspended():
                return self.function(*args, **kwargs)
        if self.recording:
            with patching.recording():
                return self.function(*args, **kwargs)
        return self.function(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # joblib reads attributes of the task function (its name, for progress messages).
        if name == "function":
            raise AttributeError(name)
        return getattr(self.function, name)


def _parallel_call(wrapped: Any, instance: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    recording, suspended = patching.is_recording(), patching.is_suspended()
    if not (recording or suspended) or not args:
        return wrapped(*args, **kwargs)
    tasks = ((_InContext(func, recording, suspended), a, k) for func, a, k in args[0])
    iterable: Any = list(tasks) if hasattr(args[0], "__len__") else tasks
    return wrapped(iterable, *args[1:], **kwargs)


class JoblibIntegration(Integration):
    """Carries autolog's re-entry state into joblib tasks (threads, loky and processes)."""

    name = "joblib"
    module = "joblib"
    distribution = "joblib"
    supported = ">=1.2"

    targets = (Target("joblib.parallel", "Parallel.__call__", "_parallel_call"),)
    _parallel_call = staticmethod(_parallel_call)
