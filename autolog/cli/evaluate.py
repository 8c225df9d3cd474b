"""``autolog evaluate``: a model measured on a data file, the metrics logged to its run."""

from __future__ import annotations

from typing import Any

import click

from autolog.cli.common import (
    echo_json,
    input_options,
    json_option,
    load_options,
    open_cli_store,
    print_table,
    store_option,
)

__all__ = ["evaluate"]


def _split(data: Any, target: str | None, target_path: str | None) -> tuple[Any, Any]:
    from autolog.cli import data_files

    if target is not None:
        if not hasattr(data, "columns"):
            raise click.UsageError("--target names a column of a table (CSV, Parquet, JSON); "
                                   "for an array input give the targets with --target-file.")
        if target not in data.columns:
            raise click.BadParameter(f"the input has no column {target!r} (columns: "
                                     f"{', '.join(map(str, data.columns))}).",
                                     param_hint="--target")
        return data.drop(columns=[target]), data[target].to_numpy()
    assert target_path is not None
    y = data_files.read_input(target_path)
    if hasattr(y, "columns"):
        if len(y.columns) != 1:
            raise click.BadParameter(f"{target_path} has {len(y.columns)} columns; the targets "
                                     "file needs exactly one.", param_hint="--target-file")
        y = y.iloc[:, 0].to_numpy()
    return data, y


@click.command()
@store_option
@click.argument("model_uri")
@input_options
@click.option("--target", "-t", default=None, metavar="COLUMN",
              help="The column of the input holding the targets (left out of the features).")
@click.option("--target-file", "target_path", default=None,
              type=click.Path(exists=True, dir_okay=False),
              help="The targets in a file of their own (one column), e.g. with .npy input.")
@click.option("--name", "-n", default="eval", show_default=True,
              help="Dataset name: metrics are logged as <metric>_<name>.")
@click.option("--task", type=click.Choice(["classification", "regression"]), default=None,
              help="Default: from the model, else from the targets and predictions.")
@load_options
@json_option
def evaluate(store: str | None, model_uri: str, input_path: str, target: str | None,
             target_path: str | None, name: str, task: str | None, input_format: str | None,
             model_format: str | None, flavor: str | None, no_pickle: bool,
             as_json: bool) -> None:
    """Evaluate MODEL_URI (models:/name/1, models:/name@alias, runs:/..., a folder) on held-out
    data and log the metrics to the model's run (or a new evaluation run).

    Input formats are those of 'autolog predict'; the input is checked against the model's
    signature.
    """
    from autolog import writer
    from autolog.cli import data_files
    from autolog.evaluation import evaluate as run_evaluation

    if (target is None) == (target_path is None):
        raise click.UsageError("Give the targets with --target COLUMN or --target-file FILE.")
    data = data_files.read_input(input_path, input_format)
    X, y = _split(data, target, target_path)
    result = run_evaluation(model_uri, X, y, name=name, task=task,
                            store=open_cli_store(store), format=model_format,
                            flavor=flavor, allow_pickle=not no_pickle)
    writer.flush()
    if as_json:
        echo_json({"model": model_uri, "name": result.name, "task": result.task,
                   "run_id": result.run_id, "new_run": result.new_run, "digest": result.digest,
                   "metrics": result.metrics, "logged_metrics": result.logged_metrics})
        return
    click.echo(f"Evaluated {model_uri} on {input_path} ({result.task}, "
               f"{int(result.metrics.get('example_count', 0))} rows) as {result.name!r}")
    rows = [{"metric": k, "value": f"{v:.6g}", "logged as": f"{k}_{result.name}"}
            for k, v in result.metrics.items() if "_class_" not in k]
    print_table(rows)
    where = "a new evaluation run" if result.new_run else "the model's run"
    click.echo(f"\nlogged to {where} {result.run_id}")
