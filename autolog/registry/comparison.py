"""Versions of a registered model side by side: :class:`Comparison`.

One table, one column per version: where each came from (run, and the commit it was trained
from, marked when the working tree was dirty), the params that differ, every metric with the
best value of each row marked, signature differences, formats, size and the ONNX parity
verdict. :meth:`Comparison.source_warnings` flags versions trained from different commits or
from a dirty tree. ``str()`` gives an aligned text table, notebooks render ``_repr_html_``,
``to_dict()`` is ready for ``json.dumps``.

Which version is best, and by which metric (held-out metrics first, grouped by dataset), is
decided by the base class :class:`~autolog.registry.ranking.VersionMetrics`: see
:mod:`autolog.registry.ranking` for the rules.
"""

from __future__ import annotations

import datetime
import html
import json
from typing import Any

from autolog.registry.ranking import (
    LOWER_IS_BETTER,
    Choice,
    Ranking,
    VersionMetrics,
    metric_goal,
)
from autolog.registry.records import ModelVersion

__all__ = ["LOWER_IS_BETTER", "Choice", "Comparison", "Ranking", "metric_goal"]

_MAX_CELL = 48


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


class Comparison(VersionMetrics):
    """Versions of one registered model side by side (the metrics and the ranking are
    :class:`~autolog.registry.ranking.VersionMetrics`'; this adds the table).

    Attributes:
        name: the registered model.
        versions: the compared :class:`~autolog.registry.ModelVersion` objects, by number.
    """

    def differing_params(self) -> dict[str, dict[int, str | None]]:
        """Params whose value (or presence) differs between the versions."""
        keys = sorted({k for v in self.versions for k in v.params})
        out = {}
        for key in keys:
            values = {v.version: v.params.get(key) for v in self.versions}
            if len(set(values.values())) > 1:
                out[key] = values
        return out

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
