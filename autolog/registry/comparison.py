"""Versions of a registered model side by side: :class:`Comparison`.

One table, one column per version: where each came from (run, and the commit it was trained
from, marked when the working tree was dirty), the params that differ, every metric with the
best value of each row marked, signature differences, formats, size and the ONNX parity
verdict. :meth:`Comparison.source_warnings` flags versions trained from different commits or
from a dirty tree. ``str()`` gives an aligned text table, notebooks render ``_repr_html_``,
``to_dict()`` is ready for ``json.dumps``.

Which value is best: lower is better when the metric's name has one of the words in
:data:`LOWER_IS_BETTER` (``training_log_loss``, ``val_mse``, ``mean_absolute_error``,
``fit_time``, ``false_positives``), unless it also has the word ``neg`` (scikit-learn's
``neg_mean_squared_error`` is negated, so higher is better); for every other metric higher is
better. Words are the parts of the lowercased name split at anything that is not a letter or
digit. Counts (``example_count_<data>``, ``support_class_*``, ``sum_on_target``) have no best.

Held-out metrics come first. A metric is held-out when its source run declares its dataset
(the tag ``autolog.heldout.<dataset>``, see :mod:`autolog.heldout`); the comparison reads the
runs when it is made, so metrics logged after registration count. They are grouped by dataset
name, each group its own section, apart from the training metrics. A model's own score
(``LogisticRegression_score_X_test``) is shown as ``score_X_test`` so that versions of different
classes share a row.

Ranking: :meth:`Comparison.ranking` is the held-out metric that all compared versions have,
of the first kind in :data:`autolog.registry.metric_kinds.RANKING` (score, accuracy, R², F1
...); the training metrics are then ignored, and the ranking says so in its note. ``best_by``
takes a metric name, a kind (``"accuracy"``: the held-out one if there is one, else the
training one), or nothing (the ranking).
"""

from __future__ import annotations

import datetime
import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from autolog.runs import Run

__all__ = ["LOWER_IS_BETTER", "Choice", "Comparison", "Ranking", "metric_goal"]

LOWER_IS_BETTER = frozenset({
    "loss", "logloss", "error", "err", "mse", "rmse", "mae", "mape", "msle", "rmsle", "smape",
    "deviance", "brier", "hinge", "perplexity", "wer", "cer", "time", "duration", "seconds",
    "latency", "false",
})
_MAX_CELL = 48


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
    """The best version by a metric (:meth:`Comparison.choose`), with the metric used and a
    note when it is not the one asked for or a held-out one was passed over."""

    version: ModelVersion
    metric: str
    goal: str
    value: float
    note: str | None = None


def _number(value: float) -> str:
    return f"{value:.6g}"


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _specs(signature: dict[str, Any] | None, part: str) -> list[str] | None:
    """A signature part (``inputs``/``outputs``) as ``name: type`` strings (None if absent)."""
    if not signature or not signature.get(part):
        return None
    raw = signature[part]
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return [str(raw)]
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            out.append(str(item))
        elif item.get("type") == "tensor":
            spec = item.get("tensor-spec") or {}
            prefix = f"{item['name']}: " if item.get("name") else ""
            out.append(f"{prefix}tensor {spec.get('dtype', '?')} {spec.get('shape', '?')}")
        else:
            prefix = f"{item['name']}: " if item.get("name") else ""
            out.append(f"{prefix}{item.get('type', '?')}")
    return out


def _summary(specs: list[str] | None) -> str:
    if specs is None:
        return "none"
    if len(specs) <= 3:
        return ", ".join(specs)
    types = sorted({s.rpartition(": ")[2] for s in specs})
    return f"{len(specs)} columns ({', '.join(types)})"


def _difference(reference: list[str] | None, specs: list[str] | None) -> str:
    if specs == reference:
        return "same"
    if specs is None or reference is None:
        return "none" if specs is None else "added"
    ref = {s.rpartition(": ")[0]: s.rpartition(": ")[2] for s in reference}
    new = {s.rpartition(": ")[0]: s.rpartition(": ")[2] for s in specs}
    parts = [f"+{k}" for k in new if k not in ref] + [f"-{k}" for k in ref if k not in new]
    parts += [f"{k}: {ref[k]}->{new[k]}" for k in new if k in ref and ref[k] != new[k]]
    if not parts and list(new) != list(ref):
        parts = ["column order"]
    return "; ".join(parts) or "same"


def _commit(mv: ModelVersion) -> str:
    commit = mv.code.get("commit")
    if not commit:
        return "-"
    return commit[:8] + (" (dirty)" if mv.code.get("dirty") == "true" else "")


def _parity(mv: ModelVersion) -> str:
    record = mv.onnx_parity
    if not record:
        return "not checked" if "onnx" in mv.formats else "-"
    passed = record.get("passed")
    verdict = "ok" if passed is True else "FAILED" if passed is False else "unknown"
    diff = next((v for k, v in record.items()
                 if "abs" in k.lower() and isinstance(v, (int, float))), None)
    return f"{verdict} (max abs diff {diff:.2g})" if diff is not None else verdict


class Comparison:
    """Versions of one registered model side by side.

    Attributes:
        name: the registered model.
        versions: the compared :class:`~autolog.registry.ModelVersion` objects, by number.
    """

    def __init__(self, name: str, versions: Sequence[ModelVersion],
                 runs: Mapping[int, Run] | None = None) -> None:
        self.name = name
        self.versions = sorted(versions, key=lambda v: v.version)
        #: version number -> its source run as read when compared (when it could be read)
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

    def differing_params(self) -> dict[str, dict[int, str | None]]:
        """Params whose value (or presence) differs between the versions."""
        keys = sorted({k for v in self.versions for k in v.params})
        out = {}
        for key in keys:
            values = {v.version: v.params.get(key) for v in self.versions}
            if len(set(values.values())) > 1:
                out[key] = values
        return out

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

    def source_warnings(self) -> list[str]:
        """Why the versions' code may not be what their commits say: versions trained from
        different commits, and versions trained with uncommitted changes."""
        out = []
        groups: dict[str, list[str]] = {}
        for v in self.versions:
            if v.code.get("commit"):
                groups.setdefault(v.code["commit"][:8], []).append(f"v{v.version}")
        if len(groups) > 1:
            out.append("Trained from different commits: " + "; ".join(
                f"{commit} ({', '.join(names)})" for commit, names in groups.items()) + ".")
        dirty = [f"v{v.version}" for v in self.versions if v.code.get("dirty") == "true"]
        if dirty:
            out.append(f"{', '.join(dirty)} trained with uncommitted changes (a dirty working "
                       "tree): the commit alone does not reproduce "
                       f"{'it' if len(dirty) == 1 else 'them'}; see the run's code/diff.patch.")
        return out

    def rows(self) -> list[dict[str, Any]]:
        """The table: dicts with ``section``, ``label``, ``cells`` (one string per version)
        and ``best`` (one bool per version)."""
        vs = self.versions
        rows: list[dict[str, Any]] = []

        def add(section: str, label: str, cells: list[str], best: list[bool] | None = None
                ) -> None:
            rows.append({"section": section, "label": label, "cells": cells,
                         "best": best or [False] * len(cells)})

        add("version", "run", [(v.run_id or "-")[:8] for v in vs])
        add("version", "model class", [v.model_class or "-" for v in vs])
        add("version", "created", [_time(v.created_time) for v in vs])
        add("version", "aliases", [", ".join(v.aliases) or "-" for v in vs])
        if any(v.code for v in vs):
            add("source", "commit", [_commit(v) for v in vs])
            add("source", "branch", [v.code.get("branch", "-") for v in vs])
        for key, values in self.differing_params().items():
            add("params that differ", key,
                ["-" if values[v.version] is None else str(values[v.version]) for v in vs])
        others = "training metrics" if self._dataset else "metrics"
        for metric in self.metric_names:
            dataset = self._dataset.get(metric)
            if dataset and "_class_" in metric:
                continue  # per-class evaluation metrics: in to_dict(), not in the table
            section = f"{f'held-out metrics on {dataset}' if dataset else others} " \
                "(best marked *)"
            found = self.values(metric)
            cells = [_number(found[v.version]) if v.version in found else "-" for v in vs]
            if self.is_count(metric):
                add(section, metric, cells)
                continue
            goal = metric_goal(metric)
            best = set(self.best(metric, goal))
            add(section, f"{metric} ({goal})", cells, [v.version in best for v in vs])
        for part in ("inputs", "outputs"):
            specs = [_specs(v.signature, part) for v in vs]
            add("signature", part, [_summary(s) for s in specs])
            if len({json.dumps(s) for s in specs}) > 1:
                add("signature", f"{part} vs v{vs[0].version}",
                    [_difference(specs[0], s) for s in specs])
        add("model", "formats", [", ".join(v.formats) or "-" for v in vs])
        add("model", "size", [_size(v.size_bytes) for v in vs])
        add("model", "onnx parity", [_parity(v) for v in vs])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Everything in the table, JSON-ready (version numbers as string keys)."""
        vs = self.versions
        return {
            "name": self.name,
            "versions": [v.to_dict() for v in vs],
            "params": {k: {str(n): val for n, val in values.items()}
                       for k, values in self.differing_params().items()},
            "metrics": {
                m: {"goal": metric_goal(m), "best": self.best(m),
                    "values": {str(v.version): self._values[v.version].get(m) for v in vs}}
                for m in self.metric_names
            },
            "heldout": self.heldout,
            "ranking": self._ranking_dict(),
            "signature": {str(v.version): {"inputs": _specs(v.signature, "inputs"),
                                           "outputs": _specs(v.signature, "outputs")}
                          for v in vs},
            "formats": {str(v.version): v.formats for v in vs},
            "size_bytes": {str(v.version): v.size_bytes for v in vs},
            "onnx_parity": {str(v.version): v.onnx_parity for v in vs},
            "code": {str(v.version): v.code for v in vs},
            "source_warnings": self.source_warnings(),
        }

    def _ranking_dict(self) -> dict[str, Any] | None:
        ranking = self.ranking()
        if ranking is None:
            return None
        best = self.choose()
        return {"metric": ranking.metric, "goal": ranking.goal, "dataset": ranking.dataset,
                "kind": ranking.kind, "best": best.version.version, "value": best.value,
                "note": ranking.note}

    def ranking_line(self) -> str | None:
        """``ranking: v2 is best by ...`` for the text and HTML forms (None without one)."""
        ranking = self.ranking()
        if ranking is None:
            return None
        best = self.choose()
        return (f"ranking: v{best.version.version} is best by {ranking.metric} "
                f"({ranking.goal}, {_number(best.value)}): {ranking.note}")

    # -- rendering -------------------------------------------------------------------------------
    def __str__(self) -> str:
        if not self.versions:
            return f"Model {self.name!r}: no versions to compare."
        header = ["", *(f"v{v.version}" for v in self.versions)]
        table: list[list[str] | str] = []
        section = None
        for row in self.rows():
            if row["section"] != section:
                section = row["section"]
                table.append(f"-- {section} --")
            cells = [_clip(c) + (" *" if b else "")
                     for c, b in zip(row["cells"], row["best"], strict=True)]
            table.append([row["label"], *cells])
        lines = [r for r in table if isinstance(r, list)]
        widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]

        def fmt(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        n = len(self.versions)
        out = [f"Model {self.name!r}: {n} version{'s' if n != 1 else ''}"]
        out += [f"! {warning}" for warning in self.source_warnings()]
        out.append(fmt(header))
        out += [r if isinstance(r, str) else fmt(r) for r in table]
        line = self.ranking_line()
        if line:
            out.append(line)
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"<Comparison {self.name!r} versions {[v.version for v in self.versions]}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>v{v.version}</th>" for v in self.versions)
        body = []
        section = None
        span = len(self.versions) + 1
        for row in self.rows():
            if row["section"] != section:
                section = row["section"]
                body.append(f"<tr><th colspan='{span}' style='text-align:left'>"
                            f"{esc(section)}</th></tr>")
            cells = "".join(
                f"<td><b>{esc(c)} &#9733;</b></td>" if b else f"<td>{esc(c)}</td>"
                for c, b in zip(row["cells"], row["best"], strict=True))
            body.append(f"<tr><td>{esc(row['label'])}</td>{cells}</tr>")
        line = self.ranking_line()
        caption = esc(self.name) + (f"<br><small>{esc(line)}</small>" if line else "")
        warnings = "".join(f"<p class='autolog-warning'>{esc(w)}</p>"
                           for w in self.source_warnings())
        return (f"{warnings}<table class='autolog-compare'><caption>{caption}</caption>"
                f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_CELL else text[:_MAX_CELL - 3] + "..."


def _time(ms: int) -> str:
    if not ms:
        return "-"
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")
