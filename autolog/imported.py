"""Which libraries are loaded, and whether an object is one of their types, without importing.

autolog recognises a pandas DataFrame or a torch tensor by looking the library up in
``sys.modules``: an object can only be a ``torch.Tensor`` if torch is loaded, so inspecting a
numpy array never imports torch. A module that another thread is still importing is in
``sys.modules`` too, half-initialized: ``torch.Tensor`` may not exist yet. The background
writer must never touch such a module, so :func:`loaded` treats it as not loaded (nothing in
the user's data can be of a type its library has not finished defining).
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

__all__ = ["is_instance", "loaded"]


def loaded(name: str) -> ModuleType | None:
    """The module ``name`` if it is fully imported, else None (absent or still importing)."""
    module = sys.modules.get(name)
    if module is None:
        return None
    # importlib sets __spec__._initializing while the module's code runs (the same flag that
    # gives the "partially initialized module" error message).
    if getattr(getattr(module, "__spec__", None), "_initializing", False):
        return None
    return module


def is_instance(obj: Any, module: str, attr: str) -> bool:
    """``isinstance(obj, module.attr)`` when ``module`` is fully imported, else False."""
    mod = loaded(module)
    if mod is None:
        return False
    cls = getattr(mod, attr, None)
    return isinstance(cls, type) and isinstance(obj, cls)
