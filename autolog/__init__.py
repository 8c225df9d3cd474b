"""autolog: one line turns on MLflow-format autologging for scikit-learn and PyTorch.

::

    import autolog
    autolog.enable()

This module only re-exports the public API; see each module for details.
"""

from autolog._version import __version__
from autolog.activation import disable, enable, is_enabled
from autolog.errors import (
    AutologError,
    ChecksumError,
    ConfigError,
    ConversionError,
    InvalidNameError,
    ModelFolderError,
    NotFoundError,
    SchemaMismatchError,
    StoreError,
    StoreUnavailableError,
    UnknownSchemeError,
    UnsafeFormatError,
)
from autolog.loading import LoadedModel, load_model
from autolog.magic import load_ipython_extension, unload_ipython_extension
from autolog.model_logging import log_model
from autolog.registry import (
    ModelVersion,
    RegisteredModel,
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
from autolog.runs import Run
from autolog.safety import AutologWarning
from autolog.tracking import ActiveRun, active_run, end_run, get_run, search_runs, start_run
from autolog.writer import flush

__all__ = [
    "ActiveRun",
    "AutologError",
    "AutologWarning",
    "ChecksumError",
    "ConfigError",
    "ConversionError",
    "InvalidNameError",
    "LoadedModel",
    "ModelFolderError",
    "ModelVersion",
    "NotFoundError",
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

