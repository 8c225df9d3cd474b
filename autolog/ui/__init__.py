"""``autolog ui``: runs, model folders and registered versions in a browser.

::

    autolog ui --store ~/.autolog --port 5050      # then open http://127.0.0.1:5050/

A read-mostly web app over any store: experiments and their runs (sortable, filterable by
params, metrics and status, paged), a run (params, tags, metric charts per step, the model
folder with its MLmodel, signature and input example), registered models, their versions and
a comparison of versions. The only changes it makes go through :mod:`autolog.registry`: Save
a run's model as a new model or a new version, and set or remove aliases.

It listens on 127.0.0.1 only, unless ``--host`` is given (then it warns: there is no login).
Needs the ``ui`` extra (Flask): ``pip install 'autolog-ml[ui]'``.
"""

from __future__ import annotations

import click
from click.core import ParameterSource

from autolog.cli.common import open_cli_store, store_option

__all__ = ["ui"]


@click.command()
@store_option
@click.option("--port", "-p", default=5050, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback must be given explicitly and "
                   "is warned about: the UI has no login.")
@click.pass_context
def ui(ctx: click.Context, store: str | None, port: int, host: str) -> None:
    """Look at runs, model folders and registered versions in a browser."""
    try:
        import autolog.ui.app  # noqa: F401 - fails here, with the install hint, without Flask
    except ImportError as exc:
        raise click.ClickException(
            f"autolog ui needs Flask, which is not installed ({exc}): "
            "pip install 'autolog-ml[ui]'") from exc
    from autolog.ui.server import serve

    explicit = ctx.get_parameter_source("host") is ParameterSource.COMMANDLINE
    serve(open_cli_store(store), host=host, port=port, allow_remote=explicit)
