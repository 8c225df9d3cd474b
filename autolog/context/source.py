"""Where a run came from: the script or notebook, and the state of its git repository.

Runs are tagged with MLflow's names, so that the MLflow UI shows them when the store is a
tracking server:

=============================  ===============================================================
tag                            value
=============================  ===============================================================
``mlflow.source.name``         the script's absolute path, or the notebook's path
``mlflow.source.type``         ``NOTEBOOK`` in an IPython kernel (Jupyter, VS Code), else
                               ``LOCAL``
``mlflow.user``                the user name
``mlflow.source.git.commit``   the commit checked out (``HEAD``)
``mlflow.source.git.branch``   the branch, absent on a detached ``HEAD``
``mlflow.source.git.repoURL``  the ``origin`` remote (else the first one), credentials removed
``mlflow.source.git.dirty``    ``true`` when tracked files have uncommitted changes, else
                               ``false`` (untracked files do not count, as in ``git status``'s
                               "Changes not staged/to be committed")
=============================  ===============================================================

The repository is the one holding the script (the working directory for notebooks and
``python -c``). It is read with the ``git`` command, once per process and on the background
writer, never on the training thread: :func:`process_source` is cheap and cached,
:func:`git_state` starts the subprocesses and is cached too. Without ``git`` installed, outside
a repository, in a repository without commits, or for a script that git ignores (a tool
installed in an ignored virtual environment), there are no git tags and no warning.

A dirty tree's uncommitted changes (``git diff HEAD``) become the artifact ``code/diff.patch``
(at most :data:`MAX_DIFF_BYTES`, cut with a note), untracked files are listed in
``code/untracked.txt`` (names only, never copied); option ``log_git_diff`` turns both off. In a
notebook, the source of the cell that started the run is ``code/notebook_cell.py``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "GIT_BRANCH",
    "GIT_COMMIT",
    "GIT_DIRTY",
    "GIT_REPO_URL",
    "MAX_DIFF_BYTES",
    "SOURCE_NAME",
    "SOURCE_TYPE",
    "USER",
    "GitState",
    "Source",
    "SourceSummary",
    "current_cell",
    "git_state",
    "process_source",
    "strip_credentials",
    "code_record",
    "summarize",
]

SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
USER = "mlflow.user"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
GIT_DIRTY = "mlflow.source.git.dirty"
LOCAL = "LOCAL"
NOTEBOOK = "NOTEBOOK"
INTERACTIVE = "<interactive>"

#: The largest ``code/diff.patch`` kept; a longer diff is cut there, with a note.
MAX_DIFF_BYTES = 1024 * 1024
#: The most untracked paths listed in ``code/untracked.txt``.
MAX_UNTRACKED = 1000
# Seconds one git command may take (a huge repository on a network file system).
_GIT_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Source:
    """What runs in this process: a script or a notebook.

    Attributes:
        name: the script's absolute path, the notebook's path, or ``<interactive>``.
        type: ``LOCAL`` or ``NOTEBOOK``.
        directory: where to look for the git repository.
        script: the script file, when there is one (git must not ignore it).
    """

    name: str
    type: str
    directory: str
    script: str | None = None

    def tags(self) -> dict[str, str]:
        return {SOURCE_NAME: self.name, SOURCE_TYPE: self.type}


def _ipython_shell() -> object | None:
    """The running IPython shell, if IPython is imported and one is running (never imports)."""
    module = sys.modules.get("IPython")
    get = getattr(module, "get_ipython", None)
    return get() if callable(get) else None


@functools.lru_cache(maxsize=1)
def process_source() -> Source:
    """The process's :class:`Source`, computed once (no subprocess, no import)."""
    cwd = os.getcwd()
    # AUTOLOG_SOURCE_NAME: set by %load_ext autolog from VS Code's notebook variable;
    # JPY_SESSION_NAME: the notebook's path, set by Jupyter for its kernels.
    notebook = os.environ.get("AUTOLOG_SOURCE_NAME") or os.environ.get("JPY_SESSION_NAME")
    shell = _ipython_shell()
    if notebook or hasattr(shell, "kernel"):
        name = notebook or INTERACTIVE
        directory = os.path.dirname(name) if os.path.isabs(name) else cwd
        return Source(name, NOTEBOOK, directory if os.path.isdir(directory) else cwd)
    if shell is not None:  # a terminal IPython
        return Source(INTERACTIVE, LOCAL, cwd)
    # __main__.__file__ is absolute (Python >= 3.9) even if the program chdir'ed since.
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    if not isinstance(script, str) or not script:
        argv0 = sys.argv[0] if sys.argv else ""
        script = argv0 if argv0 and argv0 != "-c" and os.path.isfile(argv0) else None
    if script is None:
        return Source(INTERACTIVE, LOCAL, cwd)
    path = os.path.abspath(script)
    return Source(path, LOCAL, os.path.dirname(path), script=path)


def current_cell() -> str | None:
    """The source of the IPython cell running now (None outside IPython).

    IPython stores a cell's raw input in its history before running it, so the last entry is
    the running cell. Cheap: a list lookup, safe on the training thread.
    """
    shell = _ipython_shell()
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if not history:
        return None
    cell = history[-1]
    return cell if isinstance(cell, str) and cell.strip() else None


def strip_credentials(url: str) -> str:
    """``url`` without user name, password, query or fragment when it has a scheme
    (``https://user:token@host/r.git`` -> ``https://host/r.git``); scp-like remotes
    (``git@host:org/r.git``) carry no secret and are kept."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if not parts.scheme or "://" not in url:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class GitState:
    """A repository's state, as :func:`git_state` read it.

    Attributes:
        root: the working tree's top folder.
        commit: the full hash of ``HEAD``.
        branch: the branch checked out, None on a detached ``HEAD``.
        repo_url: the remote's URL without credentials, None without remotes.
        dirty: tracked files differ from ``HEAD``; None when that could not be read in time.
        diff: ``git diff HEAD`` (bounded), empty when clean or not asked for.
        diff_cut: the diff was longer than the bound and was cut.
        untracked: untracked paths (not ignored), relative to ``root``, at most
            :data:`MAX_UNTRACKED`.
    """

    root: str
    commit: str
    branch: str | None = None
    repo_url: str | None = None
    dirty: bool | None = None
    diff: bytes = b""
    diff_cut: bool = False
    untracked: tuple[str, ...] = field(default_factory=tuple)

    def tags(self) -> dict[str, str]:
        tags = {GIT_COMMIT: self.commit}
        if self.branch:
            tags[GIT_BRANCH] = self.branch
        if self.repo_url:
            tags[GIT_REPO_URL] = self.repo_url
        if self.dirty is not None:
            tags[GIT_DIRTY] = "true" if self.dirty else "false"
        return tags

    def code_files(self) -> dict[str, bytes]:
        """``code/`` artifact files: ``diff.patch`` and ``untracked.txt`` when there is any."""
        files: dict[str, bytes] = {}
        if self.diff:
            note = (f"\n# autolog: the diff was cut at {MAX_DIFF_BYTES:,} bytes; the rest is "
                    f"not recorded (run `git diff {self.commit}` in the working tree).\n"
                    ).encode() if self.diff_cut else b""
            files["diff.patch"] = self.diff + note
        if self.untracked:
            lines = list(self.untracked)
            if len(lines) >= MAX_UNTRACKED:
                lines.append(f"# autolog: listing cut at {MAX_UNTRACKED} paths")
            files["untracked.txt"] = ("\n".join(lines) + "\n").encode("utf-8", "replace")
        return files


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Read-only: never take index.lock (a concurrent `git commit` of the user must not fail),
    # never prompt, plain English output.
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


def _git(git: str, cwd: str, *args: str) -> str | None:
    """stdout of ``git args`` (stripped), or None when it fails or times out."""
    try:
        done = subprocess.run([git, *args], cwd=cwd, env=_git_env(), capture_output=True,
                              timeout=_GIT_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


def _bounded_output(git: str, cwd: str, args: list[str], limit: int
                    ) -> tuple[bytes, bool] | None:
    """At most ``limit`` bytes of a git command's output and whether there was more; None
    when the command failed or timed out."""
    try:
        proc = subprocess.Popen([git, *args], cwd=cwd, env=_git_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    except OSError:
        return None
    assert proc.stdout is not None
    timer = threading.Timer(_GIT_TIMEOUT_S, proc.kill)
    timer.start()
    try:
        data = proc.stdout.read(limit + 1)
        cut = len(data) > limit
        if cut:
            proc.kill()  # the rest is not wanted
        code = proc.wait()
    finally:
        timer.cancel()
        proc.stdout.close()
    if not cut and code != 0:
        return None
    return data[:limit], cut


def _remote_url(git: str, root: str) -> str | None:
    listing = _git(git, root, "config", "--get-regexp", r"^remote\..*\.url$")
    if not listing:
        return None
    urls = {}
    for line in listing.splitlines():
        key, _, url = line.partition(" ")
        urls[key[len("remote."):-len(".url")]] = url.strip()
    url = urls.get("origin") or next(iter(urls.values()), "")
    return strip_credentials(url) or None


def _status(git: str, root: str) -> tuple[bool, tuple[str, ...]] | None:
    """(tracked files changed, untracked paths), or None when git status failed."""
    out = _bounded_output(git, root, ["status", "--porcelain=v1", "-z",
                                      "--untracked-files=normal", "--ignore-submodules=dirty"],
                          4 * MAX_DIFF_BYTES)
    if out is None:
        return None
    entries = out[0].split(b"\0")
    dirty = False
    untracked: list[str] = []
    skip_next = False
    for entry in entries:
        if skip_next:  # the source path of a rename or copy
            skip_next = False
            continue
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:].decode("utf-8", "replace")
        if code == b"??":
            if len(untracked) < MAX_UNTRACKED:
                untracked.append(path)
        elif code != b"!!":
            dirty = True
            skip_next = b"R" in code or b"C" in code
    return dirty, tuple(untracked)


_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _cached_state(directory: str, script: str | None, with_diff: bool) -> GitState | None:
    git = shutil.which("git")
    if git is None or not os.path.isdir(directory):
        return None
    root = _git(git, directory, "rev-parse", "--show-toplevel")
    if not root:
        return None
    commit = _git(git, root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if not commit:
        return None  # a repository without commits
    if script is not None and _git(git, root, "check-ignore", "--quiet", script) is not None:
        return None  # the script is not part of the repository's code
    branch = _git(git, root, "symbolic-ref", "--quiet", "--short", "HEAD") or None
    status = _status(git, root)
    dirty, untracked = status if status is not None else (None, ())
    diff, cut = b"", False
    if with_diff and dirty:
        diff, cut = _bounded_output(git, root, ["diff", "HEAD", "--no-color", "--no-ext-diff"],
                                    MAX_DIFF_BYTES) or (b"", False)
    return GitState(root=root, commit=commit, branch=branch, repo_url=_remote_url(git, root),
                    dirty=dirty, diff=diff, diff_cut=cut,
                    untracked=untracked if with_diff else ())


def clear_caches() -> None:
    """Forget the process's source and git state (they are read again on the next run)."""
    process_source.cache_clear()
    with _lock:
        _cached_state.cache_clear()


def git_state(source: Source, with_diff: bool = True) -> GitState | None:
    """The git state of ``source``'s repository, read once per process (starts ``git``).

    Returns None without ``git``, outside a repository, before its first commit, or when git
    ignores the script. Call it off the training thread.
    """
    with _lock:
        return _cached_state(source.directory, source.script, with_diff)


@dataclass(frozen=True)
class SourceSummary:
    """A run's source, as ``autolog runs show``, the UI and comparisons display it."""

    name: str
    type: str
    commit: str | None
    branch: str | None
    repo_url: str | None
    dirty: bool | None

    @property
    def kind(self) -> str:
        """``notebook``, ``script`` or ``interactive`` (``python -c``, a console)."""
        if self.type == NOTEBOOK:
            return "notebook"
        return "interactive" if self.name.startswith("<") or not self.name else "script"

    @property
    def short_commit(self) -> str:
        return (self.commit or "")[:8]

    def commit_text(self) -> str:
        """``1a2b3c4d (dirty) on main``, or an empty string without a commit."""
        if not self.commit:
            return ""
        text = self.short_commit + (" (dirty)" if self.dirty else "")
        return text + (f" on {self.branch}" if self.branch else " (detached HEAD)")


def summarize(tags: Mapping[str, str]) -> SourceSummary | None:
    """The :class:`SourceSummary` of a run's tags, or None when they name no source."""
    name = tags.get(SOURCE_NAME)
    commit = tags.get(GIT_COMMIT)
    if not name and not commit:
        return None
    dirty = tags.get(GIT_DIRTY)
    return SourceSummary(name=name or "", type=tags.get(SOURCE_TYPE, ""), commit=commit,
                         branch=tags.get(GIT_BRANCH), repo_url=tags.get(GIT_REPO_URL),
                         dirty=None if dirty is None else dirty == "true")


_CODE_TAGS = {"source": SOURCE_NAME, "commit": GIT_COMMIT, "branch": GIT_BRANCH,
              "dirty": GIT_DIRTY}


def code_record(tags: Mapping[str, str]) -> dict[str, str]:
    """What a registered version keeps of its run's source tags (see
    :attr:`autolog.registry.ModelVersion.code`)."""
    return {key: tags[tag] for key, tag in _CODE_TAGS.items() if tags.get(tag)}
