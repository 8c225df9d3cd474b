"""A PyTorch training loop of a few seconds records the machine's load as it trains."""

from __future__ import annotations

import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import autolog
from autolog.runs import is_system_metric
from autolog.stores.local import LocalStore


def _train_for(seconds: float) -> int:
    """An ordinary loop over a DataLoader until ``seconds`` have passed; the epochs run."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(2048, 32, generator=gen)
    y = X @ torch.randn(32, 1, generator=gen)
    model = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    model.train()
    epochs = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
        epochs += 1
    autolog.end_run()
    return epochs


def test_a_training_loop_of_a_few_seconds_has_system_metrics(store: LocalStore) -> None:
    autolog.enable(store=store.uri, system_metrics_interval=0.5, log_models=False)
    epochs = _train_for(3.0)
    autolog.flush()
    (run,) = store.search_runs()
    assert len(run.metric_history["train_loss"]) == epochs
    cpu = run.metric_history["system/cpu_utilization_percentage"]
    steps = [m.step for m in cpu]
    assert steps == list(range(len(steps))) and len(steps) >= 5
    assert run.info.start_time <= cpu[0].timestamp < run.info.start_time + 1000
    assert abs(cpu[-1].timestamp - run.info.end_time) < 1000  # the end sample
    own = run.metric_history["system/process_cpu_percentage"]
    assert max(m.value for m in own[1:]) > 20  # the training thread keeps a core busy
    assert all(0 < m.value for m in run.metric_history["system/process_memory_rss_megabytes"])
    assert "train_loss" in run.summary_metrics(10)
    assert not any(is_system_metric(k) for k in run.summary_metrics(10))


def test_a_short_loop_is_sampled_at_start_and_end(store: LocalStore) -> None:
    # log_system_metrics=auto and the default 10 s interval: PyTorch runs are sampled anyway.
    autolog.enable(store=store.uri, log_models=False)
    _train_for(0.6)
    autolog.flush()
    (run,) = store.search_runs()
    assert [m.step for m in run.metric_history["system/disk_usage_percentage"]] == [0, 1]
