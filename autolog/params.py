"""Parameters as a run records them: flat, stringified, bounded, secrets redacted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "flatten", "is_secret_name", "scrub"]

REDACTED = "***REDACTED***"
# A bare "pass" only as a word of its own (not passthrough, n_passes, bypass); "token" but not
# tokenizer or token_pattern (scikit-learn's text vectorizers).
_SECRET_WORDS = (r"password|passwd|passphrase|(?<![a-z])pass(?![a-z])|token(?!iz|_pattern)"
                 r"|secret|api[_-]?key|credential|private[_-]?key")
_SECRET = re.compile(_SECRET_WORDS, re.IGNORECASE)
# Inside a value's text (the repr of a nested estimator, a list of steps, a dict):
# name=value / 'name': value pairs whose name looks like a secret, and URL passwords.
_SECRET_PAIR = re.compile(
    r"([\w.-]*(?:" + _SECRET_WORDS + r")[\w.-]*['\"]?\s*[=:]\s*)"
    r"('[^']*'?|\"[^\"]*\"?|[^\s,;)}\]{\[(]+)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^/\s:@'\"]+:)([^@\s/'\"]+)(@)", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """True for names such as ``password``, ``api_key``, ``auth_token``, ``credentials``."""
    return bool(_SECRET.search(name))


def scrub(text: str) -> str:
    """``text`` with the values of secret-looking ``name=value`` and ``'name': value`` pairs
    and the passwords of URLs (``postgresql://user:pw@host``) replaced by :data:`REDACTED`."""
    if "=" not in text and ":" not in text:
        return text
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)
    return _SECRET_PAIR.sub(lambda m: m.group(1) + REDACTED, text)


def _cut(text: str, max_length: int) -> str:
    return text if len(text) <= max_length else text[: max(0, max_length - 3)] + "..."


def _text(value: Any, max_length: int) -> str:
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not lose the other params
        text = f"<{type(value).__qualname__}>"
    # Cut before scrubbing (a 10 MB value costs nothing), and again after.
    return _cut(scrub(_cut(text, max_length)), max_length)


def flatten(params: Mapping[str, Any], max_length: int = 500, prefix: str = "") -> dict[str, str]:
    """Flatten nested mappings (``{"a": {"b": 1}}`` -> ``{"a.b": "1"}``) and stringify values.

    Values longer than ``max_length`` characters are cut and end in ``...``; values whose name
    looks like a secret are replaced by :data:`REDACTED`, and so are secrets inside a value's
    text (see :func:`scrub`: the repr of a nested estimator shows its ``api_key='...'``).
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
