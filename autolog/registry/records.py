"""Registry records: :class:`ModelVersion`, :class:`RegisteredModel`, and the rules for names.

A leaf module: the stores keep these records, :mod:`autolog.registry.api` hands them to users.

Model names: 1-200 characters, no ``/``, ``\\``, ``..``, ``@``, ``:``, control characters,
no leading ``.`` or surrounding spaces (names are folder names in the local store, and ``/``
and ``@`` separate the version and alias in ``models:/`` URIs). Aliases: letters, digits,
``_`` and ``-``, starting with a letter, not ``latest``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from autolog.errors import InvalidNameError

__all__ = [
    "MAX_NAME_LENGTH",
    "ModelVersion",
    "RegisteredModel",
    "check_alias",
    "check_model_name",
    "check_tags",
    "check_version",
]

MAX_NAME_LENGTH = 200
_FORBIDDEN = set('/\\@:*?"<>|')
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")


def _from_dict(cls: Any, data: Mapping[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ModelVersion:
    """One version of a registered model.

    Attributes:
        name: the registered model's name.
        version: 1, 2, 3 ... in registration order.
        source: the URI it was registered from (``runs:/<run_id>/model``, a folder ...).
        run_id: the source run, when known.
        created_time: registration time, milliseconds since the epoch.
        updated_time: last change of description or tags, milliseconds since the epoch.
        description: free text.
        tags: name -> value.
        aliases: the aliases that point at this version.
        signature: the MLmodel ``signature`` mapping (MLflow's JSON strings), or None.
        metrics: the source run's latest metric values when it was registered.
        params: the source run's parameters when it was registered.
        formats: the flavors present in the model folder (``sklearn``, ``pytorch``, ``onnx``),
            ``python_function`` left out.
        onnx_parity: the ONNX-vs-native check recorded at logging time (``passed``,
            ``max_abs_diff`` ...), or None when the folder has no such record.
        size_bytes: bytes of the model files (the MLmodel's ``model_size_bytes``, else the
            whole folder).
        model_class: the trained class, e.g. ``Pipeline`` (from the run's tags).
        run_name: the source run's name.
        experiment: the source run's experiment.
        code: where the source run's code came from, from its tags: ``source`` (script or
            notebook), ``commit``, ``branch``, ``dirty`` (``"true"``/``"false"``), as known.
    """

    name: str
    version: int = 0
    source: str = ""
    run_id: str | None = None
    created_time: int = 0
    updated_time: int = 0
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    signature: dict[str, Any] | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)
    onnx_parity: dict[str, Any] | None = None
    size_bytes: int | None = None
    model_class: str = ""
    run_name: str = ""
    experiment: str = ""
    code: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        """``models:/<name>/<version>``."""
        return f"models:/{self.name}/{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelVersion:
        """Build from :meth:`to_dict` output; unknown keys (a newer writer's) are ignored."""
        return _from_dict(cls, data)  # type: ignore[no-any-return]

    def __str__(self) -> str:
        alias = f" @{','.join(self.aliases)}" if self.aliases else ""
        return f"{self.uri}{alias} (run {(self.run_id or '-')[:8]}, {self.model_class or '?'})"


@dataclass
class RegisteredModel:
    """A named model: its description, tags and aliases, and its newest version number.

    Attributes:
        name: the name.
        created_time: first registration, milliseconds since the epoch.
        updated_time: last new version or change, milliseconds since the epoch.
        description: free text.
        tags: name -> value.
        aliases: alias -> version number.
        latest_version: the highest existing version number (None when all were deleted).
        version_count: how many versions exist.
    """

    name: str
    created_time: int = 0
    updated_time: int = 0
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_version: int | None = None
    version_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegisteredModel:
        return _from_dict(cls, data)  # type: ignore[no-any-return]


# -- names ---------------------------------------------------------------------------------------
def check_model_name(name: Any) -> str:
    """Return ``name`` if it is a valid model name, else raise :class:`InvalidNameError`."""
    if not isinstance(name, str) or not name:
        raise InvalidNameError(f"Invalid model name {name!r}: it must be a non-empty string.")
    problem = None
    if len(name) > MAX_NAME_LENGTH:
        problem = f"it is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        problem = "it contains control characters"
    elif ".." in name:
        problem = "it contains '..'"
    elif _FORBIDDEN & set(name):
        bad = "".join(sorted(_FORBIDDEN & set(name)))
        problem = f"it contains {bad!r}; names may not contain any of / \\ @ : * ? \" < > |"
    elif name.startswith("."):
        problem = "it starts with '.'"
    elif name != name.strip():
        problem = "it starts or ends with whitespace"
    if problem:
        raise InvalidNameError(f"Invalid model name {name!r}: {problem}. Use letters, digits, "
                               "spaces, '.', '_' or '-', e.g. 'iris-classifier'.")
    return name


def check_alias(alias: Any) -> str:
    """Return ``alias`` if valid (``champion``, ``prod-eu``), else raise InvalidNameError."""
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.lower() == "latest":
        raise InvalidNameError(
            f"Invalid alias {alias!r}: use 1-63 letters, digits, '_' or '-', starting with a "
            "letter ('latest' is reserved), e.g. 'champion'."
        )
    return alias


def check_version(version: Any) -> int:
    if isinstance(version, bool):
        version = None
    try:
        number = int(version)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or (isinstance(version, float) and version != number):
        raise InvalidNameError(f"Invalid version {version!r}: versions are integers from 1.")
    return number



def check_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    """``tags`` with string values; raise :class:`InvalidNameError` for an unusable tag name."""
    out = {}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not key or any(ord(c) < 32 for c in key):
            raise InvalidNameError(f"Invalid tag name {key!r}: use a non-empty string without "
                                   "control characters.")
        out[key] = str(value)
    return out
