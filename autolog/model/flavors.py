"""Loading a model folder's flavors: one table, found by MLmodel flavor name.

Each flavor autolog can load has a :class:`FlavorLoader`. The table is built like fsspec's
``known_implementations``: the built-in flavors are named here as ``"module:attribute"``
strings (imported only when a folder of that flavor is loaded), and every installed
distribution may add or replace one through the entry-point group ``autolog.flavors``, whose
entry point's *name* is the flavor name written in ``MLmodel``::

    [project.entry-points."autolog.flavors"]
    xgboost = "autolog_xgboost.flavor:LOADER"

So :func:`autolog.load_model`, ``autolog predict`` and ``autolog evaluate`` serve any flavor a
plugin adds, with no edit to the core. :class:`FlavorLoader` itself lives in the leaf
:mod:`autolog.model.flavor_loader`, which the built-in formats import: they never import this table,
which names them. An entry point that does not name a
:class:`FlavorLoader` of its own name is a mistake of the plugin: :func:`loader` raises
:class:`~autolog.errors.PluginError` naming the entry point when that flavor is asked for.
"""

from __future__ import annotations

import threading

from autolog.errors import PluginError
from autolog.model.flavor_loader import FORMAT_NAMES, FlavorLoader, format_of

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "FORMAT_NAMES", "FlavorLoader", "format_of",
           "known", "loader"]

ENTRY_POINT_GROUP = "autolog.flavors"

#: The flavors the core itself loads (a plugin's entry point of the same name replaces one).
BUILTIN = {
    "sklearn": "autolog.model.formats.pickle_format:SKLEARN_LOADER",
    "pytorch": "autolog.model.formats.torch_format:LOADER",
    "onnx": "autolog.model.formats.onnx_format:LOADER",
}

_lock = threading.Lock()
_loaded: dict[str, FlavorLoader] = {}


def _sources() -> dict[str, tuple[str, str]]:
    """Flavor name -> (``module:attr``, where it is declared), plugins over built-ins."""
    from autolog.entrypoints import entry_points

    found = {name: (value, "autolog's built-in flavors") for name, value in BUILTIN.items()}
    for ep in entry_points(ENTRY_POINT_GROUP):
        found[ep.name] = (ep.value, f"the entry point {ep.name} = {ep.value} of the group "
                                    f"{ENTRY_POINT_GROUP}")
    return found


def known() -> list[str]:
    """Names of every flavor that can be loaded here (nothing is imported)."""
    return sorted(_sources())


def loader(name: str) -> FlavorLoader | None:
    """The loader of flavor ``name``, or None when no installed package loads it.

    Raises:
        PluginError: the entry point cannot be imported or names no ``FlavorLoader`` of
            that name (the message names the entry point).
    """
    with _lock:
        cached = _loaded.get(name)
    if cached is not None:
        return cached
    source = _sources().get(name)
    if source is None:
        return None
    value, where = source
    from autolog.entrypoints import EntryPoint

    try:
        obj = EntryPoint(name, value, ENTRY_POINT_GROUP).load()
    except Exception as exc:
        raise PluginError(f"Cannot load the {name!r} flavor from {where}: "
                          f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(obj, FlavorLoader):
        raise PluginError(f"{where} must name an autolog.plugin.FlavorLoader, not "
                          f"{type(obj).__name__}; fix the plugin's entry point.")
    if obj.name != name:
        raise PluginError(f"{where} names the loader of flavor {obj.name!r}; the entry point's "
                          f"name must be the flavor name written in MLmodel ({obj.name!r}).")
    with _lock:
        _loaded[name] = obj
    return obj
