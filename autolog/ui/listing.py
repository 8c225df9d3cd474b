"""The runs list of ``autolog ui``: filter, sort and page many runs while reading few.

A page shows :data:`PAGE_SIZE` runs. Listing, the status and text filters and sorting by time,
name, status or duration use only run records (:meth:`Store.search_run_infos`, cheap); only
the runs on the shown page are read whole. A filter or sort on params, metrics or tags reads
every candidate run once; :class:`RunReader` keeps those reads for runs that have ended, so
the next page or another sort order costs nothing more.

Filter expressions are clauses joined by ``and``::

    metrics.training_score > 0.9 and params.C = 1.0 and status = FINISHED

A clause is ``FIELD OP VALUE``: FIELD is ``metrics.<name>``, ``params.<name>``,
``tags.<name>`` or one of :data:`ATTRIBUTES`; OP is one of ``= != > >= < <=`` or ``~``
(contains, case-insensitive). A value may be quoted. Numbers compare as numbers.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autolog.runs import RUNNING, Run, RunInfo, as_number, is_system_metric
from autolog.stores.base import Store

__all__ = ["ATTRIBUTES", "PAGE_SIZE", "Clause", "FilterError", "Listing", "RunReader",
           "list_runs", "parse_filter"]

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
ATTRIBUTES = ("status", "name", "experiment", "run_id", "model")
OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
SORT_ATTRIBUTES = ("start_time", "name", "status", "duration", "experiment")
_CLAUSE = re.compile(
    r"^\s*(?P<field>(?:metrics|params|tags)\.(?:`[^`]+`|\"[^\"]+\"|[^\s=!<>~]+)|[a-z_]+)"
    r"\s*(?P<op>!=|>=|<=|==|=|>|<|~)\s*(?P<value>[^=!<>~\s].*?)?\s*$"
)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_CACHE_LIMIT = 100_000


class FilterError(ValueError):
    """A filter expression or sort key that cannot be understood; the message says why."""


@dataclass(frozen=True)
class Clause:
    """One ``FIELD OP VALUE`` test of a filter."""

    kind: str  # "metrics", "params", "tags" or "attribute"
    key: str
    op: str
    value: str

    @property
    def needs_run(self) -> bool:
        """Whether the clause needs the run's params, metrics or tags (not just its record)."""
        return self.kind != "attribute" or self.key == "model"


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        return text[1:-1]
    return text


def parse_filter(text: str | None) -> list[Clause]:
    """The clauses of a filter expression (empty for None or blank).

    Raises:
        FilterError: a clause that is not ``FIELD OP VALUE`` or names an unknown field.
    """
    if not text or not text.strip():
        return []
    clauses = []
    for part in _AND.split(text.strip()):
        match = _CLAUSE.match(part)
        if not match or not match["value"]:
            raise FilterError(
                f"Cannot read the filter clause {part.strip()!r}: write FIELD OP VALUE, e.g. "
                "metrics.training_score > 0.9 and params.C = 1.0 and status = FINISHED "
                f"(operators: {' '.join(OPERATORS)}).")
        name, op = match["field"], "=" if match["op"] == "==" else match["op"]
        kind, _, key = name.partition(".")
        if not key:
            if kind not in ATTRIBUTES:
                raise FilterError(
                    f"Unknown filter field {kind!r} in {part.strip()!r}: use metrics.<name>, "
                    f"params.<name>, tags.<name> or one of {', '.join(ATTRIBUTES)}.")
            kind, key = "attribute", name
        value = _unquote(match["value"])
        if key == "status" and kind == "attribute":
            value = value.upper()  # statuses are stored as FINISHED, FAILED ...
        clauses.append(Clause(kind, _unquote(key), op, value))
    return clauses


def _compare(actual: Any, op: str, expected: str) -> bool:
    if actual is None:
        return op == "!="
    if op == "~":
        return expected.lower() in str(actual).lower()
    left, right = as_number(actual), as_number(expected)
    pair: tuple[Any, Any] = (left, right) if left is not None and right is not None else (
        str(actual), expected)
    a, b = pair
    return bool({"=": a == b, "!=": a != b, ">": a > b, ">=": a >= b, "<": a < b,
                 "<=": a <= b}[op])


def _attribute(info: RunInfo, run: Run | None, key: str) -> Any:
    if key == "model":
        return run.model_name if run is not None else None
    return getattr(info, key)


def matches(clause: Clause, info: RunInfo, run: Run | None) -> bool:
    """Whether a run passes one clause (``run`` may be None for record-only clauses)."""
    if clause.kind == "attribute":
        actual = _attribute(info, run, clause.key)
    else:
        actual = getattr(run, clause.kind).get(clause.key) if run is not None else None
    return _compare(actual, clause.op, clause.value)


def _slim(run: Run) -> Run:
    """The run without its metric history (what a listing needs, a fraction of the memory)."""
    return Run(info=run.info, params=run.params, metrics=run.metrics, tags=run.tags,
               artifacts=run.artifacts, model_path=run.model_path)


class RunReader:
    """Reads runs for listings, remembering runs that have ended.

    A run that has ended does not change, so its read is kept (up to a limit) and reused
    while its record (status, end time) stays the same; a running run is read every time.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[RunInfo, Run]] = {}
        self._lock = threading.Lock()

    def read(self, info: RunInfo) -> Run:
        """The run behind ``info``, without metric history."""
        with self._lock:
            cached = self._cache.get(info.run_id)
        if cached is not None and cached[0] == info:
            return cached[1]
        run = _slim(self.store.get_run(info.run_id))
        if info.status != RUNNING:
            with self._lock:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[info.run_id] = (info, run)
        return run


@dataclass
class Listing:
    """One page of a runs list.

    Attributes:
        runs: the runs on the page, read whole (without metric history).
        total: how many runs passed the filters.
        page: the 1-based page number shown.
        pages: how many pages there are (at least 1).
        read_all: whether the filter or sort needed every candidate run read.
        metric_columns, param_columns: the columns worth showing for the page's runs.
        experiments: every experiment of the store (for the experiment picker).
    """

    runs: list[Run]
    total: int
    page: int
    pages: int
    read_all: bool = False
    metric_columns: list[str] = field(default_factory=list)
    param_columns: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)


def _sort_key(sort: str) -> tuple[str, str]:
    kind, _, key = sort.partition(".")
    if kind in ("metrics", "params", "tags") and key:
        return kind, key
    if sort in SORT_ATTRIBUTES:
        return "attribute", sort
    raise FilterError(f"Cannot sort by {sort!r}: use one of {', '.join(SORT_ATTRIBUTES)}, "
                      "metrics.<name>, params.<name> or tags.<name>.")


def _info_value(info: RunInfo, key: str) -> Any:
    if key == "duration":
        return None if info.end_time is None else info.end_time - info.start_time
    return getattr(info, key)


def _ordered(items: Sequence[Any], value: Callable[[Any], Any], descending: bool) -> list[Any]:
    """``items`` sorted by ``value``; runs without a value go last in both directions."""
    pairs = [(value(i), i) for i in items]
    present = [(v, i) for v, i in pairs if v is not None]
    absent = [i for v, i in pairs if v is None]
    numbers = [as_number(v) for v, _ in present]
    keyed: list[tuple[Any, Any]]
    if all(n is not None for n in numbers):
        keyed = list(zip(numbers, (i for _, i in present), strict=True))
    else:
        keyed = [(str(v), i) for v, i in present]
    keyed.sort(key=lambda pair: pair[0], reverse=descending)
    return [i for _, i in keyed] + absent


def _columns(runs: Sequence[Run], attr: str, limit: int, differing: bool) -> list[str]:
    counts: dict[str, int] = {}
    for run in runs:
        for key in getattr(run, attr):
            if attr == "metrics" and is_system_metric(key):
                continue  # the machine's load, not a result: shown on the run's page
            counts[key] = counts.get(key, 0) + 1
    keys = sorted(counts, key=lambda k: (-counts[k], k != "training_score", k))
    if differing:
        keys = [k for k in keys if len({getattr(r, attr).get(k) for r in runs}) > 1]
    return keys[:limit]


def _listing(runs: list[Run], total: int, page: int, pages: int, read_all: bool,
             sort_kind: str, sort_name: str, experiments: list[str]) -> Listing:
    metric_columns = _columns(runs, "metrics", 6, differing=False)
    param_columns = _columns(runs, "params", 4, differing=True)
    if sort_kind == "metrics" and sort_name not in metric_columns:
        metric_columns.insert(0, sort_name)
    if sort_kind == "params" and sort_name not in param_columns:
        param_columns.insert(0, sort_name)
    return Listing(runs, total, page, pages, read_all, metric_columns, param_columns,
                   experiments)


def _from_index(store: Store, clauses: list[Clause], sort_kind: str, sort_name: str, *,
                experiment: str | None, status: str | None, text: str | None,
                descending: bool, page: int, page_size: int) -> Listing | None:
    """The page from the store's index, when it keeps one (the local store: 100,000 runs
    listed, filtered and sorted without reading them)."""
    index = store.run_index()
    if index is None:
        return None
    import sqlite3

    try:
        found, shown = index.page(experiment=experiment, status=status, text=text,
                                  clauses=clauses, sort_kind=sort_kind, sort_name=sort_name,
                                  descending=descending, page=page, page_size=page_size)
    except (OSError, sqlite3.Error):
        return None
    pages = max(1, math.ceil(found.total / page_size))
    read_all = any(c.needs_run for c in clauses) or sort_kind != "attribute"
    return _listing(found.runs, found.total, shown, pages, read_all, sort_kind, sort_name,
                    found.experiments)


def list_runs(store: Store, reader: RunReader, *, experiment: str | None = None,
              status: str | None = None, text: str | None = None,
              filter_text: str | None = None, sort: str = "start_time",
              descending: bool = True, page: int = 1, page_size: int = PAGE_SIZE) -> Listing:
    """One page of the runs of ``store`` that pass the filters, sorted.

    Parameters:
        experiment: only this experiment's runs (all when None).
        status: only runs with this status.
        text: a case-insensitive substring of the run's name, id or experiment.
        filter_text: a filter expression (see the module docstring).
        sort: ``start_time``, ``name``, ``status``, ``duration``, ``experiment``,
            ``metrics.<name>``, ``params.<name>`` or ``tags.<name>``.
        descending: the sort direction; runs without the sort value always come last.
        page: the 1-based page; past the end gives the last page.
        page_size: runs per page (at most :data:`MAX_PAGE_SIZE`).

    Raises:
        FilterError: a filter or sort key that cannot be understood.
    """
    clauses = parse_filter(filter_text)
    sort_kind, sort_name = _sort_key(sort)
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    indexed = _from_index(store, clauses, sort_kind, sort_name, experiment=experiment,
                          status=status, text=text, descending=descending, page=page,
                          page_size=page_size)
    if indexed is not None:
        return indexed
    infos = store.search_run_infos(None)
    experiments = sorted({i.experiment for i in infos})
    if experiment is not None:
        infos = [i for i in infos if i.experiment == experiment]
    if status:
        infos = [i for i in infos if i.status == status]
    if text:
        needle = text.lower()
        infos = [i for i in infos if needle in i.name.lower() or needle in i.run_id
                 or needle in i.experiment.lower()]
    infos = [i for i in infos if all(matches(c, i, None) for c in clauses if not c.needs_run)]
    run_clauses = [c for c in clauses if c.needs_run]
    read_all = bool(run_clauses) or sort_kind != "attribute"
    if read_all:
        pairs = [(i, reader.read(i)) for i in infos]
        pairs = [(i, r) for i, r in pairs if all(matches(c, i, r) for c in run_clauses)]
        if sort_kind == "attribute":
            pairs = _ordered(pairs, lambda p: _info_value(p[0], sort_name), descending)
        else:
            pairs = _ordered(pairs, lambda p: getattr(p[1], sort_kind).get(sort_name),
                             descending)
        total = len(pairs)
    else:
        infos = _ordered(infos, lambda i: _info_value(i, sort_name), descending)
        total = len(infos)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, int(page)), pages)
    start = (page - 1) * page_size
    if read_all:
        runs = [r for _, r in pairs[start:start + page_size]]
    else:
        runs = [reader.read(i) for i in infos[start:start + page_size]]
    return _listing(runs, total, page, pages, read_all, sort_kind, sort_name, experiments)
