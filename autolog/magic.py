"""IPython and Jupyter: ``%load_ext autolog`` and the ``%autolog`` magic.

::

    %load_ext autolog              # autologging on for this kernel; one line says where runs go
    %autolog status                # on/off, store, experiment, integrations
    %autolog config format=onnx    # set options (any option of autolog.config), KEY=VALUE ...
    %autolog off                   # stop; %autolog on starts again

After each cell that completed runs, a compact summary is displayed: run id, estimator or
model class, key metrics and the model folder (an HTML table in notebooks, text in a terminal
IPython). Held-out metrics logged in the cell (``model.score(X_test, y_test)``,
``sklearn.metrics`` on a model's predictions, :func:`autolog.evaluate`) are listed too, by run
and dataset. Runs are tagged ``mlflow.source.name`` with the notebook's path where the kernel
knows it (Jupyter's ``JPY_SESSION_NAME``, VS Code's ``__vsc_ipynb_file__``), and keep the source
of the cell that started them (see :mod:`autolog.context.source`).

IPython is imported only by these functions, never by ``import autolog``.
"""

from __future__ import annotations

import html
import os
from typing import Any

from autolog import activation, heldout, tracking, writer
from autolog.config import OPTIONS, Config
from autolog.errors import ConfigError
from autolog.runs import Run

# How long the summary after a cell waits for the background writer.
_SUMMARY_WAIT_S = 30.0

__all__ = ["RunSummary", "load_ipython_extension", "unload_ipython_extension"]

USAGE = "Usage: %autolog on|off|status | %autolog config KEY=VALUE [KEY=VALUE ...]"


class RunSummary:
    """The runs a cell completed, shown as an HTML table or as plain text."""

    def __init__(self, runs: list[Run], children: dict[str, int],
                 heldout_rows: list[dict[str, str]] | None = None) -> None:
        self.runs = runs
        self.children = children
        # run id, model, dataset, metrics: the held-out metrics the cell logged
        self.heldout_rows = heldout_rows or []

    def _rows(self) -> list[dict[str, str]]:
        rows = []
        for run in self.runs:
            metrics = ", ".join(f"{k}={v:.4g}" for k, v in run.summary_metrics(3).items())
            count = self.children.get(run.run_id, 0)
            rows.append({
                "run id": run.run_id,
                "model": run.model_name or run.info.name,
                "status": run.status,
                "metrics": metrics,
                "model folder": run.model_path or "",
                "child runs": str(count) if count else "",
            })
        return rows

    def _title(self) -> str:
        total = len(self.runs) + sum(self.children.values())
        if not total:
            return "autolog: held-out metrics logged"
        return f"autolog: {total} run{'s' if total != 1 else ''} logged"

    def __repr__(self) -> str:
        lines = [self._title()]
        for row in self._rows():
            parts = [row["run id"][:8], row["model"], row["status"]]
            parts += [row["metrics"]] if row["metrics"] else []
            parts += [f"+{row['child runs']} child runs"] if row["child runs"] else []
            parts += [f"model: {row['model folder']}"] if row["model folder"] else []
            lines.append("  " + "  ".join(parts))
        if self.heldout_rows:
            lines.append("held-out metrics:")
            lines += [f"  {r['run id'][:8]}  {r['model']}  on {r['dataset']}: {r['metrics']}"
                      for r in self.heldout_rows]
        return "\n".join(lines)

    @staticmethod
    def _table(rows: list[dict[str, str]], code: tuple[str, ...]) -> str:
        columns = [c for c in (rows[0] if rows else {}) if any(r[c] for r in rows)]
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'><code>{html.escape(r[c])}</code></td>"
                             if c in code
                             else f"<td style='text-align:left'>{html.escape(r[c])}</td>"
                             for c in columns) + "</tr>"
            for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def _repr_html_(self) -> str:
        parts = [f"<b>{html.escape(self._title())}</b>"]
        if self.runs:
            parts.append(self._table(self._rows(), ("run id", "model folder")))
        if self.heldout_rows:
            parts += ["<b>held-out metrics</b>", self._table(self.heldout_rows, ("run id",))]
        return f"<div class='autolog-summary'>{''.join(parts)}</div>"


def _describe(config: Config) -> str:
    return f"runs go to {config.store_uri} (experiment {config.experiment!r})"


def _parse_assignments(words: list[str]) -> dict[str, str]:
    """``["format=onnx", "AUTOLOG_STORE=/x"]`` -> ``{"format": "onnx", "store": "/x"}``."""
    out = {}
    for word in words:
        key, sep, value = word.partition("=")
        name = key.strip().lower().replace("-", "_")
        name = name[len("autolog_"):] if name.startswith("autolog_") else name
        if not sep or not name:
            raise ConfigError(f"{word!r} is not KEY=VALUE. {USAGE}")
        option = OPTIONS.get(name)
        if option is None or not option.from_env:
            import difflib

            names = sorted(n for n, o in OPTIONS.items() if o.from_env)
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"Unknown option {key!r}.{hint} Valid options: {', '.join(names)}.")
        option.convert(value, name)
        out[name] = value
    return out


class _Extension:
    """The state of the extension in one IPython shell."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.overrides: dict[str, str] = {}
        self.seen = len(tracking.last_runs())
        self.heldout_seen = heldout.logged_since(0)[1]

    # -- activation -----------------------------------------------------------------------
    def turn_on(self) -> None:
        config = activation.enable(**self.overrides)
        print(f"autolog is on: {_describe(config)}. `%autolog off` stops it.")

    def turn_off(self) -> None:
        activation.disable()
        print("autolog is off.")

    def status(self) -> None:
        config = activation.current_config()
        if config is None:
            print(f"autolog is off ({_describe(activation.effective_config())} when on).")
        else:
            print(f"autolog is on: {_describe(config)}, format {config.format!r}.")
        for name, state in activation.integration_status().items():
            print(f"  {name}: {state}")
        if self.overrides:
            print("  set here: " + ", ".join(f"{k}={v}" for k, v in self.overrides.items()))

    def configure(self, words: list[str]) -> None:
        if not words:
            config = activation.effective_config()
            for name, option in OPTIONS.items():
                if option.from_env:
                    print(f"  {name} = {config.values.get(name)!r}")
            return
        changes = _parse_assignments(words)
        self.overrides.update(changes)
        print("autolog options: " + ", ".join(f"{k}={v}" for k, v in changes.items()))
        if activation.is_enabled():
            self.turn_on()
        else:
            print("autolog options set; `%autolog on` applies them.")

    def magic(self, line: str) -> None:
        """%autolog on|off|status | %autolog config KEY=VALUE ..."""
        from IPython.core.error import UsageError

        words = line.split()
        command = words[0].lower() if words else "status"
        try:
            if command == "on":
                self.overrides.update(_parse_assignments(words[1:]))
                self.turn_on()
            elif command == "off":
                self.turn_off()
            elif command == "status":
                self.status()
            elif command == "config":
                self.configure(words[1:])
            else:
                raise UsageError(f"Unknown %autolog command {command!r}. {USAGE}")
        except ConfigError as exc:
            raise UsageError(str(exc)) from None

    # -- the summary after a cell ---------------------------------------------------------
    def post_run_cell(self, result: Any = None) -> None:
        try:
            # Bounded: a run whose record is still being written shows after a later cell.
            writer.flush(timeout=_SUMMARY_WAIT_S)
            new = tracking.last_runs(self.seen)
            self.seen += len(new)
            held, self.heldout_seen = heldout.logged_since(self.heldout_seen)
            if not new and not held:
                return
            summary = _summarize(new, held)
        except Exception as exc:  # noqa: BLE001 - the summary must never break a cell
            from autolog.safety import warn

            warn(f"autolog: the run summary could not be shown ({type(exc).__name__}: {exc}).")
            return
        if summary is not None:
            from IPython.display import display

            display(summary)  # type: ignore[no-untyped-call]


# Held-out metrics shown per run and dataset in the summary; the rest are counted.
_SUMMARY_HELDOUT = 4


def _heldout_rows(store: Any, held: list[heldout.HeldoutMetric]) -> list[dict[str, str]]:
    groups: dict[tuple[str, str], dict[str, float]] = {}
    for item in held:
        groups.setdefault((item.run_id, item.dataset), {})[item.key] = item.value
    rows = []
    for (run_id, dataset), values in groups.items():
        try:
            model = store.get_run(run_id).model_name
        except Exception:  # noqa: BLE001 - a run another store holds: its id says enough
            model = ""
        shown = [f"{k}={v:.4g}" for k, v in list(values.items())[:_SUMMARY_HELDOUT]]
        if len(values) > _SUMMARY_HELDOUT:
            shown.append(f"... {len(values) - _SUMMARY_HELDOUT} more")
        rows.append({"run id": run_id, "model": model, "dataset": dataset,
                     "metrics": ", ".join(shown)})
    return rows


def _summarize(run_ids: list[str], held: list[heldout.HeldoutMetric] | None = None
               ) -> RunSummary | None:
    store = activation.get_store()
    runs = [store.get_run(run_id) for run_id in dict.fromkeys(run_ids)]
    ids = {run.run_id for run in runs}
    children: dict[str, int] = {}
    top = []
    for run in runs:
        parent = run.info.parent_run_id
        if parent in ids:
            children[parent] = children.get(parent, 0) + 1
        else:
            top.append(run)
    rows = _heldout_rows(store, held or [])
    return RunSummary(top, children, rows) if top or rows else None


_extensions: dict[int, _Extension] = {}


def _notebook_name(shell: Any) -> str | None:
    name = shell.user_ns.get("__vsc_ipynb_file__")
    return str(name) if name else None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autolog``: turn autologging on, add ``%autolog`` and the cell summary."""
    if id(ipython) in _extensions:
        return
    extension = _Extension(ipython)
    _extensions[id(ipython)] = extension
    ipython.register_magic_function(extension.magic, magic_kind="line", magic_name="autolog")
    ipython.events.register("post_run_cell", extension.post_run_cell)
    name = _notebook_name(ipython)
    if name and not os.environ.get("AUTOLOG_SOURCE_NAME"):
        os.environ["AUTOLOG_SOURCE_NAME"] = name
        from autolog.context import source as source_info

        source_info.process_source.cache_clear()
    try:
        extension.turn_on()
    except ConfigError as exc:
        from autolog.safety import warn

        warn(f"autolog: {exc} Autologging stays off; fix it with `%autolog config KEY=VALUE`.")


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext autolog``: remove the magic and the summary, turn autologging off."""
    extension = _extensions.pop(id(ipython), None)
    if extension is None:
        return
    ipython.events.unregister("post_run_cell", extension.post_run_cell)
    ipython.magics_manager.magics["line"].pop("autolog", None)
    activation.disable()
