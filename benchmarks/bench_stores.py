"""Stores side by side: runs per second through the background writer, and training-thread time.

Each mode runs in its own fresh interpreter on the same workload: ``--runs`` autologged
``LogisticRegression`` fits on 500x10, each inside ``autolog.start_run()`` with two extra
metrics, so that every run has its params, 10 metrics and a small model folder.

* ``none``          — plain scikit-learn (training-thread baseline);
* ``local``         — autolog into a local store;
* ``mlflow``        — autolog into an MLflow tracking server (``mlflow server``, SQLite backend,
  local artifact folder, started here on a free loopback port);
* ``mlflow-native`` — MLflow's own ``mlflow.sklearn.autolog()`` into the same server, for
  reference (it logs on the training thread; ``--native-runs`` runs, as each takes seconds).

Prints, per mode, the median training-thread time of one run (wall clock, and the thread's own
CPU time, which leaves out waiting for the GIL or for a CPU the writer or the server holds) with
its ratio to ``none``, and the runs per second from the first fit until every record is written
(``autolog.flush()``), and for the MLflow modes the HTTP requests per run (target: at least
30 runs per second into the MLflow server); writes ``benchmarks/results/bench_stores.json``.

    python benchmarks/bench_stores.py [--runs 30] [--rounds 2] [--native-runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RUNS_PER_S = 30.0

WORKER = r'''
import json, statistics, sys, time, warnings, logging
warnings.simplefilter("ignore")
mode, runs, store, experiment = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
if mode in ("local", "mlflow"):
    import autolog
    autolog.enable(store=store, experiment=experiment)
elif mode == "mlflow-native":
    import mlflow, mlflow.sklearn
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(store)
    mlflow.set_experiment(experiment)
    mlflow.sklearn.autolog(silent=True)

X, y = make_classification(n_samples=500, n_features=10, random_state=0)
requests_made = [0]
if mode in ("mlflow", "mlflow-native"):
    import requests
    _request = requests.Session.request

    def counted(self, *args, **kwargs):
        requests_made[0] += 1
        return _request(self, *args, **kwargs)

    requests.Session.request = counted

def one_run():
    """Wall and CPU seconds of the training thread for one run."""
    t0, c0 = time.perf_counter(), time.thread_time()
    if mode in ("local", "mlflow"):
        with autolog.start_run(name="bench") as run:
            LogisticRegression(max_iter=200).fit(X, y)
            run.log_metrics({"extra_a": 1.0, "extra_b": 2.0})
    elif mode == "mlflow-native":
        with mlflow.start_run(run_name="bench"):
            LogisticRegression(max_iter=200).fit(X, y)
            mlflow.log_metrics({"extra_a": 1.0, "extra_b": 2.0})
    else:
        LogisticRegression(max_iter=200).fit(X, y)
    return time.perf_counter() - t0, time.thread_time() - c0

def flush():
    if mode in ("local", "mlflow"):
        autolog.flush()

one_run(); flush()  # warm-up: imports, caches, the experiment, the connection
requests_made[0] = 0
wall_s, cpu_s = [], []
start = time.perf_counter()
for _ in range(runs):
    wall, cpu = one_run()
    wall_s.append(wall); cpu_s.append(cpu)
flush()
total = time.perf_counter() - start
requests_per_run = requests_made[0] / runs
if mode in ("local", "mlflow"):
    recorded = autolog.search_runs(experiment)
    n_recorded = len(recorded)
    metrics = len(autolog.get_run(recorded[0].run_id).metrics)
    with_model = sum(1 for r in recorded if "model" in autolog.get_run(r.run_id).artifacts)
elif mode == "mlflow-native":
    found = mlflow.search_runs(experiment_names=[experiment])
    n_recorded, with_model = len(found), len(found)
    metrics = sum(1 for c in found.columns if c.startswith("metrics."))
else:
    n_recorded = metrics = with_model = 0
print(json.dumps({"thread_ms": statistics.median(wall_s) * 1000,
                  "thread_cpu_ms": statistics.median(cpu_s) * 1000,
                  "runs_per_s": runs / total, "total_s": total, "runs_recorded": n_recorded,
                  "requests_per_run": requests_per_run,
                  "metrics_per_run": metrics, "runs_with_model": with_model}))
'''


def run_mode(mode: str, runs: int, store: str, experiment: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLOG", "MLFLOW_"))}
    # One BLAS thread: the thread CPU clock then sees all of a fit's work.
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", WORKER, mode, str(runs), store, experiment],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"mode {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2,
                        help="Each mode runs this many times, interleaved; the best is kept.")
    parser.add_argument("--native-runs", type=int, default=5,
                        help="Runs of mlflow.sklearn.autolog (seconds each); 0 skips it.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.stores.servers import start_mlflow_server

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_mlflow_server(Path(tmp) / "server")
        try:
            stores = {"none": "", "local": str(Path(tmp) / "local"), "mlflow": server.uri}
            for round_ in range(args.rounds):
                for mode, store in stores.items():
                    r = run_mode(mode, args.runs, store, f"bench-{mode}-{round_}")
                    best = results.setdefault(mode, r)
                    for key in ("thread_ms", "thread_cpu_ms"):
                        best[key] = min(best[key], r[key])
                    best["runs_per_s"] = max(best["runs_per_s"], r["runs_per_s"])
            if args.native_runs:
                results["mlflow-native"] = run_mode("mlflow-native", args.native_runs,
                                                    server.uri, "bench-mlflow-native")
        finally:
            server.stop()
    base = results["none"]["thread_ms"]
    print(f"{args.runs} runs per mode, best of {args.rounds} rounds (LogisticRegression "
          "500x10, params, 10 metrics, model)\n")
    base_cpu = results["none"]["thread_cpu_ms"]
    print(f"{'mode':<15}{'thread wall ms':>15}{'vs none':>9}{'thread CPU ms':>15}{'vs none':>9}"
          f"{'runs/s':>9}{'recorded':>10}{'metrics':>9}{'models':>8}")
    for mode, r in results.items():
        print(f"{mode:<15}{r['thread_ms']:>15.2f}{r['thread_ms'] / base:>8.2f}x"
              f"{r['thread_cpu_ms']:>15.2f}{r['thread_cpu_ms'] / base_cpu:>8.2f}x"
              f"{r['runs_per_s']:>9.1f}{r['runs_recorded']:>10.0f}"
              f"{r['metrics_per_run']:>9.0f}{r['runs_with_model']:>8.0f}")
    local, remote = results["local"], results["mlflow"]
    print(f"\ntraining thread CPU, MLflow store / local store: "
          f"{remote['thread_cpu_ms'] / local['thread_cpu_ms']:.2f}x (should be ~1: the writer "
          "uploads)")
    print(f"training thread wall, MLflow store / local store: "
          f"{remote['thread_ms'] / local['thread_ms']:.2f}x (includes waiting for the GIL and "
          "for CPUs shared with the writer and, here, the server)")
    print(f"runs/s written, MLflow store / local store: "
          f"{remote['runs_per_s'] / local['runs_per_s']:.2f}x")
    print(f"MLflow store: {remote['runs_per_s']:.1f} runs/s written by the writer (target >= "
          f"{TARGET_RUNS_PER_S:g}), {remote['requests_per_run']:.1f} requests per run")
    if "mlflow-native" in results:
        native = results["mlflow-native"]
        print(f"training thread wall, mlflow.sklearn.autolog ({args.native_runs} runs) / "
              f"autolog with the MLflow store: {native['thread_ms'] / remote['thread_ms']:.1f}x")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_stores.json").write_text(json.dumps(
        {"runs": args.runs, "rounds": args.rounds, "native_runs": args.native_runs,
         "cpus": os.cpu_count(), **results}, indent=2))


if __name__ == "__main__":
    main()
