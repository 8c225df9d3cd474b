"""One native training call of a gradient-boosting library, recorded as one run.

:func:`record_train` is the wrapper's part: the call's arguments are bound by name (so that
autolog's callback can be added to a copy of ``callbacks`` however it was passed) and handed
to the core's :func:`~autolog.plugin.recorded_call`, which owns the safety (pass-through when
off or nested, the user's exception unchanged and the run FAILED, autolog's failures one
warning). A call that the library makes itself (its ``cv``, its scikit-learn wrapper's
``fit``) records nothing.

The library's part is a *session* (``fail()``, ``finish(result)``) built by the plugin from the
call's arguments, which keeps a :class:`TrainingRun`:

* parameters: the library's params dict and the call's own arguments (``num_boost_round``,
  ``early_stopping_rounds``...), flattened as the core flattens every parameter;
* metrics: each iteration's evaluation results as steps, named ``<dataset>-<metric>`` as
  MLflow's autologging names them (``@`` written ``_at_``: ``valid-ndcg_at_3``); with early
  stopping, ``best_iteration`` and ``stopped_iteration``, and the best iteration's results
  again at the step after the last one;
* artifacts: ``feature_importance/feature_importance_<type>.json`` ({feature: value});
* the model, written on the background writer by the core from a :class:`ModelCapture`.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from autolog.plugin import (
    FAILED,
    FINISHED,
    ActiveRun,
    ModelCapture,
    Recording,
    active_run,
    current_config,
    datasets,
    effective_config,
    params,
    patching,
    recorded_call,
    safety,
    write_captured_model,
)

__all__ = ["PARITY_ROWS", "TrainingRun", "metric_name", "parity_rows", "record_train",
           "with_defaults"]

#: Rows of training input kept for the ONNX parity check (format "onnx" or "both").
PARITY_ROWS = 1000


def record_train(wrapped: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 library: str, start: Callable[[dict[str, Any]], Recording]) -> Any:
    """Call ``library``'s ``train`` (``wrapped``) as a recorded training call.

    ``start(call)`` gets the call's arguments by name, may change them (add autolog's
    callback) and returns the session; the call is then made with them.
    """
    try:
        call = dict(inspect.signature(wrapped).bind(*args, **kwargs).arguments)
    except TypeError:
        return wrapped(*args, **kwargs)  # the call itself says what is wrong with it

    def begin() -> Recording | None:
        caller = patching.caller_module()
        if caller is not None and caller.partition(".")[0] == library:
            return None  # the library's own call: it runs unrecorded
        return start(call)

    return recorded_call(wrapped, (), call, begin, f"{library}.train")


def with_defaults(function: Callable[..., Any], call: Mapping[str, Any]) -> dict[str, Any]:
    """``call`` (arguments by name) with ``function``'s defaults for the rest."""
    bound = inspect.signature(function).bind(**call)
    bound.apply_defaults()
    return dict(bound.arguments)


def metric_name(name: str) -> str:
    """A metric name as MLflow's autologging writes it (``ndcg@3`` -> ``ndcg_at_3``)."""
    return name.replace("@", "_at_")


def parity_rows(data: Any, rows: int = PARITY_ROWS) -> Any:
    """At most ``rows`` rows spread evenly over ``data`` (an array, a DataFrame or a scipy
    sparse matrix)."""
    n = int(data.shape[0]) if hasattr(data, "shape") else len(data)
    step = max(1, n // rows)
    view = data.iloc[::step] if hasattr(data, "iloc") else data[::step]
    return datasets.head(view, rows)


class TrainingRun:
    """The run of one training call; see the module docstring for what it records."""

    def __init__(self, integration: str, distribution: str, version: str, model_class: str,
                 booster_params: Mapping[str, Any], call_params: Mapping[str, Any]) -> None:
        self.config = current_config() or effective_config()
        parent = active_run()
        if parent is not None and not parent.has_model:
            self.run, self.owns_run = parent, False
            parent.has_model = True
        else:
            self.run = ActiveRun(model_class, self.config.experiment, self.config.store_uri,
                                 parent=parent)
            self.owns_run = True
        self.run.set_tags({
            "autolog.integration": integration,
            "autolog.model_class": model_class,
            "autolog.fit_method": "train",
            f"autolog.library.{distribution}": version,
        })
        with safety.guard("recording the parameters"):
            self.run.log_params(params.flatten({**booster_params, **call_params},
                                               self.config.max_param_length))
        self.history: list[dict[str, float]] = []
        self.notes: dict[str, str] = {}
        self.started = time.perf_counter()

    @property
    def wants_parity_data(self) -> bool:
        """Whether a format beside the native one asks for a sample of the training input."""
        return self.config.log_models and self.config.format in ("onnx", "both")

    @property
    def wants_example(self) -> bool:
        return self.config.log_input_example or self.config.log_signature

    def log_iteration(self, iteration: int, results: Mapping[str, float]) -> None:
        """One iteration's evaluation results (``{"<dataset>-<metric>": value}``) at step
        ``iteration``. Called from the library's callback on the training thread."""
        metrics = {metric_name(k): float(v) for k, v in results.items()}
        self.history.append(metrics)
        if metrics and self.config.log_metrics:
            self.run.log_metrics(metrics, step=iteration)

    def fail(self) -> None:
        if self.owns_run:
            self.run.end(FAILED)

    def finish(self, stopping: Mapping[str, int] | None, best_index: int | None,
               importance: Callable[[], dict[str, dict[str, float]]],
               capture: Callable[[], ModelCapture | None]) -> None:
        """Record the end of a successful call and end the run.

        Parameters:
            stopping: with early stopping, ``best_iteration`` and ``stopped_iteration`` in the
                library's own counting (as MLflow logs them), else None.
            best_index: index in :attr:`history` of the best iteration: its results are
                logged again at the step after the last.
            importance: importance type -> {feature: value}, read from the trained model.
            capture: the model's snapshot for the writer (None: nothing to write).
        """
        run, config = self.run, self.config
        run.log_metrics({"fit_time_s": time.perf_counter() - self.started})
        if stopping is not None and config.log_metrics:
            run.log_metrics(stopping)
            if best_index is not None and 0 <= best_index < len(self.history):
                run.log_metrics(self.history[best_index], step=len(self.history))
        with safety.guard("reading the feature importance"):
            tables = importance()
            if tables:
                files = {f"feature_importance_{kind}.json": json.dumps(values, indent=1)
                         for kind, values in tables.items()}
                run.submit("writing the feature importance of run",
                           lambda store: store.log_files(run.run_id, "feature_importance", files))
        if config.log_models:
            with safety.guard("snapshotting the model"):
                captured = capture()
                if captured is not None:
                    captured.notes.update(self.notes)
                    run.submit("writing the model folder of run",
                               lambda _store: write_captured_model(run, captured, config))
        if self.notes:
            run.set_tags(self.notes)
        if self.owns_run:
            run.end(FINISHED)

    def example_rows(self, read: Callable[[int], Any]) -> Any:
        """The input example: the configured one, else ``read(rows)`` (the first training
        rows); None when neither the example nor the signature is wanted, or no rows can be
        read (a note says why)."""
        if self.config.input_example is not None:
            return self.config.input_example
        if not self.wants_example:
            return None
        try:
            return read(self.config.input_example_rows)
        except (ValueError, TypeError, NotImplementedError) as exc:
            self.notes["autolog.input_example"] = f"not saved: {exc}"
            self.notes["autolog.signature"] = "not inferred: no input example"
            return None

    def new_capture(self, flavor: Any, snapshot: bytes, example: Any, parity_data: Any,
                    model_class: str) -> ModelCapture:
        """The :class:`ModelCapture` of the trained model (taken on the training thread)."""
        return ModelCapture(flavor=flavor, snapshot=snapshot, example=example,
                            signature=self.config.signature, model_class=model_class,
                            parity_data=parity_data)

