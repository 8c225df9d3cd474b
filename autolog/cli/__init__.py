"""The ``autolog`` command: everything a user does outside Python.

:mod:`autolog.cli.main` is the group (subcommands imported only when invoked, so ``autolog
--help`` stays fast); :mod:`autolog.cli.common` the options and output helpers they share; one
module per subcommand group.
"""

from autolog.cli.main import cli, main

__all__ = ["cli", "main"]
