"""What the XGBoost integration patches, and how ``xgboost.train`` becomes a run.

Targets: ``xgboost.train`` and ``xgboost.training.train`` (the same function under the two
names a program uses). Each call the user makes is one run (see
:mod:`autolog_boosting.recorder`); calls XGBoost makes itself pass through, and so does the
``train`` that the scikit-learn wrappers (``XGBClassifier.fit``...) call: those fits are
recorded by the scikit-learn integration, which asks :meth:`XGBoostIntegration.flavor_for` how
to write their model, so they too are saved in XGBoost's format.

Recorded per call: the params dict and the call's arguments (``num_boost_round``,
``early_stopping_rounds``, ``maximize``, ``verbose_eval``), ``evals`` results per iteration as
steps (``<name>-<metric>``, from a callback added to a copy of the call's ``callbacks``), the
best iteration when early stopping kept one, feature importance by ``weight`` and ``gain``,
and the booster in UBJSON with MLflow's ``xgboost`` flavor.
"""

from __future__ import annotations

from typing import Any

from autolog.plugin import Integration, Target, safety
from autolog_boosting import TrainingRun
from autolog_boosting.recorder import parity_rows, record_train, with_defaults
from autolog_xgboost.flavor import BOOSTER_FLAVOR, estimator_flavor

__all__ = ["IMPORTANCE_TYPES", "XGBoostIntegration"]

#: Feature importance written per run (``Booster.get_score(importance_type=...)``).
IMPORTANCE_TYPES = ("weight", "gain")
#: Arguments of ``train`` that are data or code, not parameters.
UNLOGGED = frozenset({"params", "dtrain", "evals", "obj", "evals_result", "xgb_model",
                      "callbacks", "custom_metric", "feval", "learning_rates"})


class XGBoostIntegration(Integration):
    """Autologs ``xgboost.train``."""

    name = "xgboost"
    module = "xgboost"
    distribution = "xgboost"
    supported = ">=2.0"

    # The same function under the two names a program uses; each name gets its own wrapper.
    targets = (Target("xgboost", "train", "_train"), Target("xgboost.training", "train", "_train"))

    @classmethod
    def flavor_for(cls, model: Any) -> Any:
        """The xgboost flavor for a Booster or a scikit-learn wrapper, else None."""
        import xgboost

        if isinstance(model, xgboost.Booster):
            return BOOSTER_FLAVOR
        if isinstance(model, xgboost.XGBModel):
            return estimator_flavor(type(model))
        return None

    def _train(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:
        return record_train(wrapped, args, kwargs, "xgboost",
                            lambda call: _Training.begin(wrapped, call))


def _params_dict(value: Any) -> dict[str, Any]:
    """``params`` as a dict; XGBoost also takes a list of pairs (``eval_metric`` repeated)."""
    if isinstance(value, dict):
        return value
    merged: dict[str, Any] = {}
    for key, item in value or ():
        merged[key] = [*merged[key], item] if isinstance(merged.get(key), list) else (
            [merged[key], item] if key in merged else item)
    return merged


def dmatrix_rows(data: Any, rows: list[int]) -> Any:
    """Rows of a DMatrix as the user's predict would pass them: an array (a DataFrame when
    the features have names), missing values as NaN.

    Raises:
        ValueError: the DMatrix cannot give its rows back (a QuantileDMatrix).
    """
    import numpy as np

    try:
        part = data.slice(rows).get_data()
    except Exception as exc:  # noqa: BLE001 - XGBoostError: this DMatrix keeps no rows
        raise ValueError(f"the {type(data).__name__} gives no rows back ({exc})") from exc
    dense = np.full(part.shape, np.nan, dtype=np.float32)
    dense[np.repeat(np.arange(part.shape[0]), np.diff(part.indptr)), part.indices] = part.data
    names = data.feature_names
    if names:
        import pandas as pd

        return pd.DataFrame(dense, columns=list(names))
    return dense


class _Training:
    """One recorded ``xgboost.train`` call."""

    def __init__(self, training: TrainingRun, dtrain: Any) -> None:
        self.training = training
        self.example: Any = None
        self.parity_data: Any = None
        n = int(dtrain.num_row())
        with safety.guard("reading the input example rows"):
            self.example = training.example_rows(lambda k: dmatrix_rows(dtrain, list(range(
                min(k, n)))))
        if training.wants_parity_data:
            with safety.guard("sampling rows for the ONNX parity check"):
                step = max(1, n // 1000)
                self.parity_data = parity_rows(dmatrix_rows(dtrain, list(range(0, n, step))))
        if training.config.log_datasets:
            training.run.log_params({"dataset.shape": [n, int(dtrain.num_col())]})

    @classmethod
    def begin(cls, train: Any, call: dict[str, Any]) -> _Training:
        import xgboost

        values = with_defaults(train, call)
        training = TrainingRun("xgboost", "xgboost", xgboost.__version__, "Booster",
                               _params_dict(values["params"]),
                               {k: v for k, v in values.items() if k not in UNLOGGED})
        session = cls(training, values["dtrain"])
        call["callbacks"] = [*(values["callbacks"] or ()), _callback(training)]
        return session

    def fail(self) -> None:
        self.training.fail()

    def finish(self, booster: Any) -> None:
        best = booster.attr("best_iteration")
        history = self.training.history
        self.training.finish(
            stopping=None if best is None else {"best_iteration": int(best),
                                                "stopped_iteration": len(history) - 1},
            best_index=None if best is None else int(best),
            importance=lambda: {kind: {k: float(v) for k, v in
                                       booster.get_score(importance_type=kind).items()}
                                for kind in IMPORTANCE_TYPES},
            capture=lambda: self.training.new_capture(
                BOOSTER_FLAVOR, BOOSTER_FLAVOR.serialize(booster), self.example,
                self.parity_data, "Booster"),
        )


def _callback(training: TrainingRun) -> Any:
    """A ``TrainingCallback`` that logs each iteration's ``evals`` results (never raises,
    never stops training)."""
    from xgboost.callback import TrainingCallback

    class AutologCallback(TrainingCallback):
        failed = False

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if self.failed:
                return False
            try:
                training.log_iteration(epoch, {
                    f"{data}-{metric}": (values[-1][0] if isinstance(values[-1], tuple)
                                         else values[-1])
                    for data, metrics in evals_log.items() for metric, values in metrics.items()
                })
            except Exception as exc:  # noqa: BLE001 - autolog's failure: one warning
                self.failed = True
                safety.internal_error("logging the evaluation results of an iteration", exc)
            return False

    return AutologCallback()
