"""``autolog run``: run a program with autologging on, without touching its code.

::

    autolog run [--store PATH] [--format onnx] ... -- python train.py --epochs 3
    autolog run train.py --epochs 3

Like ``opentelemetry-instrument``: the options become ``AUTOLOG_<OPTION>`` variables next to
``AUTOLOG=1``, and the program *replaces* this process (``exec``), so its output, exit code and
signals are its own. Every Python process it starts turns autologging on through the installed
start-up hook (:mod:`autolog.startup`); that Python must have autolog-ml installed. A first
word ending in ``.py`` runs with this interpreter, and when autolog runs in a virtual
environment, its ``bin`` folder goes first on ``PATH`` (as ``activate`` does), so that
``python`` and console scripts are that environment's.

A bad option value is one warning naming the option, the value and the valid choices; the
program still runs, without autologging.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import click

from autolog import config as config_mod
from autolog.errors import ConfigError
from autolog.startup import PARENT_PID, SWITCH, warn

__all__ = ["build_environment", "program_argv", "run"]


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _option_help(option: config_mod.Option) -> str:
    choices = f" One of: {', '.join(option.choices)}." if option.choices else ""
    default = option.default
    shown = "" if default in (None, (), {}) else f" [default: {default}]"
    return f"{option.doc}{choices}{shown} (env {option.env})"


def build_environment(options: dict[str, str | None],
                      base: dict[str, str] | None = None) -> tuple[dict[str, str], str | None]:
    """The program's environment: ``base`` plus ``AUTOLOG=1`` and one variable per option.

    Parameters:
        options: option name -> value given on the command line (None when not given).
        base: the environment to extend; ``os.environ`` by default.

    Returns:
        ``(environment, problem)``: when a value (given here or already in the environment)
        is invalid, ``problem`` is the message and the environment leaves autologging off.
    """
    env = dict(os.environ if base is None else base)
    env.pop(PARENT_PID, None)  # the program is a first autologged process: it may warn
    if sys.prefix != sys.base_prefix:
        # As an activated virtual environment would: a bare `python` is the one autolog is in.
        bin_dir = os.path.dirname(sys.executable)
        path = env.get("PATH", "")
        if path.split(os.pathsep)[0] != bin_dir:
            env["PATH"] = bin_dir + (os.pathsep + path if path else "")
    problem = None
    for name, value in options.items():
        if value is None:
            continue
        option = config_mod.OPTIONS[name]
        try:
            option.convert(value, _flag(name))
        except ConfigError as exc:
            problem = problem or str(exc)
        env[option.env] = value
    if problem is None:
        try:
            config_mod.resolve(environ=env)
        except ConfigError as exc:
            problem = str(exc)
    if problem is None:
        env[SWITCH] = "1"
    else:
        env.pop(SWITCH, None)
    return env, problem


def program_argv(command: tuple[str, ...] | list[str]) -> list[str]:
    """The argv to execute: a leading ``script.py`` runs with this interpreter."""
    argv = list(command)
    if argv and argv[0].endswith(".py"):
        argv.insert(0, sys.executable)
    return argv


def _execute(argv: list[str], env: dict[str, str]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if os.name == "posix":
            os.execvpe(argv[0], argv, env)
        return subprocess.run(argv, env=env, check=False).returncode
    except FileNotFoundError:
        click.echo(f"autolog run: {argv[0]}: command not found", err=True)
        return 127
    except PermissionError:
        click.echo(f"autolog run: {argv[0]}: permission denied", err=True)
        return 126


def _with_option_flags(func: Any) -> Any:
    for option in reversed(list(config_mod.OPTIONS.values())):
        if option.from_env:
            metavar = "|".join(option.choices) if option.choices else option.name.upper()
            func = click.option(_flag(option.name), option.name, default=None,
                                metavar=metavar, help=_option_help(option))(func)
    return func


@click.command(context_settings={"ignore_unknown_options": True,
                                 "allow_interspersed_args": False})
@_with_option_flags
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(command: tuple[str, ...], **options: str | None) -> None:
    """Run COMMAND with autologging on (exit code and output unchanged).

    \b
    autolog run --store ./runs -- python train.py --epochs 3
    autolog run train.py --epochs 3
    """
    env, problem = build_environment(options)
    if problem is not None:
        warn(f"autolog: {problem} The program runs without autologging.")
    raise SystemExit(_execute(program_argv(command), env))
