"""The only place that monkey-patches.

Three layers, as in wrapt: *resolve* the attribute through the owner's ``__dict__`` (walking the
MRO for an inherited one, so descriptors are wrapped raw and bind correctly), *wrap* it in a
:class:`wrapt.FunctionWrapper`, *apply* it with ``setattr``. Every patch returns a :class:`Patch`
that undoes exactly what it did: the owner's ``__dict__`` holds the original object again, and
an attribute that was inherited is deleted rather than left behind as an own attribute.

A module-level function that a decorator wraps (scikit-learn's ``validate_params``) can also be
wrapped *inside* the decorator, in its closure cell (:func:`wrap_decorated`): every reference
to the public function then runs the wrapper, including names bound by ``from m import f``
before autolog was enabled.

Wrappers get wrapt's ``(wrapped, instance, args, kwargs)``. Two context flags decide whether a
wrapper records anything:

* :func:`recording` marks that an outer autologged call is running, so inner calls (a
  Pipeline's steps, a search's candidates) pass straight through;
* :func:`suspended` switches autolog off for a block, e.g. while autolog itself predicts,
  converts or exports a model.

:func:`caller_module` tells who called a wrapper, for the rule that only the user's own calls
record (a fit that a library makes for its own purposes is not a run).
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import sys
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, SupportsIndex

import wrapt

__all__ = [
    "CellPatch",
    "Patch",
    "PatchSet",
    "caller_module",
    "enter_recording",
    "exit_recording",
    "is_recording",
    "is_suspended",
    "on_subclass",
    "recording",
    "should_record",
    "suspended",
    "wrap_attribute",
    "wrap_decorated",
]

_MISSING: Any = object()

_recording: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autolog_recording", default=False)
_suspended: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autolog_suspended", default=False)

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]

# Top-level packages whose frames only pass a call along: wrappers (autolog's own, wrapt's
# pure-Python fallback, functools), thread and process pools (threading, concurrent.futures,
# multiprocessing, joblib and its loky). The caller is looked for above them.
_PASS_ALONG = frozenset({"autolog", "wrapt", "functools", "threading", "concurrent",
                         "multiprocessing", "joblib"})


def _unwrap_reduce(wrapped: Any) -> Any:
    return wrapped


class _Wrapper(wrapt.FunctionWrapper):  # type: ignore[type-arg]
    """A FunctionWrapper that pickles as the object it wraps.

    cloudpickle pickles classes defined in ``__main__`` or a notebook by value, ``__dict__``
    included; reducing to the original keeps such pickles free of autolog.
    """

    # wrapt looks this up on every call through a subclass; when it is missing, the failed
    # lookup (an AttributeError raised and cleared) doubles the cost of each wrapped call.
    __bound_function_wrapper__ = wrapt.BoundFunctionWrapper

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return (_unwrap_reduce, (self.__wrapped__,))

    def __reduce__(self) -> Any:
        return (_unwrap_reduce, (self.__wrapped__,))


class _ModuleFunctionWrapper(_Wrapper):
    """A wrapper of a module-level function pickles as a reference to its global name.

    Pickle looks the name up again when loading, so a process where autolog patched the
    module (a joblib worker under ``AUTOLOG=1``) gets its own wrapper, and others the original.
    """

    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        return self.__qualname__

    def __reduce__(self) -> Any:
        return self.__qualname__


class _DecoratedWrapper(_Wrapper):
    """The wrapper :func:`wrap_decorated` puts in a decorator's closure cell.

    scikit-learn's parameter validation calls ``inspect.signature(func)`` on every call;
    through a proxy that walks to the wrapped function each time, which costs more than the
    rest of the wrapper. The signature is computed once and kept on the wrapper.
    """

    @property
    def __signature__(self) -> inspect.Signature:
        found: inspect.Signature | None = getattr(self, "_self_signature", None)
        if found is None:
            found = inspect.signature(self.__wrapped__)
            self._self_signature = found  # wrapt keeps _self_* names on the wrapper itself
        return found


def is_recording() -> bool:
    """True inside an autologged call (inner training calls must not record)."""
    return _recording.get()


def is_suspended() -> bool:
    """True inside :func:`suspended`."""
    return _suspended.get()


def should_record() -> bool:
    """True when a wrapper may start recording: not nested and not suspended."""
    return not (_recording.get() or _suspended.get())


def caller_module(pass_along: Collection[str] = (), depth: int = 1) -> str | None:
    """The module of the code that called a wrapper: ``__name__`` of the first frame above it
    that does not merely pass the call along.

    Frames of autolog (and ``autolog_*`` integrations), wrapt, functools, threading,
    concurrent.futures, multiprocessing and joblib are passed over, as are those of the modules
    named in ``pass_along`` (a framework's own plumbing, e.g. a mixin's ``fit_transform`` that
    calls ``self.fit``). A call that arrives with nothing but such frames above it (a thread or
    worker process running ``est.fit`` itself) has no caller: None. A frame whose globals have
    no ``__name__`` (code run by ``exec``) gives ``""``.

    Cost: a walk over a few frames; call it only when a wrapper is about to record.

    Args:
        pass_along: full module names to pass over as well.
        depth: frames between the caller of this function and the wrapper's caller (1 when
            called from the wrapper itself).
    """
    frame = sys._getframe(depth + 1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if not isinstance(name, str):
            return ""
        top = name.partition(".")[0]
        if not (top in _PASS_ALONG or top.startswith("autolog_") or name in pass_along):
            return name
        frame = frame.f_back  # type: ignore[assignment]
    return None


@contextlib.contextmanager
def recording() -> Iterator[None]:
    """Mark the current context as inside an autologged call."""
    token = _recording.set(True)
    try:
        yield
    finally:
        _recording.reset(token)


def enter_recording() -> contextvars.Token[bool]:
    """:func:`recording` without a context manager, for wrappers on hot paths (``predict``):
    pass the token to :func:`exit_recording` in a ``finally``."""
    return _recording.set(True)


def exit_recording(token: contextvars.Token[bool]) -> None:
    _recording.reset(token)


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Switch autolog's wrappers to pass-through for the block (this context only)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


@dataclass
class Patch:
    """One applied patch; :meth:`revert` restores the owner exactly."""

    owner: Any
    name: str
    original: Any  # the owner's own __dict__ entry, or _MISSING when it was inherited
    replacement: Any

    @property
    def was_inherited(self) -> bool:
        return self.original is _MISSING

    def is_applied(self) -> bool:
        return vars(self.owner).get(self.name, _MISSING) is self.replacement

    def revert(self) -> None:
        """Undo the patch, unless something else has since replaced our wrapper."""
        if not self.is_applied():
            return
        if self.was_inherited:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.original)


def _resolve(owner: Any, name: str) -> tuple[Any, Any]:
    """(raw object to wrap, own __dict__ entry or _MISSING)."""
    own = vars(owner).get(name, _MISSING)
    if own is not _MISSING:
        return own, own
    if isinstance(owner, type):
        for base in owner.__mro__[1:]:
            if name in vars(base):
                return vars(base)[name], _MISSING
    raise AttributeError(f"{owner!r} has no attribute {name!r} to patch")


def wrap_attribute(owner: Any, name: str, wrapper: Wrapper) -> Patch:
    """Wrap ``owner.name`` (a class or a module attribute) with ``wrapper``.

    Functions, methods, classmethods, staticmethods and other descriptors are wrapped raw,
    so that they bind exactly as before; a property gets its getter wrapped.

    Returns:
        The :class:`Patch`, to revert later.

    Raises:
        AttributeError: ``owner`` has no such attribute.
    """
    raw, own = _resolve(owner, name)
    if isinstance(raw, property):
        if raw.fget is None:
            raise AttributeError(f"{owner!r}.{name} is a property without a getter")
        replacement: Any = property(_Wrapper(raw.fget, wrapper), raw.fset, raw.fdel, raw.__doc__)
    elif isinstance(owner, ModuleType):
        replacement = _ModuleFunctionWrapper(raw, wrapper)
    else:
        replacement = _Wrapper(raw, wrapper)
    setattr(owner, name, replacement)
    return Patch(owner, name, own, replacement)


@dataclass
class CellPatch:
    """A function wrapped in the closure cell of the decorator around it (see
    :func:`wrap_decorated`); :meth:`revert` puts the function back in the cell."""

    cell: Any
    original: Any
    replacement: Any

    def is_applied(self) -> bool:
        try:
            return self.cell.cell_contents is self.replacement
        except ValueError:  # an emptied cell
            return False

    def revert(self) -> None:
        if self.is_applied():
            self.cell.cell_contents = self.original


def wrap_decorated(function: Any, wrapper: Wrapper) -> CellPatch | None:
    """Wrap the function that the decorated ``function`` calls (its ``__wrapped__``, held in
    a closure cell of the decorator's inner function) with ``wrapper``.

    The public function object stays the same, so references bound before the patch see it
    too. Returns None when ``function`` has no such cell (not a closure over its
    ``__wrapped__``); the caller then wraps the module attribute instead.
    """
    inner = getattr(function, "__wrapped__", None)
    if inner is None or is_autolog_wrapper(inner):
        return None
    for cell in getattr(function, "__closure__", None) or ():
        try:
            held = cell.cell_contents
        except ValueError:
            continue
        if held is inner:
            replacement = _DecoratedWrapper(inner, wrapper)
            cell.cell_contents = replacement
            return CellPatch(cell, inner, replacement)
        if is_autolog_wrapper(held) and held.__wrapped__ is inner:
            return None  # already wrapped
    return None


def is_autolog_wrapper(obj: Any) -> bool:
    """True for an object made by :func:`wrap_attribute`."""
    return isinstance(obj, _Wrapper)


def on_subclass(base: type, callback: Callable[[type], None]) -> Patch:
    """Call ``callback(cls)`` for every subclass of ``base`` created from now on.

    Hooks ``base.__init_subclass__``; the original hook still runs first.
    """
    raw, own = _resolve(base, "__init_subclass__")
    original_func = raw.__func__ if isinstance(raw, classmethod) else None

    def __init_subclass__(cls: type, /, **kwargs: Any) -> None:
        if original_func is not None:
            original_func(cls, **kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)  # type: ignore[arg-type]
        callback(cls)

    replacement: Any = classmethod(__init_subclass__)
    base.__init_subclass__ = replacement  # type: ignore[method-assign]
    return Patch(base, "__init_subclass__", own, replacement)


class PatchSet:
    """The patches of one integration, reverted together (last applied, first reverted)."""

    def __init__(self) -> None:
        self._patches: list[Patch | CellPatch | _HeldHandle] = []

    def __len__(self) -> int:
        return len(self._patches)

    def __iter__(self) -> Iterator[Patch | CellPatch | _HeldHandle]:
        """The patches and held handles, in the order they were applied."""
        return iter(list(self._patches))

    def add(self, patch: Any) -> Any:
        """Remember a :class:`Patch` or :class:`CellPatch` (returned as it is)."""
        self._patches.append(patch)
        return patch

    def wrap(self, owner: Any, name: str, wrapper: Wrapper) -> Patch:
        """:func:`wrap_attribute` and remember the patch."""
        patch = wrap_attribute(owner, name, wrapper)
        self.add(patch)
        return patch

    def hold(self, handle: Any) -> Any:
        """Remember a framework's own undo handle (anything with ``remove()``, such as a torch
        hook's ``RemovableHandle``): :meth:`revert_all` removes it in turn with the patches.
        Returns ``handle``."""
        self._patches.append(_HeldHandle(handle))
        return handle

    def revert_all(self) -> None:
        while self._patches:
            self._patches.pop().revert()


class _HeldHandle:
    """A :class:`PatchSet` entry that undoes by calling the handle's ``remove()``."""

    __slots__ = ("handle",)

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def revert(self) -> None:
        self.handle.remove()
