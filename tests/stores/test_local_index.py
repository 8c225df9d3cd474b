"""The local store's SQLite index: derived from the run folders, current with every writer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from autolog.runs import FINISHED, Metric, RunInfo, new_run_id
from autolog.stores.local import LocalStore

T0 = 1_750_000_000_000


def _write(store: LocalStore, i: int) -> str:
    run_id = new_run_id()
    store.create_run_with(RunInfo(run_id, "exp", f"run-{i}", start_time=T0 + i),
                          params={"i": str(i)}, metrics=[Metric("m", float(i), 0, T0)])
    return run_id


def test_runs_written_by_several_processes_at_once_are_all_listed(tmp_path):
    root = tmp_path / "store"
    reader = LocalStore(root)
    assert reader.search_run_infos() == []  # the index exists before the writers start
    code = textwrap.dedent("""
        import sys
        from autolog.runs import FINISHED, Metric, RunInfo, new_run_id
        from autolog.stores.local import LocalStore
        store, worker = LocalStore(sys.argv[1]), int(sys.argv[2])
        for i in range(60):
            run_id = new_run_id()
            store.create_run(RunInfo(run_id, "exp", f"w{worker}-{i}", start_time=i))
            store.log_batch(run_id, metrics=[Metric("m", float(i), 0, 1)])
            store.update_run(run_id, FINISHED, i + 1)
    """)
    workers = [subprocess.Popen([sys.executable, "-c", code, str(root), str(w)])
               for w in range(4)]
    seen = 0
    while any(w.poll() is None for w in workers):
        seen = max(seen, len(reader.search_run_infos()))  # refreshes while they write
    assert all(w.wait() == 0 for w in workers)
    infos = reader.search_run_infos()
    assert len(infos) == 240 and all(i.status == FINISHED for i in infos)
    index = reader.run_index()
    page, _ = index.page(experiment=None, status=None, text=None, clauses=[],
                         sort_kind="metrics", sort_name="m", descending=True, page=1,
                         page_size=4)
    assert [r.metrics["m"] for r in page.runs] == [59.0] * 4 and page.total == 240


def test_a_copied_store_gets_its_own_index(tmp_path):
    original = LocalStore(tmp_path / "a")
    ids = [_write(original, i) for i in range(5)]
    assert len(original.search_run_infos()) == 5
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # the index file comes along
    copy = LocalStore(tmp_path / "b")
    shutil.rmtree(tmp_path / "b" / "runs" / ids[0])
    _write(copy, 9)
    assert sorted(i.name for i in copy.search_run_infos()) == [
        "run-1", "run-2", "run-3", "run-4", "run-9"]
    assert len(original.search_run_infos()) == 5


def test_verify_reads_runs_changed_in_place_by_another_program(tmp_path):
    store = LocalStore(tmp_path / "s")
    run_id = _write(store, 1)
    assert store.search_run_infos()[0].status == "RUNNING"
    # Another program rewrites run.json in place, without the journal (as rsync would).
    path = tmp_path / "s" / "runs" / run_id / "run.json"
    data = json.loads(path.read_text())
    data.update(status=FINISHED, end_time=T0 + 5)
    path.write_text(json.dumps(data))
    index = store.run_index()
    index.refresh(verify=True)
    assert store.search_run_infos()[0].status == FINISHED


def test_a_store_that_cannot_keep_an_index_is_read_from_its_folders(tmp_path):
    store = LocalStore(tmp_path / "s")
    _write(store, 1)
    (tmp_path / "s" / ".index").mkdir(exist_ok=True)
    shutil.rmtree(tmp_path / "s" / ".index")
    (tmp_path / "s" / ".index").write_text("a file where the index folder should be")
    fresh = LocalStore(tmp_path / "s")
    assert fresh.run_index() is None
    assert [i.name for i in fresh.search_run_infos()] == ["run-1"]
    assert Path(tmp_path / "s" / ".index").is_file()
