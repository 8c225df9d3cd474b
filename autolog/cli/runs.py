"""``autolog runs list|show|plot``."""

from __future__ import annotations

import datetime

import click

from autolog.cli.common import echo_json, json_option, open_cli_store, print_table, store_option
from autolog.liveness import display_status, observed
from autolog.runs import is_system_metric

__all__ = ["runs"]


def _time(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"


@click.group()
def runs() -> None:
    """List and inspect runs."""


@runs.command("list")
@store_option
@click.option("--experiment", "-e", default=None, help="Only runs of this experiment.")
@click.option("--limit", "-n", default=50, show_default=True, help="Newest runs shown.")
@json_option
@click.option("--reindex", is_flag=True,
              help="Check every run folder against the local store's index first (after "
                   "run folders were changed in place by another program).")
def list_runs(store: str | None, experiment: str | None, limit: int, as_json: bool,
              reindex: bool) -> None:
    """Runs in the store, newest first.

    A run whose process on this host is gone without ending it shows as KILLED; a run still
    RUNNING on another host shows as RUNNING (unknown), since its process cannot be checked.
    """
    opened = open_cli_store(store)
    index = opened.run_index() if reindex else None
    if index is not None:
        index.refresh(verify=True)
    found = opened.search_runs(experiment, max_results=limit)
    for run in found:
        run.info = observed(run.info)
    if as_json:
        echo_json([r.to_dict() for r in found])
        return
    print_table([{
        "run_id": r.run_id, "experiment": r.info.experiment, "name": r.info.name,
        "status": display_status(r.info), "started": _time(r.info.start_time),
        "metrics": ", ".join(f"{k}={v:.4g}" for k, v in r.summary_metrics(3).items()),
    } for r in found])


@runs.command("show")
@store_option
@click.argument("run_id")
@json_option
def show_run(store: str | None, run_id: str, as_json: bool) -> None:
    """One run: info, source, machine, params, metrics, system metrics, tags, model folder."""
    from autolog.context.run import read_context

    opened = open_cli_store(store)
    run = opened.get_run(run_id)
    run.info = observed(run.info)
    if as_json:
        echo_json(run.to_dict())
        return
    info = run.info
    click.echo(f"run {info.run_id}  [{display_status(info)}]  {info.name}  "
               f"experiment={info.experiment}")
    click.echo(f"started {_time(info.start_time)}  ended {_time(info.end_time)}"
               + (f"  parent {info.parent_run_id}" if info.parent_run_id else ""))
    context = read_context(run, opened)
    if context.source is not None:
        source = context.source
        click.echo(f"\nsource: {source.name} ({source.kind})")
        if source.commit:
            click.echo(f"  commit {source.commit_text()}"
                       + (f"  {source.repo_url}" if source.repo_url else ""))
    if context.hardware_text:
        click.echo(f"machine: {context.hardware_text}")
    if context.files:
        click.echo("context files: " + ", ".join(context.files))
    metrics = {k: v for k, v in run.metrics.items() if not is_system_metric(k)}
    for title, values in (("params", run.params), ("metrics", metrics)):
        click.echo(f"\n{title}:")
        print_table([{"name": k, "value": v} for k, v in sorted(values.items())])
    if context.system:
        click.echo("\nsystem metrics:")
        print_table([{**row, **{k: _number(row[k]) for k in ("last", "mean", "max")}}
                     for row in context.system])
    click.echo("\ntags:")
    print_table([{"name": k, "value": v} for k, v in sorted(run.tags.items())])
    if run.model_path:
        click.echo(f"\nmodel folder: {run.model_path}")


@runs.command("plot")
@store_option
@click.argument("run_id")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the images (<name>/<plot>.png per evaluation).")
def plot_run(store: str | None, run_id: str, out_dir: str) -> None:
    """PNG images of the evaluation plots of RUN_ID (needs matplotlib: the 'plots' extra)."""
    from pathlib import Path

    from autolog.evaluation.plots import render_evaluations
    from autolog.evaluation.stored import read_evaluations

    target = open_cli_store(store)
    evaluations = read_evaluations(target, target.get_run(run_id))
    if not evaluations:
        raise click.ClickException(
            f"Run {run_id} has no evaluation plots: evaluate its model first, with "
            "autolog.evaluate(model, X_test, y_test) or 'autolog evaluate'.")
    for path in render_evaluations(evaluations, Path(out_dir)):
        click.echo(str(path))
