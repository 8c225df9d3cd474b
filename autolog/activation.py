"""Turning autolog on and off: one :class:`~autolog.config.Config`, integrations, import hooks.

:func:`enable` resolves the options, finds the integrations (entry-point group
``autolog.integrations``) and registers a wrapt post-import hook for each framework. Nothing
heavy is imported here: when the user imports scikit-learn or torch, the hook applies that
integration's patches, and if the framework is already imported the hook runs at once. So
enabling before or after the framework import gives the same result.

wrapt cannot unregister a post-import hook, so each hook is registered once per process and
checks the current state when it fires.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

from autolog import config as config_mod
from autolog import safety, writer
from autolog.config import Config
from autolog.integration import Integration, discover, version_problem

__all__ = ["current_config", "disable", "enable", "get_store", "integration_status", "is_enabled"]

_lock = threading.RLock()
_config: Config | None = None
_integrations: dict[str, Integration] = {}
_hooked_modules: set[str] = set()
_skipped: dict[str, str] = {}


def is_enabled() -> bool:
    """True between :func:`enable` and :func:`disable`."""
    return _config is not None


def current_config() -> Config | None:
    """The active configuration, or None when autolog is off."""
    return _config


def effective_config() -> Config:
    """The active configuration, or one resolved from the environment when autolog is off."""
    return _config if _config is not None else config_mod.resolve()


def get_store() -> Any:
    """The store of the effective configuration."""
    from autolog.stores import open_store

    return open_store(effective_config().store_uri)


def _disabled(name: str, config: Config) -> bool:
    blocked = config.disabled_integrations
    return "*" in blocked or name in blocked


def _on_import(name: str, module: ModuleType) -> None:
    with _lock:
        integration = _integrations.get(name)
        if _config is None or integration is None or integration.applied:
            return
        if _disabled(name, _config):
            return
        problem = version_problem(integration)
        if problem is not None:
            _skipped[name] = problem
            safety.warn(f"autolog: {problem}; it is not autologged.")
            return
        integration.applied = True  # before apply(): its when_imported() hooks check it
        try:
            integration.apply(module)
        except Exception as exc:  # noqa: BLE001 - a broken integration must not break import
            integration.remove()
            safety.internal_error(f"patching {name}", exc)


def _load_integrations(config: Config) -> None:
    import wrapt

    for name, entry_point in sorted(discover().items()):
        if _disabled(name, config):
            continue
        if name not in _integrations:
            try:
                _integrations[name] = entry_point.load()()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break enable()
                safety.internal_error(f"loading the integration {name!r} ({entry_point.value})",
                                      exc)
                continue
        module = _integrations[name].module
        if module not in _hooked_modules:
            _hooked_modules.add(module)

            def hook(mod: ModuleType, _name: str = name) -> None:
                _on_import(_name, mod)

            wrapt.register_post_import_hook(hook, module)
        else:
            import sys

            if module in sys.modules:
                _on_import(name, sys.modules[module])


def enable(**options: Any) -> Config:
    """Turn autologging on (idempotent). Calling it again changes the options.

    Parameters:
        **options: any option of :mod:`autolog.config` (``store``, ``experiment``, ``format``,
            ``log_models``, ``max_tuning_runs``, ``disabled_integrations`` ...). Options not
            given come from ``AUTOLOG_<OPTION>`` environment variables, then defaults.

    Returns:
        The resolved :class:`~autolog.config.Config`.

    Raises:
        ConfigError: an unknown option or an invalid value (message lists valid choices);
            :class:`~autolog.errors.UnknownSchemeError` for a store URI no store handles.
    """
    global _config
    new_config = config_mod.resolve(options)
    from autolog.stores import check_scheme

    check_scheme(new_config.store_uri)  # a typo in the scheme fails here, not at every fit
    with _lock:
        if _config is not None and _config != new_config:
            _remove_integrations(lambda n: _disabled(n, new_config))
        _config = new_config
        writer.get_writer().synchronous = not new_config.async_logging
        _load_integrations(new_config)
    return new_config


def _remove_integrations(which: Any) -> None:
    for name, integration in list(_integrations.items()):
        if integration.applied and which(name):
            integration.remove()


def disable() -> None:
    """Turn autologging off: flush pending records, then restore every patched attribute."""
    global _config
    with _lock:
        if _config is None:
            return
        try:
            writer.flush()
        finally:
            from autolog import tracking

            tracking.end_open_runs()
            try:
                writer.flush()
            finally:
                _remove_integrations(lambda n: True)
                _config = None
                writer.get_writer().synchronous = False


def integration_status() -> dict[str, str]:
    """Each known integration's state: applied, waiting for import, disabled or skipped."""
    import sys

    status = {}
    for name, ep in sorted(discover().items()):
        integ = _integrations.get(name)
        if name in _skipped:
            status[name] = f"skipped: {_skipped[name]}"
        elif _config is not None and _disabled(name, _config):
            status[name] = "disabled"
        elif integ is not None and integ.applied:
            status[name] = "active"
        elif integ is not None and integ.module not in sys.modules:
            status[name] = f"waiting for 'import {integ.module}'"
        else:
            status[name] = "inactive" if _config is None else f"not loaded ({ep.value})"
    return status
