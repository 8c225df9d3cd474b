"""AUTOLOG=1 start-up hook: real interpreters, a real wheel, real worker processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import autolog
from autolog import startup
from autolog.stores.local import LocalStore
from tests.helpers import ROOT, run_python

TRAIN = """\
import sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=300).fit(X, y)
print("trained", sys.argv[1:])
"""


def run_script(script: Path, *args: str, env: dict[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter of this venv, with no AUTOLOG* but ``env``."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(script), *args], env=full_env, text=True,
                          capture_output=True, timeout=timeout, check=False, cwd=script.parent)


def autolog_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "AutologWarning" in line]


@pytest.fixture
def train_script(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(TRAIN)
    return path


def test_autolog_1_records_an_unmodified_script(train_script: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs"
    proc = run_script(train_script, "--epochs", "3",
                      env={"AUTOLOG": "1", "AUTOLOG_STORE": str(store)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "trained ['--epochs', '3']\n"
    assert proc.stderr == ""
    (run,) = LocalStore(store).search_runs()
    assert run.status == "FINISHED"
    assert run.model_name == "LogisticRegression"
    assert run.tags["mlflow.source.name"] == str(train_script)
    assert run.model_path is not None and (Path(run.model_path) / "MLmodel").is_file()


def test_without_autolog_nothing_is_written(train_script: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs"
    proc = run_script(train_script, env={"AUTOLOG_STORE": str(store)})  # AUTOLOG=0: below
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "trained []\n" and proc.stderr == ""
    assert not store.exists()


def test_hook_imports_nothing_when_autolog_is_unset() -> None:
    code = "import sys; print(sorted(m for m in sys.modules if 'autolog' in m))"
    assert run_python(code).stdout.strip() == "[]"
    # AUTOLOG=0 costs the tiny bootstrap module, never the autolog package.
    assert run_python(code, env={"AUTOLOG": "0"}).stdout.strip() == "['_autolog_bootstrap']"
    on = run_python(code + "; import autolog; print(autolog.is_enabled())", env={"AUTOLOG": "1"})
    assert "'_autolog_bootstrap'" in on.stdout and "'autolog.startup'" in on.stdout
    assert on.stdout.strip().endswith("True"), on.stderr


def test_options_come_from_environment_variables(train_script: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs"
    proc = run_script(train_script, env={
        "AUTOLOG": "1", "AUTOLOG_STORE": str(store), "AUTOLOG_EXPERIMENT": "nightly",
        "AUTOLOG_LOG_MODELS": "false"})
    assert proc.returncode == 0, proc.stderr
    (run,) = LocalStore(store).search_runs()
    assert run.info.experiment == "nightly"
    assert run.model_path is None


@pytest.mark.parametrize("blocked", ["sklearn", "*"])
def test_disabled_integrations_from_environment(train_script: Path, tmp_path: Path,
                                                blocked: str) -> None:
    store = tmp_path / "runs"
    proc = run_script(train_script, env={"AUTOLOG": "1", "AUTOLOG_STORE": str(store),
                                         "AUTOLOG_DISABLED_INTEGRATIONS": blocked})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert LocalStore(store).search_runs() == []


@pytest.mark.parametrize(("variable", "value", "choices"), [
    ("AUTOLOG_FORMAT", "xml", "pickle, onnx, both"),
    ("AUTOLOG_LOG_MODELS", "maybe", "1/0, true/false"),
    ("AUTOLOG", "maybe", "1/true/yes/on"),
])
def test_bad_value_is_one_warning_and_the_program_runs(
        tmp_path: Path, variable: str, value: str, choices: str) -> None:
    script = tmp_path / "check.py"
    script.write_text("import sys, autolog\nprint(autolog.is_enabled())\nsys.exit(3)\n")
    proc = run_script(script, env={"AUTOLOG": "1", variable: value})
    assert proc.returncode == 3
    assert proc.stdout == "False\n"
    (warning,) = autolog_warnings(proc.stderr)
    assert f"{variable}={value!r}" in warning and choices in warning, warning
    assert "without autologging" in warning


def test_unknown_variable_warns_with_the_closest_name(train_script: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs"
    proc = run_script(train_script, env={"AUTOLOG": "1", "AUTOLOG_STORE": str(store),
                                         "AUTOLOG_EXPERIMNT": "x"})
    assert proc.returncode == 0, proc.stderr
    (warning,) = autolog_warnings(proc.stderr)
    assert "AUTOLOG_EXPERIMNT" in warning and "'AUTOLOG_EXPERIMENT'" in warning
    assert len(LocalStore(store).search_runs()) == 1  # an unknown name does not stop autolog


def test_a_broken_installation_never_stops_the_program(train_script: Path,
                                                       tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "autolog"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('half-installed')\n")
    proc = run_script(train_script, env={"AUTOLOG": "1", "PYTHONPATH": str(shadow.parent)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "trained []\n"
    assert "start-up hook failed (ImportError: half-installed)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_wheel_installs_the_hook_and_uninstall_removes_it(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(wheels)], capture_output=True, text=True, timeout=120, check=False)
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("autolog_ml-*.whl")
    hook_files = {"autolog-ml.pth", "autolog-ml.start", "_autolog_bootstrap.py"}
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        record = {line.split(",")[0] for line in archive.read(record_name).decode().splitlines()}
        pth = archive.read("autolog-ml.pth").decode()
        start = archive.read("autolog-ml.start").decode()
    assert hook_files <= names and hook_files <= record  # site-packages root, in RECORD
    assert pth.splitlines() == [line for line in pth.splitlines() if line.startswith("import ")]
    assert start.split() == ["_autolog_bootstrap:start"]

    # Install into a bare virtual environment, check the files land at the top of
    # site-packages, then uninstall and check they are gone.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "-q"]
    subprocess.run([*pip, "install", "--no-deps", str(wheel)], check=True, timeout=120)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path"
                           "('purelib'))"], capture_output=True, text=True, check=True)
    site_packages = Path(site.stdout.strip())
    assert all((site_packages / name).is_file() for name in hook_files)
    subprocess.run([*pip, "uninstall", "-y", "autolog-ml"], check=True, timeout=120)
    assert not any((site_packages / name).exists() for name in hook_files)


def test_the_editable_install_of_this_checkout_has_the_hook() -> None:
    from importlib import metadata

    files = {str(f) for f in metadata.files("autolog-ml") or []}
    assert {"autolog-ml.pth", "autolog-ml.start", "_autolog_bootstrap.py"} <= files


def test_switch_values() -> None:
    assert [startup.switch_state(v) for v in ("1", "TRUE", " on ", "yes")] == [True] * 4
    assert [startup.switch_state(v) for v in ("0", "off", "", None)] == [False] * 4
    assert startup.switch_state("2") is None


def test_activate_from_environment_in_process(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    environ: dict[str, str] = {"AUTOLOG": "1"}
    monkeypatch.setenv("AUTOLOG_EXPERIMENT", "from-env")
    assert startup.activate_from_environment(environ) is True
    assert autolog.is_enabled()
    assert autolog.activation.current_config().experiment == "from-env"
    assert environ["AUTOLOG_PARENT_PID"] == str(os.getpid())
    autolog.disable()
    monkeypatch.setenv("AUTOLOG_FORMAT", "xml")
    with pytest.warns(autolog.AutologWarning, match="AUTOLOG_FORMAT='xml'.*pickle, onnx, both"):
        assert startup.activate_from_environment({"AUTOLOG": "1"}) is False
    assert not autolog.is_enabled()


# -- worker processes --------------------------------------------------------------------

PARALLEL = """\
import multiprocessing, sys
from sklearn.datasets import load_iris
from sklearn.ensemble import BaggingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

X, y = load_iris(return_X_y=True)


def train(c):
    return LogisticRegression(C=c, max_iter=300).fit(X, y).score(X, y)


if __name__ == "__main__":
    n_jobs = int(sys.argv[1])
    GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0, 10.0]}, cv=3,
                 n_jobs=n_jobs).fit(X, y)
    VotingClassifier([("lr", LogisticRegression(max_iter=300)),
                      ("tree", DecisionTreeClassifier())], n_jobs=n_jobs).fit(X, y)
    BaggingClassifier(DecisionTreeClassifier(), n_estimators=4, n_jobs=n_jobs).fit(X, y)
    if n_jobs == 1:
        scores = list(map(train, [0.5, 2.0]))
    else:
        # The platform's default start method; `with` terminates the workers at once.
        with multiprocessing.Pool(n_jobs) as pool:
            scores = pool.map(train, [0.5, 2.0])
    print(scores)
"""


def _run_shape(store: Path) -> tuple[list[tuple[str, bool, str, bool]], set[int]]:
    runs = LocalStore(store).search_runs()
    shape = sorted((r.info.name, r.info.parent_run_id is not None, r.status,
                    r.model_path is not None) for r in runs)
    pids = {json.loads((store / "runs" / r.run_id / "run.json").read_text())["pid"]
            for r in runs if r.info.name == "LogisticRegression"}
    return shape, pids


def test_parallel_workers_record_the_same_runs_as_sequential(tmp_path: Path) -> None:
    script = tmp_path / "parallel.py"
    script.write_text(PARALLEL)
    shapes = {}
    for n_jobs in (1, 2):
        store = tmp_path / f"runs-{n_jobs}"
        proc = run_script(script, str(n_jobs),
                          env={"AUTOLOG": "1", "AUTOLOG_STORE": str(store)}, timeout=180)
        assert proc.returncode == 0, proc.stderr
        assert autolog_warnings(proc.stderr) == []
        shapes[n_jobs] = _run_shape(store)
    (sequential, _), (parallel, pool_pids) = shapes[1], shapes[2]
    assert parallel == sequential
    assert sequential == sorted([
        ("BaggingClassifier", False, "FINISHED", True),
        ("GridSearchCV", False, "FINISHED", True),
        *[(f"GridSearchCV-candidate-{i}", True, "FINISHED", False) for i in range(3)],
        ("LogisticRegression", False, "FINISHED", True),
        ("LogisticRegression", False, "FINISHED", True),
        ("VotingClassifier", False, "FINISHED", True),
    ]), sequential
    assert os.getpid() not in pool_pids and len(pool_pids) >= 1  # written by the workers


def test_joblib_threads_keep_the_reentry_guard(store: LocalStore) -> None:
    from joblib import Parallel, delayed
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    from autolog import patching

    with patching.recording():  # as inside an autologged fit: the tasks must not record
        Parallel(n_jobs=2, backend="threading")(
            delayed(LogisticRegression(max_iter=300).fit)(X, y) for _ in range(2))
    autolog.flush()
    assert store.search_runs() == []
    Parallel(n_jobs=2, backend="threading")(
        delayed(LogisticRegression(max_iter=300).fit)(X, y) for _ in range(2))
    autolog.flush()
    assert len(store.search_runs()) == 2  # top-level tasks record, like a loop would


def test_child_processes_do_not_repeat_start_up_warnings(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent("""\
        import subprocess, sys
        subprocess.run([sys.executable, "-c", "print('child ran')"], check=True)
    """))
    proc = run_script(script, env={"AUTOLOG": "1", "AUTOLOG_FORMAT": "xml",
                                   "AUTOLOG_STORE": str(tmp_path / "runs")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "child ran\n"
    assert len(autolog_warnings(proc.stderr)) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="fork start method")
def test_forked_worker_ends_and_writes_its_open_runs_at_exit(tmp_path: Path) -> None:
    # A forked multiprocessing child leaves through os._exit (no atexit); a run it left open
    # (as a PyTorch run stays open until its program ends) must still be ended and written.
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""\
        import multiprocessing
        import autolog

        def work():
            autolog.start_run(name="in-child").log_metric("loss", 0.5)

        if __name__ == "__main__":
            child = multiprocessing.get_context("fork").Process(target=work)
            child.start()
            child.join()
            print(child.exitcode)
    """))
    store = tmp_path / "runs"
    proc = run_script(script, env={"AUTOLOG": "1", "AUTOLOG_STORE": str(store)})
    assert proc.returncode == 0 and proc.stdout == "0\n", proc.stderr
    (run,) = LocalStore(store).search_runs()
    assert (run.info.name, run.status, run.metrics) == ("in-child", "FINISHED", {"loss": 0.5})


@pytest.mark.skipif(sys.platform == "win32", reason="fork start method")
def test_forked_pool_inside_a_users_run_makes_child_runs(tmp_path: Path) -> None:
    # The fork happens while the writer is still writing the user's run: a child must not
    # inherit a lock held mid-write (it would hang), nor log its model into the user's run.
    script = tmp_path / "batch.py"
    script.write_text(textwrap.dedent("""\
        import multiprocessing
        import autolog
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        X, y = load_iris(return_X_y=True)

        def train(c):
            return LogisticRegression(C=c, max_iter=300).fit(X, y).score(X, y) > 0.9

        if __name__ == "__main__":
            with autolog.start_run(name="batch"):
                with multiprocessing.get_context("fork").Pool(2) as pool:
                    print(pool.map(train, [0.5, 2.0]))
    """))
    store = tmp_path / "runs"
    proc = run_script(script, env={"AUTOLOG": "1", "AUTOLOG_STORE": str(store)}, timeout=90)
    assert proc.returncode == 0 and proc.stdout == "[True, True]\n", proc.stderr
    runs = LocalStore(store).search_runs()
    (batch,) = [r for r in runs if r.info.name == "batch"]
    children = [r for r in runs if r.info.parent_run_id == batch.run_id]
    assert batch.status == "FINISHED" and batch.model_path is None
    assert len(runs) == 3 and len(children) == 2
    assert all(c.status == "FINISHED" and c.model_path for c in children)
