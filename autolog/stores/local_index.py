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

Modules: this one keeps the index current and answers its queries;
:mod:`~autolog.stores.local_index_rows` holds the schema and reads one run folder's rows;
:mod:`~autolog.stores.local_index_query` has the SQL of a runs list page.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from autolog.liveness import observed
from autolog.runs import RUNNING, RunInfo
from autolog.stores.local_index_query import Page, runs_page
from autolog.stores.local_index_rows import SCHEMA, read_run, signature

__all__ = ["INDEX_DIR", "JOURNAL", "Page", "RunIndex", "note_runs"]

INDEX_DIR = ".index"
JOURNAL = "journal"
_DB = "runs-v1.sqlite"
_VERSION = "1"
# Runs read and written per transaction while (re)building.
_BATCH = 2000
# While the journal explains the runs folder's changes, how often it is listed anyway.
_LIST_EVERY_S = 30.0


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
        conn.executescript(SCHEMA)
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
                if run_id in run_ids and signature(os.path.join(runs_dir, run_id)) != sig}

    def _apply(self, conn: sqlite3.Connection, touched: set[str], gone: set[str]) -> None:
        runs_dir = str(self.runs_dir)
        pending = sorted(touched - gone)
        for start in range(0, max(len(pending), 1), _BATCH):
            batch = pending[start:start + _BATCH]
            rows, vals, missing = [], [], []
            for run_id in batch:
                read = read_run(runs_dir, run_id)
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
        the last page). ``clauses`` are :class:`autolog.ui.listing.Clause` objects; the SQL is
        in :mod:`autolog.stores.local_index_query`."""
        self.refresh()
        conn = self._connect()
        self._killed(conn)
        return runs_page(
            conn, self.runs_dir, experiment=experiment, status=status, text=text,
            clauses=clauses, sort_kind=sort_kind, sort_name=sort_name, descending=descending,
            page=page, page_size=page_size)
