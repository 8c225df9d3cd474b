"""System metrics: the counters (psutil and /proc on this machine), NVML's GPU path without a
GPU, and the sampler thread recording real runs in a real store.

No GPU exists here. The GPU path is checked with :class:`FakeNvml`, an object with the
functions of ``pynvml`` (nvidia-ml-py) that :class:`~autolog.context.probes.NvmlGpus` calls;
the real ``pynvml`` is checked to find no GPU quietly.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from types import SimpleNamespace
from typing import Any

import pytest

import autolog
from autolog.context import hardware
from autolog.context import probes as system_probes
from autolog.context.probes import NvmlGpus, Probe, ProcCounters, PsutilCounters, metrics
from autolog.context.sampler import Sampler
from autolog.runs import Run, RunInfo, is_system_metric
from autolog.stores.local import LocalStore

BASE_METRICS = {
    "system/cpu_utilization_percentage", "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage", "system/disk_usage_percentage",
    "system/disk_usage_megabytes", "system/disk_available_megabytes",
    "system/network_receive_megabytes", "system/network_transmit_megabytes",
    "system/process_cpu_percentage", "system/process_memory_rss_megabytes",
}


class FakeNvml:
    """The ``pynvml`` functions NvmlGpus uses, for ``count`` H100s (power unreadable on the
    GPUs in ``no_power``, as NVML answers "Not Supported")."""

    class NVMLError(Exception):
        pass

    def __init__(self, count: int = 2, no_power: tuple[int, ...] = ()) -> None:
        self.count = count
        self.no_power = no_power
        self.shut = False

    def nvmlInit(self) -> None:  # noqa: N802 - NVML's names
        pass

    def nvmlShutdown(self) -> None:  # noqa: N802
        self.shut = True

    def nvmlDeviceGetCount(self) -> int:  # noqa: N802
        return self.count

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:  # noqa: N802
        return index

    def nvmlDeviceGetUUID(self, handle: int) -> str:  # noqa: N802
        return f"GPU-{handle}0f0f0f-aaaa"

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:  # noqa: N802
        return SimpleNamespace(gpu=40 + handle, memory=10)

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:  # noqa: N802
        return SimpleNamespace(total=80_000_000_000, used=(handle + 1) * 8_000_000_000,
                               free=0)

    def nvmlDeviceGetPowerUsage(self, handle: int) -> int:  # noqa: N802
        if handle in self.no_power:
            raise self.NVMLError("Not Supported")
        return 350_500  # milliwatts

    def nvmlDeviceGetName(self, handle: int) -> bytes:  # noqa: N802
        return b"NVIDIA H100 80GB HBM3"  # older bindings answer bytes

    def nvmlSystemGetDriverVersion(self) -> str:  # noqa: N802
        return "550.54.15"

    def nvmlSystemGetCudaDriverVersion(self) -> int:  # noqa: N802
        return 12040


# -- counters -------------------------------------------------------------------------------
def test_psutil_and_proc_read_the_same_numbers() -> None:
    ps, proc = PsutilCounters(), ProcCounters()
    (ps_used, ps_total), (proc_used, proc_total) = ps.memory(), proc.memory()
    assert ps_total == proc_total
    assert abs(ps_used - proc_used) < 0.05 * ps_total
    ps_rss, proc_rss = ps.process_rss(), proc.process_rss()
    assert ps_rss and abs(ps_rss - proc_rss) < 0.2 * ps_rss
    ps_net, proc_net = ps.network(), proc.network()
    assert abs(ps_net[0] - proc_net[0]) < 10_000_000
    readings = {}
    for counters in (ps, proc):
        probe = Probe(counters)
        first = probe.read()
        sum(i * i for i in range(300_000))  # some CPU between the readings
        readings[counters.name] = metrics(probe.read(), first, first)
    assert set(readings["psutil"]) == set(readings["proc"]) == BASE_METRICS
    for values in readings.values():
        assert 0 <= values["system/cpu_utilization_percentage"] <= 100
        assert values["system/process_cpu_percentage"] > 0
        assert values["system/network_receive_megabytes"] >= 0


# -- GPUs -------------------------------------------------------------------------------------
def test_gpu_metrics_through_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    gpus = NvmlGpus(FakeNvml(2, no_power=(1,)))
    probe = Probe(ProcCounters(), gpus)
    first = probe.read()
    values = metrics(probe.read(), first, first)
    assert values["system/gpu_0_utilization_percentage"] == 40
    assert values["system/gpu_1_utilization_percentage"] == 41
    assert values["system/gpu_0_memory_usage_megabytes"] == 8000
    assert values["system/gpu_1_memory_usage_percentage"] == 20
    assert values["system/gpu_0_power_usage_watts"] == 350.5
    assert "system/gpu_1_power_usage_watts" not in values  # unsupported: left out, no error
    described = gpus.describe()
    assert described["gpu_driver"] == "550.54.15" and described["cuda_driver"] == "12.4"
    assert [g["name"] for g in described["gpus"]] == ["NVIDIA H100 80GB HBM3"] * 2


@pytest.mark.parametrize(("visible", "expected"), [
    ("1", [1]), ("1,0", [1, 0]), ("GPU-00f0", [0]), ("0,-1,1", [0]), ("7", []),
])
def test_cuda_visible_devices_chooses_the_gpus(monkeypatch: pytest.MonkeyPatch, visible: str,
                                               expected: list[int]) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert list(NvmlGpus(FakeNvml(2)).handles) == expected
    if not expected:
        nvml = FakeNvml(2)
        assert system_probes.open_gpus(nvml) is None and nvml.shut


def test_real_nvml_without_a_driver_means_no_gpu_and_no_warning() -> None:
    import pynvml  # noqa: F401 - nvidia-ml-py is a test dependency: the real bindings load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert system_probes.open_gpus() is None  # no NVIDIA driver on this machine
    assert caught == []


def test_hardware_record_and_summary() -> None:
    info = hardware.describe()
    assert info["cpu_count"] == os.cpu_count()
    assert info["memory_total_megabytes"] == round(ProcCounters().memory()[1] / 1e6)
    assert info["python"] == ".".join(map(str, os.sys.version_info[:3]))
    with_gpus = {**info, **NvmlGpus(FakeNvml(2)).describe(), "cuda": "12.4", "cudnn": 90100}
    text = hardware.summary(with_gpus)
    assert f"{os.cpu_count()} CPUs" in text
    assert "2 GPUs (NVIDIA H100 80GB HBM3, driver 550.54.15)" in text
    assert "CUDA 12.4" in text and "cuDNN 90100" in text


# -- the sampler and real runs ---------------------------------------------------------------
def _system(run: Run) -> dict[str, list[Any]]:
    return {k: v for k, v in run.metric_history.items() if is_system_metric(k)}


def _sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "autolog-system-metrics"]


def test_auto_skips_a_run_shorter_than_the_interval(store: LocalStore) -> None:
    autolog.enable(store=store.uri, system_metrics_interval=2)
    with autolog.start_run(name="short") as run:
        time.sleep(0.3)
    assert _system(run.get()) == {}


def test_auto_records_a_long_run_at_start_every_interval_and_at_end(store: LocalStore) -> None:
    autolog.enable(store=store.uri, system_metrics_interval=0.3)
    with autolog.start_run(name="long") as active:
        time.sleep(1.6)
    run = active.get()
    system = _system(run)
    assert set(system) == BASE_METRICS
    cpu = system["system/cpu_utilization_percentage"]
    steps = [m.step for m in cpu]
    assert steps == list(range(len(steps))) and len(steps) >= 4
    assert run.info.start_time <= cpu[0].timestamp <= run.info.start_time + 1500
    assert abs(cpu[-1].timestamp - run.info.end_time) < 500  # the last sample is the end
    for history in system.values():
        assert [m.step for m in history] == steps


def test_on_records_even_a_short_run_and_off_none(store: LocalStore) -> None:
    autolog.enable(store=store.uri, log_system_metrics="on")
    with autolog.start_run(name="instant") as instant:
        pass
    steps = [m.step for m in _system(instant.get())["system/process_memory_rss_megabytes"]]
    assert steps in ([0], [0, 1])  # ended before its start sample, or just after
    with autolog.start_run(name="quick") as quick:
        time.sleep(0.6)
    steps = [m.step for m in _system(quick.get())["system/process_memory_rss_megabytes"]]
    assert steps == [0, 1]  # start and end, the default interval (10 s) never reached
    autolog.enable(store=store.uri, log_system_metrics="off")
    with autolog.start_run(name="none") as none:
        time.sleep(0.2)
    assert _system(none.get()) == {}


def test_one_sampler_thread_serves_every_run_and_leaves(store: LocalStore) -> None:
    autolog.enable(store=store.uri, log_system_metrics="on", system_metrics_interval=0.2)
    runs = [autolog.start_run(name=f"r{i}", nested=False) for i in range(3)]
    time.sleep(0.7)
    assert len(_sampler_threads()) == 1
    for run in runs:
        run.end()
    autolog.flush()
    for run in runs:
        assert len(_system(run.get())["system/cpu_utilization_percentage"]) >= 3
    deadline = time.monotonic() + 5
    while _sampler_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sampler_threads() == []  # gone one interval after the last run ended


def test_gpu_samples_reach_the_run(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    autolog.enable(store=store.uri, log_system_metrics="off")
    sampler = Sampler(lambda: Probe(gpus=NvmlGpus(FakeNvml(1))))
    with autolog.start_run(name="gpu") as active:
        sampler.attach(active, always=True, interval=0.2)
        time.sleep(0.5)
        slot = sampler.detach(active)
        assert slot is not None
        store.log_batch(active.run_id, metrics=sampler.collect_end(slot))
    history = _system(active.get())
    utilization = history["system/gpu_0_utilization_percentage"]
    assert [m.value for m in utilization] == [40.0] * len(utilization)
    assert [m.step for m in utilization] == list(range(len(utilization))) and \
        len(utilization) >= 3
    assert {m.value for m in history["system/gpu_0_power_usage_watts"]} == {350.5}


def test_system_metrics_stay_out_of_headline_metrics() -> None:
    run = Run(info=RunInfo("a" * 32, "e", "n"),
              metrics={"system/cpu_utilization_percentage": 5.0, "training_score": 0.9,
                       "fit_time_s": 0.1})
    assert list(run.summary_metrics()) == ["training_score", "fit_time_s"]


def test_a_failing_probe_is_one_report_and_the_run_ends(store: LocalStore) -> None:
    def broken() -> Probe:
        raise RuntimeError("no counters on this machine")

    autolog.enable(store=store.uri, log_system_metrics="off")
    sampler = Sampler(broken)
    with autolog.start_run(name="broken") as active:
        sampler.attach(active, always=True, interval=0.1)
        time.sleep(0.3)
        slot = sampler.detach(active)
        assert slot is not None
        started = time.monotonic()
        assert sampler.collect_end(slot) == []
        assert time.monotonic() - started < 1  # answered, not timed out
    with pytest.raises(RuntimeError, match="no counters"):  # testing mode: raised at flush
        autolog.flush()
    assert active.get().status == "FINISHED" and _system(active.get()) == {}
