"""Pages of the runs list from the local store's index, in SQL.

The same filters, comparisons (numbers compare as numbers), sort orders (runs without the
value last) and observed statuses as the runs list of ``autolog ui`` (:mod:`autolog.ui.listing`),
answered by SQLite from the rows of :mod:`autolog.stores.local_index_rows`.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autolog.liveness import observed
from autolog.runs import Run, RunInfo, as_number
from autolog.stores.local_index_rows import KINDS, METRIC, TAG

__all__ = ["Page", "runs_page"]


class Page:
    """One page of runs from :func:`runs_page`."""

    def __init__(self, runs: list[Run], total: int, experiments: list[str]) -> None:
        self.runs = runs
        self.total = total
        self.experiments = experiments


def runs_page(conn: sqlite3.Connection, runs_dir: Path, *, experiment: str | None,
              status: str | None, text: str | None, clauses: Sequence[Any], sort_kind: str,
              sort_name: str, descending: bool, page: int, page_size: int
              ) -> tuple[Page, int]:
    """One page of the runs list, from the index database ``conn`` whose ``temp.killed`` table
    is filled (see :meth:`~autolog.stores.local_index.RunIndex.page`); also returns the page
    number shown (past the end gives the last page). ``clauses`` are
    :class:`autolog.ui.listing.Clause` objects."""
    status_sql = ("(CASE WHEN r.run_id IN (SELECT run_id FROM temp.killed) THEN 'KILLED' "
                  "ELSE r.status END)")
    where: list[str] = []
    args: list[Any] = []
    joins: list[str] = []
    join_args: list[Any] = []
    if experiment is not None:
        where.append("r.experiment = ?")
        args.append(experiment)
    if status:
        where.append(f"{status_sql} = ?")
        args.append(status)
    if text:
        where.append("(instr(lower(r.name), ?) > 0 OR instr(r.run_id, ?) > 0 "
                     "OR instr(lower(r.experiment), ?) > 0)")
        args += [text.lower(), text.lower(), text.lower()]
    for i, clause in enumerate(clauses):
        test, clause_args, join = _clause_sql(clause, status_sql, f"f{i}")
        where.append(test)
        args += clause_args
        if join is not None:
            joins.append(join[0])
            join_args += join[1]
    source = "runs r" + "".join(joins)
    where_sql = f" WHERE {' AND '.join(where)}" if where else ""
    base_args = [*join_args, *args]
    total = conn.execute(f"SELECT COUNT(*) FROM {source}{where_sql}",
                         base_args).fetchone()[0]
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, int(page)), pages)
    offset = (page - 1) * page_size
    columns = ("SELECT r.run_id, r.experiment, r.name, r.status, r.start_time, r.end_time, "
               "r.parent_run_id, r.host, r.pid, r.artifacts, r.has_model")
    direction = "DESC" if descending else "ASC"
    tie = "r.start_time DESC, r.run_id DESC"
    if sort_kind == "attribute":
        order = _attribute_order(conn, sort_name, direction, tie, source, where_sql,
                                 base_args, status_sql)
        rows = conn.execute(f"{columns} FROM {source}{where_sql} ORDER BY {order} "
                            "LIMIT ? OFFSET ?", [*base_args, page_size, offset]).fetchall()
    else:
        rows = _value_page(conn, columns, source, where_sql, join_args, args,
                           KINDS[sort_kind], sort_name, direction, tie, offset, page_size)
    experiments = [row[0] for row in conn.execute(
        "SELECT DISTINCT experiment FROM runs ORDER BY experiment")]
    return Page(_runs(conn, runs_dir, rows), total, experiments), page


def _attribute_order(conn: sqlite3.Connection, name: str, direction: str, tie: str,
                     source: str, where_sql: str, args: list[Any], status_sql: str) -> str:
    """ORDER BY for a run attribute (runs without the value last, ties newest first)."""
    if name == "start_time":
        return f"r.start_time {direction}, r.run_id DESC"
    if name == "duration":
        return f"r.end_time IS NULL, (r.end_time - r.start_time) {direction}, {tie}"
    if name == "status":
        return f"{status_sql} {direction}, {tie}"
    column = {"name": "name", "experiment": "experiment"}[name]
    and_or_where = " AND" if where_sql else " WHERE"
    numeric = conn.execute(
        f"SELECT COUNT(*) FROM {source}{where_sql}{and_or_where} r.{column}_num IS NULL",
        args).fetchone()[0] == 0
    value = f"r.{column}_num" if numeric else f"r.{column}"
    return f"{value} {direction}, {tie}"


def _value_page(conn: sqlite3.Connection, columns: str, source: str, where_sql: str,
                join_args: list[Any], args: list[Any], kind: int, key: str,
                direction: str, tie: str, offset: int, limit: int
                ) -> list[tuple[Any, ...]]:
    """A page sorted by a param, metric or tag: the runs that have it in order (SQLite
    walks that key's values in the index), then those without it, newest first."""
    have = f"{source} JOIN vals s ON s.run_id = r.run_id AND s.kind = ? AND s.key = ?"
    have_args = [*join_args, kind, key, *args]
    count = conn.execute(f"SELECT COUNT(*) FROM {have}{where_sql}", have_args).fetchone()[0]
    and_or_where = " AND" if where_sql else " WHERE"
    # Numbers sort as numbers only when every value present is one (as the list does).
    numeric = conn.execute(
        f"SELECT COUNT(*) FROM {have}{where_sql}{and_or_where} s.num IS NULL",
        have_args).fetchone()[0] == 0
    value = "s.num" if numeric else "s.text"
    rows: list[tuple[Any, ...]] = []
    if offset < count:
        rows = conn.execute(
            f"{columns} FROM {have}{where_sql} ORDER BY {value} {direction}, {tie} "
            "LIMIT ? OFFSET ?", [*have_args, limit, offset]).fetchall()
    if len(rows) < limit:
        lacking = (f"{source} LEFT JOIN vals s ON s.run_id = r.run_id AND s.kind = ? "
                   f"AND s.key = ?{where_sql}{and_or_where} s.run_id IS NULL")
        rows += conn.execute(
            f"{columns} FROM {lacking} ORDER BY {tie} LIMIT ? OFFSET ?",
            [*have_args, limit - len(rows), max(0, offset - count)]).fetchall()
    return rows


def _runs(conn: sqlite3.Connection, runs_dir: Path, rows: list[tuple[Any, ...]]) -> list[Run]:
    """Runs (without metric history) for the rows of a page."""
    if not rows:
        return []
    ids = [row[0] for row in rows]
    values: dict[str, list[dict[str, Any]]] = {i: [{}, {}, {}] for i in ids}
    marks = ",".join("?" * len(ids))
    for run_id, kind, key, text in conn.execute(
            f"SELECT run_id, kind, key, text FROM vals WHERE run_id IN ({marks})", ids):
        values[run_id][kind][key] = float(text) if kind == METRIC else text
    runs = []
    for row in rows:
        params, metrics, tags = values[row[0]]
        model = runs_dir / row[0] / "artifacts" / "model"
        runs.append(Run(info=observed(RunInfo(*row[:9])), params=params, metrics=metrics,
                        tags=tags, artifacts=json.loads(row[9]),
                        model_path=str(model) if row[10] else None))
    return runs


def _clause_sql(clause: Any, status_sql: str, alias: str
                ) -> tuple[str, list[Any], tuple[str, list[Any]] | None]:
    """SQL for one filter clause, with the runs list's comparison rules (see listing): the
    WHERE test, its arguments, and a join it needs (None: the tests below need none).

    A param, metric or tag test is a set of run ids (``r.run_id IN (...)``) that SQLite finds
    from the index of that key's values; a missing value passes only ``!=``.
    """
    op = clause.op
    expected = clause.value
    if clause.kind == "attribute" and clause.key != "model":
        column = {"status": status_sql, "name": "r.name", "experiment": "r.experiment",
                  "run_id": "r.run_id"}[clause.key]
        numeric = f"r.{clause.key}_num" if clause.key in ("name", "experiment") else None
        test, args = _compare_sql(column, numeric, op, expected)
        return test, args, None
    kind, key = ((TAG, "autolog.model_class") if clause.kind == "attribute"
                 else (KINDS[clause.kind], clause.key))
    values = "SELECT run_id FROM vals WHERE kind = ? AND key = ? AND "
    number = as_number(expected)
    if op == "!=":  # every run except those whose value equals the expected one
        if number is not None:
            return (f"r.run_id NOT IN ({values}num = ? UNION ALL {values}num IS NULL "
                    "AND text = ?)", [kind, key, number, kind, key, expected], None)
        return f"r.run_id NOT IN ({values}text = ?)", [kind, key, expected], None
    if op == "~":
        return (f"r.run_id IN ({values}instr(lower(text), ?) > 0)",
                [kind, key, expected.lower()], None)
    if number is not None:  # numbers as numbers (from the index), other values as text
        return (f"r.run_id IN ({values}num {op} ? UNION ALL {values}num IS NULL AND text {op} ?)",
                [kind, key, number, kind, key, expected], None)
    return f"r.run_id IN ({values}text {op} ?)", [kind, key, expected], None


def _compare_sql(text: str, num: str | None, op: str, expected: str) -> tuple[str, list[Any]]:
    """``_compare(actual, op, expected)`` of :mod:`autolog.ui.listing` in SQL for a run
    attribute: ``~`` is a case-insensitive substring test; when both sides are numbers they
    compare as numbers, otherwise as text."""
    if op == "~":
        return f"instr(lower({text}), ?) > 0", [expected.lower()]
    number = as_number(expected)
    if number is not None and num is not None:
        return (f"({num} {op} ? OR ({num} IS NULL AND {text} {op} ?))", [number, expected])
    return f"{text} {op} ?", [expected]
