"""Options and output helpers shared by the ``autolog`` subcommands."""

from __future__ import annotations

import json
from typing import Any

import click

from autolog.config import OPTIONS

__all__ = ["echo_json", "input_options", "json_option", "load_options", "open_cli_store",
           "print_table", "store_option", "yes_option"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from autolog.stores.base import Store

json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


def store_option(func: Any) -> Any:
    """The ``--store`` option shared by every command that reads or writes a store."""
    return click.option("--store", envvar=OPTIONS["store"].env, default=None,
                        help=OPTIONS["store"].doc)(func)


def input_options(func: Any) -> Any:
    """``--input`` and ``--input-format``, shared by the commands that read a data file
    (:mod:`autolog.cli.data_files` formats)."""
    from autolog.cli.data_files import INPUT_FORMATS

    func = click.option("--input-format", type=click.Choice(INPUT_FORMATS), default=None,
                        help="Override the input file's extension.")(func)
    return click.option("--input", "-i", "input_path", required=True,
                        type=click.Path(exists=True, dir_okay=False),
                        help="Data: .csv, .tsv, .parquet, .json, .jsonl or .npy.")(func)


def load_options(func: Any) -> Any:
    """``--format``, ``--flavor`` and ``--no-pickle``: which of a model folder's formats loads.

    The command receives ``model_format``, ``flavor`` and ``no_pickle``. Any flavor an
    installed plugin loads is accepted (``autolog.flavors``); a folder without it is a clear
    error from :func:`autolog.load_model`.
    """
    no_pickle = click.option("--no-pickle", is_flag=True,
                             help="Refuse formats that unpickle (ONNX, a plugin's own files).")
    flavor = click.option("--flavor", default=None, metavar="NAME",
                          help="Load this MLmodel flavor (sklearn, pytorch, onnx, a plugin's).")
    func = flavor(no_pickle(func))
    return click.option("--format", "model_format",
                        type=click.Choice(["native", "onnx", "pickle", "torch"]), default=None,
                        help="Load the native format or ONNX (default: native, else ONNX); "
                             "'pickle' and 'torch' mean native.")(func)


def open_cli_store(store: str | None) -> Store:
    from autolog import config as config_mod
    from autolog.stores import open_store

    return open_store(config_mod.resolve({"store": store} if store else {}).store_uri)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def print_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    """Print ``rows`` as an aligned text table (columns default to the first row's keys)."""
    if not rows:
        click.echo("(none)")
        return
    columns = columns or list(rows[0])
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
