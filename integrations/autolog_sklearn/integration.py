"""What the scikit-learn integration patches, and how a fit becomes a run.

Targets: ``fit``, ``fit_transform``, ``fit_predict`` of every ``BaseEstimator`` subclass that
defines them in its own ``__dict__`` — scikit-learn's, third-party ones and the user's,
including classes created after :func:`autolog.enable` (``BaseEstimator.__init_subclass__``
hook). Inherited methods are not copied down: they are wrapped where they are defined.

Which fits are runs: only those the user calls.

* Only the outermost fit records (re-entry guard), so a Pipeline or a search is one run.
* A fit that scikit-learn calls for its own purposes is not a run: the ``LabelEncoder`` that
  ``f1_score`` fits, the clones fitted by ``cross_val_score``, ``learning_curve`` or
  ``permutation_test_score``, the fits of ``check_estimator``. The test, made only when a fit
  is about to record: the module of the code that called ``fit`` (see
  :func:`autolog.patching.caller_module`, which passes over thread pools, joblib and wrappers)
  is part of the ``sklearn`` package. scikit-learn's own plumbing around an estimator's methods
  (``TransformerMixin.fit_transform`` calling ``self.fit``, the ``set_output`` wrappers,
  ``sklearn.utils.parallel``) is passed over, so that ``scaler.fit_transform(X)`` called by
  the user still records. Such a library fit runs as if it were recording: nothing inside it
  records either (a user-defined estimator fitted by ``cross_val_score`` does not turn the fits
  in its own ``fit`` into runs).
* A third-party estimator (any class outside ``sklearn``) that the user fits records like
  scikit-learn's own.

A recorded fit links the fitted estimator to its run for post-training metrics
(:mod:`autolog_sklearn.post_training`, which patches the inference methods, ``score``,
``sklearn.metrics`` and scorers); any fit of a linked estimator first unlinks it.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from autolog.plugin import (
    FAILED,
    FINISHED,
    ActiveRun,
    Integration,
    ModelCapture,
    NotRecorded,
    active_run,
    effective_config,
    flavor_for,
    patching,
    recorded_call,
    safety,
    write_captured_model,
)
from autolog_sklearn.estimator_params import get_params
from autolog_sklearn.search import is_search, record_search

TYPE_CHECKING = False
if TYPE_CHECKING:
    from autolog_sklearn.post_training import PostTraining

__all__ = ["FIT_METHODS", "SklearnIntegration"]

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
# Rows of training input kept for the ONNX parity check (format "onnx" or "both").
PARITY_ROWS = 1000
#: Top-level package whose calls to ``fit`` are the library's own work, not the user's.
LIBRARY = "sklearn"
#: Modules of scikit-learn that only pass a call to an estimator's method along: a mixin's
#: ``fit_transform``/``fit_predict`` and ``_fit_context`` (sklearn.base), the ``set_output``
#: wrappers, ``delayed``/``Parallel``. Their frames are passed over when looking for the caller.
PASS_ALONG: frozenset[str] = frozenset({
    "sklearn.base", "sklearn.utils._set_output", "sklearn.utils.parallel",
})
#: Modules of scikit-learn whose fits count as the user's (none by default; the estimator-check
#: tests add ``sklearn.utils.estimator_checks`` to record the odd inputs those checks feed).
USER_MODULES: set[str] = set()


def _all_subclasses(cls: type) -> list[type]:
    seen: dict[type, None] = {}
    stack: list[type] = [cls]
    while stack:
        subclasses: list[type] = stack.pop().__subclasses__()
        for sub in subclasses:
            if sub not in seen:
                seen[sub] = None
                stack.append(sub)
    return list(seen)


def called_by_user() -> bool:
    """False when the code calling the fit being wrapped is scikit-learn's own (see above).

    Called from the wrapper only, when a fit is about to record.
    """
    module = patching.caller_module(PASS_ALONG, depth=2)
    if module is None or module in USER_MODULES:
        return True
    return module.partition(".")[0] != LIBRARY


def _fit_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y", kwargs.get("Y"))
    return X, y, kwargs.get("sample_weight")


class SklearnIntegration(Integration):
    """Autologs scikit-learn estimators."""

    name = "sklearn"
    module = "sklearn"
    distribution = "scikit-learn"
    supported = ">=1.3"

    def apply(self, module: ModuleType) -> None:
        from sklearn.base import BaseEstimator

        from autolog_sklearn.post_training import PostTraining

        self.post_training = PostTraining(self.patches)
        for cls in [BaseEstimator, *_all_subclasses(BaseEstimator)]:
            self._patch_class(cls)
        self.patches.add(patching.on_subclass(BaseEstimator, self._patch_class))
        self.when_imported("sklearn.metrics", self.post_training.patch_metrics)

    def _patch_class(self, cls: type) -> None:
        for name in FIT_METHODS:
            raw = vars(cls).get(name)
            if raw is not None and not patching.is_autolog_wrapper(raw):
                self.patches.wrap(cls, name, self._fit_wrapper)
        self.post_training.patch_class(cls)

    @classmethod
    def evaluation_outputs(cls, model: Any, X: Any, y: Any, task: str | None) -> Any:
        """Predictions for :func:`autolog.evaluate`, or None for a model of another kind."""
        from autolog_sklearn.evaluation import outputs

        return outputs(model, X, y, task)

    @classmethod
    def flavor_for(cls, model: Any) -> Any:
        from sklearn.base import BaseEstimator

        if isinstance(model, BaseEstimator):
            from autolog_sklearn.flavor import FLAVOR

            return FLAVOR
        return None

    # -- the wrapper --------------------------------------------------------------------
    def _fit_wrapper(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> Any:
        if instance is not None:
            self.post_training.unlink(instance)  # refitted: not the model its run recorded
        if instance is None:
            return wrapped(*args, **kwargs)
        if not called_by_user():
            with patching.recording():  # scikit-learn's own fit: nothing inside it records
                return wrapped(*args, **kwargs)
        name = type(instance).__name__

        def start() -> FitRecorder:
            return FitRecorder(instance, wrapped.__name__, args, kwargs, self.post_training)

        return recorded_call(wrapped, args, kwargs, start, "the fit of " + name)


class FitRecorder:
    """One autologged fit: capture on the training thread, hand the rest to the writer."""

    def __init__(self, estimator: Any, method: str, args: tuple[Any, ...],
                 kwargs: dict[str, Any], post_training: PostTraining) -> None:
        import sklearn

        from autolog.plugin import datasets, params

        self.config = effective_config()
        self.post_training = post_training
        self.estimator = estimator
        self.X, self.y, self.sample_weight = _fit_args(args, kwargs)
        cls = type(estimator)
        parent = active_run()
        if parent is not None and not parent.has_model:
            self.run, self.owns_run = parent, False
            parent.has_model = True
        else:
            self.run = ActiveRun(
                cls.__name__, self.config.experiment, self.config.store_uri, parent=parent)
            self.owns_run = True
        self.run.set_tags({
            "autolog.integration": "sklearn",
            "autolog.model_class": cls.__name__,
            "autolog.model_module": cls.__module__,
            "autolog.fit_method": method,
            "autolog.library.scikit-learn": sklearn.__version__,
        })
        # From here on the run exists: a part that fails costs that part, not the run.
        self.example: Any = None
        self.parity_data: Any = None
        self.digest: str | None = None
        self.notes: dict[str, str] = {}
        # The example holds the first training rows: the model's output on it is the first
        # rows of its predictions on the training input, which the metrics compute anyway.
        self.example_from_X = False
        with safety.guard("recording the parameters"):
            self.run.log_params(params.flatten(get_params(estimator),
                                               self.config.max_param_length))
        with safety.guard("reading the input example rows"):
            if self.config.input_example is not None:
                self.example = self.config.input_example
            elif self.config.log_input_example or self.config.log_signature:
                try:
                    self.example = datasets.head(self.X, self.config.input_example_rows)
                    self.example_from_X = self.example is not None
                except datasets.NoRows as exc:
                    self.notes["autolog.input_example"] = f"not saved: {exc}"
                    self.notes["autolog.signature"] = "not inferred: no input example"
        if self.config.format != "pickle" and self.config.log_models:
            with safety.guard("sampling rows for the ONNX parity check"):
                self.parity_data = _parity_sample(self.X)
        if self.config.log_datasets and self.X is not None:
            with safety.guard("fingerprinting the training data"):
                fp = datasets.fingerprint(self.X)
                self.digest = fp["digest"]
                self.run.log_params({"dataset.shape": fp["shape"],
                                     "dataset.digest": fp["digest"]})
                self.run.set_tags({"autolog.dataset.dtypes": str(fp["dtypes"])[:500]})
        self.started = time.perf_counter()

    def fail(self) -> None:
        if self.owns_run:
            self.run.end(FAILED)

    def finish(self, result: Any = None) -> None:
        duration = time.perf_counter() - self.started
        self.run.log_metrics({"fit_time_s": duration})
        model = self.estimator
        if is_search(model):
            model = record_search(self.run, self.config, model)
        if model is not None and self.config.log_models:
            self._log_model(model)
        elif model is not None and self.config.log_metrics:
            self._log_metrics_only(model)
        if self.owns_run:
            self.run.end(FINISHED)
        self.post_training.link_fitted(self.estimator, self.run)

    def _on_model(self, fitted: Any) -> Any:
        """Writer: the training metrics, on the data the model was fitted on. Returns the
        model's output on the example when the metrics computed it (the first rows of the
        predictions on the training input), for the signature.

        Raises:
            NotRecorded: the input was an iterator (``fit`` consumed it), the data changed
                since ``fit`` started (its fingerprint differs: metrics on it would describe
                other data), or the model raised on its own training data.
        """
        if not self.config.log_metrics:
            return None
        import sklearn

        from autolog.plugin import datasets
        from autolog_sklearn.metrics import evaluate

        if self.X is not None and not datasets.is_reiterable(self.X):
            raise NotRecorded("autolog.training_metrics", "not computed: the training input "
                              "was an iterator, read once by fit")
        changed = NotRecorded("autolog.training_metrics", "not computed: the training data "
                              "changed after fit started (fit changed it in place, or the "
                              "program did before the metrics were computed)")

        def unchanged() -> bool:
            return self.digest is None or datasets.fingerprint(self.X)["digest"] == self.digest

        if not unchanged():
            raise changed
        try:
            # The fit validated X and its fingerprint says it is unchanged since: the
            # predictions need not check it for NaN and infinity again, nor scikit-learn's
            # functions their parameters (the config is the writer thread's own).
            with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
                metrics, prediction = evaluate(fitted, self.X, self.y, self.sample_weight)
        except Exception as exc:  # data changed while the metrics were computed: not ours
            if not unchanged():
                raise changed from exc
            raise
        if not unchanged():  # checked again: the program may change it meanwhile
            raise changed
        self.run.log_metrics(metrics)
        if prediction is None or not self.example_from_X:
            return None
        return datasets.head(prediction, len(self.example))

    def _log_model(self, model: Any) -> None:
        from autolog_sklearn.flavor import FLAVOR

        try:  # XGBoost's flavor for an XGBClassifier, LightGBM's for an LGBMRegressor...
            flavor = flavor_for(model)
        except TypeError:  # ...and scikit-learn's pickle for everything else
            flavor = FLAVOR
        try:
            snapshot = flavor.serialize(model)
        except Exception as exc:  # noqa: BLE001 - an unpicklable model: params still count
            safety.internal_error(f"serializing {type(model).__name__} (model not logged)", exc)
            self._log_metrics_only(model)
            return
        # The metrics' predictions are the folder's output only when the folder predicts with
        # the estimator's own predict (the sklearn flavor); another flavor predicts anew.
        on_model = self._on_model if flavor is FLAVOR else self._metrics_only
        capture = ModelCapture(flavor=flavor, snapshot=snapshot, example=self.example,
                               signature=self.config.signature,
                               model_class=type(model).__name__, on_model=on_model,
                               parity_data=self.parity_data, notes=dict(self.notes))
        run, config = self.run, self.config
        run.submit("writing the model folder of run",
                   lambda _store: write_captured_model(run, capture, config))

    def _metrics_only(self, fitted: Any) -> None:
        self._on_model(fitted)

    def _log_metrics_only(self, model: Any) -> None:
        if not self.config.log_metrics:
            return
        from autolog_sklearn.flavor import FLAVOR

        try:
            snapshot = FLAVOR.serialize(model)
        except Exception:  # noqa: BLE001 - metrics on an unpicklable model are skipped
            return
        run = self.run

        def job(_store: Any) -> None:
            try:
                self._on_model(FLAVOR.deserialize(snapshot))
            except NotRecorded as exc:
                run.set_tags({exc.tag: exc.reason})

        run.submit("computing training metrics of run", job)


def _parity_sample(X: Any, rows: int = PARITY_ROWS) -> Any:
    """A copy of at most ``rows`` rows spread evenly over ``X`` (the first rows where ``X``
    cannot be sliced with a step; None if X gives no rows)."""
    from autolog.plugin import datasets

    if X is None or not datasets.is_reiterable(X):
        return None
    shape = getattr(X, "shape", None)
    try:
        n = int(shape[0]) if shape else len(X)
        step = max(1, n // rows)
        if hasattr(X, "iloc"):
            view = X.iloc[::step]
        elif hasattr(X, "tocsr"):  # scipy sparse: COO, DIA and BSR have no row slicing
            view = X if step == 1 else X.tocsr()[::step]
        else:
            view = X[::step]
    except (TypeError, KeyError, IndexError, ValueError, NotImplementedError):
        view = X  # not row-sliceable with a step: its first rows
    try:
        return datasets.head(view, rows)
    except datasets.NoRows:
        return None
