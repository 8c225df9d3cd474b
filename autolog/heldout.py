"""Held-out metrics: which run a model's predictions belong to, and how metrics on them are named.

After an autologged fit, the integration *links* the fitted model to its run (:func:`link`).
When that model predicts, the integration *registers* the result (:func:`register_prediction`);
when a metric is later computed on it, :func:`prediction_of` finds the run and the data the
prediction was made on, and :func:`log_metric` logs ``<metric>_<dataset>`` to that run.

Nothing here keeps the user's objects alive: models and predictions are tracked by ``id`` with a
weak reference whose callback removes the entry when the object is garbage-collected (so an id
reused by a new object never inherits a link). A result that cannot be weakly referenced (a
plain list) is not registered. Linking a prediction costs two dictionary operations and one
weak reference.

Names (as MLflow's post-training metrics): ``<metric>_<dataset>``, where ``<dataset>`` is the
variable name the caller passed (``X_test``), or ``dataset_<n>`` when the data had no name. A
later call of the same metric on the same dataset name that differs (other inputs, options or
result) gets the next free suffix: ``accuracy_score-2_X_test``; the same call again (same
inputs, same value: a re-run notebook cell) logs nothing new.

Every held-out metric is written through the background writer. The run records, per dataset
name, the tag ``autolog.heldout.<dataset>`` (JSON: where the metrics came from, and for
:func:`autolog.evaluate` the digest and shape of the data), and per post-training metric the
tag ``autolog.metric_call.<key>`` with the call that produced it
(``accuracy_score(y_test, <LogisticRegression.predict(X_test)>)``).
"""

from __future__ import annotations

import json
import math
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

__all__ = [
    "DATASET_TAG",
    "METRIC_CALL_TAG",
    "HeldoutMetric",
    "Link",
    "Prediction",
    "data_token",
    "dataset_name",
    "declare_dataset",
    "heldout_datasets",
    "link",
    "link_of",
    "log_metric",
    "logged_since",
    "prediction_of",
    "record_logged",
    "register_prediction",
    "unlink",
]

DATASET_TAG = "autolog.heldout."
METRIC_CALL_TAG = "autolog.metric_call."
_MAX_CALL_TEXT = 500


class _Ref(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that knows its table key (its callback removes exactly its entry)."""

    __slots__ = ("key", "table")
    key: int
    table: dict[int, Any]


def _on_dead(ref: _Ref) -> None:
    entry = ref.table.get(ref.key)
    if entry is not None and entry.ref is ref:
        ref.table.pop(ref.key, None)


def _track(table: dict[int, Any], obj: Any, entry: Any) -> bool:
    """Put ``entry`` (with a ``ref`` attribute) in ``table`` under ``id(obj)``, weakly."""
    try:
        ref = _Ref(obj, _on_dead)
    except TypeError:  # not weakly referenceable: tracking it by id would be unsafe
        return False
    ref.key = id(obj)
    ref.table = table
    entry.ref = ref
    table[ref.key] = entry
    return True


class _RunState:
    """Naming state of one run: unnamed datasets, and the calls behind each metric name."""

    def __init__(self, run: Any) -> None:
        self.run = run  # an ActiveRun
        self.lock = threading.Lock()
        self.unnamed: dict[Any, str] = {}
        self.datasets: set[str] = set()
        # (metric, dataset) -> keys logged so far under that name (the next gets -<n+1>)
        self.counts: dict[tuple[str, str], int] = {}
        # (metric, dataset, call signature) -> the values it logged (NaN as the string "nan")
        self.calls: dict[tuple[str, str, Any], set[Any]] = {}


_states: weakref.WeakValueDictionary[str, _RunState] = weakref.WeakValueDictionary()
_states_lock = threading.Lock()


class Link:
    """A fitted model's run. ``state`` is shared by every model linked to the same run;
    ``post_training`` says whether its predictions are registered (the option
    ``log_post_training_metrics`` when it was linked)."""

    __slots__ = ("model_class", "post_training", "ref", "state")

    def __init__(self, state: _RunState, model_class: str, post_training: bool = True) -> None:
        self.state = state
        self.model_class = model_class
        self.post_training = post_training
        self.ref: Any = None

    @property
    def run_id(self) -> str:
        return self.state.run.run_id  # type: ignore[no-any-return]


class Prediction(weakref.ref):  # type: ignore[type-arg]
    """A registered prediction: a weak reference to it that also says what it came from (the
    model's link, the method, the dataset name, and a token of the data it was made on: id
    and shape, for call signatures). One object per ``predict``: the record is the weak
    reference."""

    __slots__ = ("dataset", "key", "link", "method", "token")
    dataset: str
    key: int
    link: Link
    method: str
    token: Any


def _on_dead_prediction(ref: Prediction) -> None:
    if _predictions.get(ref.key) is ref:
        _predictions.pop(ref.key, None)


_links: dict[int, Link] = {}
_predictions: dict[int, Prediction] = {}


def link(model: Any, run: Any, *, post_training: bool = True) -> None:
    """Link ``model`` to ``run`` (an :class:`~autolog.tracking.ActiveRun`): it is that run's
    model for :func:`autolog.evaluate`, and with ``post_training`` its later predictions
    count as that run's. A model linked again moves to the new run."""
    with _states_lock:
        state = _states.get(run.run_id)
        if state is None:
            state = _RunState(run)
            _states[run.run_id] = state
    _track(_links, model, Link(state, type(model).__name__, post_training))


def unlink(model: Any) -> None:
    """Stop linking ``model`` (it is being fitted again)."""
    _links.pop(id(model), None)


def link_of(model: Any) -> Link | None:
    """The link of ``model``, or None."""
    found = _links.get(id(model))
    if found is None or found.ref() is not model:
        return None
    return found


def data_token(data: Any) -> Any:
    """A cheap identity of a data argument: its id and shape (only compared while alive)."""
    return (id(data), getattr(data, "shape", None))


def dataset_name(found: Link, name: str | None, data: Any) -> str:
    """``name``, or ``dataset_<n>`` for unnamed data (the same object keeps its number)."""
    if name:
        return name
    prior = _predictions.get(id(data))
    if prior is not None:  # output of a linked transform: the data it was computed from
        return prior.dataset
    state = found.state
    token = data_token(data)
    with state.lock:
        given = state.unnamed.get(token)
        if given is None:
            given = f"dataset_{len(state.unnamed) + 1}"
            state.unnamed[token] = given
    return given


def declare_dataset(run_id: str, dataset: str) -> None:
    """Note that ``dataset`` of run ``run_id`` has its tag already (written by
    :func:`autolog.evaluate`): post-training metrics on it then leave that tag as it is."""
    state = _states.get(run_id)
    if state is not None:
        with state.lock:
            state.datasets.add(dataset)


def register_prediction(found: Link, result: Any, method: str, name: str | None,
                        data: Any) -> None:
    """Remember that ``result`` is ``method``'s output on ``data`` (named ``name``, see
    :func:`dataset_name`) for ``found``'s run. A result that cannot be weakly referenced (a
    list) is not registered."""
    try:
        record = Prediction(result, _on_dead_prediction)
    except TypeError:
        return
    record.key = key = id(result)
    record.link = found
    record.method = method
    record.dataset = name or dataset_name(found, None, data)
    record.token = (id(data), getattr(data, "shape", None))
    _predictions[key] = record


def prediction_of(value: Any) -> Prediction | None:
    """The prediction ``value`` is, or a column view of (``proba[:, 1]``); None otherwise.

    A copy (``pred.copy()``, ``list(pred)``) or a slice of rows (``pred[:100]``, a subset of
    the data, so not the named dataset) is not linked.
    """
    found = _predictions.get(id(value))
    if found is not None:
        return found if found() is value else None
    base = getattr(value, "base", None)
    if base is None or type(base).__module__ != "numpy":
        return None
    found = _predictions.get(id(base))
    if found is None or found() is not base:
        return None
    shape, base_shape = getattr(value, "shape", ()), getattr(base, "shape", ())
    if not shape or not base_shape or shape[0] != base_shape[0]:
        return None
    return found


# -- logging ---------------------------------------------------------------------------------
class HeldoutMetric(NamedTuple):
    """One held-out metric value logged by this process."""

    run_id: str
    key: str
    value: float
    dataset: str


_logged: list[HeldoutMetric] = []
_logged_dropped = 0  # entries dropped from the front of _logged (it keeps the latest only)
_logged_lock = threading.Lock()
_MAX_LOGGED = 10_000


def record_logged(entries: list[HeldoutMetric]) -> None:
    """Add to the process's list of held-out metrics (read by the notebook summary)."""
    global _logged_dropped
    with _logged_lock:
        _logged.extend(entries)
        excess = len(_logged) - _MAX_LOGGED
        if excess > 0:
            del _logged[:excess]
            _logged_dropped += excess


def logged_since(position: int) -> tuple[list[HeldoutMetric], int]:
    """Held-out metrics logged from ``position`` on (positions count every metric this
    process logged; the oldest are forgotten), and the position after them."""
    with _logged_lock:
        start = max(0, position - _logged_dropped)
        return _logged[start:], _logged_dropped + len(_logged)


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_CALL_TEXT else text[:_MAX_CALL_TEXT - 3] + "..."


def log_metric(found: Link, metric: str, dataset: str, signature: Any, value: float,
               call: Callable[[], str]) -> str | None:
    """Log ``value`` as ``<metric>[-n]_<dataset>`` to ``found``'s run (through the writer).

    Parameters:
        signature: what identifies the call (its inputs and options); the same signature with
            the same value is the same call, logged once.
        call: gives a readable form of the call, kept in the tag
            ``autolog.metric_call.<key>`` (called only when the metric is logged).

    Returns:
        The key logged, or None when this call was logged already.
    """
    state = found.state
    tags: dict[str, str] = {}
    seen_as = "nan" if math.isnan(value) else value
    with state.lock:
        try:
            seen = state.calls.setdefault((metric, dataset, signature), set())
        except TypeError:  # an argument token that cannot be hashed: never "the same call"
            seen = set()
        if seen_as in seen:
            return None
        seen.add(seen_as)
        index = state.counts.get((metric, dataset), 0) + 1
        state.counts[(metric, dataset)] = index
        key = f"{metric}_{dataset}" if index == 1 else f"{metric}-{index}_{dataset}"
        if dataset not in state.datasets:
            state.datasets.add(dataset)
            tags[DATASET_TAG + dataset] = json.dumps({"source": "post_training"})
    tags[METRIC_CALL_TAG + key] = _clip(call())
    run = state.run
    run.log_metrics({key: value})
    run.set_tags(tags)
    record_logged([HeldoutMetric(run.run_id, key, value, dataset)])
    return key


# -- reading ---------------------------------------------------------------------------------
def heldout_datasets(tags: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The held-out datasets a run's tags declare: name -> what is known about it."""
    out = {}
    for key, value in tags.items():
        if key.startswith(DATASET_TAG) and len(key) > len(DATASET_TAG):
            try:
                info = json.loads(value)
            except ValueError:
                info = {}
            out[key[len(DATASET_TAG):]] = info if isinstance(info, dict) else {}
    return out
