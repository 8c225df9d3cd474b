"""``%load_ext autolog`` in a real Jupyter kernel and a real terminal IPython."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ipykernel  # noqa: F401 - required by this test
import nbclient
import nbformat
import pytest

from autolog.config import ConfigError
from autolog.magic import RunSummary, _parse_assignments
from autolog.runs import Run, RunInfo
from autolog.stores.local import LocalStore
from tests.helpers import make_git_repo

FIT = ("from sklearn.datasets import load_iris\n"
       "from sklearn.linear_model import LogisticRegression\n"
       "X, y = load_iris(return_X_y=True)\n"
       "model = LogisticRegression(max_iter=300).fit(X, y)")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLOG", "JPY_"))}
    env.update(extra)
    return env


def _text(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        if out["output_type"] == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
        elif out["output_type"] == "error":
            parts.append("\n".join(out["traceback"]))
    return "".join(parts)


def test_notebook_load_ext_logs_shows_summary_and_stops(tmp_path: Path) -> None:
    store = tmp_path / "runs"
    notebook_path = tmp_path / "analysis.ipynb"
    cells = ["%load_ext autolog", FIT, "%autolog off", FIT, "%autolog status"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=60,
                                     resources={"metadata": {"path": str(tmp_path)}})
    # Jupyter's server tells its kernels the notebook's path in JPY_SESSION_NAME.
    client.execute(env=_env(AUTOLOG_STORE=str(store), JPY_SESSION_NAME=str(notebook_path)))

    load, fit, off, fit_after_off, status = (cell["outputs"] for cell in nb.cells)
    assert f"autolog is on: runs go to {store}" in _text(load)

    (run,) = LocalStore(store).search_runs()  # the fit after `%autolog off` made none
    assert run.model_name == "LogisticRegression" and run.status == "FINISHED"
    assert run.tags["mlflow.source.name"] == str(notebook_path)
    assert run.model_path and (Path(run.model_path) / "MLmodel").is_file()

    (summary,) = [o for o in fit if o["output_type"] == "display_data"]
    html = summary["data"]["text/html"]
    for expected in (run.run_id, "LogisticRegression", "training_score", run.model_path):
        assert expected in html
    assert run.run_id[:8] in summary["data"]["text/plain"]

    assert "autolog is off." in _text(off)
    assert fit_after_off == []
    assert "autolog is off" in _text(status)


def _ipython(lines: list[str], store: Path) -> str:
    """Feed ``lines`` to a terminal IPython, one cell each; return what it printed."""
    proc = subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "--simple-prompt", "--colors=nocolor",
         "--HistoryManager.enabled=False"],
        input="\n".join(lines) + "\nexit\n", env=_env(AUTOLOG_STORE=str(store)),
        text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout
    return proc.stdout


def test_terminal_ipython_magic_and_plain_text_summary(tmp_path: Path) -> None:
    store = tmp_path / "runs"
    out = _ipython(["%load_ext autolog", FIT.replace("\n", "; "),
                    "%autolog config format=xml", "%autolog config experiment=other",
                    "%autolog status", "%autolog sideways", "%unload_ext autolog",
                    "import autolog; print('enabled:', autolog.is_enabled())",
                    "%autolog status"], store)
    (run,) = LocalStore(store).search_runs()
    assert f"autolog: 1 run logged\n  {run.run_id[:8]}  LogisticRegression  FINISHED" in out
    assert f"model: {run.model_path}" in out
    assert "<table" not in out
    assert "UsageError: format='xml' is not valid for option 'format'. Valid choices: " \
           "pickle, onnx, both." in out
    assert "autolog is on: runs go to" in out and "(experiment 'other')" in out
    assert "sklearn: active" in out
    assert "Unknown %autolog command 'sideways'" in out
    assert "enabled: False" in out  # %unload_ext turned autologging off ...
    assert "Line magic function `%autolog` not found" in out  # ... and removed the magic


def test_run_summary_renders_runs_and_counts_children() -> None:
    run = Run(RunInfo(run_id="a" * 32, experiment="Default", name="GridSearchCV"),
              metrics={"training_score": 0.97, "best_cv_score": 0.95},
              tags={"autolog.model_class": "GridSearchCV"}, model_path="/s/runs/aaa/model")
    summary = RunSummary([run], {run.run_id: 3})
    text = repr(summary)
    assert text.splitlines()[0] == "autolog: 4 runs logged"
    assert "aaaaaaaa  GridSearchCV  RUNNING  training_score=0.97" in text
    assert "+3 child runs" in text and "model: /s/runs/aaa/model" in text
    html = summary._repr_html_()
    assert "<table>" in html and "a" * 32 in html and "/s/runs/aaa/model" in html


def test_parse_assignments() -> None:
    assert _parse_assignments(["format=onnx", "AUTOLOG_LOG_MODELS=0", "max-tuning-runs=2"]) == {
        "format": "onnx", "log_models": "0", "max_tuning_runs": "2"}
    with pytest.raises(ConfigError, match="Did you mean 'format'"):
        _parse_assignments(["formt=onnx"])
    with pytest.raises(ConfigError, match="not KEY=VALUE"):
        _parse_assignments(["onnx"])
    with pytest.raises(ConfigError, match="Valid choices: pickle, onnx, both"):
        _parse_assignments(["format=xml"])


def test_notebook_run_keeps_its_notebook_cell_commit_and_system_metrics(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    commit = make_git_repo(repo, {"README.md": "analysis\n"})
    store = tmp_path / "runs"
    notebook_path = repo / "analysis.ipynb"
    training_cell = ("import time, autolog\nwith autolog.start_run(name='nb'):\n"
                     + "".join(f"    {line}\n" for line in FIT.splitlines())
                     + "    time.sleep(0.8)  # the block's run lasts beyond the fit")
    cells = ["%load_ext autolog",
             "%autolog config log_system_metrics=on system_metrics_interval=0.3",
             training_cell]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, notebook_path)  # saved, not committed
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=60,
                                     resources={"metadata": {"path": str(repo)}})
    client.execute(env=_env(AUTOLOG_STORE=str(store), JPY_SESSION_NAME=str(notebook_path)))

    (run,) = LocalStore(store).search_runs()
    assert run.tags["mlflow.source.name"] == str(notebook_path)
    assert run.tags["mlflow.source.type"] == "NOTEBOOK"
    assert run.tags["mlflow.source.git.commit"] == commit
    code = store / "runs" / run.run_id / "artifacts" / "code"
    assert (code / "notebook_cell.py").read_text() == training_cell
    assert "analysis.ipynb" in (code / "untracked.txt").read_text().split()
    steps = [m.step for m in run.metric_history["system/cpu_utilization_percentage"]]
    assert steps == list(range(len(steps))) and len(steps) >= 3
