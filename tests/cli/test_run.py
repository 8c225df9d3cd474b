"""``autolog run``: real subprocesses; exit codes, output and options pass through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autolog.cli import run as cli_run
from autolog.stores.local import LocalStore

SCRIPT = """\
import sys
print("out", sys.argv[1:])
print("err", file=sys.stderr)
from sklearn.linear_model import LinearRegression
LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
sys.exit(int(sys.argv[1]))
"""


def autolog_run(*args: str, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``autolog run ARGS`` through the console entry point, without inherited AUTOLOG*."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    # A PATH without this venv: `autolog run -- python` must still find its own Python.
    full_env["PATH"] = os.pathsep.join(
        p for p in full_env.get("PATH", "").split(os.pathsep)
        if Path(p).resolve() != Path(sys.executable).parent.resolve())
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "autolog.cli", "run", *args], env=full_env,
                          cwd=cwd, text=True, capture_output=True, timeout=120, check=False)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    return path


@pytest.fixture
def light(tmp_path: Path) -> Path:
    """A script that reports whether autologging is on, and exits with its first argument."""
    path = tmp_path / "light.py"
    path.write_text("import sys, autolog\nprint('on', autolog.is_enabled())\n"
                    "sys.exit(int(sys.argv[1]))\n")
    return path


def test_script_form_passes_exit_code_and_output(script: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs"
    proc = autolog_run("--store", str(store), "--experiment", "cli", str(script), "3", "--x",
                       cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stdout == "out ['3', '--x']\n"
    assert proc.stderr == "err\n"
    (run,) = LocalStore(store).search_runs()
    assert run.info.experiment == "cli" and run.model_name == "LinearRegression"


def test_command_form_after_double_dash(script: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs"
    proc = autolog_run("--store", str(store), "--log-models", "false", "--",
                       "python", str(script), "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "out ['0']\n"
    (run,) = LocalStore(store).search_runs()
    assert run.model_path is None


def test_failing_program_keeps_its_traceback_and_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("raise ValueError('user bug')\n")
    proc = autolog_run(str(bad))
    assert proc.returncode == 1
    assert proc.stderr.rstrip().endswith("ValueError: user bug")


def test_bad_option_value_warns_once_and_runs_without_autologging(light: Path) -> None:
    proc = autolog_run("--format", "xml", str(light), "4")
    assert proc.returncode == 4
    assert proc.stdout == "on False\n"
    warnings = [line for line in proc.stderr.splitlines() if "AutologWarning" in line]
    assert len(warnings) == 1
    assert "--format='xml'" in warnings[0] and "pickle, onnx, both" in warnings[0]
    assert "without autologging" in warnings[0]


def test_bad_environment_value_names_the_variable(light: Path) -> None:
    proc = autolog_run(str(light), "0", env={"AUTOLOG_MAX_TUNING_RUNS": "many"})
    assert proc.returncode == 0
    assert proc.stdout == "on False\n"
    (warning,) = [line for line in proc.stderr.splitlines() if "AutologWarning" in line]
    assert "AUTOLOG_MAX_TUNING_RUNS='many'" in warning
    good = autolog_run(str(light), "0")
    assert good.stdout == "on True\n" and good.stderr == ""


def test_missing_command() -> None:
    assert autolog_run("--", "no-such-program-autolog").returncode == 127
    usage = autolog_run()
    assert usage.returncode == 2 and "COMMAND" in usage.stderr


def test_build_environment() -> None:
    env, problem = cli_run.build_environment(
        {"store": "/data/runs", "format": "onnx", "experiment": None},
        base={"PATH": "/usr/bin", "AUTOLOG_PARENT_PID": "1"})
    assert problem is None
    assert env["AUTOLOG"] == "1"
    assert env["AUTOLOG_STORE"] == "/data/runs" and env["AUTOLOG_FORMAT"] == "onnx"
    assert "AUTOLOG_EXPERIMENT" not in env and "AUTOLOG_PARENT_PID" not in env
    env, problem = cli_run.build_environment({"format": "xml"}, base={"AUTOLOG": "1"})
    assert problem is not None and "--format='xml'" in problem
    assert "AUTOLOG" not in env


def test_program_argv() -> None:
    assert cli_run.program_argv(("train.py", "-v")) == [sys.executable, "train.py", "-v"]
    assert cli_run.program_argv(("pytest", "-q")) == ["pytest", "-q"]


def test_every_environment_option_has_a_flag() -> None:
    from autolog.config import OPTIONS

    flags = {opt for param in cli_run.run.params for opt in getattr(param, "opts", [])}
    for option in OPTIONS.values():
        if option.from_env:
            assert "--" + option.name.replace("_", "-") in flags
