"""Small files written in one system call each, and the digests that check files.

A run and its model folder are a dozen small files. ``open()`` stacks a buffered writer and a
text codec on each file descriptor, which for a few hundred bytes costs as much as the system
calls themselves; these helpers go straight to ``os.open``/``os.write``. A model folder records
the ``sha256:<hex>`` of its files (:func:`sha256_file`, :func:`sha256_bytes`).
"""

from __future__ import annotations

import hashlib
import os

__all__ = ["sha256_bytes", "sha256_file", "write_bytes", "write_text"]


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


def sha256_file(path: str | os.PathLike[str]) -> str:
    """``sha256:<hex>`` of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    """``sha256:<hex>`` of bytes in memory (the same value :func:`sha256_file` gives)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()
