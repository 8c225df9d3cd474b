"""Which version of a registered model is best: :class:`VersionMetrics`.

Which value is best: lower is better when the metric's name has one of the words in
:data:`LOWER_IS_BETTER` (``training_log_loss``, ``val_mse``, ``mean_absolute_error``,
``fit_time``, ``false_positives``), unless it also has the word ``neg`` (scikit-learn's
``neg_mean_squared_error`` is negated, so higher is better); for every other metric higher is
better. Words are the parts of the lowercased name split at anything that is not a letter or
digit. Counts (``example_count_<data>``, ``support_class_*``, ``sum_on_target``) have no best.

Held-out metrics come first. A metric is held-out when its source run declares its dataset
(the tag ``autolog.heldout.<dataset>``, see :mod:`autolog.heldout`); the versions' metrics are
read with their runs, so metrics logged after registration count. They are grouped by dataset
name, apart from the training metrics. A model's own score (``LogisticRegression_score_X_test``)
is named ``score_X_test`` so that versions of different classes share it.

Ranking: :meth:`VersionMetrics.ranking` is the held-out metric that all compared versions
have, of the first kind in :data:`autolog.registry.metric_kinds.RANKING` (score, accuracy, R²,
F1 ...); the training metrics are then ignored, and the ranking says so in its note.
``best_by`` takes a metric name, a kind (``"accuracy"``: the held-out one if there is one, else
the training one), or nothing (the ranking).

The table that shows them is :class:`autolog.registry.comparison.Comparison`, a subclass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autolog.errors import NotFoundError
from autolog.heldout import heldout_datasets
from autolog.registry.metric_kinds import (
    INFORMATIONAL,
    RANKING,
    is_class_score,
    kind_of,
    split_heldout,
    training_kind,
)
from autolog.registry.records import ModelVersion
from autolog.runs import is_system_metric

TYPE_CHECKING = False
if TYPE_CHECKING:
    from autolog.runs import Run

__all__ = ["LOWER_IS_BETTER", "Choice", "Ranking", "VersionMetrics", "metric_goal"]

LOWER_IS_BETTER = frozenset({
    "loss", "logloss", "error", "err", "mse", "rmse", "mae", "mape", "msle", "rmsle", "smape",
    "deviance", "brier", "hinge", "perplexity", "wer", "cer", "time", "duration", "seconds",
    "latency", "false",
})


def metric_goal(name: str) -> str:
    """``"min"`` when lower values of metric ``name`` are better, else ``"max"``."""
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    return "min" if words & LOWER_IS_BETTER and "neg" not in words else "max"


def _informational(name: str, dataset: str | None) -> bool:
    metric = name[:-len(dataset) - 1] if dataset else name
    return bool(INFORMATIONAL.match(metric))


@dataclass(frozen=True)
class Ranking:
    """The metric a comparison ranks versions by when none is named.

    Attributes:
        metric: the held-out metric (as the comparison names it, e.g. ``score_X_test``).
        goal: ``"max"`` or ``"min"``.
        dataset: its dataset name.
        kind: what it measures (``score``, ``accuracy`` ...).
        note: what was ignored, for the reader.
    """

    metric: str
    goal: str
    dataset: str
    kind: str
    note: str


@dataclass(frozen=True)
class Choice:
    """The best version by a metric (:meth:`VersionMetrics.choose`), with the metric used and a
    note when it is not the one asked for or a held-out one was passed over."""

    version: ModelVersion
    metric: str
    goal: str
    value: float
    note: str | None = None


class VersionMetrics:
    """The metrics of versions of one registered model, and which version is best by them.

    Attributes:
        name: the registered model.
        versions: the compared :class:`~autolog.registry.ModelVersion` objects, by number.
        runs: version number -> its source run as read when compared (when it could be read).
    """

    def __init__(self, name: str, versions: Sequence[ModelVersion],
                 runs: Mapping[int, Run] | None = None) -> None:
        self.name = name
        self.versions = sorted(versions, key=lambda v: v.version)
        self.runs: dict[int, Run] = dict(runs or {})
        # version -> metric -> value: the version's copy, updated from its run when given.
        self._values: dict[int, dict[str, float]] = {}
        # held-out metric -> its dataset
        self._dataset: dict[str, str] = {}
        for v in self.versions:
            run = self.runs.get(v.version)
            raw = {**v.metrics, **(run.metrics if run is not None else {})}
            datasets = heldout_datasets(run.tags) if run is not None else {}
            model_class = v.model_class or (run.model_name if run is not None else "")
            values = {}
            for key, value in raw.items():
                if is_system_metric(key):  # how the machine was used, not how the model does
                    continue
                split = split_heldout(key, datasets)
                if split is not None:
                    metric, dataset = split
                    if is_class_score(metric, model_class):
                        metric = "score" + metric[len(model_class) + len("_score"):]
                        key = f"{metric}_{dataset}"
                    self._dataset[key] = dataset
                values[key] = value
            self._values[v.version] = values

    # -- the data ------------------------------------------------------------------------------
    @property
    def metric_names(self) -> list[str]:
        """Every metric name, held-out ones first (by dataset), then the others."""
        names = {k for values in self._values.values() for k in values}
        return sorted(names, key=lambda k: (k not in self._dataset, self._dataset.get(k, ""), k))

    @property
    def heldout(self) -> dict[str, list[str]]:
        """Dataset name -> the held-out metrics measured on it."""
        out: dict[str, list[str]] = {}
        for name in self.metric_names:
            if name in self._dataset:
                out.setdefault(self._dataset[name], []).append(name)
        return out

    def dataset_of(self, metric: str) -> str | None:
        """The dataset of a held-out metric, None for a training (or other) metric."""
        return self._dataset.get(metric)

    def is_count(self, metric: str) -> bool:
        """True for a metric that counts rather than rates (``example_count_holdout``): it
        has no best value."""
        return _informational(metric, self._dataset.get(metric))

    def values(self, metric: str) -> dict[int, float]:
        """Version number -> value of ``metric``, for the versions that have it."""
        return {n: values[metric] for n, values in self._values.items() if metric in values}

    def _common(self, kind: str) -> list[str]:
        """Held-out metrics of ``kind`` every version has (not NaN), in dataset order."""
        out = []
        for name in self.metric_names:
            dataset = self._dataset.get(name)
            if dataset is None or kind_of(name[:-len(dataset) - 1]) != kind:
                continue
            found = self.values(name)
            if len(found) == len(self.versions) and not any(map(math.isnan, found.values())):
                out.append(name)
        return out

    def _training(self, kind: str) -> list[str]:
        return [n for n in self.metric_names
                if n not in self._dataset and training_kind(n) == kind]

    def ranking(self) -> Ranking | None:
        """The default ranking: a held-out metric all versions have (None without one)."""
        if not self.versions:
            return None
        for kind in RANKING:
            common = self._common(kind)
            if common:
                metric = common[0]
                ignored = self._training(kind)
                what = f"training metrics ({', '.join(ignored)})" if ignored \
                    else "training metrics"
                return Ranking(metric, metric_goal(metric), self._dataset[metric], kind,
                               f"ranked by the held-out {metric} ({self._dataset[metric]}); "
                               f"{what} were ignored")
        return None

    def _resolve(self, metric: str | None) -> tuple[str, str | None]:
        if metric is None:
            ranking = self.ranking()
            if ranking is None:
                raise NotFoundError(
                    f"The compared versions of {self.name!r} share no held-out metric to rank "
                    "by: evaluate them on the same data (autolog.evaluate, or model.score and "
                    "sklearn.metrics after the fit), or name a metric (metrics: "
                    f"{', '.join(self.metric_names) or 'none'}).")
            return ranking.metric, ranking.note
        if metric in self.metric_names:
            kind = training_kind(metric)
            ranking = self.ranking()
            held = self._common(kind) if kind else []
            if kind and (held or ranking):
                other = held[0] if held else ranking.metric  # type: ignore[union-attr]
                return metric, (f"{metric} is a training metric, which rewards overfitting; "
                                f"the held-out {other} measures the versions on unseen data")
            return metric, None
        kind = kind_of(metric) or (metric if metric in RANKING else None)
        if kind is not None:
            held = self._common(kind)
            if held:
                return held[0], (f"{metric}: ranked by the held-out {held[0]}; training "
                                 "metrics were ignored")
            training = self._training(kind)
            if training:
                return training[0], (f"{metric}: no held-out {kind} metric common to the "
                                     f"versions, ranked by the training metric {training[0]}")
        return metric, None

    def choose(self, metric: str | None = None, goal: str | None = None) -> Choice:
        """The best version by ``metric``: a metric name, a kind (``"accuracy"``, ``"f1"``,
        ``"rmse"``: held-out if any, else training), or None for :meth:`ranking`.

        Raises:
            NotFoundError: no compared version has the metric (the message lists them), or
                no ranking exists and no metric was named.
            ValueError: ``goal`` is not ``"max"``, ``"min"`` or None.
        """
        if goal not in (None, "max", "min"):
            raise ValueError(f"Invalid goal {goal!r}: use 'max', 'min' or None.")
        name, note = self._resolve(metric)
        goal = goal or metric_goal(name)
        numbers = self.best(name, goal, _ranked=True)
        if not numbers:
            known = ", ".join(self.metric_names) or "none"
            raise NotFoundError(f"No compared version of {self.name!r} has the metric "
                                f"{metric!r} (metrics: {known}).")
        best = next(v for v in self.versions if v.version == max(numbers))
        return Choice(best, name, goal, self._values[best.version][name], note)

    def best(self, metric: str, goal: str | None = None, _ranked: bool = False) -> list[int]:
        """Version numbers holding the best value of ``metric`` (ties all count; NaN never;
        none for a count such as ``example_count_<data>``).

        Parameters:
            goal: ``"max"`` or ``"min"``; default :func:`metric_goal`.
        """
        if not _ranked and self.is_count(metric):
            return []
        goal = goal or metric_goal(metric)
        values = {n: value for n, value in self.values(metric).items() if not math.isnan(value)}
        if not values:
            return []
        target = max(values.values()) if goal == "max" else min(values.values())
        return [n for n, value in values.items() if value == target]

    def best_by(self, metric: str | None = None, goal: str | None = None) -> ModelVersion:
        """The best version by ``metric`` (``goal`` ``"max"``/``"min"``, default by its name);
        among ties, the newest. See :meth:`choose` for what ``metric`` may be.

        Raises:
            NotFoundError: no compared version has the metric (the message lists the metrics).
        """
        return self.choose(metric, goal).version
