"""Run training scripts with and without ``AUTOLOG=1`` and compare; summarize what was recorded.

Each script runs twice in a fresh interpreter of this venv, in its own folder, with the
arguments given: once plain, once with ``AUTOLOG=1`` and a temporary store. The exit codes must
be equal and so must stdout; a script that prints timings is compared with numbers next to
``s``/``ms``/``sec``/``time`` masked (the table says so). Then the store is read: runs, their
model classes, model folders, child runs, and the AutologWarnings on stderr.

As a module it writes a Markdown table, for any folder of scripts (e.g. a checkout of
scikit-learn's ``examples/`` or of pytorch/examples)::

    python -m tests.third_party.runner --table docs/third_party_scripts.md \\
        --name "scikit-learn gallery" path/to/plot_x.py path/to/plot_y.py ...

``tests/third_party/test_scripts.py`` runs the project's own scripts in CI with it.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Numbers that are timings: "1.23s", "12 ms", "time: 0.5", "took 3.2 sec", "(0.01 s)".
_TIMING = re.compile(r"(\d+(\.\d+)?(e-?\d+)?)(\s*(s|ms|sec|secs|seconds|µs|us)\b)|"
                     r"((time|took|elapsed|duration)[^\d\n]{0,20})(\d+(\.\d+)?)",
                     re.IGNORECASE)


def mask_timings(text: str) -> str:
    """``text`` with timings replaced by ``<t>`` and runs of blanks made one (a timing
    printed in a fixed width takes one more or one fewer leading blank)."""
    masked = _TIMING.sub(lambda m: "<t>" + (m.group(4) or "") if m.group(1)
                         else m.group(6) + "<t>", text)
    return re.sub(r"[ \t]+", " ", masked)


@dataclass
class Outcome:
    """One script, run twice."""

    script: str
    exit_plain: int
    exit_autolog: int
    same_output: bool
    timings_masked: bool
    seconds_plain: float
    seconds_autolog: float
    runs: int = 0
    top_level: collections.Counter[str] = field(default_factory=collections.Counter)
    children: int = 0
    with_model: int = 0
    failed_runs: int = 0
    autolog_warnings: list[str] = field(default_factory=list)
    tags: dict[str, int] = field(default_factory=dict)
    stdout_plain: str = ""
    stdout_autolog: str = ""
    stderr_autolog: str = ""
    # False when two plain runs print different output (unseeded randomness): then a
    # difference under AUTOLOG=1 says nothing about autolog.
    deterministic: bool = True

    @property
    def same(self) -> bool:
        return self.exit_plain == self.exit_autolog and self.same_output


def _environment(autolog: bool, store: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    env["MPLBACKEND"] = "Agg"  # gallery scripts call plt.show()
    env["PYTHONHASHSEED"] = "0"
    if autolog:
        env["AUTOLOG"] = "1"
        env["AUTOLOG_STORE"] = str(store)
    return env


def _run(script: Path, args: list[str], cwd: Path, env: dict[str, str],
         timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script), *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)
    return proc, time.perf_counter() - started


def run_script(script: Path, args: list[str] | None = None, cwd: Path | None = None,
               timeout: float = 600) -> Outcome:
    """Run ``script`` plain and under ``AUTOLOG=1``; compare; read the store."""
    from autolog.stores.local import LocalStore

    args = list(args or [])
    script = Path(script).resolve()
    cwd = cwd or script.parent
    with tempfile.TemporaryDirectory(prefix="autolog-scripts-") as tmp:
        store = Path(tmp) / "store"
        plain, t_plain = _run(script, args, cwd, _environment(False, None), timeout)
        logged, t_logged = _run(script, args, cwd, _environment(True, store), timeout)
        same = plain.stdout == logged.stdout
        masked = not same and mask_timings(plain.stdout) == mask_timings(logged.stdout)
        label = " ".join([f"{script.parent.name}/{script.name}", *args])
        outcome = Outcome(label, plain.returncode, logged.returncode, same or masked,
                          masked, t_plain, t_logged, stdout_plain=plain.stdout,
                          stdout_autolog=logged.stdout, stderr_autolog=logged.stderr)
        if not outcome.same_output:  # does the script itself print the same twice?
            again, _ = _run(script, args, cwd, _environment(False, None), timeout)
            outcome.deterministic = mask_timings(again.stdout) == mask_timings(plain.stdout)
        outcome.autolog_warnings = re.findall(r"AutologWarning: (.*)", logged.stderr)
        if store.exists():
            runs = LocalStore(store).search_runs()
            outcome.runs = len(runs)
            for run in runs:
                if run.info.parent_run_id is None:
                    outcome.top_level[run.tags.get("autolog.model_class", run.info.name)] += 1
                else:
                    outcome.children += 1
                outcome.with_model += run.model_path is not None
                outcome.failed_runs += run.status != "FINISHED"
                for tag in ("autolog.input_example", "autolog.signature",
                            "autolog.training_metrics", "autolog.model"):
                    if tag in run.tags:
                        outcome.tags[tag] = outcome.tags.get(tag, 0) + 1
    return outcome


def _recorded(outcome: Outcome) -> str:
    if not outcome.runs:
        return "no run"
    classes = ", ".join(f"{name} ×{n}" if n > 1 else name
                        for name, n in sorted(outcome.top_level.items()))
    parts = [f"{outcome.runs} run{'s' if outcome.runs != 1 else ''}: {classes}"]
    if outcome.children:
        parts.append(f"{outcome.children} child runs")
    parts.append(f"{outcome.with_model} model folders")
    if outcome.failed_runs:
        parts.append(f"{outcome.failed_runs} not FINISHED")
    if outcome.tags:
        parts.append("tags: " + ", ".join(f"{k.split('.', 1)[1]} ×{v}"
                                          for k, v in sorted(outcome.tags.items())))
    return "; ".join(parts)


def table_rows(outcomes: list[Outcome]) -> list[str]:
    rows = ["| script | exit code (plain / AUTOLOG=1) | same output | what autolog recorded "
            "| AutologWarnings | time plain / AUTOLOG=1 |",
            "|---|---|---|---|---:|---|"]
    for o in outcomes:
        same = ("yes" if not o.timings_masked else "yes (timings masked)") if o.same_output \
            else "**no**" if o.deterministic else "n/a: differs between two plain runs too"
        rows.append(f"| `{o.script}` | {o.exit_plain} / {o.exit_autolog} | {same} | "
                    f"{_recorded(o)} | {len(o.autolog_warnings)} | "
                    f"{o.seconds_plain:.1f} s / {o.seconds_autolog:.1f} s |")
    return rows


def summary(outcome: Outcome) -> dict[str, Any]:
    """What a test compares (JSON-friendly)."""
    return {"runs": outcome.runs, "top_level": dict(outcome.top_level),
            "children": outcome.children, "with_model": outcome.with_model,
            "tags": outcome.tags}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scripts", nargs="+", type=Path,
                        help="scripts; SCRIPT::ARG1,ARG2 passes arguments")
    parser.add_argument("--name", default="scripts", help="heading of this table")
    parser.add_argument("--table", type=Path, help="append the Markdown table to this file")
    parser.add_argument("--timeout", type=float, default=900)
    options = parser.parse_args(argv)
    outcomes = []
    for spec in options.scripts:
        path, _, arg_text = str(spec).partition("::")
        args = [a for a in arg_text.split(",") if a]
        outcome = run_script(Path(path), args, timeout=options.timeout)
        outcomes.append(outcome)
        print(table_rows([outcome])[-1], flush=True)
        if not outcome.same:
            import difflib

            diff = difflib.unified_diff(mask_timings(outcome.stdout_plain).splitlines(True),
                                        mask_timings(outcome.stdout_autolog).splitlines(True),
                                        "plain", "AUTOLOG=1", n=0)
            print("".join(list(diff)[:12]), f"  autolog stderr tail "
                  f"{outcome.stderr_autolog[-600:]!r}", flush=True)
    if options.table is not None:
        with open(options.table, "a", encoding="utf-8") as fh:
            fh.write(f"\n### {options.name}\n\n" + "\n".join(table_rows(outcomes)) + "\n")
    return 0 if all((o.same or not o.deterministic) and not o.autolog_warnings
                    for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
