"""Reading evaluations back from a store: the JSON files :func:`autolog.evaluate` wrote under a
run's ``evaluation/<name>/`` (for ``autolog ui``, ``autolog runs plot`` and comparisons)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autolog.errors import InvalidNameError, NotFoundError, StoreError

__all__ = ["PLOTS", "read_evaluations"]

#: The plot files an evaluation may have, in display order.
PLOTS = ("confusion_matrix", "roc_curve", "pr_curve", "calibration_curve", "residuals")
_MAX_FILE_BYTES = 4 * 1024 * 1024


def _read(path: Path) -> Any:
    if not path.is_file() or path.stat().st_size > _MAX_FILE_BYTES:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_evaluations(store: Any, run: Any) -> dict[str, dict[str, Any]]:
    """Evaluation name -> plot name -> data (plus ``metrics``: the metrics file), for every
    evaluation of ``run`` (a :class:`~autolog.runs.Run`) whose files are readable; empty when
    it has none."""
    if "evaluation" not in run.artifacts:
        return {}
    try:
        root = Path(store.download_artifacts(run.run_id, "evaluation"))
    except (NotFoundError, StoreError, InvalidNameError):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found = {name: data for name in (*PLOTS, "metrics")
                 if isinstance(data := _read(folder / f"{name}.json"), dict)}
        if found:
            out[folder.name] = found
    return out
