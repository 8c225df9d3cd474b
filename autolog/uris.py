"""Model URIs: ``runs:/``, ``models:/`` and ``file:``, parsed in one place.

* ``runs:/<run_id>/<artifact_path>`` — a run's artifact (its model folder) in a store;
* ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/latest`` —
  a registered model version;
* ``file:///path`` or a plain path — a folder.

Parsing only: what a URI points at is found by :mod:`autolog.loading` and
:mod:`autolog.registry.api` through a store.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from autolog.errors import InvalidNameError, NotFoundError
from autolog.registry.records import check_alias, check_model_name, check_version

__all__ = ["MODEL_URI_FORMS", "RUN_URI_FORM", "folder_path", "parse_model_uri", "parse_run_uri"]

MODEL_URI_FORMS = "models:/<name>/<version>, models:/<name>@<alias> or models:/<name>/latest"
RUN_URI_FORM = "runs:/<run_id>/<artifact_path>"


def parse_run_uri(uri: str) -> tuple[str, str]:
    """Split a ``runs:/`` URI into ``(run_id, artifact_path)``.

    Raises:
        InvalidNameError: not of the form ``runs:/<run_id>/<artifact_path>``.
    """
    text = os.fspath(uri)
    run_id, _, artifact = text[len("runs:/"):].strip("/").partition("/")
    if not text.startswith("runs:/") or not run_id or not artifact:
        raise InvalidNameError(f"Malformed run URI {text!r}: expected {RUN_URI_FORM}, "
                               "e.g. runs:/3f2a.../model.")
    return run_id, artifact


def parse_model_uri(uri: str) -> tuple[str, str, int | str | None]:
    """Split a ``models:/`` URI into ``(name, kind, value)``.

    ``kind`` is ``"version"`` (value an int), ``"alias"`` (value the alias) or ``"latest"``
    (value None).

    Raises:
        InvalidNameError: not one of the accepted forms (the message lists them).
    """
    if not isinstance(uri, str) or not uri.startswith("models:/"):
        raise InvalidNameError(f"Malformed model URI {uri!r}: expected {MODEL_URI_FORMS}.")
    rest = uri[len("models:/"):].strip("/")
    if "@" in rest:
        name, _, alias = rest.rpartition("@")
        return check_model_name(name), "alias", check_alias(alias)
    name, sep, ref = rest.rpartition("/")
    if not sep or not name:
        raise InvalidNameError(f"Malformed model URI {uri!r}: expected {MODEL_URI_FORMS}.")
    check_model_name(name)
    if ref.lower() == "latest":
        return name, "latest", None
    if not ref.isdigit():
        raise InvalidNameError(f"Malformed model URI {uri!r}: {ref!r} is not a version number; "
                               f"expected {MODEL_URI_FORMS}.")
    return name, "version", check_version(ref)


def folder_path(uri: str | os.PathLike[str]) -> Path:
    """The existing local folder or file named by a ``file:`` URI or a plain path.

    Raises:
        NotFoundError: nothing exists there.
    """
    text = os.fspath(uri)
    if text.startswith("file:"):
        text = unquote(urlparse(text).path)
    try:
        path = Path(text).expanduser()
    except RuntimeError as exc:  # "~name/..." where no user has that name
        raise NotFoundError(f"No model folder at {text!r}: {exc}") from exc
    if not path.exists():
        raise NotFoundError(f"No model folder at {path}.")
    return path
