"""Zero-code activation: ``AUTOLOG=1 python train.py`` records like ``autolog.enable()`` would.

The distribution installs a start-up hook next to the packages in site-packages:

* ``autolog-ml.pth`` with one ``import`` line that costs a dictionary look-up when ``AUTOLOG``
  is unset and otherwise calls ``_autolog_bootstrap.start()`` (Python 3.10 to 3.14);
* ``autolog-ml.start`` naming the entry point ``_autolog_bootstrap:start`` (Python 3.15+,
  PEP 829; its presence makes those Pythons skip the ``.pth`` import line).

Both are files of the installed distribution (listed in its RECORD, so ``pip uninstall``
removes them); nothing is written at run time. ``python -S`` (no ``site``) skips them.

The bootstrap calls :func:`activate_from_environment`, which reads ``AUTOLOG`` and every
``AUTOLOG_<OPTION>`` variable through :mod:`autolog.config` and turns autologging on. It never
raises: a bad setting becomes one :class:`~autolog.safety.AutologWarning` naming the variable,
the bad value and the valid choices, and the program runs on without autologging.

Child processes inherit ``AUTOLOG=1`` and turn autologging on too (see :mod:`autolog.workers`
for why that produces no stray runs). The first process exports ``AUTOLOG_PARENT_PID`` so that
its descendants, which read the same variables, do not repeat its warnings.
"""

from __future__ import annotations

import os
import warnings

from autolog import config as config_mod
from autolog.errors import ConfigError
from autolog.safety import AutologWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import MutableMapping

__all__ = ["SWITCH", "activate_from_environment", "switch_state", "warn"]

SWITCH = "AUTOLOG"
PARENT_PID = "AUTOLOG_PARENT_PID"
_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off", "")


def switch_state(value: str | None) -> bool | None:
    """What an ``AUTOLOG`` value means: True (on), False (off) or None (not a valid value)."""
    text = (value or "").strip().lower()
    if text in _ON:
        return True
    if text in _OFF:
        return False
    return None


def warn(message: str) -> None:
    """Emit one start-up :class:`~autolog.safety.AutologWarning` (no source line to show)."""
    # warn_explicit: a start-up warning has no user code to point at, so no source line.
    warnings.warn_explicit(message, AutologWarning, filename="autolog start-up", lineno=0,
                           module="autolog.startup")


def _silent(environ: MutableMapping[str, str]) -> bool:
    option = config_mod.OPTIONS["silent"]
    try:
        return bool(option.parse(environ.get(option.env, "")))
    except ValueError:
        return False


def activate_from_environment(environ: MutableMapping[str, str] | None = None) -> bool:
    """Turn autologging on if ``AUTOLOG`` says so, with options from ``AUTOLOG_<OPTION>``.

    Never raises. Every problem is one warning (none in a child of a process that already
    reported the same environment, or with ``AUTOLOG_SILENT=1``) and autolog stays off.

    Parameters:
        environ: the environment to read and to export ``AUTOLOG_PARENT_PID`` to;
            ``os.environ`` by default. Options are always resolved from ``os.environ``.

    Returns:
        True when autologging is now on.
    """
    environ = os.environ if environ is None else environ
    try:
        return _activate(environ)
    except Exception as exc:  # noqa: BLE001 - the start-up hook must never stop the program
        if not _silent(environ):
            warn(f"autolog: turning autologging on from {SWITCH}=1 failed "
                  f"({type(exc).__name__}: {exc}); the program runs without autologging.")
        return False


def _activate(environ: MutableMapping[str, str]) -> bool:
    value = environ.get(SWITCH)
    state = switch_state(value)
    # A descendant of a process that read this environment already: do not repeat warnings.
    quiet = _silent(environ) or environ.get(PARENT_PID, str(os.getpid())) != str(os.getpid())
    environ[PARENT_PID] = str(os.getpid())
    if state is None:
        if not quiet:
            warn(f"autolog: {SWITCH}={value!r} is not valid. Valid choices: "
                  f"{'/'.join(_ON)} to turn autologging on, {'/'.join(_OFF[:-1])} or empty to "
                  "leave it off. The program runs without autologging.")
        return False
    if not state:
        return False
    if not quiet:
        for message in config_mod.unknown_env_names(environ):
            warn(f"autolog: {message}")
    from autolog import activation

    try:
        activation.enable()
    except ConfigError as exc:
        if not quiet:
            warn(f"autolog: {exc} The program runs without autologging.")
        return False
    return True
