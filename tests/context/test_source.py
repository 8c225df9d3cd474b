"""Where a run came from: script or notebook, and git, read from real temporary repositories.

Training scripts run in fresh interpreters (``python train.py``), the way users meet it: the
repository is the script's, wherever the program is started from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autolog.context import source as source_info
from autolog.context.source import Source, git_state, strip_credentials
from autolog.runs import Run
from autolog.stores.local import LocalStore
from tests.helpers import git, make_git_repo

TRAIN = """\
import sys
import autolog
from params import C

autolog.enable(store=sys.argv[1])
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
LogisticRegression(C=C, max_iter=300).fit(X, y)
"""
REMOTE = "https://alice:s3cr3t-token@git.example.com/team/proj.git"


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    source_info.clear_caches()


def _train(repo: Path, store: Path, cwd: Path, **env: str) -> tuple[Run, Path, str]:
    """Run ``repo/train.py`` in a fresh interpreter; the run, its folder and stderr."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLOG", "JPY_"))}
    full_env.update(env)
    done = subprocess.run([sys.executable, str(repo / "train.py"), str(store)], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    (run,) = LocalStore(store).search_runs()
    return run, store / "runs" / run.run_id, done.stderr


def _all_text(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_clean_repository_tags_and_credentials_stripped(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    commit = make_git_repo(repo, {"train.py": TRAIN, "params.py": "C = 1.0\n"}, remote=REMOTE)
    run, folder, stderr = _train(repo, tmp_path / "store", cwd=tmp_path)

    tags = run.tags
    assert tags["mlflow.source.name"] == str(repo / "train.py")
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.user"]
    assert tags["mlflow.source.git.commit"] == commit
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.dirty"] == "false"
    assert tags["mlflow.source.git.repoURL"] == "https://git.example.com/team/proj.git"
    assert "s3cr3t" not in _all_text(folder)
    assert "code" not in run.artifacts  # clean, nothing untracked: no code/ artifact
    freeze = (folder / "artifacts/environment/pip-freeze.txt").read_text()
    assert "scikit-learn==" in freeze
    assert json.loads((folder / "artifacts/environment/hardware.json").read_text())[
        "cpu_count"] == os.cpu_count()
    assert "AutologWarning" not in stderr


def test_dirty_tree_keeps_the_diff_and_lists_untracked_files(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    make_git_repo(repo, {"train.py": TRAIN, "params.py": "C = 1.0\n"})
    (repo / "params.py").write_text("C = 0.25  # tuned\n")
    (repo / "notes.txt").write_text("UNTRACKED-CONTENT\n")
    run, folder, _ = _train(repo, tmp_path / "store", cwd=repo)

    assert run.tags["mlflow.source.git.dirty"] == "true"
    code = folder / "artifacts" / "code"
    diff = (code / "diff.patch").read_text()
    assert "-C = 1.0" in diff and "+C = 0.25  # tuned" in diff
    assert (code / "untracked.txt").read_text().split() == ["notes.txt"]
    assert "UNTRACKED-CONTENT" not in _all_text(folder)  # listed, never copied
    assert run.params["C"] == "0.25"


def test_log_git_diff_off_keeps_the_dirty_tag_only(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    make_git_repo(repo, {"train.py": TRAIN, "params.py": "C = 1.0\n"})
    (repo / "params.py").write_text("C = 2.0\n")
    (repo / "notes.txt").write_text("x\n")
    run, _, _ = _train(repo, tmp_path / "store", cwd=tmp_path, AUTOLOG_LOG_GIT_DIFF="off")
    assert run.tags["mlflow.source.git.dirty"] == "true"
    assert "code" not in run.artifacts


def test_detached_head_has_a_commit_and_no_branch(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    commit = make_git_repo(repo, {"train.py": TRAIN, "params.py": "C = 1.0\n"})
    git(repo, "checkout", "--quiet", "--detach")
    run, _, _ = _train(repo, tmp_path / "store", cwd=tmp_path)
    assert run.tags["mlflow.source.git.commit"] == commit
    assert "mlflow.source.git.branch" not in run.tags


def test_outside_a_repository_no_git_tags_and_no_warning(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "train.py").write_text(TRAIN)
    (folder / "params.py").write_text("C = 1.0\n")
    run, _, stderr = _train(folder, tmp_path / "store", cwd=tmp_path)
    assert run.tags["mlflow.source.name"] == str(folder / "train.py")
    assert not [t for t in run.tags if t.startswith("mlflow.source.git")]
    assert "AutologWarning" not in stderr and "git" not in stderr.lower()


def test_without_git_installed_no_git_tags_and_no_warning(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    make_git_repo(repo, {"train.py": TRAIN, "params.py": "C = 1.0\n"})
    no_git = tmp_path / "bin"
    no_git.mkdir()
    (no_git / "python").symlink_to(sys.executable)
    run, _, stderr = _train(repo, tmp_path / "store", cwd=tmp_path, PATH=str(no_git))
    assert shutil.which("git", path=str(no_git)) is None
    assert not [t for t in run.tags if t.startswith("mlflow.source.git")]
    assert "environment" in run.artifacts
    assert "AutologWarning" not in stderr


AUDITED = """\
import json, sys, threading
popen_threads = []
sys.addaudithook(lambda event, args: popen_threads.append(threading.current_thread().name)
                 if event == "subprocess.Popen" else None)
import autolog
autolog.enable(store=sys.argv[1])
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
for c in (0.5, 1.0, 2.0):
    LogisticRegression(C=c, max_iter=300).fit(X, y)
autolog.flush()
print(json.dumps(popen_threads))
"""


def test_git_runs_once_per_process_and_never_on_the_training_thread(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    make_git_repo(repo, {"train.py": AUDITED})
    (repo / "more.txt").write_text("untracked\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    done = subprocess.run([sys.executable, str(repo / "train.py"), str(tmp_path / "store")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    threads = json.loads(done.stdout.strip().splitlines()[-1])
    assert threads and set(threads) == {"autolog-writer"}
    runs = LocalStore(tmp_path / "store").search_runs()
    assert len(runs) == 3
    assert {r.tags["mlflow.source.git.commit"] for r in runs} == {git(repo, "rev-parse", "HEAD")}
    # One reading for the three runs (rev-parse twice, check-ignore, symbolic-ref, status,
    # the remotes), not one per run.
    assert len(threads) <= 7


def _source(path: Path, script: Path | None = None) -> Source:
    return Source(str(script or path), "LOCAL", str(path), str(script) if script else None)


def test_the_diff_is_cut_at_the_bound_with_a_note(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "proj"
    make_git_repo(repo, {"data.csv": "a\n"})
    (repo / "data.csv").write_text("".join(f"{i},{i * i}\n" for i in range(2000)))
    monkeypatch.setattr(source_info, "MAX_DIFF_BYTES", 1000)
    state = git_state(_source(repo))
    assert state is not None and state.dirty and state.diff_cut
    assert len(state.diff) == 1000
    patch = state.code_files()["diff.patch"]
    assert patch.startswith(state.diff)
    assert b"the diff was cut at 1,000 bytes" in patch


def test_no_commits_or_an_ignored_script_give_no_state(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "--quiet")
    assert git_state(_source(empty)) is None

    repo = tmp_path / "proj"
    make_git_repo(repo, {".gitignore": "venv/\n"})
    tool = repo / "venv" / "bin" / "tool"
    tool.parent.mkdir(parents=True)
    tool.write_text("# an installed tool\n")
    assert git_state(_source(tool.parent, tool)) is None
    assert git_state(_source(repo)) is not None


@pytest.mark.parametrize(("url", "expected"), [
    ("https://alice:tok@github.com/o/r.git", "https://github.com/o/r.git"),
    ("https://ghp_abc123@github.com/o/r.git", "https://github.com/o/r.git"),
    ("https://github.com/o/r.git?private_token=abc", "https://github.com/o/r.git"),
    ("ssh://git@host:2222/o/r.git", "ssh://host:2222/o/r.git"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ("/srv/git/r.git", "/srv/git/r.git"),
])
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


def test_summary_of_tags() -> None:
    summary = source_info.summarize({
        "mlflow.source.name": "/w/train.py", "mlflow.source.type": "LOCAL",
        "mlflow.source.git.commit": "0123456789abcdef", "mlflow.source.git.dirty": "true"})
    assert summary is not None
    assert summary.kind == "script"
    assert summary.commit_text() == "01234567 (dirty) (detached HEAD)"
    assert source_info.summarize({"autolog.host": "h"}) is None
