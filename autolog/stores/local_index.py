"""The local store's index: an SQLite file derived from the run folders, for listings at scale.

The run folders stay the source of truth (plain files, rsync-safe); the index only answers
"which runs, in which order" quickly when a store holds 100,000 of them. It lives in
``<store>/.index/runs-v1.sqlite`` and can be deleted at any time.

How it stays current, without the writers of runs ever opening it:

* **the journal** ``<store>/.index/journal``: every write of a run by
  :class:`~autolog.stores.local.LocalStore` appends the run's id as one line (one ``O_APPEND``
  write, so several writing processes never interleave). A reader reads the journal from where
  it stopped last time and reads those runs again from their folders.
* **the runs folder**: when its modification time changed (runs added or removed by any
  program: ``rsync``, ``rm -r``), the reader lists it and reads the runs the index lacks,
  forgetting those that are gone. Listing 100,000 runs takes a fifth of a second, so while the
  journal explains the changes (autolog wrote new runs) it is listed at most every 30 s.
* **rebuilt from scratch** when the index file is missing, unreadable, of another version,
  made for another store folder (a copy of the store), or when the journal was replaced.
  :meth:`RunIndex.refresh` with ``verify=True`` (``autolog runs list --reindex``) also reads
  again every run whose folder or metrics file changed in a way the journal did not record
  (a run folder edited in place by another program).

Readers refresh the index under SQLite's own locking (WAL mode), so several readers and
writers can share a store. Queries follow the runs list of ``autolog ui``
(:mod:`autolog.ui.listing`): the same filters, comparisons (numbers compare as numbers), sort
orders (runs without the value last) and the status a reader observes (``RUNNING`` runs whose
process is gone read as ``KILLED``, see :mod:`autolog.liveness`).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from autolog.liveness import observed
from autolog.runs import RUNNING, Run, RunInfo, as_number
from autolog.stores.jsonfiles import read_metrics

__all__ = ["INDEX_DIR", "JOURNAL", "Page", "RunIndex", "note_runs"]

INDEX_DIR = ".index"
JOURNAL = "journal"
_DB = "runs-v1.sqlite"
_VERSION = "1"
# Value kinds in the ``vals`` table.
_PARAM, _METRIC, _TAG = 0, 1, 2
_KINDS = {"params": _PARAM, "metrics": _METRIC, "tags": _TAG}
# Runs read and written per transaction while (re)building.
_BATCH = 2000
# While the journal explains the runs folder's changes, how often it is listed anyway.
_LIST_EVERY_S = 30.0
_SCHEMA = """
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


def note_runs(root: Path, run_ids: Iterable[str]) -> None:
    """Append ``run_ids`` to the store's journal (called by the local store's writers)."""
    data = "".join(f"{run_id}\n" for run_id in run_ids).encode("ascii")
    if not data:
        return
    path = os.path.join(root, INDEX_DIR, JOURNAL)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except FileNotFoundError:
        os.makedirs(os.path.join(root, INDEX_DIR), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, data)  # one write: lines of several processes never interleave
    finally:
        os.close(fd)


def _read_json(path: str) -> Any:
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())
    except FileNotFoundError:
        return None


_SIGNED = ("run.json", "params.json", "tags.json", "metrics.jsonl", "artifacts")


def _signature(run_dir: str) -> str | None:
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


def _read_run(runs_dir: str, run_id: str) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]] | None:
    """The index rows of one run folder (None when it has no readable run.json)."""
    run_dir = os.path.join(runs_dir, run_id)
    sig = _signature(run_dir)
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
    for kind, name in ((_PARAM, "params.json"), (_TAG, "tags.json")):
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
        vals.append((run_id, _METRIC, key, repr(value), as_number(value)))
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


class Page:
    """One page of runs from :meth:`RunIndex.page`."""

    def __init__(self, runs: list[Run], total: int, experiments: list[str]) -> None:
        self.runs = runs
        self.total = total
        self.experiments = experiments


class RunIndex:
    """The SQLite index of one local store (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.folder = self.root / INDEX_DIR
        self.runs_dir = self.root / "runs"
        self._local = threading.local()
        self._refresh_lock = threading.Lock()

    # -- the database ------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        self.folder.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.folder / _DB, timeout=30, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # derived data: a power cut costs a rebuild
        conn.executescript(_SCHEMA)
        self._local.conn = conn
        return conn

    def _meta(self, conn: sqlite3.Connection) -> dict[str, str]:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- keeping it current --------------------------------------------------------------------
    def refresh(self, verify: bool = False) -> None:
        """Bring the index up to date with the run folders (see the module docstring).

        Parameters:
            verify: also read again every run whose folder changed since it was indexed.
        """
        with self._refresh_lock:
            try:
                self._refresh(verify)
            except sqlite3.DatabaseError:
                # A damaged index file is derived data: start it again.
                self.close()
                for suffix in ("", "-wal", "-shm"):
                    try:
                        os.unlink(self.folder / f"{_DB}{suffix}")
                    except FileNotFoundError:
                        pass
                self._refresh(verify)

    def _identity(self) -> str:
        st = os.stat(self.runs_dir)
        return f"{st.st_dev}:{st.st_ino}"

    def _refresh(self, verify: bool) -> None:
        conn = self._connect()
        if not self.runs_dir.is_dir():
            return
        meta = self._meta(conn)
        journal = self.folder / JOURNAL
        try:
            jst = os.stat(journal)
            journal_id, journal_size = f"{jst.st_dev}:{jst.st_ino}", jst.st_size
        except FileNotFoundError:
            journal_id, journal_size = "", 0
        offset = int(meta.get("journal_offset", "0") or 0)
        rebuild = (meta.get("version") != _VERSION or meta.get("identity") != self._identity()
                   or (meta.get("journal_id", "") not in ("", journal_id))
                   or journal_size < offset)
        if rebuild:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM runs")
            conn.execute("DELETE FROM vals")
            conn.execute("DELETE FROM meta")
            conn.execute("COMMIT")
            offset, meta = 0, {}
        touched: set[str] = set()
        if journal_size > offset:
            with open(journal, "rb") as fh:
                fh.seek(offset)
                chunk = fh.read(journal_size - offset)
            end = chunk.rfind(b"\n") + 1  # a line being written is read next time
            touched.update(chunk[:end].decode("ascii", "replace").split())
            offset += end
        runs_mtime = str(os.stat(self.runs_dir).st_mtime_ns)
        gone: set[str] = set()
        now = time.time()
        listed_at = float(meta.get("listed_at", "0") or 0)
        # The runs folder changes with every run written: when the journal explains that
        # (it had new runs), the folder is listed at most every _LIST_EVERY_S seconds, for
        # runs added or removed by other programs meanwhile.
        changed = meta.get("runs_mtime") != runs_mtime
        if rebuild or verify or (changed and (not touched or now - listed_at > _LIST_EVERY_S)):
            listed_at = now
            on_disk = set(os.listdir(self.runs_dir))
            known = {row[0] for row in conn.execute("SELECT run_id FROM runs")}
            touched |= on_disk - known
            gone = known - on_disk
            if verify:
                touched |= self._changed(conn, on_disk & known)
        self._apply(conn, touched, gone)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
            ("version", _VERSION), ("identity", self._identity()), ("journal_id", journal_id),
            ("journal_offset", str(offset)), ("runs_mtime", runs_mtime),
            ("listed_at", repr(listed_at))])
        conn.execute("COMMIT")

    def _changed(self, conn: sqlite3.Connection, run_ids: set[str]) -> set[str]:
        runs_dir = str(self.runs_dir)
        return {run_id for run_id, sig in conn.execute("SELECT run_id, sig FROM runs")
                if run_id in run_ids and _signature(os.path.join(runs_dir, run_id)) != sig}

    def _apply(self, conn: sqlite3.Connection, touched: set[str], gone: set[str]) -> None:
        runs_dir = str(self.runs_dir)
        pending = sorted(touched - gone)
        for start in range(0, max(len(pending), 1), _BATCH):
            batch = pending[start:start + _BATCH]
            rows, vals, missing = [], [], []
            for run_id in batch:
                read = _read_run(runs_dir, run_id)
                if read is None:
                    missing.append(run_id)
                else:
                    rows.append(read[0])
                    vals.extend(read[1])
            conn.execute("BEGIN IMMEDIATE")
            ids = [(r,) for r in batch] + [(r,) for r in gone]
            conn.executemany("DELETE FROM vals WHERE run_id = ?", ids)
            conn.executemany("DELETE FROM runs WHERE run_id = ?", ids)
            conn.executemany(f"INSERT INTO runs VALUES ({','.join('?' * 14)})", rows)
            conn.executemany("INSERT OR REPLACE INTO vals VALUES (?, ?, ?, ?, ?)", vals)
            conn.execute("COMMIT")
            gone = set()

    # -- queries -------------------------------------------------------------------------------
    def infos(self, experiment: str | None = None, limit: int | None = None) -> list[RunInfo]:
        """Run records, newest first (as :meth:`LocalStore.search_run_infos`)."""
        self.refresh()
        sql = ("SELECT run_id, experiment, name, status, start_time, end_time, parent_run_id, "
               "host, pid FROM runs")
        args: list[Any] = []
        if experiment is not None:
            sql += " WHERE experiment = ?"
            args.append(experiment)
        sql += " ORDER BY start_time DESC, run_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [observed(RunInfo(*row)) for row in self._connect().execute(sql, args)]

    def experiments(self) -> list[dict[str, Any]]:
        """Per experiment: its name, number of runs, newest start time and runs per status
        (as a reader observes them), sorted by name."""
        self.refresh()
        conn = self._connect()
        self._killed(conn)
        groups: dict[str, dict[str, Any]] = {}
        for name, status, count, latest in conn.execute(
                "SELECT experiment, CASE WHEN run_id IN (SELECT run_id FROM temp.killed) "
                "THEN 'KILLED' ELSE status END AS seen, COUNT(*), MAX(start_time) FROM runs "
                "GROUP BY experiment, seen"):
            group = groups.setdefault(name, {"name": name, "runs": 0, "latest": latest,
                                             "statuses": {}})
            group["runs"] += count
            group["latest"] = max(group["latest"], latest)
            group["statuses"][status] = group["statuses"].get(status, 0) + count
        return [groups[name] for name in sorted(groups)]

    def _killed(self, conn: sqlite3.Connection) -> None:
        """Fill ``temp.killed`` with the RUNNING runs whose process is gone."""
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS killed (run_id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.killed")
        dead = [(row[0],) for row in conn.execute(
            "SELECT run_id, experiment, name, status, start_time, end_time, parent_run_id, "
            "host, pid FROM runs WHERE status = ?", (RUNNING,))
            if observed(RunInfo(*row)).status != RUNNING]
        conn.executemany("INSERT INTO temp.killed VALUES (?)", dead)

    def page(self, *, experiment: str | None, status: str | None, text: str | None,
             clauses: Sequence[Any], sort_kind: str, sort_name: str, descending: bool,
             page: int, page_size: int) -> tuple[Page, int]:
        """One page of the runs list; also returns the page number shown (past the end gives
        the last page). ``clauses`` are :class:`autolog.ui.listing.Clause` objects."""
        self.refresh()
        conn = self._connect()
        self._killed(conn)
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
            order = self._attribute_order(conn, sort_name, direction, tie, source, where_sql,
                                          base_args, status_sql)
            rows = conn.execute(f"{columns} FROM {source}{where_sql} ORDER BY {order} "
                                "LIMIT ? OFFSET ?", [*base_args, page_size, offset]).fetchall()
        else:
            rows = self._value_page(conn, columns, source, where_sql, join_args, args,
                                    _KINDS[sort_kind], sort_name, direction, tie, offset,
                                    page_size)
        experiments = [row[0] for row in conn.execute(
            "SELECT DISTINCT experiment FROM runs ORDER BY experiment")]
        return Page(self._runs(conn, rows), total, experiments), page

    def _attribute_order(self, conn: sqlite3.Connection, name: str, direction: str, tie: str,
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

    def _value_page(self, conn: sqlite3.Connection, columns: str, source: str, where_sql: str,
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

    def _runs(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[Run]:
        """Runs (without metric history) for the rows of a page."""
        if not rows:
            return []
        ids = [row[0] for row in rows]
        values: dict[str, list[dict[str, Any]]] = {i: [{}, {}, {}] for i in ids}
        marks = ",".join("?" * len(ids))
        for run_id, kind, key, text in conn.execute(
                f"SELECT run_id, kind, key, text FROM vals WHERE run_id IN ({marks})", ids):
            values[run_id][kind][key] = float(text) if kind == _METRIC else text
        runs = []
        for row in rows:
            params, metrics, tags = values[row[0]]
            model = self.runs_dir / row[0] / "artifacts" / "model"
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
    kind, key = ((_TAG, "autolog.model_class") if clause.kind == "attribute"
                 else (_KINDS[clause.kind], clause.key))
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
