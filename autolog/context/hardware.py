"""The machine a run trained on: CPU, memory, GPUs, driver, CUDA/cuDNN, OS and Python.

:func:`describe` is recorded once per process as the artifact ``environment/hardware.json``
(on the background writer); :func:`summary` is its one-line form for ``autolog runs show`` and
the UI. CUDA and cuDNN versions come from torch only when the program imported torch: this
module never imports an ML framework.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from collections.abc import Mapping
from typing import Any

from autolog.context.probes import default_counters, open_gpus

__all__ = ["describe", "summary"]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware", "cpu model"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _usable_cpus() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def _torch_versions() -> dict[str, Any]:
    torch = sys.modules.get("torch")
    if torch is None:
        return {}
    out: dict[str, Any] = {"torch": getattr(torch, "__version__", None)}
    version = getattr(torch, "version", None)
    out["cuda"] = getattr(version, "cuda", None)
    hip = getattr(version, "hip", None)
    if hip:
        out["hip"] = hip
    try:
        out["cudnn"] = torch.backends.cudnn.version() if out["cuda"] else None
    except Exception:  # noqa: BLE001 - a broken CUDA install must not stop the record
        out["cudnn"] = None
    return out


@functools.lru_cache(maxsize=1)
def describe() -> dict[str, Any]:
    """This machine's description (computed once per process; off the training thread)."""
    counters = default_counters()
    try:
        memory = counters.memory()
    except Exception:  # noqa: BLE001 - a counter this system lacks
        memory = None
    if memory is None and hasattr(os, "sysconf"):
        try:
            memory = (0, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError):
            memory = None
    info: dict[str, Any] = {
        "os": platform.platform(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": _usable_cpus(),
        "memory_total_megabytes": round(memory[1] / 1e6) if memory else None,
        "gpus": [],
        "gpu_driver": None,
    }
    gpus = open_gpus()
    if gpus is not None:
        try:
            info.update(gpus.describe())
        finally:
            gpus.close()
    info.update(_torch_versions())
    return info


def summary(info: Mapping[str, Any]) -> str:
    """One line: ``8 CPUs (Intel Xeon ...), 31.4 GB RAM, 1 GPU (NVIDIA H100, driver 550),
    CUDA 12.4, Linux-6.1-x86_64, Python 3.11.2``."""
    parts = []
    cpus = info.get("cpu_count")
    if cpus:
        model = info.get("cpu_model")
        parts.append(f"{cpus} CPUs" + (f" ({model})" if model else ""))
    memory = info.get("memory_total_megabytes")
    if memory:
        parts.append(f"{memory / 1000:.1f} GB RAM")
    gpus = info.get("gpus") or []
    if gpus:
        names = sorted({str(g.get("name", "?")) for g in gpus})
        driver = info.get("gpu_driver")
        parts.append(f"{len(gpus)} GPU{'s' if len(gpus) != 1 else ''} ({', '.join(names)}"
                     + (f", driver {driver}" if driver else "") + ")")
    for key, label in (("cuda", "CUDA"), ("cudnn", "cuDNN")):
        if info.get(key):
            parts.append(f"{label} {info[key]}")
    if info.get("os"):
        parts.append(str(info["os"]))
    if info.get("python"):
        parts.append(f"Python {info['python']}")
    return ", ".join(parts)
