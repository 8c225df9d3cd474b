"""The safety contract: a failure inside autolog never reaches the user's code.

Every internal failure goes through :func:`internal_error`, which emits exactly one
:class:`AutologWarning` naming what autolog was doing and why it failed. With the option
``testing`` (``AUTOLOG_TESTING=1``) the error is raised instead, so autolog's own test suite
sees it.
"""

from __future__ import annotations

import os
import warnings

from autolog.config import current

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["AutologWarning", "guard", "internal_error", "mark_reported", "testing_mode", "warn"]

_REPORTED = "_autolog_reported"


class AutologWarning(UserWarning):
    """A warning from autolog: something could not be recorded; training went on."""


def testing_mode() -> bool:
    """True when internal errors must raise (``AUTOLOG_TESTING`` or ``enable(testing=True)``)."""
    config = current()
    if config is not None:
        return bool(config.testing)
    return os.environ.get("AUTOLOG_TESTING", "").lower() in {"1", "true", "yes", "on"}


def _silent() -> bool:
    config = current()
    return bool(config is not None and config.silent)


def warn(message: str, stacklevel: int = 3) -> None:
    """Emit one :class:`AutologWarning` unless the ``silent`` option is on."""
    if not _silent():
        warnings.warn(message, AutologWarning, stacklevel=stacklevel)


def mark_reported(exc: BaseException) -> BaseException:
    """Note that a warning already told the user about ``exc`` (e.g. "the store cannot be
    reached"): :func:`internal_error` then does not warn about it a second time."""
    try:
        setattr(exc, _REPORTED, True)
    except AttributeError:  # an exception type with __slots__
        pass
    return exc


def internal_error(what: str, exc: BaseException) -> None:
    """Report a failure inside autolog: raise in testing mode, else warn once.

    Parameters:
        what: what autolog was doing, e.g. "writing the model folder of run 3f2a…".
        exc: the exception that was caught.
    """
    if testing_mode():
        raise exc
    if getattr(exc, _REPORTED, False):
        return
    warn(f"autolog: {what} failed ({type(exc).__name__}: {exc}). "
         "Training is unaffected; this record may be incomplete.", stacklevel=4)


class guard:  # noqa: N801 - used like a function: ``with safety.guard("doing x"):``
    """Run a block of autolog's own work; an exception in it becomes :func:`internal_error`.

    A class rather than a ``contextlib.contextmanager``: it runs on the training thread at
    every fit, and this module is imported at interpreter start-up.
    """

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        internal_error(self.what, exc)
        return True
