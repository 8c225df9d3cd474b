"""What system metrics cost: the sampler's CPU, and the training thread's time beside it.

Two measurements, side by side in one process, in alternating blocks:

1. **Sampler CPU.** An open run while the main thread sleeps, ``log_system_metrics`` ``on``
   against ``off``. Process CPU time counts everything system metrics add:
   the sampler thread reading the counters and the writer storing the values. Blocks at a
   short interval (``--fast-interval``, 0.1 s) give the cost per sample precisely; the CPU
   share at the default interval (10 s) is that cost times 0.1 samples per second. One block
   at the default interval itself (``--window`` seconds) checks it directly: the sampler
   thread's own CPU time (``Sampler.cpu_seconds``) over the window.
2. **Training thread.** A PyTorch loop (bench_torch's MLP: 20 -> 64 -> 1, 10,000 samples,
   batch 64, 3 epochs) with system metrics ``off``, ``on`` at the default interval, and ``on``
   at the fast interval (100 times the default rate: an upper bound that
   makes a cost visible). Per optimizer step: training-thread CPU time and wall time, medians
   over rounds, ratios to the adjacent ``off`` round.

Prints a table and writes ``benchmarks/results/bench_system_metrics.json``.

    python benchmarks/bench_system_metrics.py [--blocks 3] [--block-s 10] [--window 60]
                                              [--rounds 8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

DEFAULT_INTERVAL = 10.0


def _idle_block(store: str, mode: str, interval: float, seconds: float) -> dict[str, float]:
    """Sleep ``seconds`` in an open run, system metrics ``mode`` (on/off); CPU used meanwhile."""
    import autolog
    from autolog.context.sampler import get_sampler

    autolog.enable(store=store, log_system_metrics=mode, system_metrics_interval=interval)
    sampler = get_sampler()
    run = autolog.start_run(name="idle")
    autolog.flush()  # the run's creation and context are written before the clock starts
    readings, sampler_cpu = sampler.readings, sampler.cpu_seconds
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    run.end()
    autolog.flush()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    autolog.disable()
    return {"process_cpu_s": cpu, "wall_s": wall, "readings": sampler.readings - readings,
            "sampler_cpu_s": sampler.cpu_seconds - sampler_cpu}


def _sampler_cost(store: str, blocks: int, block_s: float, fast: float, window: float
                  ) -> dict[str, Any]:
    per_sample: list[float] = []
    rows = []
    for i in range(blocks):
        pair = {}
        for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
            pair[mode] = _idle_block(store, mode, fast, block_s)
        added = pair["on"]["process_cpu_s"] - pair["off"]["process_cpu_s"]
        per_sample.append(added / max(1, pair["on"]["readings"]))
        rows.append(pair)
    cost = statistics.median(per_sample)
    direct = _idle_block(store, "on", DEFAULT_INTERVAL, window)
    return {
        "fast_interval_s": fast, "blocks": rows,
        "cpu_ms_per_sample": cost * 1000,
        "percent_of_a_core_at_default_interval": cost / DEFAULT_INTERVAL * 100,
        "default_interval_window": direct,
        "sampler_thread_percent_at_default_interval":
            direct["sampler_cpu_s"] / direct["wall_s"] * 100,
    }


def _loop(seed: int) -> list[dict[str, float]]:
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(10_000, 20, generator=gen)
    y = X[:, :1] * 2 + 0.1 * torch.randn(10_000, 1, generator=gen)
    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True, generator=gen)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    model.train()
    epochs = []
    for _ in range(3):
        thread0, wall0, steps = time.thread_time(), time.perf_counter(), 0
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
            steps += 1
        epochs.append({"thread": time.thread_time() - thread0,
                       "wall": time.perf_counter() - wall0, "steps": steps})
    return epochs


def _training_cost(store: str, rounds: int, fast: float) -> dict[str, Any]:
    import torch

    import autolog

    torch.set_num_threads(1)
    modes = {"off": ("off", DEFAULT_INTERVAL), "on (10 s)": ("on", DEFAULT_INTERVAL),
             f"on ({fast:g} s)": ("on", fast)}
    per_step: dict[str, dict[str, list[float]]] = {m: {"thread": [], "wall": []} for m in modes}
    _loop(99)  # warm-up
    for round_ in range(rounds):
        order = list(modes) if round_ % 2 == 0 else list(reversed(modes))
        for mode in order:
            setting, interval = modes[mode]
            autolog.enable(store=store, log_system_metrics=setting,
                           system_metrics_interval=interval, log_models=False)
            epochs = _loop(round_)[1:]  # epochs 2-3: the run under way
            autolog.end_run()
            autolog.flush()
            autolog.disable()
            steps = sum(e["steps"] for e in epochs)
            for clock in ("thread", "wall"):
                per_step[mode][clock].append(sum(e[clock] for e in epochs) / steps * 1e6)
    table = {}
    for mode, clocks in per_step.items():
        table[mode] = {}
        for clock, values in clocks.items():
            ratios = [a / b for a, b in zip(values, per_step["off"][clock], strict=True)]
            table[mode][clock] = {"median_us": statistics.median(values),
                                  "ratio_to_off": statistics.median(ratios), "rounds": values}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--block-s", type=float, default=10.0)
    parser.add_argument("--fast-interval", type=float, default=0.1)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as store:
        sampler = _sampler_cost(store, args.blocks, args.block_s, args.fast_interval,
                                args.window)
        training = _training_cost(store, args.rounds, args.fast_interval)
    results = {"sampler": sampler, "training_thread_per_step": training}
    print(f"sampler: {sampler['cpu_ms_per_sample']:.3f} ms CPU per sample (sampler + writer), "
          f"i.e. {sampler['percent_of_a_core_at_default_interval']:.4f}% of one core at the "
          f"default {DEFAULT_INTERVAL:g} s interval (target < 0.5%)")
    direct = sampler["default_interval_window"]
    print(f"  direct, {direct['wall_s']:.0f} s at the default interval: "
          f"{direct['readings']} readings, sampler thread "
          f"{sampler['sampler_thread_percent_at_default_interval']:.4f}% of one core")
    print(f"\n{'PyTorch loop, per step':<24}{'thread CPU (us)':>16}{'ratio':>8}"
          f"{'wall (us)':>12}{'ratio':>8}")
    for mode, row in training.items():
        print(f"{mode:<24}{row['thread']['median_us']:>16.1f}"
              f"{row['thread']['ratio_to_off']:>8.3f}{row['wall']['median_us']:>12.1f}"
              f"{row['wall']['ratio_to_off']:>8.3f}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_system_metrics.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
