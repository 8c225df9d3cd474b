"""autolog's start-up hook: turns autologging on in a process started with ``AUTOLOG`` set.

The distribution installs this module at the top of site-packages together with
``autolog-ml.pth`` (Python up to 3.14: an ``import`` line that calls :func:`start` only when
``AUTOLOG`` is set) and ``autolog-ml.start`` (Python 3.15+, PEP 829: the entry point
``_autolog_bootstrap:start``, called at every start-up). It lives outside the ``autolog``
package because importing that package costs far more than the hook may add to a start-up
that does not use it. It imports nothing and never raises.
"""

import os

_started = False
# The values that mean "off" (as in autolog.startup), so that AUTOLOG=0 imports nothing either.
_OFF = ("", "0", "false", "no", "off")


def start() -> None:
    """Turn autologging on when the ``AUTOLOG`` environment variable is set; else do nothing."""
    global _started
    if _started or os.environ.get("AUTOLOG", "").strip().lower() in _OFF:
        return
    _started = True
    try:
        from autolog.startup import activate_from_environment

        activate_from_environment()
    except Exception as exc:  # noqa: BLE001 - a start-up hook must never stop the program
        try:
            import warnings

            warnings.warn_explicit(
                f"autolog: the start-up hook failed ({type(exc).__name__}: {exc}); "
                "the program runs without autologging.",
                RuntimeWarning, filename="autolog start-up", lineno=0)
        except Exception:  # noqa: BLE001 - nothing left to report with
            pass
