"""Post-training metrics: a model measured on other data after its fit, with no code change.

Targets (all through the integration's :class:`~autolog.patching.PatchSet`, so
:func:`autolog.disable` undoes them):

* ``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function`` and ``transform``
  where a scikit-learn estimator class (or a mixin in its MRO) defines them: the output of a
  model linked to a run is registered with the name of the data it was called on
  (:mod:`autolog.heldout`, :mod:`autolog.varnames`);
* ``score``: ``model.score(X_test, y_test)`` logs ``<Class>_score_X_test``;
* the public functions of ``sklearn.metrics``: called on a registered prediction (or a column of
  one, ``proba[:, 1]``), they log ``<function>_<dataset>``;
* scorers (``get_scorer``, ``make_scorer``): ``scorer(model, X_test, y_test)`` logs
  ``<scorer>_X_test`` (the name given to ``get_scorer``, else the score function's, with
  ``neg_`` when the scorer negates it);
* ``partial_fit`` unlinks the model: it no longer is what its run recorded.

Only calls made outside scikit-learn's own code count (a scorer calling ``predict``, a metric
calling another, ``permutation_importance`` calling a scorer: nothing is logged), and only
outside autologged fits. The user's return value, its type and any exception are unchanged; a
failure of autolog's own is one warning.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import Any

from autolog.plugin import PatchSet, current_config, heldout, patching, safety, varnames

__all__ = ["PREDICT_METHODS", "PostTraining"]

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function",
                   "transform")
# Public names of sklearn.metrics that are not metrics on predictions.
_NOT_METRICS = frozenset({"check_scoring", "get_scorer", "get_scorer_names", "make_scorer"})
_NOT_METRIC_WORDS = ("distance", "kernel", "pairwise")


# Frames between the caller and a wrapper: wrapt's pure-Python fallback, and the parameter
# validation that decorates scikit-learn's public functions (wrapped inside it).
_PASS_THROUGH = ("wrapt", "sklearn.utils._param_validation")


def _user_frame(frame: Any) -> Any:
    """The calling frame above ``frame``'s wrappers, or None when it runs scikit-learn's own
    code (a helper calling the user's model, a metric calling another)."""
    while frame is not None:
        module = frame.f_globals.get("__name__") or ""
        if not module.startswith(_PASS_THROUGH):
            return None if module == "sklearn" or module.startswith("sklearn.") else frame
        frame = frame.f_back
    return None


class _Inside(threading.local):
    active = False


_inside = _Inside()  # this thread is inside the predict() of a linked model


def _linked(model: Any) -> heldout.Link | None:
    """The link of a model whose calls count now (not inside an autologged call)."""
    found = heldout.link_of(model) if model is not None else None
    if found is None or not found.post_training or not patching.should_record():
        return None
    return found


def _inner_call(wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The user's call, marked as inside an autologged call: the model's own inner calls
    (a Pipeline's steps, ``score`` calling ``predict``) and fits inside record nothing."""
    token = patching.enter_recording()
    try:
        return wrapped(*args, **kwargs)
    finally:
        patching.exit_recording(token)


def _data(found: heldout.Link, frame: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
          ) -> tuple[Any, str]:
    """The data argument of ``predict(X)``/``score(X, y)`` and its dataset name."""
    data = args[0] if args else kwargs.get("X")
    name = varnames.passed_name(frame, 0, data) if args else None
    return data, heldout.dataset_name(found, name, data)


def _loggable(value: Any) -> bool:
    """A real number (Python's or a numpy scalar), not a bool. Checked without the
    ``numbers.Real`` ABC: its isinstance cache is reset whenever any ABC registers a class,
    which made the check cost microseconds."""
    if type(value) is float or type(value) is int:
        return True
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return kind in ("f", "i", "u") and getattr(value, "ndim", None) == 0


def _token(value: Any, found: heldout.Prediction | None) -> Any:
    """What identifies an argument in a call signature."""
    if found is not None:
        return ("prediction", found.link.run_id, found.method, found.token)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return heldout.data_token(value)


def _describe(value: Any, name: str | None, found: heldout.Prediction | None) -> str:
    if found is not None:
        text = f"<{found.link.model_class}.{found.method}({found.dataset})>"
        return f"{name}={text}" if name else text
    if name:
        return name
    if value is None or isinstance(value, (str, bool, int, float)):
        return repr(value)
    return f"<{type(value).__name__}>"


def _examine(function: str, frame: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
             ) -> tuple[Any, Callable[[], str]]:
    """The call's signature (what identifies its inputs and options), and a function giving
    its readable form, ``f1_score(y_test, pred=<LogisticRegression.predict(X_test)>,
    average='macro')``: built only when the call is logged, not for a repeat."""
    found = [heldout.prediction_of(v) for v in args]
    found_kw = {k: heldout.prediction_of(v) for k, v in kwargs.items()}
    signature = (tuple(_token(v, f) for v, f in zip(args, found, strict=True)),
                 tuple(sorted((k, _token(v, found_kw[k])) for k, v in kwargs.items())))

    def text() -> str:
        names = varnames.arg_names(frame) if frame is not None else None
        parts = [_describe(v, names[i] if names is not None and i < len(names) else None,
                           found[i]) for i, v in enumerate(args)]
        parts += [f"{k}={_describe(v, None, found_kw[k])}" for k, v in kwargs.items()]
        return f"{function}({', '.join(parts)})"

    return signature, text


class PostTraining:
    """The post-training patches of one :class:`SklearnIntegration`."""

    def __init__(self, patches: PatchSet) -> None:
        self.patches = patches
        # Scorers made by get_scorer(name): scorer id -> (weak reference, name).
        self._scorer_names: dict[int, tuple[Any, str]] = {}

    # -- links ------------------------------------------------------------------------------
    @staticmethod
    def link_fitted(estimator: Any, run: Any) -> None:
        """After an autologged fit: link ``estimator`` (and a search's refitted best
        estimator) to ``run``; its predictions are registered when the option
        ``log_post_training_metrics`` is on."""
        config = current_config()
        post_training = bool(config is not None and config.log_post_training_metrics)
        heldout.link(estimator, run, post_training=post_training)
        best = getattr(estimator, "best_estimator_", None)
        if best is not None:
            heldout.link(best, run, post_training=post_training)

    @staticmethod
    def unlink(estimator: Any) -> None:
        """Before any fit of ``estimator``: it will no longer be what its run recorded."""
        heldout.unlink(estimator)

    # -- applying ---------------------------------------------------------------------------
    def patch_class(self, cls: type) -> None:
        """Wrap the inference methods ``cls`` has, where they are defined (mixins too)."""
        for name, wrapper in ((n, self._predict_wrapper) for n in PREDICT_METHODS):
            self._wrap_defining(cls, name, wrapper)
        self._wrap_defining(cls, "score", self._score_wrapper)
        self._wrap_defining(cls, "partial_fit", _partial_fit_wrapper)

    def _wrap_defining(self, cls: type, name: str, wrapper: Any) -> None:
        owner = next((c for c in cls.__mro__ if name in vars(c)), None)
        if owner is None or owner is object:
            return
        raw = vars(owner)[name]
        if patching.is_autolog_wrapper(raw) or not (callable(raw) or hasattr(raw, "__get__")):
            return
        self.patches.wrap(owner, name, wrapper)

    def patch_metrics(self, module: ModuleType) -> None:
        """Wrap the public metric functions of ``sklearn.metrics``, its scorers and
        ``get_scorer``.

        A function decorated by scikit-learn's parameter validation (all of them in
        scikit-learn 1.3+) is wrapped inside the decorator, so a name imported before
        autolog was enabled (``from sklearn.metrics import f1_score``, then
        ``autolog.enable()``) logs too; any other is wrapped as a module attribute.
        """
        for name in getattr(module, "__all__", ()):
            func = getattr(module, name, None)
            if (name in _NOT_METRICS or name.startswith("plot_") or isinstance(func, type)
                    or not callable(func) or any(w in name for w in _NOT_METRIC_WORDS)
                    or patching.is_autolog_wrapper(func)):
                continue
            self._wrap_function(module, name, func, self._metric_wrapper)
        if "get_scorer" in vars(module):
            self._wrap_function(module, "get_scorer", module.get_scorer,
                                self._get_scorer_wrapper)
        scorer_module = sys.modules.get("sklearn.metrics._scorer")
        base = getattr(scorer_module, "_BaseScorer", None)
        if base is not None and "__call__" in vars(base):
            self.patches.wrap(base, "__call__", self._scorer_wrapper)

    def _wrap_function(self, module: ModuleType, name: str, func: Any, wrapper: Any) -> None:
        patch = patching.wrap_decorated(func, wrapper)
        if patch is not None:
            self.patches.add(patch)
        else:
            self.patches.wrap(module, name, wrapper)

    # -- wrappers ---------------------------------------------------------------------------
    def _predict_wrapper(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> Any:
        if _inside.active:
            return wrapped(*args, **kwargs)
        found = _linked(instance)
        if found is None:
            return wrapped(*args, **kwargs)
        # The model's own inner calls (LogisticRegression.predict calls decision_function,
        # a Pipeline its steps) pass straight through: a thread-local flag, not the
        # "recording" context variable, whose setting makes every ContextVar lookup inside
        # the call (numpy does one per ufunc) miss its cache.
        _inside.active = True
        try:
            result = wrapped(*args, **kwargs)
        finally:
            _inside.active = False
        try:
            frame = _user_frame(sys._getframe(1))
            if frame is not None:
                data = args[0] if args else kwargs.get("X")
                name = varnames.passed_name(frame, 0, data) if args else None
                heldout.register_prediction(found, result, wrapped.__name__, name, data)
        except Exception as exc:  # noqa: BLE001 - the prediction is the user's either way
            safety.internal_error("linking a prediction to its run", exc)
        return result

    def _score_wrapper(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> Any:
        found = _linked(instance)
        if found is None:
            return wrapped(*args, **kwargs)
        value = _inner_call(wrapped, args, kwargs)
        try:
            frame = _user_frame(sys._getframe(1))
            if _loggable(value) and frame is not None:
                _, dataset = _data(found, frame, args, kwargs)
                metric = f"{found.model_class}_score"
                signature, text = _examine(f"{found.model_class}.score", frame, args, kwargs)
                heldout.log_metric(found, metric, dataset, signature, float(value), text)
        except Exception as exc:  # noqa: BLE001
            safety.internal_error("logging a held-out score", exc)
        return value

    def _metric_wrapper(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
        value = wrapped(*args, **kwargs)
        if not patching.should_record():
            return value
        try:
            if _loggable(value):
                self._log_metric(wrapped.__name__, value, args, kwargs)
        except Exception as exc:  # noqa: BLE001
            safety.internal_error(f"logging the held-out metric {wrapped.__name__}", exc)
        return value

    def _log_metric(self, metric: str, value: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> None:
        found = None
        for arg in (*args, *kwargs.values()):
            found = heldout.prediction_of(arg)
            if found is not None:
                break
        if found is None:
            return
        frame = _user_frame(sys._getframe(2))  # _log_metric <- wrapper <- the caller
        if frame is None:
            return
        signature, text = _examine(metric, frame, args, kwargs)
        heldout.log_metric(found.link, metric, found.dataset, signature, float(value), text)

    def _scorer_wrapper(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
        found = _linked(args[0] if args else kwargs.get("estimator"))
        if found is None:
            return wrapped(*args, **kwargs)
        value = _inner_call(wrapped, args, kwargs)
        try:
            frame = _user_frame(sys._getframe(1))
            if _loggable(value) and frame is not None and len(args) > 1:
                name = varnames.passed_name(frame, 1, args[1])
                dataset = heldout.dataset_name(found, name, args[1])
                metric = self._scorer_name(instance)
                signature, text = _examine(f"scorer[{metric}]", frame, args, kwargs)
                heldout.log_metric(found, metric, dataset, signature, float(value), text)
        except Exception as exc:  # noqa: BLE001
            safety.internal_error("logging a held-out scorer value", exc)
        return value

    def _get_scorer_wrapper(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                            kwargs: dict[str, Any]) -> Any:
        scorer = wrapped(*args, **kwargs)
        scoring = args[0] if args else kwargs.get("scoring")
        if isinstance(scoring, str):
            try:
                key = id(scorer)

                def forget(_ref: Any, key: int = key) -> None:
                    self._scorer_names.pop(key, None)

                self._scorer_names[key] = (weakref.ref(scorer, forget), scoring)
            except TypeError:
                pass
        return scorer

    def _scorer_name(self, scorer: Any) -> str:
        known = self._scorer_names.get(id(scorer))
        if known is not None and known[0]() is scorer:
            return known[1]
        func = getattr(scorer, "_score_func", None)
        name = getattr(func, "__name__", None) or type(scorer).__name__
        return f"neg_{name}" if getattr(scorer, "_sign", 1) < 0 else name


def _partial_fit_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> Any:
    if instance is not None:
        heldout.unlink(instance)
    return wrapped(*args, **kwargs)
