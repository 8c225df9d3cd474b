"""autolog.patching on plain classes: every kind of attribute wraps, binds and reverts exactly."""

from __future__ import annotations

import pickle
import types

import pytest

from autolog import patching


def _tagging_wrapper(calls: list[str]):
    def wrapper(wrapped, instance, args, kwargs):
        calls.append(getattr(wrapped, "__name__", "?"))
        return wrapped(*args, **kwargs)

    return wrapper


class Base:
    """A base with every kind of attribute."""

    def method(self, x):
        """Doc of method."""
        return ("method", self.value, x)

    @classmethod
    def cmethod(cls, x):
        return ("cmethod", cls.__name__, x)

    @staticmethod
    def smethod(x):
        return ("smethod", x)

    @property
    def prop(self):
        return ("prop", self.value)

    def __init__(self, value=1):
        self.value = value


class Child(Base):
    pass


@pytest.mark.parametrize("name, call, expected", [
    ("method", lambda o: o.method(2), ("method", 1, 2)),
    ("cmethod", lambda o: o.cmethod(2), ("cmethod", "Base", 2)),
    ("smethod", lambda o: o.smethod(2), ("smethod", 2)),
    ("prop", lambda o: o.prop, ("prop", 1)),
])
def test_own_attribute_wraps_binds_and_reverts(name, call, expected):
    original = Base.__dict__[name]
    calls: list[str] = []
    patch = patching.wrap_attribute(Base, name, _tagging_wrapper(calls))
    try:
        assert Base.__dict__[name] is not original
        assert call(Base()) == expected
        assert len(calls) == 1
    finally:
        patch.revert()
    assert Base.__dict__[name] is original
    assert call(Base()) == expected
    assert len(calls) == 1


def test_inherited_attribute_is_removed_again_on_revert():
    calls: list[str] = []
    patch = patching.wrap_attribute(Child, "method", _tagging_wrapper(calls))
    assert "method" in Child.__dict__
    assert Child(5).method(1) == ("method", 5, 1)
    assert Base(5).method(1) == ("method", 5, 1)
    assert calls == ["method"]  # only the subclass is wrapped
    patch.revert()
    assert "method" not in Child.__dict__
    assert Child.method is Base.method


def test_wrapper_keeps_signature_name_and_doc():
    import inspect

    patch = patching.wrap_attribute(Base, "method", _tagging_wrapper([]))
    try:
        assert Base.method.__name__ == "method"
        assert Base.method.__doc__ == "Doc of method."
        assert str(inspect.signature(Base().method)) == "(x)"
    finally:
        patch.revert()


def test_module_function_wraps_and_pickles_by_reference():
    module = types.ModuleType("autolog_test_mod")
    exec("def f(x):\n    return x * 2\n", module.__dict__)
    import sys

    sys.modules["autolog_test_mod"] = module
    try:
        original = module.f
        patch = patching.wrap_attribute(module, "f", _tagging_wrapper([]))
        assert module.f(3) == 6
        # A patched module function pickles as its global name, so another process (or the
        # same one after revert) resolves whatever is there.
        data = pickle.dumps(module.f)
        assert pickle.loads(data) is module.f
        patch.revert()
        assert module.f is original
        assert pickle.loads(data) is original
    finally:
        del sys.modules["autolog_test_mod"]


def test_class_defined_in_main_pickles_without_wrapper():
    import cloudpickle

    namespace: dict = {"__name__": "__main__"}
    exec("class Est:\n    def fit(self):\n        return 'fitted'\n", namespace)
    est_cls = namespace["Est"]
    patch = patching.wrap_attribute(est_cls, "fit", _tagging_wrapper([]))
    try:
        clone = cloudpickle.loads(cloudpickle.dumps(est_cls))
        assert not patching.is_autolog_wrapper(clone.__dict__["fit"])
        assert clone().fit() == "fitted"
    finally:
        patch.revert()


def test_guards_nest_and_reset():
    assert patching.should_record()
    with patching.recording():
        assert not patching.should_record()
        with patching.suspended():
            assert patching.is_suspended()
        assert not patching.is_suspended()
    assert patching.should_record()


def test_on_subclass_sees_new_classes_and_reverts():
    seen: list[type] = []

    class Root:
        pass

    patch = patching.on_subclass(Root, seen.append)

    class Leaf(Root):
        pass

    class Deeper(Leaf):
        pass

    assert seen == [Leaf, Deeper]
    patch.revert()
    assert "__init_subclass__" not in Root.__dict__

    class Late(Root):
        pass

    assert Late not in seen


def test_patchset_reverts_in_reverse_order():
    # The same attribute wrapped twice: only last-applied-first-reverted restores the
    # original (in forward order the first revert is skipped as "not ours any more").
    original = Base.__dict__["method"]
    patches = patching.PatchSet()
    patches.wrap(Base, "method", _tagging_wrapper([]))
    patches.wrap(Base, "method", _tagging_wrapper([]))
    assert len(patches) == 2
    patches.revert_all()
    assert Base.__dict__["method"] is original
