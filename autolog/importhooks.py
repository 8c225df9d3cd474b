"""Post-import hooks: run a function when a module is imported (at once if it already is).

What wrapt's ``register_post_import_hook`` does, in the few lines autolog needs, because
activation runs at interpreter start-up under ``AUTOLOG=1``: importing wrapt costs tens of
milliseconds there (its package imports asyncio), and a hook must cost nothing until its module
is imported. A finder at the front of ``sys.meta_path`` answers only for module names that have
hooks: it asks the other finders for the real spec and gives it a loader that executes the
module with the real loader, then runs the hooks. The module's ``__loader__`` and
``__spec__.loader`` are the real loader again before its code runs, so nothing in the module,
nor anyone later, sees the wrapper. A hook runs once; a module imported again after it was
removed from ``sys.modules`` does not run it again (as with wrapt).
"""

from __future__ import annotations

import _thread
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

__all__ = ["when_imported"]

_hooks: dict[str, list[Callable[[ModuleType], None]]] = {}
_lock = _thread.RLock()
_finder: _HookFinder | None = None


def when_imported(name: str, hook: Callable[[ModuleType], None]) -> None:
    """Call ``hook(module)`` once module ``name`` is imported; now, if it is already.

    An exception raised by the hook propagates to the code importing the module (as with
    wrapt): hooks guard themselves.
    """
    global _finder
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _hooks.setdefault(name, []).append(hook)
            if _finder is None or _finder not in sys.meta_path:
                _finder = _HookFinder()
                sys.meta_path.insert(0, _finder)
            return
    hook(module)


def _notify(module: ModuleType) -> None:
    with _lock:
        hooks = _hooks.pop(module.__name__, ())
    for hook in hooks:
        hook(module)


class _HookLoader:
    """The real loader, with the hooks run after the module's code."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self._loader
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self._loader
        self._loader.exec_module(module)
        _notify(module)


class _HookFinder:
    """A meta path finder that wraps the loader of modules with pending hooks."""

    def __init__(self) -> None:
        self._busy: set[str] = set()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        with _lock:
            if fullname not in _hooks or fullname in self._busy:
                return None
            self._busy.add(fullname)
        try:
            from importlib.util import find_spec

            spec = find_spec(fullname)
        finally:
            with _lock:
                self._busy.discard(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module") or isinstance(loader,
                                                                              _HookLoader):
            return spec
        spec.loader = _HookLoader(loader)  # type: ignore[union-attr]
        return spec

    def invalidate_caches(self) -> None:
        """Nothing cached (``importlib.invalidate_caches`` calls every finder)."""
