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

import _thread

from autolog.errors import ConfigError, UnknownSchemeError

# enable() checks the store URI at interpreter start-up under AUTOLOG=1: the Store classes and
# urllib are imported only when a store is opened or a URI has a scheme.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from autolog.entrypoints import EntryPoint
    from autolog.stores.base import Store

__all__ = ["KNOWN_SCHEMES", "Store", "check_scheme", "current_store", "import_backend",
           "open_store", "parse_store_uri"]


def __getattr__(name: str) -> object:
    if name == "Store":
        from autolog.stores.base import Store

        return Store
    raise AttributeError(f"module 'autolog.stores' has no attribute {name!r}")

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

_cache: dict[tuple[str, bool], Store] = {}
_lock = _thread.allocate_lock()


def parse_store_uri(uri: str) -> tuple[str, str]:
    """Split a store URI into (scheme, location); a bare path has scheme ``file``.

    Raises:
        ConfigError: the URI cannot name a store (empty, a NUL character, a malformed host,
            ``file:`` without a path); the message quotes it.
    """
    if not isinstance(uri, str) or not uri.strip() or "\x00" in uri:
        raise ConfigError(f"Invalid store URI {uri!r}: give a folder path, file:///path or "
                          "http(s)://host.")
    if ":" not in uri:
        return "file", uri  # a plain path (what urlparse would say, without importing it)
    from urllib.parse import unquote, urlparse

    try:
        parsed = urlparse(uri)
    except ValueError as exc:  # e.g. "http://[::1" (an unclosed IPv6 host)
        raise ConfigError(f"Invalid store URI {uri!r}: {exc}.") from exc
    # A Windows drive letter ("C:\\runs") parses as a one-letter scheme.
    if not parsed.scheme or len(parsed.scheme) == 1:
        return "file", uri
    if parsed.scheme.lower() == "file":
        path = unquote(parsed.path)
        if not path or "\x00" in path:
            raise ConfigError(f"Invalid store URI {uri!r}: a file: URI needs a path (no NUL "
                              "characters), e.g. file:///home/me/autolog-store.")
        return "file", path
    return parsed.scheme.lower(), uri


def _plugins() -> dict[str, EntryPoint]:
    from autolog.entrypoints import entry_points

    return {ep.name: ep for ep in entry_points(ENTRY_POINT_GROUP)}


def _load(target: str) -> type[Store]:
    import importlib

    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


_imported_schemes: set[str] = set()


def import_backend(uri: str) -> None:
    """Import the module of the store that handles ``uri`` on the calling thread, once.

    A run calls it where it is created, on the user's thread: a backend imported later on the
    writer thread (``mlflow`` and what it imports, polars among them) would be half-imported
    while the user's code runs, and a library that looks a module up in ``sys.modules`` (as
    scikit-learn does for polars) would find it half-initialized and fail. Errors are left for
    :func:`open_store` to report where the store is used.
    """
    try:
        scheme, _ = parse_store_uri(uri)
    except ConfigError:
        return
    if scheme in _imported_schemes:
        return
    _imported_schemes.add(scheme)
    try:
        if scheme in KNOWN_SCHEMES:
            _load(KNOWN_SCHEMES[scheme][0])
        elif scheme in _plugins():
            _plugins()[scheme].load()
    except Exception:  # noqa: BLE001 - reported by open_store, where the store is used
        return


def check_scheme(uri: str) -> None:
    """Raise :class:`UnknownSchemeError` now if no built-in store or plugin handles ``uri``'s
    scheme (nothing is imported or opened: ``enable()`` calls it to catch typos early).
    """
    scheme, _ = parse_store_uri(uri)
    if scheme in KNOWN_SCHEMES:
        return
    plugins = _plugins()
    if scheme not in plugins:
        known = sorted(set(KNOWN_SCHEMES) | set(plugins))
        raise UnknownSchemeError(
            f"No store handles the scheme {scheme!r} of {uri!r}. Known schemes: "
            f"{', '.join(known)}, or a plain folder path. Third-party stores register "
            f"in the entry-point group {ENTRY_POINT_GROUP!r}."
        )


def current_store() -> Store:
    """The store of the effective configuration (the ``store`` option of the enable() in force,
    else of the environment)."""
    from autolog import config

    return open_store(config.effective().store_uri)


def open_store(uri: str, *, offline_fallback: bool = True) -> Store:
    """The store for ``uri`` (one instance per URI per process).

    A remote store (one whose class sets ``remote = True``) comes wrapped in a
    :class:`~autolog.stores.fallback.FallbackStore` that keeps runs in a local folder while the
    server cannot be reached; ``offline_fallback=False`` gives the bare remote store.

    Raises:
        UnknownSchemeError: no built-in store or plugin handles the scheme; the message lists
            the known schemes.
        ConfigError: the backend for the scheme is not installed; the message names the extra.
    """
    with _lock:
        store = _cache.get((uri, offline_fallback))
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
            check_scheme(uri)
            cls = _plugins()[scheme].load()
        store = cls(location)  # type: ignore[call-arg] # backends take their location
        if offline_fallback and getattr(cls, "remote", False):
            from autolog.stores.fallback import FallbackStore

            store = FallbackStore(store)
        _cache[(uri, offline_fallback)] = store
        return store
