"""Training processes killed with SIGKILL at random moments while they write model folders and
register versions, all into one store.

After every kill the store is scanned: each visible run, model folder and registry version
must be complete (MLmodel parses, checksums match, version records agree), every run and
version the process had finished before it died must still read back, and the runs it left
RUNNING must read back as KILLED. The store keeps taking new runs and versions from the next
trial (a lock held by a killed process is released by the kernel).

12 trials by default; ``--runslow`` adds 48 more (60 in all).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import autolog
from autolog.stores.local import LocalStore
from tests.reliability.scan import scan_store
from tests.reliability.tally import Case

WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = Path(__file__).resolve().parents[2]
MODEL_NAME = "crash-model"
MAX_DELAY_S = 1.5


class Zygote:
    """The crash_worker parent: forks a training process per trial."""

    def __init__(self, log: Path) -> None:
        args = [sys.executable, str(WORKER), "--torch"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONPATH=str(ROOT))
        self.log = open(log, "w")  # noqa: SIM115 - the worker's stderr, for failures
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True, env=env, cwd=ROOT)
        assert self._line() == "ready", self.log_tail()

    def _line(self) -> str:
        line = self.process.stdout.readline().strip()
        if not line:
            raise AssertionError(f"crash worker died: {self.log_tail()}")
        return line

    def log_tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def fork(self, store: Path, seed: int, progress: Path) -> int:
        self.process.stdin.write(f"trial {store} {seed} {progress}\n")
        self.process.stdin.flush()
        kind, pid = self._line().split()
        assert kind == "pid"
        return int(pid)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    worker = Zygote(tmp_path_factory.mktemp("crash-worker") / "worker.log")
    yield worker
    worker.close()


def _gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} still exists after SIGKILL")


def _lost(store: LocalStore, progress: Path) -> int:
    """Runs and versions the killed process finished that do not read back whole now."""
    lost = 0
    lines = progress.read_text().splitlines() if progress.exists() else []
    for line in lines:
        _, run_id, version = line.split()
        try:
            run = store.get_run(run_id)
            assert run.status == "FINISHED" and run.model_path
            if int(version):
                mv = store.get_model_version(MODEL_NAME, int(version))
                assert mv.run_id == run_id
        except Exception:  # noqa: BLE001 - any failure is a lost record
            lost += 1
    return lost


def _crash_trials(zygote: Zygote, root: Path, tmp: Path, seeds: range, case: Case) -> None:
    store = LocalStore(root)
    seen_leftovers: set[str] = set()
    rng = random.Random(seeds.start)
    for seed in seeds:
        progress = tmp / f"progress-{seed}.txt"
        with case.trial():
            pid = zygote.fork(root, seed, progress)
            time.sleep(rng.uniform(0.05, MAX_DELAY_S))
            os.kill(pid, signal.SIGKILL)
            _gone(pid)
            scan = scan_store(root)
            assert scan.ok, scan.problems
            new_leftovers = set(scan.leftovers) - seen_leftovers
            seen_leftovers.update(new_leftovers)
            case.note("kills that left hidden temporary files (killed mid-write)",
                      int(bool(new_leftovers)))
            left_running = [r for r, info in scan.runs.items()
                            if info["status"] == "RUNNING" and info["pid"] == pid]
            case.note("runs left RUNNING, read back as KILLED", len(left_running))
            assert all(store.get_run(r).status == "KILLED" for r in left_running)
            case.note("runs and versions finished before the kill, all checked",
                      len(progress.read_text().splitlines() if progress.exists() else []))
            case.lost(_lost(store, progress))
    assert case.data_lost == 0
    # The store still takes runs and versions whole after all those kills.
    autolog.enable(store=str(root), testing=True)
    from sklearn.tree import DecisionTreeClassifier

    from tests.reliability.workloads import iris

    DecisionTreeClassifier().fit(*iris())
    run_id = autolog.search_runs(max_results=1)[0].run_id
    autolog.register_model(f"runs:/{run_id}/model", MODEL_NAME)
    autolog.disable()
    assert scan_store(root).ok


def _cli_runs(root: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "autolog.cli", "runs", "list", "--store",
                           str(root), "--limit", "100000", "--json"],
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_sigkill_during_writes_and_registration(zygote, tally, tmp_path):
    root = tmp_path / "store"
    case = tally.case("crashes", "SIGKILL during model writing and registration",
                      f"real: forked training processes (scikit-learn; PyTorch every third) "
                      f"killed at a uniform random moment in 0.05-{MAX_DELAY_S}s")
    _crash_trials(zygote, root, tmp_path, range(12), case)
    _check_cli_shows_killed(tally, root)


@pytest.mark.slow
def test_sigkill_long(zygote, tally, tmp_path):
    root = tmp_path / "store"
    case = tally.case("crashes", "SIGKILL during model writing and registration",
                      f"real: forked training processes (scikit-learn; PyTorch every third) "
                      f"killed at a uniform random moment in 0.05-{MAX_DELAY_S}s")
    _crash_trials(zygote, root, tmp_path, range(1000, 1048), case)
    _check_cli_shows_killed(tally, root)


def _check_cli_shows_killed(tally, root: Path) -> None:
    """`autolog runs list` shows every run a killed process left RUNNING as KILLED."""
    raw = {r: info for r, info in scan_store(root).runs.items()}
    left = {r for r, info in raw.items() if info["status"] == "RUNNING"}
    case = tally.case("crashes", "runs left RUNNING by a killed process",
                      "real: `autolog runs list --json` after the kills above")
    with case.trial():
        shown = {r["info"]["run_id"]: r["info"]["status"] for r in _cli_runs(root)}
        assert set(shown) == set(raw)
        assert {shown[r] for r in left} <= {"KILLED"}
        assert "RUNNING" not in shown.values()
        case.note("runs shown KILLED by the CLI", len(left))
    assert left, "no kill left a run RUNNING; the kills came too late or too early"


_HOLDS_A_RUN = """
import sys, time
import autolog
autolog.enable(store=sys.argv[1], testing=False)
run = autolog.start_run(name="held-open")
autolog.flush()
print(run.run_id, flush=True)
time.sleep(120)
"""


def _cli_status(root: Path, run_id: str) -> str:
    done = subprocess.run([sys.executable, "-m", "autolog.cli", "runs", "list", "--store",
                           str(root)], capture_output=True, text=True, timeout=120, check=True)
    [line] = [line for line in done.stdout.splitlines() if line.startswith(run_id)]
    return line


def test_runs_list_tells_live_killed_and_unknown(tally, tmp_path):
    """RUNNING while the process lives; KILLED once it is gone; RUNNING (unknown) for a run
    written on another host; KILLED when the pid now belongs to a newer process."""
    root = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    holder = subprocess.Popen([sys.executable, "-c", _HOLDS_A_RUN, str(root)],
                              stdout=subprocess.PIPE, text=True, env=env)
    case = tally.case("crashes", "status of a run whose process is alive, killed or elsewhere",
                      "real: a live process, the same process SIGKILLed, run.json edited to "
                      "another host, a pid reused by a newer process")
    with case.trial():
        run_id = holder.stdout.readline().strip()
        assert "RUNNING" in _cli_status(root, run_id) and "KILLED" not in _cli_status(root,
                                                                                      run_id)
        holder.kill()
        holder.wait()
        assert "KILLED" in _cli_status(root, run_id)
        assert LocalStore(root).get_run(run_id).status == "KILLED"
        run_json = root / "runs" / run_id / "run.json"
        info = json.loads(run_json.read_text())
        assert info["status"] == "RUNNING"  # nothing was written: readers only observe
        run_json.write_text(json.dumps({**info, "host": "another-host.example"}))
        assert "RUNNING (unknown)" in _cli_status(root, run_id)
        if not Path("/proc/self/stat").exists():
            return  # a reused pid is told by its start time in /proc (Linux)
        newer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            run_json.write_text(json.dumps({**info, "pid": newer.pid,
                                            "start_time": info["start_time"] - 3_600_000}))
            assert "KILLED" in _cli_status(root, run_id)
        finally:
            newer.kill()
            newer.wait()
