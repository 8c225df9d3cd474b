"""Stores, chosen by URI.

=====================================  ======================================  =============
URI                                    store                                   needs extra
=====================================  ======================================  =============
``/path``, ``~/path``, ``file:///p``   :class:`~autolog.stores.local.LocalStore`  (core)
``http(s)://host``                     MLflow tracking server                  ``mlflow``
``mlflow+http(s)://host``              MLflow tracking server                  ``mlflow``
``<scheme>://...``                     a plugin in entry-point group ``autolog.stores``
=====================================  ======================================  =============

Backends are named as ``"module:Class"`` strings and imported only when a URI needs them, so
choosing a local store never imports the MLflow client.
"""

from __future__ import annotations

import importlib
import threading
from importlib import metadata
from urllib.parse import unquote, urlparse

from autolog.errors import UnknownSchemeError
from autolog.stores.base import Store

__all__ = ["KNOWN_SCHEMES", "Store", "open_store", "parse_store_uri"]

# scheme -> ("module:Class", extra that installs its dependencies)
KNOWN_SCHEMES: dict[str, tuple[str, str | None]] = {
    "file": ("autolog.stores.local:LocalStore", None),
    "http": ("autolog.stores.mlflow:MLflowStore", "mlflow"),
    "https": ("autolog.stores.mlflow:MLflowStore", "mlflow"),
    "mlflow+http": ("autolog.stores.mlflow:MLflowStore", "mlflow"),
    "mlflow+https": ("autolog.stores.mlflow:MLflowStore", "mlflow"),
}
ENTRY_POINT_GROUP = "autolog.stores"
DISTRIBUTION = "autolog-ml"

_cache: dict[str, Store] = {}
_lock = threading.Lock()


def parse_store_uri(uri: str) -> tuple[str, str]:
    """Split a store URI into (scheme, location); a bare path has scheme ``file``."""
    parsed = urlparse(uri)
    # A Windows drive letter ("C:\\runs") parses as a one-letter scheme.
    if not parsed.scheme or len(parsed.scheme) == 1:
        return "file", uri
    if parsed.scheme == "file":
        return "file", unquote(parsed.path)
    return parsed.scheme.lower(), uri


def _plugins() -> dict[str, metadata.EntryPoint]:
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _load(target: str) -> type[Store]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def open_store(uri: str) -> Store:
    """The store for ``uri`` (one instance per URI per process).

    Raises:
        UnknownSchemeError: no built-in store or plugin handles the scheme; the message lists
            the known schemes.
        ConfigError: the backend for the scheme is not installed; the message names the extra.
    """
    with _lock:
        store = _cache.get(uri)
        if store is not None:
            return store
        scheme, location = parse_store_uri(uri)
        if scheme in KNOWN_SCHEMES:
            target, extra = KNOWN_SCHEMES[scheme]
            try:
                cls = _load(target)
            except ImportError as exc:
                raise UnknownSchemeError(
                    f"The store URI {uri!r} needs the {extra!r} extra, which is not installed: "
                    f"pip install '{DISTRIBUTION}[{extra}]' ({exc})."
                ) from exc
        else:
            plugins = _plugins()
            if scheme not in plugins:
                known = sorted(set(KNOWN_SCHEMES) | set(plugins))
                raise UnknownSchemeError(
                    f"No store handles the scheme {scheme!r} of {uri!r}. Known schemes: "
                    f"{', '.join(known)}, or a plain folder path. Third-party stores register "
                    f"in the entry-point group {ENTRY_POINT_GROUP!r}."
                )
            cls = plugins[scheme].load()
        store = cls(location)
        _cache[uri] = store
        return store
