"""Interpreter start-up cost of the AUTOLOG start-up hook, and ``import autolog`` time.

Measured side by side in one run, alternating the interpreters so that machine noise hits
both alike:

* ``python -c pass`` in two fresh virtual environments made from the same base Python, one
  empty and one with the autolog-ml wheel installed (no dependencies: with ``AUTOLOG`` unset the
  hook must not import anything), ``AUTOLOG`` unset. Target: under 1 ms added.
* the hook's ``.pth`` line alone, executed in-process with ``AUTOLOG`` unset (microseconds).
* ``python -c "import autolog"`` versus ``python -c pass`` in this environment (target: under
  30 ms), the same with ``AUTOLOG=1`` at start-up, and ``import mlflow`` for scale.

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
    imports = _alternate({
        "pass": ([here, "-c", "pass"], _clean_env()),
        "import autolog": ([here, "-c", "import autolog"], _clean_env()),
        "AUTOLOG=1 pass": ([here, "-c", "pass"], _clean_env(AUTOLOG="1")),
    }, max(args.repeat // 4, 10))
    if not args.no_mlflow:
        try:
            import importlib.util

            if importlib.util.find_spec("mlflow") is not None:
                imports["import mlflow"] = [
                    _time_ms([here, "-c", "import mlflow"], _clean_env()) for _ in range(3)]
        except ImportError:
            pass

    base, hooked_ms = _med(startup["bare venv"]), _med(startup["venv + autolog-ml"])
    added = hooked_ms - base
    import_ms = _med(imports["import autolog"]) - _med(imports["pass"])
    activate_ms = _med(imports["AUTOLOG=1 pass"]) - _med(imports["pass"])
    results.update({
        "startup_ms": {k: {"median": _med(v), "mean": statistics.fmean(v)}
                       for k, v in startup.items()},
        "startup_added_ms": added,
        "startup_ratio": hooked_ms / base,
        "pth_line_us": pth_us,
        "this_env_ms": {k: _med(v) for k, v in imports.items()},
        "import_autolog_ms": import_ms,
        "autolog_1_startup_ms": activate_ms,
    })

    print(f"{'measure':<58}{'median ms':>12}{'ratio':>8}")
    for name, values in startup.items():
        print(f"{'python -c pass, ' + name:<58}{_med(values):>12.2f}{_med(values) / base:>8.3f}")
    print(f"{'  added by the hook (AUTOLOG unset; target < 1 ms)':<58}{added:>12.3f}")
    print(f"{'  the .pth line alone, in-process (ms)':<58}{pth_us / 1000:>12.4f}")
    ref = _med(imports["pass"])
    for name, values in imports.items():
        print(f"{'this env: python -c ' + repr(name):<58}{_med(values):>12.1f}"
              f"{_med(values) / ref:>8.2f}")
    print(f"\n`import autolog` adds {import_ms:.1f} ms (target < 30 ms); AUTOLOG=1 adds "
          f"{activate_ms:.1f} ms to a start-up; the unset hook adds {added:.3f} ms "
          f"(ratio {hooked_ms / base:.3f}; the .pth line itself {pth_us:.1f} us).")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_startup.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
