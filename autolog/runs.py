"""A run: one training, with its params, metrics (with steps), tags, status and times.

:class:`Run` is the record as a store returns it. Runs are written through the store by the
background writer; :mod:`autolog.tracking` holds the in-process handles of active runs.
"""

from __future__ import annotations

import html
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "FAILED",
    "FINISHED",
    "KILLED",
    "RUNNING",
    "STATUSES",
    "SYSTEM_METRIC_PREFIX",
    "Metric",
    "Run",
    "RunInfo",
    "is_system_metric",
    "new_run_id",
    "now_ms",
]

RUNNING = "RUNNING"
FINISHED = "FINISHED"
FAILED = "FAILED"
KILLED = "KILLED"
STATUSES = (RUNNING, FINISHED, FAILED, KILLED)
#: Metrics of the machine while a run trained (see :mod:`autolog.context.sampler`), as MLflow
#: names them.
SYSTEM_METRIC_PREFIX = "system/"


def is_system_metric(key: str) -> bool:
    """True for a ``system/...`` metric (CPU, memory, GPU use), not one of the model's."""
    return key.startswith(SYSTEM_METRIC_PREFIX)


def new_run_id() -> str:
    """A new run id: 32 lowercase hex characters, like MLflow's."""
    return uuid.uuid4().hex


def as_number(value: Any) -> float | None:
    """A param, metric or tag value as a number, the way listings compare and sort values:
    None when it does not parse as a float, and for NaN."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is the only value unequal to itself


def now_ms() -> int:
    """Milliseconds since the epoch (MLflow's unit for run and metric times)."""
    return int(time.time() * 1000)


@dataclass
class Metric:
    """One metric value at a step."""

    key: str
    value: float
    step: int = 0
    timestamp: int = field(default_factory=now_ms)


@dataclass
class RunInfo:
    """What identifies a run and its lifecycle."""

    run_id: str
    experiment: str
    name: str
    status: str = RUNNING
    start_time: int = field(default_factory=now_ms)
    end_time: int | None = None
    parent_run_id: str | None = None
    # Where the writing process ran, so that a reader can tell a live run from a dead one.
    host: str = ""
    pid: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunInfo:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Run:
    """A run as read back from a store.

    Attributes:
        info: id, experiment, name, status, times, parent.
        params: parameter name -> string value.
        metrics: metric name -> latest value.
        metric_history: metric name -> every :class:`Metric` logged, in step order.
        tags: tag name -> string value.
        artifacts: relative paths of the run's top-level artifacts (e.g. ``["model"]``).
    """

    info: RunInfo
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    metric_history: dict[str, list[Metric]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    model_path: str | None = None

    @property
    def run_id(self) -> str:
        return self.info.run_id

    @property
    def status(self) -> str:
        return self.info.status

    @property
    def duration_s(self) -> float | None:
        if self.info.end_time is None:
            return None
        return (self.info.end_time - self.info.start_time) / 1000.0

    @property
    def model_name(self) -> str:
        """The estimator or module class the run trained, when known."""
        return self.tags.get("autolog.model_class", "")

    def summary_metrics(self, limit: int = 4) -> dict[str, float]:
        """A few headline metrics, the training score first (no system metrics)."""
        ordered = sorted((k for k in self.metrics if not is_system_metric(k)),
                         key=lambda k: (k != "training_score", k))
        return {k: self.metrics[k] for k in ordered[:limit]}

    def to_dict(self) -> dict[str, Any]:
        data = {
            "info": self.info.to_dict(),
            "params": self.params,
            "metrics": self.metrics,
            "tags": self.tags,
            "artifacts": self.artifacts,
            "model_path": self.model_path,
        }
        return data

    def __str__(self) -> str:
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in self.summary_metrics().items())
        return (f"Run {self.run_id[:8]} {self.info.status} {self.model_name or self.info.name}"
                + (f" [{metrics}]" if metrics else "")
                + (f" model: {self.model_path}" if self.model_path else ""))

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = [
            ("run id", self.run_id),
            ("experiment", self.info.experiment),
            ("name", self.info.name),
            ("status", self.info.status),
            ("model", self.model_name),
        ]
        rows += [(k, f"{v:.6g}") for k, v in self.summary_metrics(limit=8).items()]
        if self.model_path:
            rows.append(("model folder", self.model_path))
        body = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(str(v))}</td></tr>"
                       for k, v in rows)
        return f"<table class='autolog-run'>{body}</table>"
