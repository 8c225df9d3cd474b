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

The base class owns the lifecycle: the core calls :meth:`Integration.activate` (which calls
the subclass's :meth:`~Integration.apply`) and :meth:`Integration.deactivate` (which calls
:meth:`~Integration.remove`); :attr:`Integration.applied` is read-only. An integration that
keeps a run open across calls (PyTorch's training loop) overrides
:meth:`Integration.on_end_run`, which the core calls whenever runs are ended. Hooks a framework
undoes with a handle of its own go into the same :class:`~autolog.patching.PatchSet`
(``self.patches.hold(handle)``). A plugin that breaks the contract is refused when its
framework is imported, with one warning naming its entry point (:func:`validate`).
"""

from __future__ import annotations

import abc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import ClassVar

    from autolog.entrypoints import EntryPoint

__all__ = ["ENTRY_POINT_GROUP", "Integration", "Target", "discover", "loaded_classes",
           "validate", "version_problem"]

ENTRY_POINT_GROUP = "autolog.integrations"


class Target:
    """One attribute an integration wraps, declared rather than patched by hand.

    Attributes:
        module: the import name of the module that holds it (``"xgboost.training"``); the
            patch is applied when that module is imported (at once if it already is).
        attribute: its dotted path in the module (``"train"``, ``"Booster.update"``).
        wrapper: the name of the integration's method that wraps it, called as wrapt calls
            wrappers: ``(wrapped, instance, args, kwargs)``.

    A plain class, not a dataclass: this module is imported at interpreter start under
    ``AUTOLOG=1``, where ``dataclasses`` would cost milliseconds.
    """

    __slots__ = ("attribute", "module", "wrapper")

    def __init__(self, module: str, attribute: str, wrapper: str) -> None:
        self.module = module
        self.attribute = attribute
        self.wrapper = wrapper

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Target) and (
            (self.module, self.attribute, self.wrapper)
            == (other.module, other.attribute, other.wrapper))

    def __hash__(self) -> int:
        return hash((self.module, self.attribute, self.wrapper))

    def __repr__(self) -> str:
        return f"Target({self.module!r}, {self.attribute!r}, {self.wrapper!r})"


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
    #: What it wraps, applied by :meth:`activate` and undone by :meth:`deactivate`; an
    #: integration that must decide at run time (subclasses, lazily imported submodules)
    #: patches in :meth:`apply` as well, through :attr:`patches` as always.
    targets: ClassVar[tuple[Target, ...]] = ()

    def __init__(self) -> None:
        from autolog.patching import PatchSet

        self.patches = PatchSet()
        self._applied = False
        self._modules_done: set[str] = set()

    @property
    def applied(self) -> bool:
        """True between :meth:`activate` and :meth:`deactivate` (set only by the base class)."""
        return self._applied

    def activate(self, module: ModuleType) -> None:
        """Apply the integration to its freshly imported framework (called by the core once).

        If :meth:`apply` raises, everything it patched is undone and the exception propagates
        (the core turns it into one warning).
        """
        if self._applied:
            return
        self._applied = True  # before apply(): its when_imported() hooks check it
        try:
            for name in dict.fromkeys(t.module for t in self.targets):
                self._when_imported(f"targets of {name}", name, self._patch_targets(name))
            self.apply(module)
            if self._overrides_on_end_run():
                from autolog import tracking

                tracking.add_end_run_hook(self.on_end_run)
        except BaseException:
            self.deactivate()
            raise

    def deactivate(self) -> None:
        """Undo everything :meth:`activate` did (called by the core at ``disable()``)."""
        if self._overrides_on_end_run():
            from autolog import tracking

            tracking.remove_end_run_hook(self.on_end_run)
        try:
            self.remove()
        finally:
            self._applied = False
            self._modules_done.clear()

    def _patch_targets(self, module_name: str) -> Callable[[ModuleType], None]:
        """What patches the targets in ``module_name`` once it is imported."""
        def patch(module: ModuleType) -> None:
            for target in self.targets:
                if target.module != module_name:
                    continue
                owner: object = module
                *path, name = target.attribute.split(".")
                for part in path:
                    owner = getattr(owner, part)
                self.patches.wrap(owner, name, getattr(self, target.wrapper))

        return patch

    def _overrides_on_end_run(self) -> bool:
        return type(self).on_end_run is not Integration.on_end_run

    def on_end_run(self) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Runs are being ended (``autolog.end_run()``, ``disable()``, interpreter exit): end
        any run this integration holds open. The default holds none."""

    def when_imported(self, module_name: str, apply: Callable[[ModuleType], None]) -> None:
        """Run ``apply(module)`` once ``module_name`` is imported (now, if it already is).

        For submodules that the framework imports lazily; patched through :attr:`patches` like
        everything else, and skipped if the integration was removed in the meantime.
        """
        self._when_imported(module_name, module_name, apply)

    def _when_imported(self, key: str, module_name: str,
                       apply: Callable[[ModuleType], None]) -> None:
        # A post-import hook cannot be unregistered, so one registered at an earlier
        # activation may fire too: ``key`` makes each run once per activation.
        from autolog import importhooks

        def hook(module: ModuleType) -> None:
            if self.applied and key not in self._modules_done:
                self._modules_done.add(key)
                apply(module)

        importhooks.when_imported(module_name, hook)

    def apply(self, module: ModuleType) -> None:  # noqa: B027 - optional with targets
        """Patch what :attr:`targets` cannot declare (``module`` is the freshly imported
        :attr:`module`); the default does nothing."""

    def remove(self) -> None:
        """Undo every patch. Subclasses that hold other state extend this (and call it)."""
        self.patches.revert_all()


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


def validate(obj: object, entry_point: EntryPoint) -> type[Integration]:
    """``obj`` (what ``entry_point`` loaded) as an integration class, checked against the
    contract.

    Raises:
        PluginError: naming the entry point and what is wrong with it.
    """
    from autolog.errors import PluginError

    where = f"the integration entry point {entry_point.name} = {entry_point.value}"
    if not (isinstance(obj, type) and issubclass(obj, Integration)):
        raise PluginError(f"{where} names {obj!r}, which is not a subclass of "
                          "autolog.plugin.Integration.")
    missing = [attr for attr in ("name", "module", "distribution")
               if not isinstance(getattr(obj, attr, None), str) or not getattr(obj, attr)]
    if missing:
        raise PluginError(f"{where}: {obj.__name__} must set the class variable(s) "
                          f"{', '.join(missing)} (a non-empty string each).")
    if obj.module != entry_point.name:
        raise PluginError(f"{where} patches the module {obj.module!r}: an entry point of the "
                          f"group {ENTRY_POINT_GROUP!r} must be named after the module it "
                          f"patches ({obj.module} = {entry_point.value}).")
    if getattr(obj, "__abstractmethods__", None):
        raise PluginError(f"{where}: {obj.__name__} does not implement "
                          f"{', '.join(sorted(obj.__abstractmethods__))}.")
    if not obj.targets and obj.apply is Integration.apply:
        raise PluginError(f"{where}: {obj.__name__} patches nothing: declare targets or "
                          "implement apply(module).")
    for target in obj.targets:
        if not isinstance(target, Target):
            raise PluginError(f"{where}: {obj.__name__}.targets holds {target!r}, not an "
                              "autolog.plugin.Target.")
        if not callable(getattr(obj, target.wrapper, None)):
            raise PluginError(f"{where}: the target {target.module}.{target.attribute} names "
                              f"the wrapper {target.wrapper!r}, which is not a method of "
                              f"{obj.__name__}.")
    if obj.supported:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(obj.supported)
        except InvalidSpecifier:
            raise PluginError(f"{where}: supported = {obj.supported!r} is not a PEP 440 "
                              "version specifier (e.g. '>=2.0,<4').") from None
    return obj


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
    from autolog import safety
    from autolog.imported import loaded

    found = []
    for name, entry_point in discover().items():
        if loaded(name) is not None:  # imported, and not half-imported
            try:
                found.append(validate(entry_point.load(), entry_point))
            except Exception as exc:  # noqa: BLE001 - a broken plugin costs only itself
                safety.internal_error(f"loading the integration {name!r} ({entry_point.value})",
                                      exc)
    return found
