"""``get_params(deep=True)`` without re-reading ``__init__``'s signature at every fit.

scikit-learn's ``BaseEstimator.get_params`` asks ``inspect.signature`` for the parameter names
on every call (a third of the time autolog spends on the training thread for a small model).
The names only change with the class's ``__init__``, so they are cached per class and
``__init__``; the values are read exactly as ``BaseEstimator.get_params`` reads them. An
estimator that overrides ``get_params`` or ``_get_param_names`` (a Pipeline, a
ColumnTransformer) is asked through its own method.
"""

from __future__ import annotations

import weakref
from typing import Any

__all__ = ["get_params"]

# class -> (its __init__, the parameter names read from it)
_names: weakref.WeakKeyDictionary[type, tuple[Any, list[str]]] = weakref.WeakKeyDictionary()


def _param_names(cls: type) -> list[str]:
    init = cls.__init__  # type: ignore[misc]
    cached = _names.get(cls)
    if cached is not None and cached[0] is init:
        return cached[1]
    names = list(cls._get_param_names())  # type: ignore[attr-defined]
    _names[cls] = (init, names)
    return names


def _is_plain(cls: type) -> bool:
    from sklearn.base import BaseEstimator

    return (getattr(cls, "get_params", None) is BaseEstimator.get_params
            and getattr(cls._get_param_names, "__func__", None)  # type: ignore[attr-defined]
            is BaseEstimator._get_param_names.__func__)  # type: ignore[attr-defined]


def get_params(estimator: Any) -> dict[str, Any]:
    """``estimator.get_params(deep=True)``: the same dict, with the parameter names cached."""
    if not _is_plain(type(estimator)):
        return estimator.get_params(deep=True)  # type: ignore[no-any-return]
    return _deep(estimator)


def _deep(estimator: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _param_names(type(estimator)):
        value = getattr(estimator, key)
        if hasattr(value, "get_params") and not isinstance(value, type):
            # BaseEstimator.get_params calls value.get_params() with no arguments.
            nested = _deep(value) if _is_plain(type(value)) else value.get_params()
            out.update((key + "__" + k, v) for k, v in nested.items())
        out[key] = value
    return out
