"""The ``autolog`` command: everything a user does outside Python.

Subcommands live in their own modules and are imported only when invoked, so ``autolog
--help`` stays fast. Every listing command takes ``--json``.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from autolog.cli.common import print_table
from autolog.config import OPTIONS

__all__ = ["cli", "main"]

# name -> "module:attribute" of a click command, loaded lazily.
LAZY_COMMANDS: dict[str, str] = {
    "demo": "autolog.cli.demo:demo",
    "evaluate": "autolog.cli.evaluate:evaluate",
    "runs": "autolog.cli.runs:runs",
    "run": "autolog.cli.run:run",
    "models": "autolog.cli.models:models",
    "predict": "autolog.cli.predict:predict",
    "sync": "autolog.cli.sync:sync",
    "ui": "autolog.ui:ui",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._available()))

    def _available(self) -> dict[str, str]:
        out = {}
        for name, target in LAZY_COMMANDS.items():
            module = target.split(":")[0]
            if importlib.util.find_spec(module) is not None:
                out[name] = target
        return out

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        target = self._available().get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
        except (ImportError, AttributeError) as exc:
            # One broken subcommand (a missing optional dependency) must not break the others.
            reason = f"{type(exc).__name__}: {exc}"

            @click.command(cmd_name, help=f"(unavailable: {reason})")
            def unavailable() -> None:
                raise click.ClickException(f"'autolog {cmd_name}' is unavailable: {reason}")

            return unavailable


@click.group(cls=LazyGroup)
@click.version_option(package_name="autolog-ml", prog_name="autolog")
def cli() -> None:
    """autolog: MLflow-format autologging for scikit-learn and PyTorch."""


@cli.command()
def options() -> None:
    """List every option with its environment variable and default."""
    rows = [{"option": o.name, "env": o.env if o.from_env else "(Python only)",
             "default": o.default if o.default is not None else "",
             "help": o.doc} for o in OPTIONS.values()]
    print_table(rows)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        result = cli.main(args=argv, prog_name="autolog", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - user-facing: one line, not a traceback
        from autolog.errors import AutologError

        if isinstance(exc, (AutologError, OSError, ValueError)):
            click.echo(f"Error: {exc}", err=True)
            return 1
        raise
    return result if isinstance(result, int) else 0
