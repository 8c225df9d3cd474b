"""What :func:`autolog.evaluate` returns: :class:`EvaluationResult`."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EvaluationResult"]

# Shown first in the text and HTML forms; the rest follow by name.
_HEADLINE = ("accuracy_score", "balanced_accuracy_score", "f1_macro", "f1_weighted", "roc_auc",
             "log_loss", "r2_score", "root_mean_squared_error", "mean_absolute_error",
             "example_count")


@dataclass
class EvaluationResult:
    """One evaluation of a model on one dataset.

    Attributes:
        name: the dataset name the metrics were logged under (the ``name`` given, or
            ``<name>-2`` when the run already had other data under that name).
        task: ``"classification"`` or ``"regression"``.
        metrics: metric name -> value, as MLflow's ``EvaluationResult.metrics``
            (``accuracy_score``, ``f1_macro`` ...); the run has them as ``<metric>_<name>``.
        run_id: the run the metrics were logged to.
        new_run: True when that run was created for this evaluation (the model had no run in
            the store).
        digest: the digest of the evaluation data (inputs and targets).
        plots: plot name -> the data also written to ``evaluation/<name>/<plot>.json``.
        per_class: per class: label, precision, recall, f1, support (classification).
        model: what was evaluated (a URI, or the model's class).
    """

    name: str
    task: str
    metrics: dict[str, float]
    run_id: str
    new_run: bool = False
    digest: str = ""
    plots: dict[str, dict[str, Any]] = field(default_factory=dict)
    per_class: list[dict[str, Any]] = field(default_factory=list)
    model: str = ""

    @property
    def logged_metrics(self) -> dict[str, float]:
        """The metrics as the run has them: ``<metric>_<name>``."""
        return {f"{k}_{self.name}": v for k, v in self.metrics.items()}

    def _ordered(self) -> list[str]:
        first = [k for k in _HEADLINE if k in self.metrics]
        return first + sorted(k for k in self.metrics if k not in first)

    def __str__(self) -> str:
        lines = [f"Evaluation {self.name!r} of {self.model} ({self.task}), run {self.run_id}"]
        lines += [f"  {k:<34} {self.metrics[k]:.6g}" for k in self._ordered()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<EvaluationResult {self.name!r} {self.task} run={self.run_id[:8]} "
                f"metrics={len(self.metrics)}>")

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th>"
                       f"<td style='text-align:right'>{self.metrics[k]:.6g}</td></tr>"
                       for k in self._ordered() if "_class_" not in k)
        matrix = self.plots.get("confusion_matrix")
        table = ""
        if matrix and len(matrix["labels"]) <= 12:
            labels = [esc(str(v)) for v in matrix["labels"]]
            head = "".join(f"<th>{v}</th>" for v in labels)
            body = "".join(
                f"<tr><th>{labels[i]}</th>" + "".join(f"<td style='text-align:right'>{n}</td>"
                                                      for n in row) + "</tr>"
                for i, row in enumerate(matrix["matrix"]))
            table = ("<table class='autolog-confusion'><caption>confusion matrix (rows: true, "
                     f"columns: predicted)</caption><tr><th></th>{head}</tr>{body}</table>")
        return (f"<div class='autolog-evaluation'><b>{esc(self.name)}</b>: {esc(self.task)} "
                f"metrics of {esc(self.model)} logged to run <code>{esc(self.run_id)}</code>"
                f"<table>{rows}</table>{table}</div>")
