"""The contract an integration fulfils.

An integration teaches autolog one framework. It declares *what* it patches and for which
versions; the core decides *when*: :mod:`autolog.activation` registers a post-import hook on
the framework, checks the installed version against :attr:`Integration.supported` and then
calls :meth:`Integration.apply`. Every patch goes through :attr:`Integration.patches` (a
:class:`~autolog.patching.PatchSet`), so :meth:`Integration.remove` undoes all of it.

Integrations are found through the entry-point group ``autolog.integrations`` — the built-in
ones (``autolog_sklearn``, ``autolog_torch``) exactly like a third-party one. **The entry
point's name is the import name of the framework** (:attr:`Integration.module`): the
integration itself is imported only once that module is imported, so that an installed
integration costs nothing in a program that never imports its framework::

    [project.entry-points."autolog.integrations"]
    xgboost = "autolog_xgboost:XGBoostIntegration"   # XGBoostIntegration.module == "xgboost"

An integration can be blocked by name with the option ``disabled_integrations``.
"""

from __future__ import annotations

import abc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import ClassVar

    from autolog.entrypoints import EntryPoint

__all__ = ["ENTRY_POINT_GROUP", "Integration", "discover", "loaded_classes", "version_problem"]

ENTRY_POINT_GROUP = "autolog.integrations"


class Integration(abc.ABC):
    """Base class of integrations; subclasses set the class variables and :meth:`apply`."""

    #: Short name used by ``disabled_integrations`` ("sklearn", "torch").
    name: ClassVar[str]
    #: Import name whose first import triggers :meth:`apply`.
    module: ClassVar[str]
    #: Distribution whose installed version is checked.
    distribution: ClassVar[str]
    #: PEP 440 specifier of supported versions, e.g. ">=1.3".
    supported: ClassVar[str] = ""

    def __init__(self) -> None:
        from autolog.patching import PatchSet

        self.patches = PatchSet()
        self.applied = False
        self._modules_done: set[str] = set()

    def when_imported(self, module_name: str, apply: Callable[[ModuleType], None]) -> None:
        """Run ``apply(module)`` once ``module_name`` is imported (now, if it already is).

        For submodules that the framework imports lazily; patched through :attr:`patches` like
        everything else, and skipped if the integration was removed in the meantime.
        """
        from autolog import importhooks

        def hook(module: ModuleType) -> None:
            if self.applied and module_name not in self._modules_done:
                self._modules_done.add(module_name)
                apply(module)

        importhooks.when_imported(module_name, hook)

    @abc.abstractmethod
    def apply(self, module: ModuleType) -> None:
        """Patch the framework (``module`` is the freshly imported :attr:`module`)."""

    def remove(self) -> None:
        """Undo every patch. Subclasses that hold other state extend this."""
        self.patches.revert_all()
        self.applied = False
        self._modules_done.clear()


def version_problem(integration: Integration) -> str | None:
    """Why the installed framework cannot be patched, or None when it can."""
    if not integration.supported:
        return None
    from importlib import metadata

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    try:
        installed = metadata.version(integration.distribution)
    except metadata.PackageNotFoundError:
        return None  # imported from source or vendored: nothing to check against
    if Version(installed) not in SpecifierSet(integration.supported):
        return (f"{integration.distribution} {installed} is not supported by the "
                f"{integration.name!r} integration (supported: {integration.supported})")
    return None


def discover() -> dict[str, EntryPoint]:
    """Entry points of every installed integration, by name (the framework's import name)."""
    from autolog.entrypoints import entry_points

    return {ep.name: ep for ep in entry_points(ENTRY_POINT_GROUP)}


def loaded_classes() -> list[type]:
    """The classes of installed integrations whose framework is imported in this process.

    The core asks them about a model it was handed (``flavor_for(model)``: how to write it;
    ``evaluation_outputs(model, X, y, task)``: its predictions on held-out data); a framework
    that is not imported cannot have made the model, so it is never imported for that. The
    entry point's name is the framework's import name: an integration whose framework is not
    imported is not even loaded.
    """
    from autolog.imported import loaded

    found = []
    for name, entry_point in discover().items():
        if loaded(name) is not None:  # imported, and not half-imported
            found.append(entry_point.load())
    return found
