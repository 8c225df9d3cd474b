"""``autolog ui`` on a big local store, measured side by side in one run.

Builds a store of N runs (default 10,000; each with 6 params, 6 metrics, 20 steps of a loss
curve and 4 tags, written through the LocalStore API), then times requests to the app (Flask's
test client, no network) against the naive way of listing: reading every run whole with
``store.search_runs()``. Prints medians and ratios to that baseline and writes
``benchmarks/results/bench_ui.json``.

    python benchmarks/bench_ui.py [--runs 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autolog.runs import FINISHED, Metric, RunInfo, new_run_id
from autolog.stores.local import LocalStore
from autolog.ui.app import create_app


def build(store: LocalStore, runs: int) -> str:
    rng = random.Random(0)
    start = 1_700_000_000_000
    run_id = ""
    for i in range(runs):
        run_id = new_run_id()
        store.create_run(RunInfo(run_id, f"exp-{i % 5}", f"run-{i}", start_time=start + i))
        metrics = [Metric(f"m{k}", rng.random(), 0, start + i) for k in range(6)]
        metrics += [Metric("loss", 1 / (s + 1) + rng.random() / 10, s, start + i)
                    for s in range(20)]
        store.log_batch(run_id, params={f"p{k}": str(rng.randint(0, 9)) for k in range(6)},
                        metrics=metrics, tags={f"t{k}": "x" for k in range(4)})
        store.update_run(run_id, FINISHED, start + i + 1000)
    return run_id


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(Path(tmp) / "store")
        t0 = time.perf_counter()
        last = build(store, args.runs)
        print(f"built {args.runs} runs in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        client = create_app(store).test_client()

        def get(url: str) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        cases = {
            "baseline: search_runs() reads every run": lambda: store.search_runs(),
            "runs list, page 1": lambda: get("/runs"),
            "runs list, page 100": lambda: get("/runs?page=100"),
            "runs list, one experiment, status filter": lambda: get(
                "/runs?experiment=exp-1&status=FINISHED"),
            "experiments page": lambda: get("/"),
            "run page": lambda: get(f"/runs/{last}"),
        }
        # Sorting or filtering by a metric reads every run once (cold), then reuses the reads.
        cold = timed(lambda: get("/runs?sort=metrics.m0"), 1)
        cases["sort by metric (after the first)"] = lambda: get("/runs?sort=metrics.m0&page=3")
        cases["filter by param (after the first)"] = lambda: get("/runs?filter=params.p0%3D3")
        results = {name: statistics.median(timed(fn, args.repeat)) for name, fn in cases.items()}
        results["sort by metric (first, reads every run)"] = cold[0]
    base = results["baseline: search_runs() reads every run"]
    width = max(len(n) for n in results)
    print(f"{'case':<{width}}  {'median ms':>10}  {'x baseline':>10}")
    for name, ms in results.items():
        print(f"{name:<{width}}  {ms:>10.1f}  {ms / base:>10.3f}")
    out = Path(__file__).resolve().parent / "results" / "bench_ui.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": args.runs, "repeat": args.repeat, "median_ms": results,
                               "ratio_to_baseline": {k: v / base for k, v in results.items()}},
                              indent=1))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
