"""Reading the machine's and the process's counters: CPU, memory, disk, network, GPUs.

:class:`Probe` takes a :class:`Reading` (raw counters); :func:`metrics` turns readings into
the values a run records, under MLflow's names, each prefixed ``system/`` (MB = 10^6 bytes):

* ``cpu_utilization_percentage``: busy share of all CPUs since the previous reading;
* ``system_memory_usage_megabytes``, ``system_memory_usage_percentage``: memory in use
  (total minus available);
* ``disk_usage_percentage``, ``disk_usage_megabytes``, ``disk_available_megabytes``: the root
  file system;
* ``network_receive_megabytes``, ``network_transmit_megabytes``: bytes through every interface
  since the run began;
* ``process_cpu_percentage``: this process's CPU time per wall second, all threads (200 = two
  cores busy); ``process_memory_rss_megabytes``: its resident memory;
* per NVIDIA GPU ``i`` (NVML's index; only those ``CUDA_VISIBLE_DEVICES`` leaves visible):
  ``gpu_<i>_utilization_percentage``, ``gpu_<i>_memory_usage_megabytes``,
  ``gpu_<i>_memory_usage_percentage``, ``gpu_<i>_power_usage_watts``.

Counters come from psutil when it is installed, else from ``/proc`` (Linux) and ``os``: the
same numbers on Linux (both compute memory in use as total minus available). Elsewhere without
psutil only the disk and the process's CPU time are read. GPUs need ``nvidia-ml-py`` and an
NVIDIA driver; without either there are no GPU metrics and no warning. Nothing here runs on
the training thread: the sampler thread of :mod:`autolog.context.sampler` and the background
writer call it.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

from autolog.runs import SYSTEM_METRIC_PREFIX

__all__ = [
    "PREFIX",
    "NvmlGpus",
    "ProcCounters",
    "Probe",
    "PsutilCounters",
    "Reading",
    "default_counters",
    "metrics",
    "open_gpus",
]

PREFIX = SYSTEM_METRIC_PREFIX
_MB = 1e6


@dataclass
class Reading:
    """Raw counters at one moment (None where the backend cannot read them)."""

    time: float
    timestamp_ms: int
    process_cpu_s: float
    cpu: tuple[float, float] | None = None  # (busy, total) time of all CPUs
    memory: tuple[int, int] | None = None  # (used, total) bytes
    disk: tuple[int, int] | None = None  # (used, free) bytes
    network: tuple[int, int] | None = None  # (received, sent) bytes, all interfaces
    process_rss: int | None = None
    gpus: dict[int, dict[str, float]] = field(default_factory=dict)


class PsutilCounters:
    """Counters through psutil (every platform psutil supports)."""

    name = "psutil"

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self._process = psutil.Process()

    def cpu(self) -> tuple[float, float] | None:
        times = self._psutil.cpu_times()._asdict()
        # guest time is already counted in user time (Linux), as /proc/stat counts it.
        total = sum(times.values()) - times.get("guest", 0.0) - times.get("guest_nice", 0.0)
        idle = times.get("idle", 0.0) + times.get("iowait", 0.0)
        return total - idle, total

    def memory(self) -> tuple[int, int] | None:
        mem = self._psutil.virtual_memory()
        return int(mem.total - mem.available), int(mem.total)

    def network(self) -> tuple[int, int] | None:
        net = self._psutil.net_io_counters()
        return (int(net.bytes_recv), int(net.bytes_sent)) if net is not None else None

    def process_rss(self) -> int | None:
        return int(self._process.memory_info().rss)


class ProcCounters:
    """Counters read from Linux's ``/proc`` (no dependency)."""

    name = "proc"

    def __init__(self, root: str = "/proc") -> None:
        self.root = root
        if not os.path.isfile(os.path.join(root, "stat")):
            raise OSError(f"{root}/stat cannot be read: not Linux")
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _read(self, name: str) -> str:
        with open(os.path.join(self.root, name), encoding="ascii", errors="replace") as fh:
            return fh.read()

    def cpu(self) -> tuple[float, float] | None:
        first = self._read("stat").split("\n", 1)[0].split()
        if not first or first[0] != "cpu":
            return None
        # user nice system idle iowait irq softirq steal [guest guest_nice: inside user/nice]
        ticks = [float(v) for v in first[1:9]]
        total = sum(ticks)
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0.0)
        return total - idle, total

    def memory(self) -> tuple[int, int] | None:
        values = {}
        for line in self._read("meminfo").splitlines():
            key, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                values[key] = int(parts[0]) * 1024
        total = values.get("MemTotal")
        if not total:
            return None
        available = values.get("MemAvailable") or (
            values.get("MemFree", 0) + values.get("Buffers", 0) + values.get("Cached", 0)
            + values.get("SReclaimable", 0))
        return total - min(available, total), total

    def network(self) -> tuple[int, int] | None:
        received = sent = 0
        for line in self._read("net/dev").splitlines()[2:]:
            _, _, counters = line.partition(":")
            fields = counters.split()
            if len(fields) >= 9:
                received += int(fields[0])
                sent += int(fields[8])
        return received, sent

    def process_rss(self) -> int | None:
        return int(self._read("self/statm").split()[1]) * self._page


class _NoCounters:
    """Neither psutil nor /proc: only what every platform's ``os`` gives."""

    name = "os"

    def cpu(self) -> None:
        return None

    def memory(self) -> None:
        return None

    def network(self) -> None:
        return None

    def process_rss(self) -> None:
        return None


def default_counters() -> Any:
    """psutil's counters when psutil is installed, else /proc's, else none."""
    try:
        return PsutilCounters()
    except Exception:  # noqa: BLE001 - not installed, or broken on this platform
        pass
    try:
        return ProcCounters()
    except OSError:
        return _NoCounters()


def _visible_indices(nvml: Any, count: int) -> list[int]:
    """NVML indices of the GPUs that ``CUDA_VISIBLE_DEVICES`` leaves to this process."""
    spec = os.environ.get("CUDA_VISIBLE_DEVICES")
    if spec is None:
        return list(range(count))
    wanted = [part.strip() for part in spec.split(",") if part.strip()]
    chosen: list[int] = []
    for item in wanted:
        if item.lstrip("-").isdigit():
            index = int(item)
            if index < 0:
                break  # CUDA ignores this and every later entry
            if index < count:
                chosen.append(index)
            continue
        for index in range(count):  # a UUID (or its prefix), e.g. GPU-8932f937
            uuid = _text(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(index)))
            if uuid.startswith(item) and index not in chosen:
                chosen.append(index)
                break
    return chosen


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class NvmlGpus:
    """NVIDIA GPUs through NVML (the ``pynvml`` module of ``nvidia-ml-py``).

    Parameters:
        nvml: the NVML bindings; :func:`open_gpus` imports ``pynvml``. Tests pass another
            object with the same functions to check this class without a GPU.

    Raises:
        Exception: whatever ``nvmlInit`` raises (no driver, no GPU).
    """

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        nvml.nvmlInit()
        count = int(nvml.nvmlDeviceGetCount())
        self.handles = {i: nvml.nvmlDeviceGetHandleByIndex(i)
                        for i in _visible_indices(nvml, count)}

    def _try(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:  # noqa: BLE001 - one unreadable value (unsupported, GPU lost)
            return None

    def read(self) -> dict[int, dict[str, float]]:
        """Per GPU index: utilization, memory used (MB and %), power (W), where readable."""
        nvml = self.nvml
        out: dict[int, dict[str, float]] = {}
        for index, handle in self.handles.items():
            values: dict[str, float] = {}
            rates = self._try(nvml.nvmlDeviceGetUtilizationRates, handle)
            if rates is not None:
                values["utilization_percentage"] = float(rates.gpu)
            memory = self._try(nvml.nvmlDeviceGetMemoryInfo, handle)
            if memory is not None and memory.total:
                values["memory_usage_megabytes"] = memory.used / _MB
                values["memory_usage_percentage"] = 100.0 * memory.used / memory.total
            power = self._try(nvml.nvmlDeviceGetPowerUsage, handle)
            if power is not None:
                values["power_usage_watts"] = power / 1000.0
            out[index] = values
        return out

    def describe(self) -> dict[str, Any]:
        """The GPUs' names and memory, and the driver's version (for the hardware record)."""
        nvml = self.nvml
        gpus = []
        for index, handle in self.handles.items():
            memory = self._try(nvml.nvmlDeviceGetMemoryInfo, handle)
            gpus.append({
                "index": index,
                "name": _text(self._try(nvml.nvmlDeviceGetName, handle) or "?"),
                "memory_total_megabytes": round(memory.total / _MB) if memory else None,
            })
        driver = self._try(nvml.nvmlSystemGetDriverVersion)
        cuda = self._try(nvml.nvmlSystemGetCudaDriverVersion)
        return {"gpus": gpus, "gpu_driver": _text(driver) if driver is not None else None,
                "cuda_driver": f"{cuda // 1000}.{cuda % 1000 // 10}" if cuda else None}

    def close(self) -> None:
        self._try(self.nvml.nvmlShutdown)


def open_gpus(nvml: Any = None) -> NvmlGpus | None:
    """NVML's GPUs, or None without ``nvidia-ml-py``, a driver or a GPU (no warning)."""
    try:
        if nvml is None:
            import pynvml

            nvml = pynvml
        gpus = NvmlGpus(nvml)
    except Exception:  # noqa: BLE001 - no bindings, no driver, no device: no GPU metrics
        return None
    if not gpus.handles:
        gpus.close()
        return None
    return gpus


class Probe:
    """Takes :class:`Reading` objects from one counters backend and, if any, the GPUs."""

    def __init__(self, counters: Any = None, gpus: NvmlGpus | None = None) -> None:
        self.counters = counters if counters is not None else default_counters()
        self.gpus = gpus

    def _try(self, fn: Any) -> Any:
        try:
            return fn()
        except Exception:  # noqa: BLE001 - a counter this system lacks or denies (psutil.Error)
            return None

    def read(self) -> Reading:
        """The counters now."""
        counters = self.counters
        disk = self._try(lambda: shutil.disk_usage(os.sep))
        return Reading(
            time=time.monotonic(),
            timestamp_ms=int(time.time() * 1000),
            process_cpu_s=time.process_time(),
            cpu=self._try(counters.cpu),
            memory=self._try(counters.memory),
            disk=(disk.used, disk.free) if disk is not None else None,
            network=self._try(counters.network),
            process_rss=self._try(counters.process_rss),
            gpus=self.gpus.read() if self.gpus is not None else {},
        )


def metrics(reading: Reading, previous: Reading | None, baseline: Reading | None
            ) -> dict[str, float]:
    """The ``system/...`` values of ``reading``.

    Parameters:
        previous: an earlier reading: CPU utilization is the average since then.
        baseline: the reading at the run's start: network traffic is counted from there.
    """
    out: dict[str, float] = {}
    if previous is not None:
        if reading.cpu and previous.cpu and reading.cpu[1] > previous.cpu[1]:
            busy = reading.cpu[0] - previous.cpu[0]
            out["cpu_utilization_percentage"] = max(
                0.0, min(100.0, 100.0 * busy / (reading.cpu[1] - previous.cpu[1])))
        wall = reading.time - previous.time
        if wall > 0:
            out["process_cpu_percentage"] = max(
                0.0, 100.0 * (reading.process_cpu_s - previous.process_cpu_s) / wall)
    if reading.memory:
        used, total = reading.memory
        out["system_memory_usage_megabytes"] = used / _MB
        out["system_memory_usage_percentage"] = 100.0 * used / total if total else 0.0
    if reading.disk:
        used, free = reading.disk
        out["disk_usage_percentage"] = 100.0 * used / (used + free) if used + free else 0.0
        out["disk_usage_megabytes"] = used / _MB
        out["disk_available_megabytes"] = free / _MB
    if reading.network and baseline is not None and baseline.network:
        out["network_receive_megabytes"] = max(0, reading.network[0] - baseline.network[0]) / _MB
        out["network_transmit_megabytes"] = max(0, reading.network[1] - baseline.network[1]) / _MB
    if reading.process_rss is not None:
        out["process_memory_rss_megabytes"] = reading.process_rss / _MB
    for index, values in reading.gpus.items():
        for key, value in values.items():
            out[f"gpu_{index}_{key}"] = value
    return {PREFIX + k: round(v, 3) for k, v in out.items()}
