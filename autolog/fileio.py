"""Small files written in one system call each.

A run and its model folder are a dozen small files. ``open()`` stacks a buffered writer and a
text codec on each file descriptor, which for a few hundred bytes costs as much as the system
calls themselves; these helpers go straight to ``os.open``/``os.write``.
"""

from __future__ import annotations

import os

__all__ = ["write_bytes", "write_text"]


def write_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> None:
    """Create or replace the file at ``path`` with ``data``."""
    view = memoryview(data)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Create or replace the file at ``path`` with ``text`` in UTF-8 (no newline translation)."""
    write_bytes(path, text.encode("utf-8"))
