"""Turning autolog on and off: one :class:`~autolog.config.Config`, integrations, import hooks.

:func:`enable` resolves the options, finds the integrations (entry-point group
``autolog.integrations``) and registers a post-import hook for each framework. Nothing heavy is
imported here, not even an integration: the name of an integration's entry point is the import
name of the framework it patches (``sklearn``, ``torch``), and only when the user imports that
framework does the hook load the integration and apply its patches; if the framework is already
imported, that happens at once. So enabling before or after the framework import gives the same
result, and ``AUTOLOG=1`` on a program that trains nothing costs a few milliseconds.

A post-import hook cannot be unregistered, so each is registered once per process and checks
the current state when it fires.
"""

from __future__ import annotations

import _thread
import sys

from autolog import config as config_mod
from autolog import safety
from autolog.config import Config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

    from autolog.integration import Integration
    from autolog.stores.base import Store

__all__ = ["current_config", "disable", "enable", "get_store", "integration_status", "is_enabled"]

_lock = _thread.RLock()
_integrations: dict[str, Integration] = {}
_hooked_modules: set[str] = set()
_skipped: dict[str, str] = {}


def is_enabled() -> bool:
    """True between :func:`enable` and :func:`disable`."""
    return config_mod.current() is not None


# The configuration lives in the leaf autolog.config, so that modules below this one read it
# without importing activation; these are the names callers above have used.
current_config = config_mod.current
effective_config = config_mod.effective


def get_store() -> Store:
    """The store of the effective configuration (:func:`autolog.stores.current_store`)."""
    from autolog.stores import current_store

    return current_store()


def _disabled(name: str, config: Config) -> bool:
    blocked = config.disabled_integrations
    return "*" in blocked or name in blocked


def _on_import(name: str, module: ModuleType) -> None:
    from autolog.integration import version_problem

    with _lock:
        config = config_mod.current()
        if config is None or _disabled(name, config):
            return
        integration = _integrations.get(name) or _load(name, module)
        if integration is None or integration.applied:
            return
        problem = version_problem(integration)
        if problem is not None:
            _skipped[name] = problem
            safety.warn(f"autolog: {problem}; it is not autologged.")
            return
        try:
            integration.activate(module)
        except Exception as exc:  # noqa: BLE001 - a broken integration must not break import
            safety.internal_error(f"patching {name}", exc)


def _load(name: str, module: ModuleType) -> Integration | None:
    """Import the integration of entry point ``name`` (its framework was just imported)."""
    from autolog.integration import discover

    entry_point = discover().get(name)
    if entry_point is None:
        return None
    from autolog.errors import PluginError
    from autolog.integration import validate

    try:
        integration: Integration = validate(entry_point.load(), entry_point)()
    except PluginError as exc:
        safety.warn(f"autolog: {exc} It is not loaded.")
        return None
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the import
        safety.internal_error(f"loading the integration {name!r} ({entry_point.value})", exc)
        return None
    _integrations[name] = integration
    return integration


def _hook(name: str) -> None:
    """Apply integration ``name`` when its framework (the module ``name``) is imported."""
    if name in _hooked_modules:
        module = sys.modules.get(name)
        if module is not None:
            _on_import(name, module)
        return
    _hooked_modules.add(name)
    from autolog import importhooks

    importhooks.when_imported(name, lambda mod: _on_import(name, mod))


def _load_integrations(config: Config) -> None:
    from autolog.integration import discover

    for name in sorted(discover()):
        if not _disabled(name, config):
            _hook(name)


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
    new_config = config_mod.resolve(options)
    from autolog.stores import check_scheme

    check_scheme(new_config.store_uri)  # a typo in the scheme fails here, not at every fit
    with _lock:
        old_config = config_mod.current()
        if old_config is not None and old_config != new_config:
            _remove_integrations(lambda n: _disabled(n, new_config))
        config_mod.set_current(new_config)
        if not new_config.async_logging or "autolog.writer" in sys.modules:
            from autolog import writer  # otherwise the writer reads it when first imported

            writer.get_writer().synchronous = not new_config.async_logging
        _load_integrations(new_config)
    return new_config


def _remove_integrations(which: Any) -> None:
    for name, integration in list(_integrations.items()):
        if integration.applied and which(name):
            integration.deactivate()


def disable() -> None:
    """Turn autologging off: flush pending records, then restore every patched attribute."""
    from autolog import writer

    with _lock:
        if config_mod.current() is None:
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
                config_mod.set_current(None)
                writer.get_writer().synchronous = False


def applied_integration(name: str) -> Integration | None:
    """The integration instance applied for the framework ``name``, or None (for
    :mod:`autolog.testing`, which checks what it patched)."""
    with _lock:
        integration = _integrations.get(name)
    return integration if integration is not None and integration.applied else None


def integration_status() -> dict[str, str]:
    """Each known integration's state: applied, waiting for import, disabled or skipped."""
    from autolog.integration import discover

    config = config_mod.current()
    status = {}
    for name, ep in sorted(discover().items()):
        integ = _integrations.get(name)
        if name in _skipped:
            status[name] = f"skipped: {_skipped[name]}"
        elif config is not None and _disabled(name, config):
            status[name] = "disabled"
        elif integ is not None and integ.applied:
            status[name] = "active"
        elif name not in sys.modules:
            status[name] = f"waiting for 'import {name}'"
        else:
            status[name] = "inactive" if config is None else f"not loaded ({ep.value})"
    return status
