"""ONNX format cost: conversion and parity-check time on the writer, training-thread time.

Every workload trains repeatedly in one interpreter, the modes interleaved so that they run side
by side under the same conditions:

* ``off``    — autolog disabled (plain training);
* ``pickle`` — ``autolog.enable(format="pickle")``, the default;
* ``onnx``   — ``autolog.enable(format="onnx")``.

For each training the training-thread time (the ``fit`` call, or the training loop and the end
of its run) is measured apart from the writer's time (``autolog.flush()`` afterwards), and the
conversion and parity-check times are read from the model folder's ``metadata.onnx``. The
writer is drained before the next training starts. Prints medians and the ratios
``onnx / pickle`` and ``onnx / off`` of training-thread time, and writes
``benchmarks/results/bench_onnx.json``.

    python benchmarks/bench_onnx.py [--repeats 3] [--rows 20000] [--no-torch] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODES = ("off", "pickle", "onnx")


def sklearn_workloads(rows: int) -> dict[str, Callable[[], Callable[[], Any]]]:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from tests.model.onnx_cases import mixed_frame, sklearn_cases

    X, y = make_classification(n_samples=rows, n_features=20, n_informative=10,
                               random_state=0)
    frame, fy = mixed_frame(rows)
    mixed = next(c for c in sklearn_cases()
                 if c.name == "ColumnTransformer(OneHotEncoder) + LogisticRegression")

    def fit(make: Callable[[], Any], data: Any, target: Any) -> Callable[[], Callable[[], Any]]:
        return lambda: (lambda: make().fit(data, target))

    return {
        "LogisticRegression": fit(lambda: LogisticRegression(max_iter=300), X, y),
        "RandomForestClassifier(50)": fit(
            lambda: RandomForestClassifier(50, random_state=0, n_jobs=1), X, y),
        "HistGradientBoostingClassifier(50)": fit(
            lambda: HistGradientBoostingClassifier(max_iter=50, random_state=0), X, y),
        "Pipeline(StandardScaler, LogisticRegression)": fit(
            lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)), X, y),
        "ColumnTransformer mixed DataFrame": fit(lambda: mixed.build(10)[0], frame, fy),
    }


def torch_workloads(rows: int) -> dict[str, Callable[[], Callable[[], Any]]]:
    import torch

    import autolog
    from tests.model.onnx_cases import torch_cases, train_torch

    cases = {c.name: c for c in torch_cases()}

    def loop(name: str, n: int) -> Callable[[], Callable[[], Any]]:
        def prepare() -> Callable[[], Any]:
            torch.manual_seed(0)
            model, X, y = cases[name].build(n)

            def run() -> None:
                if autolog.is_enabled():
                    with autolog.start_run(name=name):
                        train_torch(model, X, y, epochs=2, batch_size=256)
                else:
                    train_torch(model, X, y, epochs=2, batch_size=256)

            return run

        return prepare

    return {"torch MLP + BatchNorm1d + Dropout": loop("MLP + BatchNorm1d + Dropout", rows),
            "torch CNN + BatchNorm2d + Dropout": loop("CNN + BatchNorm2d + Dropout",
                                                      rows // 5)}


def _set_mode(mode: str, store: str) -> None:
    import autolog

    if mode == "off":
        if autolog.is_enabled():
            autolog.disable()
    else:
        autolog.enable(store=store, format=mode, silent=True)


def _onnx_report(store: str) -> dict[str, Any]:
    """``metadata.onnx`` of the one model folder in ``store``."""
    from autolog.model.folder import read_model_folder
    from autolog.stores.local import LocalStore

    runs = LocalStore(store).search_runs()
    if len(runs) != 1 or not runs[0].model_path:
        return {}
    report: dict[str, Any] = read_model_folder(runs[0].model_path).metadata.get("onnx", {})
    return report


def measure(name: str, prepare: Callable[[], Callable[[], Any]], repeats: int,
            root: str) -> dict[str, Any]:
    import autolog

    samples: dict[str, dict[str, list[float]]] = {
        m: {"train_ms": [], "writer_ms": []} for m in MODES}
    conversion, parity, status = [], [], []
    for rep in range(repeats + 1):  # the first round warms imports and caches up
        order = MODES[rep % len(MODES):] + MODES[:rep % len(MODES)]
        for mode in order:
            store = str(Path(root) / f"{rep}-{mode}")
            _set_mode(mode, store)
            run = prepare()
            t0 = time.perf_counter()
            run()
            t1 = time.perf_counter()
            autolog.flush()
            t2 = time.perf_counter()
            if rep == 0:
                continue
            samples[mode]["train_ms"].append((t1 - t0) * 1000)
            samples[mode]["writer_ms"].append((t2 - t1) * 1000)
            if mode == "onnx":
                report = _onnx_report(store)
                status.append(report.get("status", "?"))
                conversion.append(report.get("conversion_time_s", float("nan")) * 1000)
                parity.append(report.get("parity_time_s", float("nan")) * 1000)
    med = {m: {k: statistics.median(v) for k, v in s.items()} for m, s in samples.items()}
    return {
        "workload": name, "repeats": repeats, "modes": med,
        "onnx_status": sorted(set(status)),
        "conversion_ms": statistics.median(conversion),
        "parity_ms": statistics.median(parity),
        "train_ratio_onnx_vs_pickle": med["onnx"]["train_ms"] / med["pickle"]["train_ms"],
        "train_ratio_onnx_vs_off": med["onnx"]["train_ms"] / med["off"]["train_ms"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--only", default="", help="run the workloads whose name contains this")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import autolog

    workloads = sklearn_workloads(args.rows)
    if not args.no_torch:
        workloads.update(torch_workloads(args.rows))
    workloads = {k: v for k, v in workloads.items() if args.only.lower() in k.lower()}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, prepare in workloads.items():
            results.append(measure(name, prepare, args.repeats, str(Path(tmp) / name)))
            r = results[-1]
            print(f"{name}: train off {r['modes']['off']['train_ms']:.1f} ms, "
                  f"pickle {r['modes']['pickle']['train_ms']:.1f} ms, "
                  f"onnx {r['modes']['onnx']['train_ms']:.1f} ms", file=sys.stderr)
        if autolog.is_enabled():
            autolog.disable()
    header = (f"{'workload':<45} {'train off':>9} {'pickle':>8} {'onnx':>8} {'onnx/pkl':>8} "
              f"{'onnx/off':>8} {'convert':>8} {'parity':>7} {'writer pkl':>10} "
              f"{'writer onnx':>11}  status")
    print(header)
    print("-" * len(header))
    for r in results:
        m = r["modes"]
        print(f"{r['workload']:<45} {m['off']['train_ms']:>7.1f}ms "
              f"{m['pickle']['train_ms']:>6.1f}ms {m['onnx']['train_ms']:>6.1f}ms "
              f"{r['train_ratio_onnx_vs_pickle']:>8.3f} "
              f"{r['train_ratio_onnx_vs_off']:>8.3f} {r['conversion_ms']:>6.1f}ms "
              f"{r['parity_ms']:>5.1f}ms {m['pickle']['writer_ms']:>8.1f}ms "
              f"{m['onnx']['writer_ms']:>9.1f}ms  {','.join(r['onnx_status'])}")
    out = ROOT / "benchmarks" / "results" / "bench_onnx.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    import platform

    out.write_text(json.dumps({"rows": args.rows, "repeats": args.repeats,
                               "machine": platform.platform(), "python": platform.python_version(),
                               "results": results}, indent=1))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
