"""Whether the process writing a run is still alive, so that readers can tell killed runs.

A run records the host and pid of the process that writes it (:attr:`RunInfo.host`,
:attr:`RunInfo.pid`). A process killed with SIGKILL (or by the OOM killer, or a power cut)
never ends its runs: they stay ``RUNNING`` in the store. Readers use :func:`observed_status`:

* same host, and that pid no longer exists (or is a zombie, or is a newer process that reused
  the pid) -> ``KILLED``;
* same host, process alive -> ``RUNNING``;
* another host, or no host/pid recorded -> ``RUNNING``, and :func:`display_status` says
  ``RUNNING (unknown)``: a process elsewhere cannot be checked from here.

Nothing is written: the stored status stays ``RUNNING`` (the store may be read-only, and a
reader on another host could not have known). On Linux the pid's start time is read from
``/proc`` to detect a reused pid; elsewhere a live pid counts as the run's own process.
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import replace

from autolog.runs import KILLED, RUNNING, RunInfo

__all__ = ["ALIVE", "DEAD", "UNKNOWN", "display_status", "hostname", "observed",
           "observed_status", "writer_state"]

ALIVE = "alive"
DEAD = "dead"
UNKNOWN = "unknown"

# How much later than the run's start a process may have started and still be the run's own:
# /proc's boot time has one-second resolution and the wall clock may have been adjusted.
_START_SLACK_MS = 5000


@functools.lru_cache(maxsize=1)
def hostname() -> str:
    """This machine's host name, as runs record it (empty when it cannot be read)."""
    try:
        return socket.gethostname()
    except OSError:
        return ""


@functools.lru_cache(maxsize=1)
def _boot_time_s() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _proc_stat(pid: int) -> tuple[str, float | None] | None:
    """(state letter, start time in ms since the epoch) of ``pid`` from /proc, if readable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = text[text.rfind(")") + 2:].split()
    if len(fields) < 20:
        return None
    boot = _boot_time_s()
    try:
        ticks = int(fields[19])
        start_ms = None if boot is None else (boot + ticks / os.sysconf("SC_CLK_TCK")) * 1000
    except (ValueError, OSError):
        start_ms = None
    return fields[0], start_ms


def writer_state(info: RunInfo) -> str:
    """:data:`ALIVE`, :data:`DEAD` or :data:`UNKNOWN`: the state of the process writing ``info``."""
    if not info.host or not info.pid or info.pid <= 0 or info.host != hostname():
        return UNKNOWN
    if info.pid == os.getpid():
        return ALIVE
    if os.name == "nt":
        return UNKNOWN  # os.kill(pid, 0) would send CTRL_C_EVENT there, not probe
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return DEAD
    except PermissionError:
        pass  # it exists, owned by another user
    except OSError:
        return UNKNOWN
    stat = _proc_stat(info.pid)
    if stat is None:
        return ALIVE
    state, start_ms = stat
    if state in ("Z", "X"):  # exited; its parent has not reaped it yet
        return DEAD
    if start_ms is not None and info.start_time and start_ms > info.start_time + _START_SLACK_MS:
        return DEAD  # the pid was reused by a process that started after the run
    return ALIVE


def observed_status(info: RunInfo) -> str:
    """The run's status as a reader should show it: ``KILLED`` for a RUNNING run whose
    process on this host is gone, else the stored status."""
    if info.status == RUNNING and writer_state(info) == DEAD:
        return KILLED
    return info.status


def observed(info: RunInfo) -> RunInfo:
    """``info`` with :func:`observed_status` (a copy when it changes)."""
    status = observed_status(info)
    return info if status == info.status else replace(info, status=status)


def display_status(info: RunInfo) -> str:
    """The status for people: ``KILLED``, ``RUNNING (unknown)`` for a run written on another
    host, or the stored status."""
    status = observed_status(info)
    if status == RUNNING and info.host and info.host != hostname():
        return f"{RUNNING} (unknown)"
    return status
