"""The integration kit: what every integration must guarantee, as tests a plugin subclasses.

Subclass :class:`IntegrationSuite` (the class name must start with ``Test``) and define the
fixtures that train a small model with your framework's own API::

    import numpy as np, pytest
    from autolog.testing.integrations import IntegrationSuite

    class TestXGBoost(IntegrationSuite):
        @pytest.fixture
        def framework(self):
            return "xgboost"                      # the integration's entry-point name

        @pytest.fixture
        def predict_input(self):
            return np.random.default_rng(0).normal(size=(20, 4))

        @pytest.fixture
        def train(self, predict_input):
            import xgboost
            y = predict_input[:, 0] > 0
            return lambda: xgboost.train({"seed": 0}, xgboost.DMatrix(predict_input, y), 5)

        def native_predict(self, model, data):   # when model.predict(data) is not it
            import xgboost
            return model.predict(xgboost.DMatrix(data))

Optional fixtures: ``train_nested`` (training that calls the framework again inside itself; the
default is ``train``) and ``train_raising`` (a callable ``(fail) -> None`` whose user code calls
``fail()``, which raises; without it that test is skipped). ``train`` must be deterministic
(seed inside it). After each training the kit calls :func:`autolog.end_run`, which also ends a
run an integration holds open (a PyTorch loop's).

The tests: (a) ``disable()`` restores every patched attribute, the very objects; (b) a user
exception propagates unchanged (same object, same frames) and the run is FAILED; (c) nested
training is one top-level run; (d) with autolog off nothing records and the training gives the
same result, without any AutologWarning; (e) with autolog on the run's model folder loads with
:func:`autolog.load_model` and predicts what the trained model predicts.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import pytest

import autolog
from autolog.runs import FAILED, FINISHED, Run
from autolog.testing._state import FrameworkState, active_integration, patches_of

__all__ = ["IntegrationSuite", "UserBug"]

#: Frames of these top-level packages are autolog's own (or wrapt's) and are left out when
#: the kit compares a traceback with the one the framework gives without autolog.
_OURS = ("autolog", "wrapt")


class UserBug(Exception):
    """The exception ``fail()`` raises in the user's code: a type autolog cannot know."""


def _as_array(value: Any) -> Any:
    import numpy as np

    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _frames(tb: TracebackType | None) -> list[tuple[str, str]]:
    """The traceback's frames that are not autolog's: (file, function). Not lines: a framework
    may take another path through the same function while autolog's hooks are installed."""
    out = []
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        top = module.partition(".")[0] if isinstance(module, str) else ""
        if top not in _OURS and not top.startswith("autolog_"):
            code = tb.tb_frame.f_code
            out.append((code.co_filename, code.co_name))
        tb = tb.tb_next
    return out


def _innermost(exc: BaseException) -> Any:
    """The code object of the frame where ``exc`` was raised."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return None if tb is None else tb.tb_frame.f_code


def _chain(exc: BaseException) -> list[tuple[str, type[BaseException]]]:
    out: list[tuple[str, type[BaseException]]] = []
    seen = {id(exc)}
    while True:
        link = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if link is None or id(link) in seen:
            return out
        out.append(("cause" if exc.__cause__ is link else "context", type(link)))
        seen.add(id(link))
        exc = link


def _autolog_warnings(caught: Any) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, autolog.AutologWarning)]


class IntegrationSuite:
    """The contract of an integration. Define ``framework``, ``train`` and ``predict_input``;
    see the module docstring."""

    # -- fixtures the subclass provides ---------------------------------------------------------
    @pytest.fixture
    def train_nested(self, train: Callable[[], Any]) -> Callable[[], Any]:
        """Training that calls the framework again inside itself (a fit inside a fit)."""
        return train

    @pytest.fixture
    def train_raising(self) -> Callable[[Callable[[], NoReturn]], Any] | None:
        """``(fail) -> None``: training whose user code calls ``fail()``; None: not tested."""
        return None

    @pytest.fixture
    def enable_options(self) -> dict[str, Any]:
        """Options for :func:`autolog.enable` besides ``store`` and ``testing``."""
        return {}

    def native_predict(self, model: Any, data: Any) -> Any:
        """What the trained ``model`` predicts for ``data``, through the framework's API."""
        return model.predict(data)

    # -- the kit's own fixtures and helpers ------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _autolog_off(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        """autolog off around each test; the store a stray run would reach is a temporary one."""
        if autolog.is_enabled():
            autolog.disable()
        monkeypatch.setenv("AUTOLOG_STORE", str(tmp_path / "default-store"))
        yield
        if autolog.is_enabled():
            autolog.disable()

    @pytest.fixture
    def autolog_store(self, tmp_path: Path) -> Path:
        """The local store the kit enables autolog with."""
        return tmp_path / "autolog-store"

    def enable(self, store: Path, options: dict[str, Any]) -> None:
        """Turn autolog on in testing mode (internal errors raise instead of warning)."""
        autolog.enable(**{**options, "store": str(store), "testing": True})

    @staticmethod
    def runs(store: Path) -> dict[str, Run]:
        """Every run of the store, by id (pending writes flushed first)."""
        from autolog.stores.local import LocalStore

        autolog.flush()
        return {run.run_id: run for run in LocalStore(store).search_runs()}

    def _trained(self, train: Callable[[], Any]) -> Any:
        model = train()
        autolog.end_run()
        autolog.flush()
        return model

    def _one_new_run(self, store: Path, before: dict[str, Run]) -> Run:
        new = {rid: run for rid, run in self.runs(store).items() if rid not in before}
        top = [run for run in new.values() if run.info.parent_run_id not in new]
        assert len(top) == 1, (
            f"expected one top-level run, found {len(top)}: "
            f"{[(r.info.name, r.info.parent_run_id) for r in top]}")
        return top[0]

    # -- (a) exact revert ------------------------------------------------------------------------
    def test_disable_restores_every_patched_attribute(
            self, framework: str, train: Callable[[], Any], autolog_store: Path,
            enable_options: dict[str, Any]) -> None:
        from autolog.patching import CellPatch

        importlib.import_module(framework)
        train()  # lazily imported submodules and filled caches are not autolog's doing
        before = FrameworkState.take(framework)
        originals = before.by_owner()
        for cycle in (1, 2):  # a second enable/disable after the first one gives the same
            self.enable(autolog_store, enable_options)
            self._trained(train)
            integration = active_integration(framework)
            assert integration is not None, (
                f"no integration was applied for {framework!r}: is its entry point in the "
                "group 'autolog.integrations' named after the module?")
            patches = patches_of(integration)
            assert patches, f"the {framework!r} integration patched nothing"
            for patch in patches:
                if isinstance(patch, CellPatch):
                    continue
                own = originals.get(id(patch.owner))
                if own is not None:  # the patch recorded what the framework had
                    if patch.was_inherited:
                        assert patch.name not in own, f"{patch.owner!r}.{patch.name}"
                    else:
                        assert own.get(patch.name) is patch.original, (
                            f"cycle {cycle}: the patch of {patch.owner!r}.{patch.name} "
                            "recorded another object than the framework's original")
            autolog.disable()
            for patch in patches:
                if isinstance(patch, CellPatch):
                    assert patch.cell.cell_contents is patch.original
                elif patch.was_inherited:
                    assert patch.name not in vars(patch.owner), (
                        f"{patch.owner!r}.{patch.name} was inherited and is now its own")
                else:
                    assert vars(patch.owner).get(patch.name) is patch.original, (
                        f"{patch.owner!r}.{patch.name} is not the original object again")
            assert patches_of(integration) == [], "patches still held after disable()"
            changes = before.changes(FrameworkState.take(framework))
            assert not changes, f"cycle {cycle}: disable() left changes: {changes[:10]}"

    # -- (b) user exceptions ---------------------------------------------------------------------
    def test_a_user_exception_propagates_unchanged_and_fails_the_run(
            self, train_raising: Callable[[Callable[[], NoReturn]], Any] | None,
            autolog_store: Path, enable_options: dict[str, Any],
            monkeypatch: pytest.MonkeyPatch) -> None:
        if train_raising is None:
            pytest.skip(f"{type(self).__name__} has no train_raising fixture")
        raised: list[UserBug] = []

        def fail() -> NoReturn:
            bug = UserBug("raised by the user's code")
            raised.append(bug)
            raise bug

        def attempt() -> UserBug:
            with pytest.raises(UserBug) as info:
                train_raising(fail)
            return info.value

        plain = attempt()
        self.enable(autolog_store, enable_options)
        before = self.runs(autolog_store)
        caught = attempt()
        # The very object fail() raised (parallel tasks may each have raised one).
        assert any(caught is bug for bug in raised) and type(caught) is UserBug
        assert caught.args == ("raised by the user's code",)
        assert _frames(caught.__traceback__) == _frames(plain.__traceback__), \
            "autolog changed the frames the exception passed through"
        assert _innermost(caught) is _innermost(plain), \
            "the traceback no longer ends where it ends without autolog"
        assert _chain(caught) == _chain(plain), "autolog changed the exception's chain"
        # The exception reaches the top of the program: the interpreter records it as the
        # last unhandled one, and the program's end ends any run still open.
        monkeypatch.setattr(sys, "last_type", UserBug, raising=False)
        monkeypatch.setattr(sys, "last_value", caught, raising=False)
        monkeypatch.setattr(sys, "last_traceback", caught.__traceback__, raising=False)
        if sys.version_info >= (3, 12):
            monkeypatch.setattr(sys, "last_exc", caught, raising=False)
        autolog.end_run()
        run = self._one_new_run(autolog_store, before)
        assert run.info.status == FAILED, f"the run ended {run.info.status}"

    # -- (c) nesting -----------------------------------------------------------------------------
    def test_nested_training_is_one_run(self, train_nested: Callable[[], Any],
                                        autolog_store: Path,
                                        enable_options: dict[str, Any]) -> None:
        self.enable(autolog_store, enable_options)
        self._trained(train_nested)
        run = self._one_new_run(autolog_store, {})
        assert run.info.status == FINISHED

    # -- (d) pass-through when disabled ----------------------------------------------------------
    def test_disabled_autolog_passes_training_through(
            self, train: Callable[[], Any], predict_input: Any, autolog_store: Path,
            enable_options: dict[str, Any], tmp_path: Path) -> None:
        import numpy as np

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plain = _as_array(self.native_predict(train(), predict_input))
            self.enable(autolog_store, enable_options)
            self._trained(train)
            autolog.disable()
            before = self.runs(autolog_store)
            again = _as_array(self.native_predict(self._trained(train), predict_input))
        np.testing.assert_array_equal(again, plain)
        assert self.runs(autolog_store).keys() == before.keys(), "a run after disable()"
        assert self.runs(tmp_path / "default-store") == {}, "a run in the default store"
        assert _autolog_warnings(caught) == []

    # -- (e) a loadable model ----------------------------------------------------------------------
    def test_a_run_holds_a_model_that_loads_and_predicts(
            self, train: Callable[[], Any], predict_input: Any, autolog_store: Path,
            enable_options: dict[str, Any]) -> None:
        import numpy as np

        plain = _as_array(self.native_predict(train(), predict_input))
        self.enable(autolog_store, enable_options)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = self._trained(train)
        assert _autolog_warnings(caught) == []
        expected = _as_array(self.native_predict(model, predict_input))
        np.testing.assert_array_equal(expected, plain, err_msg="autolog changed the training")
        run = self._one_new_run(autolog_store, {})
        assert run.info.status == FINISHED
        assert run.model_path, f"run {run.run_id} has no model folder"
        loaded = autolog.load_model(run.model_path)
        np.testing.assert_allclose(_as_array(loaded.predict(predict_input)), expected,
                                   rtol=1e-5, atol=1e-6)
