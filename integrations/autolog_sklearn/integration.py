"""What the scikit-learn integration patches, and how a fit becomes a run.

Targets:

* ``fit``, ``fit_transform``, ``fit_predict`` of every ``BaseEstimator`` subclass that defines
  them in its own ``__dict__`` — scikit-learn's, third-party ones and the user's, including
  classes created after :func:`autolog.enable` (``BaseEstimator.__init_subclass__`` hook).
  Inherited methods are not copied down: they are wrapped where they are defined.
* the helpers in ``sklearn.model_selection._validation`` that fit clones
  (``cross_val_score``, ``cross_validate``, ``learning_curve`` ...): inside them nothing records,
  so cross-validation leaves no stray runs.

Only the outermost fit records (re-entry guard), so a Pipeline or a search is one run. A
recorded fit links the fitted estimator to its run for post-training metrics
(:mod:`autolog_sklearn.post_training`, which patches the inference methods, ``score``,
``sklearn.metrics`` and scorers); any fit of a linked estimator first unlinks it.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from autolog import activation, patching, safety, tracking
from autolog.integration import Integration
from autolog.model_logging import ModelCapture, write_captured_model

__all__ = ["FIT_METHODS", "SklearnIntegration"]

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
# Rows of training input kept for the ONNX parity check (format "onnx" or "both").
PARITY_ROWS = 1000
CV_HELPERS = ("_fit_and_score", "_fit_and_predict", "_permutation_test_score",
              "_incremental_fit_estimator")


def _all_subclasses(cls: type) -> list[type]:
    seen: dict[type, None] = {}
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen[sub] = None
                stack.append(sub)
    return list(seen)


def _suppress_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
    with patching.recording():
        return wrapped(*args, **kwargs)


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
        self.when_imported("sklearn.model_selection._validation", self._patch_cv_helpers)
        self.when_imported("sklearn.metrics", self.post_training.patch_metrics)

    def _patch_class(self, cls: type) -> None:
        for name in FIT_METHODS:
            raw = vars(cls).get(name)
            if raw is not None and not patching.is_autolog_wrapper(raw):
                self.patches.wrap(cls, name, self._fit_wrapper)
        self.post_training.patch_class(cls)

    def _patch_cv_helpers(self, module: ModuleType) -> None:
        for name in CV_HELPERS:
            if name in vars(module):
                self.patches.wrap(module, name, _suppress_wrapper)

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
        if instance is None or not patching.should_record() or not activation.is_enabled():
            return wrapped(*args, **kwargs)
        recorder = None
        with safety.guard("starting a run for " + type(instance).__name__):
            recorder = FitRecorder(instance, wrapped.__name__, args, kwargs)
        with patching.recording():
            try:
                result = wrapped(*args, **kwargs)
            except BaseException:
                if recorder is not None:
                    with safety.guard("ending a failed run"):
                        recorder.fail()
                raise
        if recorder is not None:
            with safety.guard("recording the fit of " + type(instance).__name__):
                recorder.finish()
                self.post_training.link_fitted(instance, recorder.run)
        return result


class FitRecorder:
    """One autologged fit: capture on the training thread, hand the rest to the writer."""

    def __init__(self, estimator: Any, method: str, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        import sklearn

        from autolog import datasets, params

        self.config = activation.current_config() or activation.effective_config()
        self.estimator = estimator
        self.X, self.y, self.sample_weight = _fit_args(args, kwargs)
        cls = type(estimator)
        parent = tracking.active_run()
        if parent is not None and not parent.has_model:
            self.run, self.owns_run = parent, False
            parent.has_model = True
        else:
            self.run = tracking.ActiveRun(
                cls.__name__, self.config.experiment, self.config.store_uri, parent=parent)
            self.owns_run = True
        self.run.set_tags({
            "autolog.integration": "sklearn",
            "autolog.model_class": cls.__name__,
            "autolog.model_module": cls.__module__,
            "autolog.fit_method": method,
            "autolog.library.scikit-learn": sklearn.__version__,
        })
        self.run.log_params(params.flatten(estimator.get_params(deep=True),
                                           self.config.max_param_length))
        self.example = None
        if self.config.input_example is not None:
            self.example = self.config.input_example
        elif self.config.log_input_example or self.config.log_signature:
            self.example = datasets.head(self.X, self.config.input_example_rows)
        self.parity_data = None
        if self.config.format != "pickle" and self.config.log_models:
            self.parity_data = _parity_sample(self.X)
        if self.config.log_datasets and self.X is not None:
            fp = datasets.fingerprint(self.X)
            self.run.log_params({"dataset.shape": fp["shape"], "dataset.digest": fp["digest"]})
            self.run.set_tags({"autolog.dataset.dtypes": str(fp["dtypes"])[:500]})
        self.started = time.perf_counter()

    def fail(self) -> None:
        if self.owns_run:
            self.run.end(tracking.FAILED)

    def finish(self) -> None:
        duration = time.perf_counter() - self.started
        self.run.log_metrics({"fit_time_s": duration})
        model = self.estimator
        if hasattr(model, "cv_results_") and hasattr(model, "best_params_"):
            model = self._record_search(model)
        if model is not None and self.config.log_models:
            self._log_model(model)
        elif model is not None and self.config.log_metrics:
            self._log_metrics_only(model)
        if self.owns_run:
            self.run.end(tracking.FINISHED)

    def _on_model(self, fitted: Any) -> None:
        if not self.config.log_metrics:
            return
        from autolog_sklearn.metrics import training_metrics

        self.run.log_metrics(training_metrics(fitted, self.X, self.y, self.sample_weight))

    def _log_model(self, model: Any) -> None:
        from autolog_sklearn.flavor import FLAVOR

        try:
            snapshot = FLAVOR.serialize(model)
        except Exception as exc:  # noqa: BLE001 - an unpicklable model: params still count
            safety.internal_error(f"serializing {type(model).__name__} (model not logged)", exc)
            self._log_metrics_only(model)
            return
        capture = ModelCapture(flavor=FLAVOR, snapshot=snapshot, example=self.example,
                               signature=self.config.signature,
                               model_class=type(model).__name__, on_model=self._on_model,
                               parity_data=self.parity_data)
        run, config = self.run, self.config
        run.submit("writing the model folder of run",
                   lambda _store: write_captured_model(run, capture, config))

    def _log_metrics_only(self, model: Any) -> None:
        if not self.config.log_metrics:
            return
        from autolog_sklearn.flavor import FLAVOR

        try:
            snapshot = FLAVOR.serialize(model)
        except Exception:  # noqa: BLE001 - metrics on an unpicklable model are skipped
            return
        self.run.submit("computing training metrics of run",
                        lambda _store: self._on_model(FLAVOR.deserialize(snapshot)))

    def _record_search(self, search: Any) -> Any:
        """Parent run: best params and score, cv_results; children: the top candidates."""
        from autolog import params

        self.run.log_params({f"best_{k}": v for k, v in params.flatten(
            search.best_params_, self.config.max_param_length).items()})
        if hasattr(search, "best_score_"):
            self.run.log_metrics({"best_cv_score": float(search.best_score_)})
        results = {k: (v.tolist() if hasattr(v, "tolist") else list(v))
                   for k, v in search.cv_results_.items()}
        run = self.run
        run.submit("writing cv_results of run", lambda store: _write_cv_results(store, run,
                                                                                results))
        ranks = results.get("rank_test_score")
        if ranks is not None and self.config.max_tuning_runs > 0:
            order = sorted(range(len(ranks)), key=lambda i: ranks[i])[:self.config.max_tuning_runs]
            for i in order:
                child = tracking.ActiveRun(f"{type(search).__name__}-candidate-{i}",
                                           self.config.experiment, self.config.store_uri,
                                           parent=self.run)
                child.set_tags({"autolog.integration": "sklearn", "autolog.candidate": i})
                child.log_params(params.flatten(results["params"][i],
                                                self.config.max_param_length))
                scores = {k: v[i] for k, v in results.items()
                          if k.startswith(("mean_", "std_", "rank_")) and
                          isinstance(v[i], (int, float))}
                child.log_metrics(scores)
                child.end(tracking.FINISHED)
        return getattr(search, "best_estimator_", None)


def _parity_sample(X: Any, rows: int = PARITY_ROWS) -> Any:
    """A copy of at most ``rows`` rows spread evenly over ``X`` (None if X has no rows)."""
    from autolog import datasets

    shape = getattr(X, "shape", None)
    try:
        n = int(shape[0]) if shape else len(X)
        step = max(1, n // rows)
        view = X.iloc[::step] if hasattr(X, "iloc") else X[::step]
    except (TypeError, KeyError, IndexError, ValueError):  # not row-sliceable: no sample
        return None
    return datasets.head(view, rows)


def _write_cv_results(store: Any, run: Any, results: dict[str, Any]) -> None:
    import json
    import shutil
    import tempfile
    from pathlib import Path

    staging = store.staging_dir() if hasattr(store, "staging_dir") else None
    work = Path(tempfile.mkdtemp(prefix="autolog-cv-", dir=staging))
    try:
        folder = work / "cv_results"
        folder.mkdir()
        (folder / "cv_results.json").write_text(json.dumps(results, default=str, indent=1))
        store.log_artifacts(run.run_id, folder, "cv_results")
    finally:
        shutil.rmtree(work, ignore_errors=True)
