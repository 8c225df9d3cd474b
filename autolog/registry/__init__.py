"""The model registry: named models with integer versions, aliases, comparison.

::

    v = autolog.register_model("runs:/3f2a.../model", "iris")    # ModelVersion, v.version == 1
    autolog.set_alias("iris", "champion", v.version)
    model = autolog.load_model("models:/iris@champion")           # or models:/iris/1, /latest
    autolog.compare("iris").best_by("accuracy")

The first registration of a name is version 1, each later one the next integer; numbers are
never reused, even after deletes. The store holds the records (the registry part of
:class:`autolog.stores.base.Store`).

Modules, bottom up: :mod:`~autolog.registry.records` (ModelVersion, RegisteredModel, name
rules: a leaf the stores import), :mod:`~autolog.registry.metric_kinds`,
:mod:`~autolog.registry.ranking` (which version is best), :mod:`~autolog.registry.comparison`
(the table), :mod:`~autolog.registry.api` (the functions below, each
taking ``store=``). This package imports nothing itself: each name loads its module on first
use (PEP 562), so a store importing the records never pulls in the functions that use stores.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autolog.registry.api import (
        compare,
        delete_alias,
        delete_model,
        delete_model_version,
        describe_model_folder,
        get_model_version,
        get_registered_model,
        list_models,
        list_versions,
        register_model,
        resolve_model_uri,
        search_model_versions,
        set_alias,
        update_model,
        update_model_version,
    )
    from autolog.registry.comparison import Comparison
    from autolog.registry.records import (
        ModelVersion,
        RegisteredModel,
        check_alias,
        check_model_name,
    )
    from autolog.uris import parse_model_uri

_LAZY = {
    "Comparison": "autolog.registry.comparison",
    "ModelVersion": "autolog.registry.records",
    "RegisteredModel": "autolog.registry.records",
    "check_alias": "autolog.registry.records",
    "check_model_name": "autolog.registry.records",
    "compare": "autolog.registry.api",
    "delete_alias": "autolog.registry.api",
    "delete_model": "autolog.registry.api",
    "delete_model_version": "autolog.registry.api",
    "describe_model_folder": "autolog.registry.api",
    "get_model_version": "autolog.registry.api",
    "get_registered_model": "autolog.registry.api",
    "list_models": "autolog.registry.api",
    "list_versions": "autolog.registry.api",
    "parse_model_uri": "autolog.uris",
    "register_model": "autolog.registry.api",
    "resolve_model_uri": "autolog.registry.api",
    "search_model_versions": "autolog.registry.api",
    "set_alias": "autolog.registry.api",
    "update_model": "autolog.registry.api",
    "update_model_version": "autolog.registry.api",
}

__all__ = [
    "Comparison",
    "ModelVersion",
    "RegisteredModel",
    "check_alias",
    "check_model_name",
    "compare",
    "delete_alias",
    "delete_model",
    "delete_model_version",
    "describe_model_folder",
    "get_model_version",
    "get_registered_model",
    "list_models",
    "list_versions",
    "parse_model_uri",
    "register_model",
    "resolve_model_uri",
    "search_model_versions",
    "set_alias",
    "update_model",
    "update_model_version",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autolog.registry' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
