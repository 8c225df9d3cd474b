"""Every exception autolog raises, as one tree.

::

    AutologError                       base of everything below
    ├── ConfigError (ValueError)       a bad option value or an unknown option name
    │   └── UnknownSchemeError         a store URI whose scheme no store handles
    ├── InvalidNameError (ValueError)  a run, experiment or model name that is unsafe
    ├── NotFoundError (LookupError)    a run, artifact, model or version that does not exist
    ├── StoreError (OSError)           the store could not be read or written
    │   └── StoreUnavailableError      a remote store that cannot be reached right now
    ├── ModelFolderError (ValueError)  a model folder that is malformed or incomplete
    │   ├── ChecksumError              a model file whose sha256 differs from the MLmodel's
    │   └── UnsafeFormatError          a pickled format refused by ``allow_pickle=False``
    ├── SchemaMismatchError (ValueError)
    │                                  input that does not match a model's signature
    ├── ConversionError                a model that could not be converted (e.g. to ONNX)
    └── PluginError                    an installed plugin that breaks the plugin contract

Each error subclasses the matching builtin too, so ``except ValueError`` keeps working for
callers who do not know autolog. Errors raised because a backend failed chain the backend's
error with ``raise ... from``.
"""

from __future__ import annotations

__all__ = [
    "AutologError",
    "ChecksumError",
    "ConfigError",
    "ConversionError",
    "InvalidNameError",
    "ModelFolderError",
    "NotFoundError",
    "PluginError",
    "SchemaMismatchError",
    "StoreError",
    "StoreUnavailableError",
    "UnknownSchemeError",
    "UnsafeFormatError",
]


class AutologError(Exception):
    """Base class of every error autolog raises."""


class ConfigError(AutologError, ValueError):
    """An option has a bad value, or an option name is unknown."""


class UnknownSchemeError(ConfigError):
    """A store URI uses a scheme that no installed store handles."""


class InvalidNameError(AutologError, ValueError):
    """A name (experiment, run, model, alias) is empty, too long or unsafe as a path."""


class NotFoundError(AutologError, LookupError):
    """A run, artifact, registered model or version does not exist."""


class StoreError(AutologError, OSError):
    """The store could not be read or written."""


class StoreUnavailableError(StoreError):
    """A remote store cannot be reached right now; the write may succeed later."""


class ModelFolderError(AutologError, ValueError):
    """A model folder is malformed: missing MLmodel, invalid YAML, missing model files."""


class ChecksumError(ModelFolderError):
    """A model file's sha256 differs from the checksum recorded in its MLmodel."""


class UnsafeFormatError(ModelFolderError):
    """A model is only available in a pickled format and ``allow_pickle=False`` was given."""


class SchemaMismatchError(AutologError, ValueError):
    """Input data does not match the model's signature."""


class ConversionError(AutologError):
    """A model could not be converted to another format."""


class PluginError(AutologError):
    """An installed plugin (an integration or a flavor loader) breaks the plugin contract.

    The message names the entry point and what to fix.
    """
