"""The installed distributions of this process, as ``pip freeze`` lists them.

The model folder's ``requirements.txt`` stays minimal (what the pickle needs); a run also
keeps the full list as the artifact ``environment/pip-freeze.txt``. It is read from
``importlib.metadata`` (no ``pip`` subprocess), once per process, on the background writer.

One line per distribution, sorted by name, the first one found on ``sys.path`` winning (as
for ``import``): ``name==version``; ``name @ git+https://host/r.git@<commit>`` for a VCS
install; ``-e <url>`` (after a comment naming the version) for an editable install;
``name @ <url>`` for one installed from a local folder or archive. URLs lose their
credentials.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from importlib import metadata
from typing import Any

from autolog.context.source import strip_credentials

__all__ = ["pip_freeze"]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _direct_url(dist: metadata.Distribution) -> dict[str, Any] | None:
    """The PEP 610 record of a distribution installed from a URL, folder or VCS."""
    try:
        text = dist.read_text("direct_url.json")
        data = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("url"), str) else None


def _line(name: str, version: str, direct: dict[str, Any] | None) -> str:
    if direct is None:
        return f"{name}=={version}"
    url = strip_credentials(direct["url"])
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs"):
        commit = vcs.get("commit_id")
        return f"{name} @ {vcs['vcs']}+{url}" + (f"@{commit}" if commit else "")
    dir_info = direct.get("dir_info")
    if isinstance(dir_info, dict) and dir_info.get("editable"):
        return f"# Editable install: {name}=={version}\n-e {url}"
    return f"{name} @ {url}"


@functools.lru_cache(maxsize=1)
def pip_freeze() -> str:
    """The text of ``environment/pip-freeze.txt`` (computed once per process)."""
    seen: set[str] = set()
    lines: list[tuple[str, str]] = []
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name or _canonical(name) in seen:
            continue
        seen.add(_canonical(name))
        lines.append((_canonical(name), _line(name, dist.version, _direct_url(dist))))
    lines.sort()
    header = (f"# Installed distributions of {sys.executable} (Python "
              f"{sys.version.split()[0]}), recorded by autolog like `pip freeze`.\n")
    return header + "".join(line + "\n" for _, line in lines)
