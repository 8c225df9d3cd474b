"""Interpreter start-up cost of the AUTOLOG start-up hook, and ``import autolog`` time.

Measured side by side in one run, alternating the interpreters so that machine noise hits
all alike; each figure is the median of the paired differences (a command minus the
``python -c pass`` run next to it):

* ``python -c pass`` in two fresh virtual environments made from the same base Python, one
  empty and one with the autolog-ml wheel installed (no dependencies: with ``AUTOLOG`` unset the
  hook must not import anything), ``AUTOLOG`` unset. Target: under 1 ms added.
* the hook's ``.pth`` line alone, executed in-process with ``AUTOLOG`` unset (microseconds).
* in *this* environment (which has torch, scikit-learn and mlflow installed, as the target
  asks): ``AUTOLOG=1 python -c pass`` (target: at most 30 ms added), ``import autolog``, and
  for scale MLflow's equivalent, ``import mlflow; mlflow.autolog()``; then what turning on costs
  once the framework is imported: ``import sklearn`` and ``import torch`` with and without
  ``AUTOLOG=1`` (the patches are applied then).

Prints a table and writes ``benchmarks/results/bench_startup.json``.

    python benchmarks/bench_startup.py [--repeat 200] [--no-mlflow]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 30.0


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    env.update(extra)
    return env


def _time_ms(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def _alternate(commands: dict[str, tuple[list[str], dict[str, str]]],
               repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv, env in commands.values():  # warm the file cache once
        _time_ms(argv, env)
    for _ in range(repeat):
        for name, (argv, env) in commands.items():
            times[name].append(_time_ms(argv, env))
    return times


def _build_wheel(out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(out)], check=True)
    return next(out.glob("autolog_ml-*.whl"))


def _make_venvs(tmp: Path, wheel: Path) -> tuple[Path, Path]:
    bare, hooked = tmp / "bare", tmp / "with-autolog"
    for venv in (bare, hooked):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(_python(hooked)), "-q",
                    "install", "--no-deps", str(wheel)], check=True)
    return _python(bare), _python(hooked)


def _pth_line_us(wheel: Path) -> float:
    with zipfile.ZipFile(wheel) as archive:
        line = archive.read("autolog-ml.pth").decode().strip()
    saved = os.environ.pop("AUTOLOG", None)
    try:
        code = compile(line, "autolog-ml.pth", "exec")  # site.py compiles each line too
        n = 100_000
        per_call = timeit.timeit(lambda: exec(line, {}), number=n) / n
        exec_only = timeit.timeit(lambda: exec(code, {}), number=n) / n
    finally:
        if saved is not None:
            os.environ["AUTOLOG"] = saved
    return max(per_call, exec_only) * 1e6


def _med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()

    results: dict[str, object] = {"python": sys.version.split()[0], "repeat": args.repeat}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wheel = _build_wheel(tmp / "wheel")
        bare, hooked = _make_venvs(tmp, wheel)
        startup = _alternate({
            "bare venv": ([str(bare), "-c", "pass"], _clean_env()),
            "venv + autolog-ml": ([str(hooked), "-c", "pass"], _clean_env()),
        }, args.repeat)
        pth_us = _pth_line_us(wheel)

    here = sys.executable
    pairs = {  # name -> (code, extra environment), each run next to "python -c pass"
        "AUTOLOG=1 python -c pass": ("pass", {"AUTOLOG": "1"}),
        "python -c 'import autolog'": ("import autolog", {}),
        "python -c 'import sklearn'": ("import sklearn", {}),
        "AUTOLOG=1 python -c 'import sklearn'": ("import sklearn", {"AUTOLOG": "1"}),
        "python -c 'import torch'": ("import torch", {}),
        "AUTOLOG=1 python -c 'import torch'": ("import torch", {"AUTOLOG": "1"}),
    }
    if not args.no_mlflow:
        import importlib.util

        if importlib.util.find_spec("mlflow") is not None:
            pairs["python -c 'import mlflow; mlflow.autolog()'"] = (
                "import logging; logging.disable(logging.WARNING); import mlflow; "
                "mlflow.autolog(silent=True)", {})
    # Light and heavy commands in separate loops: a 2-second import next to it would make
    # every "python -c pass" slower (caches, the machine's other work), and the difference
    # that the target is about is a few milliseconds.
    light = {k: v for k, v in pairs.items() if "sklearn" not in k and "torch" not in k
             and "mlflow" not in k}
    heavy = {k: v for k, v in pairs.items() if k not in light}
    added: dict[str, list[float]] = {name: [] for name in pairs}
    base_ms: list[float] = []
    for group, repeat in ((light, max(args.repeat // 4, 20)), (heavy, max(args.repeat // 40, 5))):
        for code, extra in group.values():
            _time_ms([here, "-c", code], _clean_env(**extra))  # warm the file cache once
        for _ in range(repeat):
            for name, (code, extra) in group.items():
                base = _time_ms([here, "-c", "pass"], _clean_env())
                if group is light:
                    base_ms.append(base)
                added[name].append(_time_ms([here, "-c", code], _clean_env(**extra)) - base)

    base, hooked_ms = _med(startup["bare venv"]), _med(startup["venv + autolog-ml"])
    hook_added = hooked_ms - base
    table = {name: _med(values) for name, values in added.items()}
    activate_ms = table["AUTOLOG=1 python -c pass"]
    sklearn_on = (table["AUTOLOG=1 python -c 'import sklearn'"]
                  - table["python -c 'import sklearn'"])
    torch_on = table["AUTOLOG=1 python -c 'import torch'"] - table["python -c 'import torch'"]
    results.update({
        "startup_ms": {k: {"median": _med(v), "mean": statistics.fmean(v)}
                       for k, v in startup.items()},
        "startup_added_ms": hook_added,
        "startup_ratio": hooked_ms / base,
        "pth_line_us": pth_us,
        "python_pass_ms": _med(base_ms),
        "added_ms": table,
        "autolog_1_startup_ms": activate_ms,
        "import_autolog_ms": table["python -c 'import autolog'"],
        "autolog_1_sklearn_import_added_ms": sklearn_on,
        "autolog_1_torch_import_added_ms": torch_on,
        "target_autolog_1_ms": TARGET_MS,
    })

    print(f"{'measure':<58}{'median ms':>12}{'ratio':>8}")
    for name, values in startup.items():
        print(f"{'python -c pass, ' + name:<58}{_med(values):>12.2f}{_med(values) / base:>8.3f}")
    print(f"{'  added by the hook (AUTOLOG unset; target < 1 ms)':<58}{hook_added:>12.3f}")
    print(f"{'  the .pth line alone, in-process (ms)':<58}{pth_us / 1000:>12.4f}")
    print(f"\nthis environment (torch, scikit-learn, mlflow installed); python -c pass "
          f"{_med(base_ms):.1f} ms; added to it:")
    print(f"{'command':<58}{'added ms':>10}{'target':>10}")
    for name, value in table.items():
        target = f"<= {TARGET_MS:g}" if name == "AUTOLOG=1 python -c pass" else ""
        print(f"{name:<58}{value:>10.1f}{target:>10}")
    print(f"(AUTOLOG=1 with the import of sklearn / torch, i.e. the patching, {sklearn_on:+.0f} "
          f"/ {torch_on:+.0f} ms: within the noise of {max(args.repeat // 40, 5)} runs of "
          "2-second imports)")
    print(f"\nAUTOLOG=1 adds {activate_ms:.1f} ms to a start-up that trains nothing (target <= "
          f"{TARGET_MS:g} ms); the unset hook adds {hook_added:.3f} ms (the .pth line itself "
          f"{pth_us:.1f} us).")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_startup.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
