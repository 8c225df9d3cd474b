"""autolog: one line turns on MLflow-format autologging for scikit-learn and PyTorch.

::

    import autolog
    autolog.enable()

This module only re-exports the public API; see each module for details.
"""

from __future__ import annotations

from autolog._version import __version__

# ``import autolog`` runs in every process under AUTOLOG=1: not even ``typing`` is imported.
TYPE_CHECKING = False
if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from typing import Any

    from autolog.activation import disable, enable, is_enabled
    from autolog.errors import (
        AutologError,
        ChecksumError,
        ConfigError,
        ConversionError,
        InvalidNameError,
        ModelFolderError,
        NotFoundError,
        PluginError,
        SchemaMismatchError,
        StoreError,
        StoreUnavailableError,
        UnknownSchemeError,
        UnsafeFormatError,
    )
    from autolog.evaluation import EvaluationResult, evaluate
    from autolog.loading import LoadedModel, load_model
    from autolog.magic import load_ipython_extension, unload_ipython_extension
    from autolog.model_logging import log_model
    from autolog.registry.api import (
        compare,
        delete_alias,
        delete_model,
        delete_model_version,
        get_model_version,
        get_registered_model,
        list_models,
        list_versions,
        register_model,
        search_model_versions,
        set_alias,
        update_model,
        update_model_version,
    )
    from autolog.registry.records import ModelVersion, RegisteredModel
    from autolog.runs import Run
    from autolog.safety import AutologWarning
    from autolog.tracking import ActiveRun, active_run, end_run, get_run, search_runs, start_run
    from autolog.writer import flush


# Attribute -> module. ``import autolog`` must stay cheap (it runs in every process under
# AUTOLOG=1), so each name is imported from its module on first access (PEP 562).
_LAZY = {
    "ActiveRun": "autolog.tracking",
    "AutologError": "autolog.errors",
    "AutologWarning": "autolog.safety",
    "ChecksumError": "autolog.errors",
    "ConfigError": "autolog.errors",
    "ConversionError": "autolog.errors",
    "EvaluationResult": "autolog.evaluation",
    "InvalidNameError": "autolog.errors",
    "LoadedModel": "autolog.loading",
    "ModelFolderError": "autolog.errors",
    "ModelVersion": "autolog.registry.records",
    "NotFoundError": "autolog.errors",
    "PluginError": "autolog.errors",
    "RegisteredModel": "autolog.registry.records",
    "Run": "autolog.runs",
    "SchemaMismatchError": "autolog.errors",
    "StoreError": "autolog.errors",
    "StoreUnavailableError": "autolog.errors",
    "UnknownSchemeError": "autolog.errors",
    "UnsafeFormatError": "autolog.errors",
    "active_run": "autolog.tracking",
    "compare": "autolog.registry.api",
    "delete_alias": "autolog.registry.api",
    "delete_model": "autolog.registry.api",
    "delete_model_version": "autolog.registry.api",
    "disable": "autolog.activation",
    "enable": "autolog.activation",
    "end_run": "autolog.tracking",
    "evaluate": "autolog.evaluation",
    "flush": "autolog.writer",
    "get_model_version": "autolog.registry.api",
    "get_registered_model": "autolog.registry.api",
    "get_run": "autolog.tracking",
    "is_enabled": "autolog.activation",
    "list_models": "autolog.registry.api",
    "list_versions": "autolog.registry.api",
    "load_ipython_extension": "autolog.magic",
    "load_model": "autolog.loading",
    "log_model": "autolog.model_logging",
    "register_model": "autolog.registry.api",
    "search_model_versions": "autolog.registry.api",
    "search_runs": "autolog.tracking",
    "set_alias": "autolog.registry.api",
    "start_run": "autolog.tracking",
    "unload_ipython_extension": "autolog.magic",
    "update_model": "autolog.registry.api",
    "update_model_version": "autolog.registry.api",
}

__all__ = [
    "ActiveRun",
    "AutologError",
    "AutologWarning",
    "ChecksumError",
    "ConfigError",
    "ConversionError",
    "EvaluationResult",
    "InvalidNameError",
    "LoadedModel",
    "ModelFolderError",
    "ModelVersion",
    "NotFoundError",
    "PluginError",
    "RegisteredModel",
    "Run",
    "SchemaMismatchError",
    "StoreError",
    "StoreUnavailableError",
    "UnknownSchemeError",
    "UnsafeFormatError",
    "__version__",
    "active_run",
    "compare",
    "delete_alias",
    "delete_model",
    "delete_model_version",
    "disable",
    "enable",
    "end_run",
    "evaluate",
    "flush",
    "get_model_version",
    "get_registered_model",
    "get_run",
    "is_enabled",
    "list_models",
    "list_versions",
    "load_ipython_extension",
    "load_model",
    "log_model",
    "register_model",
    "search_model_versions",
    "search_runs",
    "set_alias",
    "start_run",
    "unload_ipython_extension",
    "update_model",
    "update_model_version",
]



def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autolog' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
