"""What the UI shows of held-out metrics and evaluations.

* the run page: the held-out metrics by dataset (with the call that produced each
  post-training metric), and per evaluation the confusion matrix as a heat table and the
  ROC, precision-recall, calibration and residual charts, from the JSON files of
  :func:`autolog.evaluate` (:mod:`autolog.evaluation.stored`);
* the compare page: the ROC curves of the compared versions overlaid, per evaluation name.

Chart specs are JSON for ``static/curves.js``: ``{"key", "title", "x_label", "y_label",
"series": [{"label", "x", "y"}], "diagonal", "bars", "unit_range"}``.
"""

from __future__ import annotations

from typing import Any

from autolog.evaluation.stored import read_evaluations
from autolog.heldout import DATASET_TAG, METRIC_CALL_TAG, heldout_datasets
from autolog.registry.metric_kinds import split_heldout

__all__ = ["HEAT_LEVELS", "evaluation_panels", "heldout_groups", "other_metrics", "roc_overlays",
           "shown_tags"]

HEAT_LEVELS = 8
MAX_OVERLAY_SERIES = 12


def shown_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags of the run page's tag table: the held-out bookkeeping is shown with the
    held-out metrics instead."""
    return {k: v for k, v in tags.items()
            if not k.startswith((DATASET_TAG, METRIC_CALL_TAG))}


def heldout_groups(run: Any) -> list[dict[str, Any]]:
    """Per held-out dataset of ``run``: its record and its metrics (key, metric, value, the
    call that produced it)."""
    datasets = heldout_datasets(run.tags)
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name in sorted(datasets)}
    for key in sorted(run.metrics):
        split = split_heldout(key, datasets)
        if split is None or "_class_" in split[0]:  # per class: the evaluation's own table
            continue
        metric, dataset = split
        groups[dataset].append({"key": key, "metric": metric, "value": run.metrics[key],
                                "call": run.tags.get(METRIC_CALL_TAG + key, "")})
    return [{"dataset": name, "info": datasets[name], "metrics": rows,
             "calls": any(r["call"] for r in rows)}
            for name, rows in groups.items() if rows]


def other_metrics(run: Any) -> dict[str, float]:
    """The run's metrics that are not held-out ones (the run page's metrics table)."""
    datasets = heldout_datasets(run.tags)
    return {k: v for k, v in run.metrics.items() if split_heldout(k, datasets) is None}


def _heat(confusion: dict[str, Any]) -> dict[str, Any]:
    """The confusion matrix with a heat level (0..HEAT_LEVELS-1) per cell, by row share."""
    rows = []
    for label, counts in zip(confusion["labels"], confusion["matrix"], strict=False):
        total = sum(counts) or 1
        rows.append({"label": label, "cells": [
            {"count": n, "level": min(HEAT_LEVELS - 1, int(HEAT_LEVELS * n / total))}
            for n in counts]})
    return {"labels": confusion["labels"], "rows": rows}


def _curve_series(data: dict[str, Any], x: str, y: str, prefix: str = "") -> list[dict[str, Any]]:
    return [{"label": f"{prefix}{c['label']} (AUC {c['auc']:.3f})", "x": c[x], "y": c[y]}
            for c in data.get("curves", [])]


def _charts(name: str, plots: dict[str, Any]) -> list[dict[str, Any]]:
    charts = []
    if "roc_curve" in plots:
        charts.append({"key": f"{name}-roc", "title": "ROC curve", "x_label": "false positive rate",
                       "y_label": "true positive rate", "diagonal": True, "unit_range": True,
                       "series": _curve_series(plots["roc_curve"], "fpr", "tpr")})
    if "pr_curve" in plots:
        charts.append({"key": f"{name}-pr", "title": "precision-recall curve",
                       "x_label": "recall", "y_label": "precision", "unit_range": True,
                       "series": _curve_series(plots["pr_curve"], "recall", "precision")})
    if "calibration_curve" in plots:
        cal = plots["calibration_curve"]
        charts.append({"key": f"{name}-calibration", "title": "calibration curve",
                       "x_label": f"mean predicted ({cal.get('kind', 'probability')})",
                       "y_label": "observed frequency", "diagonal": True, "unit_range": True,
                       "series": [{"label": "model", "x": cal["mean_predicted"],
                                   "y": cal["fraction_positive"]}]})
    if "residuals" in plots:
        res = plots["residuals"]
        edges = res["edges"]
        centers = [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)]
        charts.append({"key": f"{name}-residuals", "title": "residuals (true - predicted)",
                       "x_label": "residual", "y_label": "count", "bars": True,
                       "series": [{"label": "count", "x": centers, "y": res["counts"]}]})
    return charts


def evaluation_panels(store: Any, run: Any) -> list[dict[str, Any]]:
    """Per evaluation of ``run``: its name, the heat table (or None) and chart specs."""
    panels = []
    for name, plots in read_evaluations(store, run).items():
        confusion = plots.get("confusion_matrix")
        summary = plots.get("metrics", {})
        panels.append({"name": name, "heat": _heat(confusion) if confusion else None,
                       "charts": _charts(name, plots),
                       "per_class": summary.get("per_class") or []})
    return panels


def roc_overlays(store: Any, comparison: Any) -> list[dict[str, Any]]:
    """One chart per evaluation name: the ROC curves of every compared version that has one."""
    overlays: dict[str, list[dict[str, Any]]] = {}
    for version in comparison.versions:
        run = comparison.runs.get(version.version)
        if run is None:
            continue
        for name, plots in read_evaluations(store, run).items():
            data = plots.get("roc_curve")
            if data:
                overlays.setdefault(name, []).extend(
                    _curve_series(data, "fpr", "tpr", prefix=f"v{version.version} · "))
    return [{"key": f"overlay-{name}", "title": f"ROC curves on {name}",
             "x_label": "false positive rate", "y_label": "true positive rate",
             "diagonal": True, "unit_range": True, "series": series[:MAX_OVERLAY_SERIES]}
            for name, series in sorted(overlays.items())]
