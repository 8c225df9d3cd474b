"""``python -m autolog.cli``: the console command."""

import sys

from autolog.cli.main import main

sys.exit(main())
