"""What a framework looks like from outside, so that the integration kit can tell whether an
integration left anything behind: its modules' and classes' attributes by identity, the sizes
of module-level tables (hook registries), and the patches an integration holds.

Not imported by users: see :mod:`autolog.testing.integrations`.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Any

__all__ = ["FrameworkState", "active_integration", "patches_of"]

_TABLES = (dict, list, set)


def _in(name: Any, framework: str) -> bool:
    return isinstance(name, str) and (name == framework or name.startswith(framework + "."))


def _behaves(value: Any) -> bool:
    """True for what a patch replaces: a callable or a descriptor (a counter is not one)."""
    return callable(value) or hasattr(type(value), "__get__")


@dataclass
class FrameworkState:
    """The attributes of every imported module of a framework and of every class they define.

    Taken with :meth:`take`; :meth:`changes` lists what differs in a later state, by identity:
    a function, class or descriptor replaced, an attribute removed or added as an autolog
    wrapper, and a module-level table (dict, list, set: hook registries) whose size changed.
    A plain value that changed (a counter of handles) is state, not a patch.
    """

    namespaces: dict[str, tuple[Any, dict[str, Any]]]
    sizes: dict[str, int]

    @classmethod
    def take(cls, framework: str) -> FrameworkState:
        namespaces: dict[str, tuple[Any, dict[str, Any]]] = {}
        sizes: dict[str, int] = {}
        with warnings.catch_warnings():  # deprecated aliases warn when looked at
            warnings.simplefilter("ignore")
            cls._scan(framework, namespaces, sizes)
        return cls(namespaces, sizes)

    @staticmethod
    def _scan(framework: str, namespaces: dict[str, tuple[Any, dict[str, Any]]],
              sizes: dict[str, int]) -> None:
        for name, module in list(sys.modules.items()):
            if module is None or not _in(name, framework):
                continue
            attrs = dict(vars(module))
            namespaces[name] = (module, attrs)
            for key, value in attrs.items():
                if type(value) in _TABLES:
                    sizes[f"{name}.{key}"] = len(value)
                elif isinstance(value, type) and _in(getattr(value, "__module__", None),
                                                     framework):
                    qualified = f"{value.__module__}.{value.__qualname__}"
                    namespaces.setdefault(qualified, (value, dict(vars(value))))

    def by_owner(self) -> dict[int, dict[str, Any]]:
        """``id(owner)`` -> the owner's own attributes at the time of this state (the owners
        are kept alive by the state, so their ids stay theirs)."""
        return {id(obj): attrs for obj, attrs in self.namespaces.values()}

    def changes(self, later: FrameworkState) -> list[str]:
        from autolog.patching import is_autolog_wrapper

        found = []
        for key, (_, attrs) in self.namespaces.items():
            if key not in later.namespaces:
                continue
            now = later.namespaces[key][1]
            for name, value in attrs.items():
                if name not in now:
                    found.append(f"{key}.{name} was removed")
                elif now[name] is not value and (_behaves(value) or _behaves(now[name])):
                    found.append(f"{key}.{name} is {now[name]!r}, was {value!r}")
            for name in now.keys() - attrs.keys():
                if is_autolog_wrapper(now[name]) or isinstance(now[name], property) and \
                        is_autolog_wrapper(now[name].fget):
                    found.append(f"{key}.{name} was added: {now[name]!r}")
        for table, size in self.sizes.items():
            if table in later.sizes and later.sizes[table] != size:
                found.append(f"{table} holds {later.sizes[table]} entries, held {size}")
        return sorted(found)


def active_integration(framework: str) -> Any:
    """The integration instance autolog applied for ``framework``, or None."""
    from autolog.activation import applied_integration

    return applied_integration(framework)


def patches_of(integration: Any) -> list[Any]:
    """Every patch the integration holds in its :class:`~autolog.patching.PatchSet` attributes
    (``patches`` and any other, e.g. patches applied only in some phases)."""
    from autolog.patching import CellPatch, Patch, PatchSet

    found: list[Any] = []
    for value in vars(integration).values():
        if isinstance(value, PatchSet):
            found.extend(p for p in value if isinstance(p, (Patch, CellPatch)))
    return found
