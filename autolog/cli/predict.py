"""``autolog predict MODEL_URI --input FILE``: predictions from a logged or registered model.

The model is loaded with :func:`autolog.load_model` (any flavor an installed plugin loads), the
input file read and checked against the model's signature, and the predictions written in
batches (see :mod:`autolog.cli.data_files`).
"""

from __future__ import annotations

import os
import sys

import click

from autolog.cli.common import (
    echo_json,
    input_options,
    json_option,
    load_options,
    open_cli_store,
    store_option,
)
from autolog.cli.data_files import OUTPUT_FORMATS

__all__ = ["predict"]


def _model_folder(uri: str, store: str | None) -> str | os.PathLike[str]:
    """A folder for ``uri``, resolving ``models:/`` and ``runs:/`` in the ``--store``."""
    if uri.startswith("models:/"):
        from autolog import registry

        return registry.resolve_model_uri(uri, store=open_cli_store(store))
    if uri.startswith("runs:/"):
        run_id, _, artifact = uri[len("runs:/"):].strip("/").partition("/")
        if not run_id or not artifact:
            raise click.BadParameter(f"{uri!r}: expected runs:/<run_id>/<artifact_path>.")
        return open_cli_store(store).download_artifacts(run_id, artifact)
    return uri


@click.command()
@store_option
@click.argument("model_uri")
@input_options
@click.option("--output", "-o", "output_path", default=None,
              help="Predictions: .csv, .tsv, .parquet, .json or .jsonl (default: CSV on stdout).")
@click.option("--output-format", type=click.Choice(OUTPUT_FORMATS), default=None,
              help="Override the output file's extension.")
@load_options
@click.option("--batch-size", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Rows per predict() call.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="A progress bar on stderr when there is more than one batch.")
@json_option
def predict(store: str | None, model_uri: str, input_path: str, output_path: str | None,
            input_format: str | None, output_format: str | None, model_format: str | None,
            flavor: str | None, no_pickle: bool, batch_size: int, progress: bool,
            as_json: bool) -> None:
    """Predict with MODEL_URI (models:/name/1, models:/name@alias, runs:/..., a folder).

    The input is checked against the model's signature (missing columns, unsafe types).
    """
    from autolog.cli import data_files
    from autolog.loading import load_model

    if output_path not in (None, "-"):
        output_format = data_files.detect_format(output_path, output_format,
                                                 data_files.OUTPUT_FORMATS, "output")
    elif output_format == "parquet":
        raise click.UsageError("Parquet cannot go to the terminal: give --output FILE.parquet.")
    model = load_model(_model_folder(model_uri, store), format=model_format, flavor=flavor,
                       allow_pickle=not no_pickle)
    data = data_files.read_input(input_path, input_format)
    rows = int(data.shape[0]) if hasattr(data, "shape") else len(data)
    if progress and rows > batch_size:
        with click.progressbar(length=rows, label="Predicting", file=sys.stderr) as bar:
            result = data_files.predict_in_chunks(model.predict, data, batch_size, bar.update)
    else:
        result = data_files.predict_in_chunks(model.predict, data, batch_size)
    outputs = model.signature.outputs if model.signature is not None else None
    names = None
    if outputs is not None and len(outputs) and not outputs.is_tensor and all(outputs.names):
        names = [str(n) for n in outputs.names]
    frame = data_files.to_frame(result, names)
    if as_json and output_path is None:
        import json

        echo_json({"model": model_uri, "rows": len(frame),
                   "predictions": json.loads(frame.to_json(orient="records"))})
        return
    data_files.write_output(frame, output_path, output_format)
    if as_json:
        echo_json({"model": model_uri, "rows": len(frame), "columns": list(frame.columns),
                   "output": os.path.abspath(output_path or "")})
    elif output_path is not None:
        click.echo(f"Wrote {len(frame)} predictions to {output_path}", err=True)
