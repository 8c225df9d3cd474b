"""PyTorch autologging overhead per training step, measured side by side in one process.

Workload (the issue's): a 2-layer MLP (20 -> 64 -> 1) trained for 3 epochs on 10,000 random
samples, batch 64, SGD, MSE loss, with the ordinary loop (DataLoader, ``model.train()``,
per-epoch validation under ``model.eval()``).

Rounds alternate between plain PyTorch (``none``) and ``autolog.enable()`` (``autolog``; the
round ends with ``autolog.end_run()`` and ``autolog.flush()``, timed apart from the loop), in
the order none, autolog, autolog, none, ... so that both modes see the same machine state;
``autolog.disable()`` restores every patch before each ``none`` round.

Per-step time is an epoch's time over its optimizer steps (data loading and the validation
pass included), measured as CPU time of the training thread: it does not count time the
thread waits for a busy machine, so it stays steady on a shared one. Two figures:

* **per step** (the target): epochs 2 and 3, when the run is under way — what every step costs;
* **whole loop**: all 3 epochs, so also the run's start (the first step records params, the
  model summary, the input example) and the writer thread starting to write the run, spread
  over only 471 steps.

Process CPU time (adds autolog's background writer) and wall time of the whole loop are
reported too. Ratios are medians over rounds of autolog's time over the adjacent plain round's.

With a CUDA device, the same loop also runs on the GPU under
``torch.cuda.set_sync_debug_mode("error")`` with autolog on: any host-device synchronization
that autolog caused would raise there.

Prints a table and writes ``benchmarks/results/bench_torch.json``.

    python benchmarks/bench_torch.py [--rounds 16] [--threads 1]
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

SAMPLES, FEATURES, HIDDEN, BATCH, EPOCHS = 10_000, 20, 64, 64, 3
CLOCKS = ("thread", "process", "wall")


def _now() -> dict[str, float]:
    return {"thread": time.thread_time(), "process": time.process_time(),
            "wall": time.perf_counter()}


def _loop(device: str, seed: int) -> list[dict[str, float]]:
    """Train once; per epoch, the seconds on each clock and the optimizer steps."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(SAMPLES, FEATURES, generator=gen)
    y = X[:, :1] * 2 + 0.1 * torch.randn(SAMPLES, 1, generator=gen)
    Xv, yv = X[:500].to(device), y[:500].to(device)
    loader = DataLoader(TensorDataset(X, y), batch_size=BATCH, shuffle=True, generator=gen)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    epochs = []
    model.train()
    for _ in range(EPOCHS):
        started, steps = _now(), 0
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            steps += 1
        model.eval()
        with torch.no_grad():
            loss_fn(model(Xv), yv)
        model.train()
        if device == "cuda":
            torch.cuda.synchronize()
        ended = _now()
        epochs.append({**{c: ended[c] - started[c] for c in CLOCKS}, "steps": steps})
    return epochs


def _per_step_us(epochs: list[dict[str, float]], clock: str) -> float:
    return sum(e[clock] for e in epochs) / sum(e["steps"] for e in epochs) * 1e6


def _cuda_check(store: str) -> dict[str, Any]:
    """The loop on CUDA with sync_debug_mode("error") and autolog on."""
    import torch

    import autolog

    if not torch.cuda.is_available():
        return {"ran": False, "reason": "no CUDA device"}
    autolog.enable(store=store)
    _loop("cuda", seed=0)  # warm-up: CUDA context, kernels
    autolog.end_run()
    autolog.flush()
    torch.cuda.set_sync_debug_mode("error")
    try:
        epochs = _loop("cuda", seed=1)
        autolog.end_run()  # snapshot and epoch metrics: copies that must not synchronize
    except RuntimeError as exc:
        return {"ran": True, "ok": False, "error": str(exc)[:500]}
    finally:
        torch.cuda.set_sync_debug_mode("default")
    autolog.flush()
    run = autolog.search_runs(max_results=1)[0]
    autolog.disable()
    return {"ran": True, "ok": True, "device": torch.cuda.get_device_name(),
            "wall_step_us": _per_step_us(epochs, "wall"),
            "epochs_logged": run.params.get("epochs"), "model_logged": run.model_path is not None,
            "train_loss": [m.value for m in run.metric_history.get("train_loss", [])]}


def _median_ratio(on: list[float], off: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(on, off, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (1 keeps the timing steady)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import torch

    import autolog

    torch.set_num_threads(args.threads)
    measures = {  # name -> (epochs, clock)
        "per step (epochs 2-3), training-thread CPU": (slice(1, None), "thread"),
        "whole loop, training-thread CPU": (slice(None), "thread"),
        "whole loop, process CPU": (slice(None), "process"),
        "whole loop, wall time": (slice(None), "wall"),
    }
    values: dict[str, dict[str, list[float]]] = {m: {"none": [], "autolog": []}
                                                 for m in measures}
    end_ms: list[float] = []
    flush_ms: list[float] = []
    with tempfile.TemporaryDirectory() as store:
        _loop("cpu", seed=99)  # warm-up
        for round_ in range(args.rounds):
            for mode in ("none", "autolog") if round_ % 2 == 0 else ("autolog", "none"):
                if mode == "autolog":
                    autolog.enable(store=store)
                epochs = _loop("cpu", seed=round_)
                for name, (which, clock) in measures.items():
                    values[name][mode].append(_per_step_us(epochs[which], clock))
                if mode == "autolog":
                    t0 = time.perf_counter()
                    autolog.end_run()
                    t1 = time.perf_counter()
                    autolog.flush()
                    t2 = time.perf_counter()
                    end_ms.append((t1 - t0) * 1000)
                    flush_ms.append((t2 - t1) * 1000)
                    autolog.disable()
        cuda = _cuda_check(store)
    table = {name: {"none_us": statistics.median(v["none"]),
                    "autolog_us": statistics.median(v["autolog"]),
                    "ratio": _median_ratio(v["autolog"], v["none"]),
                    "rounds": v} for name, v in values.items()}
    target = table["per step (epochs 2-3), training-thread CPU"]
    results = {
        "workload": {"samples": SAMPLES, "features": FEATURES, "hidden": HIDDEN,
                     "batch": BATCH, "epochs": EPOCHS, "rounds": args.rounds,
                     "threads": args.threads, "torch": torch.__version__},
        "measures": table,
        "added_percent_per_step": (target["ratio"] - 1) * 100,
        "end_run_ms": statistics.median(end_ms),
        "flush_ms": statistics.median(flush_ms),
        "cuda_sync_debug_check": cuda,
    }
    print(f"{'median time per optimizer step':<44}{'none (us)':>11}{'autolog (us)':>14}"
          f"{'ratio':>8}")
    for name, row in table.items():
        print(f"{name:<44}{row['none_us']:>11.1f}{row['autolog_us']:>14.1f}{row['ratio']:>8.3f}")
    print(f"\nautolog adds {results['added_percent_per_step']:+.2f}% per step (target < 3%). "
          f"end_run() takes {results['end_run_ms']:.1f} ms on the training thread, the writer "
          f"{results['flush_ms']:.1f} ms more.")
    print("CUDA loop under sync_debug_mode('error'):",
          "skipped (" + cuda["reason"] + ")" if not cuda["ran"]
          else ("ok" if cuda["ok"] else "FAILED: " + cuda["error"]))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_torch.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
