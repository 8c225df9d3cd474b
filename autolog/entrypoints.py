"""Entry points of one group, found without reading every installed distribution's metadata.

``importlib.metadata.entry_points(group=...)`` parses the metadata of every installed
distribution (and importing ``importlib.metadata`` pulls in the email package): about 50 ms at
every interpreter start under ``AUTOLOG=1`` in an environment with torch, scikit-learn and
mlflow. Here each ``sys.path`` folder is listed once, only the ``entry_points.txt`` files of
its ``*.dist-info``/``*.egg-info`` folders are read, and only those that name the group are
parsed. The rules are importlib.metadata's: ``sys.path`` order, and the first distribution of a
name wins. The result is cached per process
and read again when a ``sys.path`` folder changes (a package installed meanwhile). Where
``sys.path`` holds something other than folders (a zip file, an egg), importlib.metadata
itself answers.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["EntryPoint", "entry_points"]


class EntryPoint:
    """``name = value`` of a group; :meth:`load` imports ``module:attr`` (extras ignored)."""

    __slots__ = ("group", "name", "value")

    def __init__(self, name: str, value: str, group: str) -> None:
        self.name = name
        self.value = value
        self.group = group

    def load(self) -> Any:
        """Import the module and return the object the entry point names."""
        import importlib

        spec = self.value.partition("[")[0].strip()
        module_name, _, attrs = spec.partition(":")
        obj: Any = importlib.import_module(module_name.strip())
        for attr in filter(None, attrs.strip().split(".")):
            obj = getattr(obj, attr)
        return obj

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, EntryPoint)
                and (self.name, self.value, self.group) == (other.name, other.value, other.group))

    def __hash__(self) -> int:
        return hash((self.name, self.value, self.group))

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


# (sys.path entries, their modification times) -> {group: [entry points]}
_cache: tuple[tuple[tuple[str, int], ...], dict[str, list[EntryPoint]]] | None = None


def _section(text: str, group: str) -> list[tuple[str, str]]:
    """``name = value`` pairs of the ``[group]`` section of an entry_points.txt, read the way
    importlib.metadata reads it (``#`` comments, the section name as written)."""
    pairs: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line.strip("[]") == group
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            pairs.append((name.strip(), value.strip()))
    return pairs


def _distribution_name(folder: str) -> str:
    """The PEP 503 name of ``<name>-<version>.dist-info`` (runs of -_. become one -)."""
    key = folder.rpartition(".")[0].partition("-")[0].lower().replace("_", "-").replace(".", "-")
    while "--" in key:
        key = key.replace("--", "-")
    return key


def _scan(group: str, folders: list[str]) -> list[EntryPoint]:
    seen_dists: set[str] = set()
    found: list[EntryPoint] = []
    for folder in folders:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist = _distribution_name(name)
            if dist in seen_dists:
                continue
            seen_dists.add(dist)
            try:
                with open(os.path.join(folder or ".", name, "entry_points.txt"),
                          encoding="utf-8") as fh:
                    text = fh.read()
            except OSError:
                continue
            if group not in text:
                continue
            found.extend(EntryPoint(ep_name, value, group)
                         for ep_name, value in _section(text, group))
    return found


def _stamp() -> tuple[tuple[str, int], ...] | None:
    """Each sys.path entry with its modification time; None if one is not a plain folder."""
    stamp = []
    for entry in sys.path:
        try:
            st = os.stat(entry or ".")
        except OSError:
            continue  # a missing folder holds nothing
        if not stat.S_ISDIR(st.st_mode) or entry.endswith(".egg"):
            return None
        stamp.append((entry, st.st_mtime_ns))
    return tuple(stamp)


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` of every installed distribution."""
    global _cache
    stamp = _stamp()
    if stamp is None:
        from importlib import metadata

        return [EntryPoint(ep.name, ep.value, group)
                for ep in metadata.entry_points(group=group)]
    if _cache is None or _cache[0] != stamp:
        _cache = (stamp, {})
    groups = _cache[1]
    if group not in groups:
        groups[group] = _scan(group, [entry for entry, _ in stamp])
    return list(groups[group])
