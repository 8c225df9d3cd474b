"""JSON files of the local store: read with a default, replaced atomically."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autolog.fileio import write_text
from autolog.runs import Metric

__all__ = ["read_json", "read_metrics", "write_json_atomic"]


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file next to ``path``, then rename it over ``path``."""
    text = json.dumps(data, sort_keys=True, allow_nan=True)
    tmp = path.with_name(f".tmp-{path.name}-{uuid.uuid4().hex}")
    write_text(tmp, text)
    os.replace(tmp, path)


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON content of ``path``, or ``default`` when the file does not exist."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return default


def read_metrics(path: Path | str) -> Iterator[Metric]:
    """The metric values of a ``metrics.jsonl`` in file order (none when it does not exist);
    a line cut short by a killed process is skipped."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    item = json.loads(line)
                    metric = Metric(item["key"], float(item["value"]), int(item["step"]),
                                    int(item["timestamp"]))
                except (ValueError, KeyError, TypeError):
                    continue
                yield metric
    except FileNotFoundError:
        return
