"""``environment/pip-freeze.txt``: every installed distribution, as ``pip freeze`` lists it."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

from autolog.context.packages import pip_freeze


def test_pip_freeze_lists_every_distribution_once_sorted() -> None:
    lines = [line for line in pip_freeze().splitlines() if not line.startswith("#")]
    assert f"numpy=={metadata.version('numpy')}" in lines
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in lines
    names = [re.sub(r"[-_.]+", "-", line.split("==")[0].split(" @ ")[0]).lower()
             for line in lines if not line.startswith("-e ")]
    assert names == sorted(names) and len(names) == len(set(names))
    # This checkout is installed editable: pip's own form, -e and its folder.
    assert any(line.startswith("-e file://") for line in lines)
    assert f"# Editable install: autolog-ml=={metadata.version('autolog-ml')}" in pip_freeze()


def test_pip_freeze_agrees_with_pip() -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True,
                          text=True, timeout=120, check=True)
    pinned = {line for line in done.stdout.splitlines() if "==" in line and
              not line.startswith("#")}
    ours = {line for line in pip_freeze().splitlines() if "==" in line and
            not line.startswith("#")}
    assert pinned and {p.lower() for p in pinned} == {o.lower() for o in ours}
