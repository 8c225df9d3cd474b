"""Parameters as a run records them: flat, stringified, bounded, secrets redacted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "flatten", "is_secret_name"]

REDACTED = "***REDACTED***"
_SECRET = re.compile(r"(pass(word|wd)?|token|secret|api[_-]?key|credential|private[_-]?key)",
                     re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """True for names such as ``password``, ``api_key``, ``auth_token``, ``credentials``."""
    return bool(_SECRET.search(name))


def _text(value: Any, max_length: int) -> str:
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not lose the other params
        text = f"<{type(value).__qualname__}>"
    if len(text) > max_length:
        text = text[: max(0, max_length - 3)] + "..."
    return text


def flatten(params: Mapping[str, Any], max_length: int = 500, prefix: str = "") -> dict[str, str]:
    """Flatten nested mappings (``{"a": {"b": 1}}`` -> ``{"a.b": "1"}``) and stringify values.

    Values longer than ``max_length`` characters are cut and end in ``...``; values whose name
    looks like a secret are replaced by :data:`REDACTED`.
    """
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, max_length, prefix=f"{name}."))
        elif is_secret_name(str(key)):
            out[name] = REDACTED
        else:
            out[name] = _text(value, max_length)
    return out
