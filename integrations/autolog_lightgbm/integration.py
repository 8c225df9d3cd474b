"""What the LightGBM integration patches, and how ``lightgbm.train`` becomes a run.

Targets: ``lightgbm.train`` and ``lightgbm.engine.train`` (one function, two names). Each call
the user makes is one run (see :mod:`autolog_boosting.recorder`); calls LightGBM makes itself
pass through, and so does the ``train`` that the scikit-learn wrappers (``LGBMRegressor.fit``...)
call: those fits are recorded by the scikit-learn integration, which asks
:meth:`LightGBMIntegration.flavor_for` how to write their model.

Recorded per call: the params dict and the call's arguments (``num_boost_round``,
``keep_training_booster``), ``valid_sets`` results per iteration as steps (``<name>-<metric>``,
names from ``valid_names``, from a callback added to a copy of ``callbacks``), the best
iteration when early stopping kept one, feature importance by ``split`` and ``gain``, and the
booster in LightGBM's text format with MLflow's ``lightgbm`` flavor.
"""

from __future__ import annotations

from typing import Any

from autolog.plugin import Integration, Target, safety
from autolog_boosting import TrainingRun
from autolog_boosting.recorder import parity_rows, record_train, with_defaults
from autolog_lightgbm.flavor import BOOSTER_FLAVOR, ESTIMATOR_FLAVOR

__all__ = ["IMPORTANCE_TYPES", "LightGBMIntegration"]

#: Feature importance written per run (``Booster.feature_importance(importance_type=...)``).
IMPORTANCE_TYPES = ("split", "gain")
#: Arguments of ``train`` that are data or code, not parameters.
UNLOGGED = frozenset({"params", "train_set", "valid_sets", "valid_names", "feval", "fobj",
                      "init_model", "callbacks", "evals_result", "learning_rates"})


class LightGBMIntegration(Integration):
    """Autologs ``lightgbm.train``."""

    name = "lightgbm"
    module = "lightgbm"
    distribution = "lightgbm"
    supported = ">=4.0"

    # The same function under the two names a program uses; each name gets its own wrapper.
    targets = (Target("lightgbm", "train", "_train"), Target("lightgbm.engine", "train", "_train"))

    @classmethod
    def flavor_for(cls, model: Any) -> Any:
        """The lightgbm flavor for a Booster or a fitted scikit-learn wrapper, else None."""
        import lightgbm

        if isinstance(model, lightgbm.Booster):
            return BOOSTER_FLAVOR
        if isinstance(model, lightgbm.LGBMModel):
            return ESTIMATOR_FLAVOR
        return None

    def _train(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:
        return record_train(wrapped, args, kwargs, "lightgbm",
                            lambda call: _Training.begin(wrapped, call))


def _raw_data(train_set: Any) -> Any:
    """The rows the Dataset was made from (before ``train`` constructs it and frees them).

    Raises:
        ValueError: the Dataset reads a file, or was constructed with its rows freed.
    """
    data = getattr(train_set, "data", None)
    if data is None:
        raise ValueError("the Dataset was constructed before train and freed its rows "
                         "(free_raw_data=True)")
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        raise ValueError("the Dataset reads its rows from a file")
    return data


class _Training:
    """One recorded ``lightgbm.train`` call."""

    def __init__(self, training: TrainingRun, train_set: Any) -> None:
        from autolog.plugin import datasets

        self.training = training
        self.example: Any = None
        self.parity_data: Any = None
        with safety.guard("reading the input example rows"):
            self.example = training.example_rows(
                lambda k: datasets.head(_raw_data(train_set), k))
        if training.wants_parity_data:
            with safety.guard("sampling rows for the ONNX parity check"):
                try:
                    self.parity_data = parity_rows(_raw_data(train_set))
                except ValueError:
                    self.parity_data = None
        if training.config.log_datasets:
            with safety.guard("reading the training data's shape"):
                shape = getattr(_raw_data(train_set), "shape", None)
                if shape is not None:
                    training.run.log_params({"dataset.shape": list(shape)})

    @classmethod
    def begin(cls, train: Any, call: dict[str, Any]) -> _Training:
        import lightgbm

        values = with_defaults(train, call)
        training = TrainingRun("lightgbm", "lightgbm", lightgbm.__version__, "Booster",
                               dict(values["params"] or {}),
                               {k: v for k, v in values.items() if k not in UNLOGGED})
        session = cls(training, values["train_set"])
        call["callbacks"] = [*(values["callbacks"] or ()), _Callback(training)]
        return session

    def fail(self) -> None:
        self.training.fail()

    def finish(self, booster: Any) -> None:
        best = int(booster.best_iteration)  # 1-based; 0 without early stopping
        history = self.training.history
        self.training.finish(
            stopping={"best_iteration": best, "stopped_iteration": len(history)} if best > 0
            else None,
            best_index=best - 1 if best > 0 else None,
            importance=lambda: {kind: dict(zip(booster.feature_name(), map(
                float, booster.feature_importance(importance_type=kind)), strict=True))
                for kind in IMPORTANCE_TYPES},
            capture=lambda: self.training.new_capture(
                BOOSTER_FLAVOR, BOOSTER_FLAVOR.serialize(booster), self.example,
                self.parity_data, "Booster"),
        )


class _Callback:
    """Logs each iteration's ``valid_sets`` results (never raises, never stops training).

    LightGBM orders callbacks by their ``order`` attribute (set from the list position when
    missing) and keeps them in a set: an instance with its own ``__dict__`` and identity hash.
    """

    def __init__(self, training: TrainingRun) -> None:
        self.training = training
        self.failed = False

    def __call__(self, env: Any) -> None:
        if self.failed:
            return
        try:
            self.training.log_iteration(env.iteration, {
                f"{item[0]}-{item[1]}": item[2] for item in env.evaluation_result_list or ()})
        except Exception as exc:  # noqa: BLE001 - autolog's failure: one warning
            self.failed = True
            safety.internal_error("logging the evaluation results of an iteration", exc)
