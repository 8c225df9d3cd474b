"""The contract an integration fulfils.

An integration teaches autolog one framework. It declares *what* it patches and for which
versions; the core decides *when*: :mod:`autolog.activation` registers a post-import hook on
:attr:`Integration.module`, checks the installed version against :attr:`Integration.supported`
and then calls :meth:`Integration.apply`. Every patch goes through :attr:`Integration.patches`
(a :class:`~autolog.patching.PatchSet`), so :meth:`Integration.remove` undoes all of it.

Integrations are found through the entry-point group ``autolog.integrations`` — the built-in
ones (``autolog_sklearn``, ``autolog_torch``) exactly like a third-party one::

    [project.entry-points."autolog.integrations"]
    xgboost = "autolog_xgboost:XGBoostIntegration"

An integration can be blocked by name with the option ``disabled_integrations``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from importlib import metadata
from types import ModuleType
from typing import ClassVar

from autolog.patching import PatchSet

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
        self.patches = PatchSet()
        self.applied = False
        self._modules_done: set[str] = set()

    def when_imported(self, module_name: str, apply: Callable[[ModuleType], None]) -> None:
        """Run ``apply(module)`` once ``module_name`` is imported (now, if it already is).

        For submodules that the framework imports lazily; patched through :attr:`patches` like
        everything else, and skipped if the integration was removed in the meantime.
        """
        import wrapt

        def hook(module: ModuleType) -> None:
            if self.applied and module_name not in self._modules_done:
                self._modules_done.add(module_name)
                apply(module)

        wrapt.register_post_import_hook(hook, module_name)

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


def discover() -> dict[str, metadata.EntryPoint]:
    """Entry points of every installed integration, by name."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def loaded_classes() -> list[type]:
    """The classes of installed integrations whose framework is imported in this process.

    The core asks them about a model it was handed (``flavor_for(model)``: how to write it;
    ``evaluation_outputs(model, X, y, task)``: its predictions on held-out data); a framework
    that is not imported cannot have made the model, so it is never imported for that.
    """
    from autolog.imported import loaded

    found = []
    for entry_point in discover().values():
        module_name = entry_point.value.split(":")[0].split(".")[0]
        cls = entry_point.load()
        if loaded(getattr(cls, "module", module_name)) is not None:  # not half-imported
            found.append(cls)
    return found
