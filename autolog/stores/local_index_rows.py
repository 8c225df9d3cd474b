"""What the local store's index holds: its SQL schema, and the rows of one run folder.

:mod:`autolog.stores.local_index` keeps the index current with these rows;
:mod:`autolog.stores.local_index_query` reads pages of the runs list from them.
"""

from __future__ import annotations

import json
import os
from typing import Any

from autolog.runs import RunInfo, as_number
from autolog.stores.jsonfiles import read_metrics

__all__ = ["KINDS", "METRIC", "PARAM", "SCHEMA", "TAG", "read_run", "signature"]

# Value kinds in the ``vals`` table.
PARAM, METRIC, TAG = 0, 1, 2
KINDS = {"params": PARAM, "metrics": METRIC, "tags": TAG}
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, experiment TEXT, name TEXT, status TEXT, start_time INTEGER,
    end_time INTEGER, parent_run_id TEXT, host TEXT, pid INTEGER, name_num REAL,
    experiment_num REAL, artifacts TEXT, has_model INTEGER, sig TEXT);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (start_time DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment, start_time DESC);
CREATE TABLE IF NOT EXISTS vals (
    run_id TEXT, kind INTEGER, key TEXT, text TEXT, num REAL,
    PRIMARY KEY (run_id, kind, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vals_by_key ON vals (kind, key, num);
"""


def _read_json(path: str) -> Any:
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())
    except FileNotFoundError:
        return None


_SIGNED = ("run.json", "params.json", "tags.json", "metrics.jsonl", "artifacts")


def signature(run_dir: str) -> str | None:
    """What changes when a run changes: the times and sizes of its folder and its files."""
    try:
        parts = [str(os.stat(run_dir).st_mtime_ns)]
    except OSError:
        return None
    for name in _SIGNED:
        try:
            st = os.stat(os.path.join(run_dir, name))
            parts.append(f"{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            parts.append("-")
    return " ".join(parts)


def read_run(runs_dir: str, run_id: str) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]] | None:
    """The index rows of one run folder (None when it has no readable run.json)."""
    run_dir = os.path.join(runs_dir, run_id)
    sig = signature(run_dir)
    try:
        data = _read_json(os.path.join(run_dir, "run.json"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        info = RunInfo.from_dict(data)
    except TypeError:
        return None
    if info.run_id != run_id:
        return None
    vals: list[tuple[Any, ...]] = []
    for kind, name in ((PARAM, "params.json"), (TAG, "tags.json")):
        try:
            values = _read_json(os.path.join(run_dir, name)) or {}
        except (OSError, ValueError):
            values = {}
        for key, value in values.items():
            text = str(value)
            vals.append((run_id, kind, str(key), text, as_number(text)))
    latest: dict[str, tuple[int, int, float]] = {}
    try:
        for metric in read_metrics(os.path.join(run_dir, "metrics.jsonl")):
            order = (metric.step, metric.timestamp, metric.value)
            if metric.key not in latest or order[:2] >= latest[metric.key][:2]:
                latest[metric.key] = order  # the last of the highest step, as get_run
    except OSError:
        pass
    for key, (_step, _ts, value) in latest.items():
        vals.append((run_id, METRIC, key, repr(value), as_number(value)))
    try:
        artifacts = sorted(p for p in os.listdir(os.path.join(run_dir, "artifacts"))
                           if not p.startswith(".tmp-"))
    except OSError:
        artifacts = []
    has_model = os.path.isfile(os.path.join(run_dir, "artifacts", "model", "MLmodel"))
    row = (run_id, info.experiment, info.name, info.status, info.start_time, info.end_time,
           info.parent_run_id, info.host, info.pid, as_number(info.name),
           as_number(info.experiment), json.dumps(artifacts), int(has_model), sig)
    return row, vals
