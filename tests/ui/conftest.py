"""Fixtures of the UI tests: a store with real autologged scikit-learn runs, a real server."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import run_python

# Three real fits on iris: two logistic regressions inside runs that also log a per-epoch
# metric (the line chart), and one decision tree autologged on its own.
SEED = r"""
import json, sys
import autolog
autolog.enable(store=sys.argv[1], experiment="iris", testing=True)
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

X, y = load_iris(return_X_y=True, as_frame=True)
ids = {}
for c in (0.1, 1.0):
    with autolog.start_run(name=f"logreg-C{c}") as run:
        LogisticRegression(C=c, max_iter=500).fit(X, y)
        for epoch in range(12):
            run.log_metric("val_loss", round(1.5 / (epoch + 1) + 0.05 / c, 4), step=epoch)
    ids[f"logreg-C{c}"] = run.run_id
DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
autolog.flush()
tree = [r for r in autolog.search_runs("iris") if r.run_id not in ids.values()]
ids["tree"] = tree[0].run_id
autolog.disable()
print(json.dumps(ids))
"""


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A local store with three real autologged runs; ``(path, {run name: run id})``.

    Read-only for tests: copy it (:func:`fresh_store`) before changing anything.
    """
    path = tmp_path_factory.mktemp("ui-seed") / "store"
    result = run_python(SEED.replace("sys.argv[1]", repr(str(path))), timeout=180)
    assert result.returncode == 0, result.stderr
    return path, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def fresh_store(seeded_store: tuple[Path, dict[str, str]], tmp_path: Path
                ) -> tuple[Path, dict[str, str]]:
    """A private copy of the seeded store."""
    path = tmp_path / "ui-store"
    shutil.copytree(seeded_store[0], path)
    return path, seeded_store[1]


@contextmanager
def ui_process(store: Path, *args: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``autolog ui --store STORE --port 0 ARGS`` in a real subprocess; yields its URL.

    stderr (request log, warnings) goes to ``log``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autolog.cli", "ui", "--store", str(store), "--port", "0",
             *args], stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.put(line)
        lines.put("")  # end of output: the process exited

    threading.Thread(target=read, daemon=True).start()
    try:
        try:
            first = lines.get(timeout=60)
        except queue.Empty:
            first = ""
        if not first:
            pytest.fail(f"autolog ui printed no address; stderr: {log.read_text()}")
        match = re.search(r"(http://\S+/)", first)
        assert match, f"unexpected first line {first!r}; stderr: {log.read_text()}"
        yield match.group(1), proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
