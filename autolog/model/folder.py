"""Read and check a model folder in the MLflow model format.

Writing one: :mod:`autolog.model.folder_writer`.

A folder holds::

    MLmodel              flavors (python_function + native), signature, input example info,
                         run_id, model_uuid, utc_time_created, metadata (checksums)
    conda.yaml           \\
    python_env.yaml       > the environment, pinned from installed distributions
    requirements.txt     /
    input_example.json   the first rows of training input (when enabled)
    model.pkl | data/model.pth | model.onnx   the model file(s)

:func:`~autolog.model.folder_writer.write_model_folder` assembles everything under a temporary name
next to the target and renames it into place, so a folder appears whole or not at all. The
sha256 of every model file goes into ``metadata.checksums``; :func:`verify_checksums` checks
them before a loader touches (and, for pickles, executes) any of those bytes. The writing
names (:class:`ModelSpec`, :func:`write_model_folder`, :func:`fill_model_folder`,
:func:`mlmodel_text`) and the digests (:func:`sha256_file`, :func:`sha256_bytes`) are importable
from here too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autolog.errors import ChecksumError, ModelFolderError
from autolog.fileio import sha256_bytes, sha256_file
from autolog.model.folder_writer import (
    MLMODEL,
    ModelSpec,
    fill_model_folder,
    mlmodel_text,
    write_model_folder,
)

__all__ = [
    "ModelFolder",
    "ModelSpec",
    "fill_model_folder",
    "mlmodel_text",
    "read_model_folder",
    "sha256_bytes",
    "sha256_file",
    "validate",
    "verify_checksums",
    "write_model_folder",
]

@dataclass
class ModelFolder:
    """A model folder read from disk."""

    path: Path
    mlmodel: dict[str, Any]

    @property
    def flavors(self) -> dict[str, dict[str, Any]]:
        return self.mlmodel.get("flavors") or {}

    @property
    def metadata(self) -> dict[str, Any]:
        return self.mlmodel.get("metadata") or {}

    @property
    def checksums(self) -> dict[str, str]:
        return dict(self.metadata.get("checksums") or {})

    @property
    def run_id(self) -> str | None:
        return self.mlmodel.get("run_id")

    def signature(self) -> Any:
        """The :class:`autolog.signature.Signature`, or None when the folder has none.

        Raises:
            ModelFolderError: the MLmodel's ``signature`` is malformed (the message names it).
        """
        data = self.mlmodel.get("signature")
        if not data:
            return None
        from autolog.signature import Signature

        try:
            return Signature.from_dict(data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ModelFolderError(
                f"The signature in {self.path / MLMODEL} is malformed ({exc}). Fix or remove "
                "the 'signature' section; the model itself is not affected."
            ) from exc

    def file(self, name: Any) -> Path:
        """The path of the model file ``name`` (as the MLmodel names it), checked to be inside
        the folder.

        Raises:
            ModelFolderError: ``name`` is absolute, contains ``..``, or leads out of the folder
                through a symbolic link: autolog never reads (or unpickles) such a file.
        """
        text = name if isinstance(name, str) else ""
        parts = text.replace("\\", "/").split("/")
        if (not text or text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":")
                or ".." in parts):
            raise ModelFolderError(
                f"{self.path / MLMODEL} names the model file {name!r}, which is not a relative "
                "path inside the model folder; refusing to read it."
            )
        path = self.path / text
        _check_inside(path, self.path)
        return path

    def input_example(self) -> Any:
        """The saved input example, or None, with the dtypes of the input signature.

        Raises:
            ModelFolderError: the example file is missing or malformed (the message names it).
        """
        info = self.mlmodel.get("saved_input_example_info")
        if not info:
            return None
        from autolog.signature import example_from_json

        if not isinstance(info, Mapping):
            raise ModelFolderError(f"{self.path / MLMODEL}: 'saved_input_example_info' is "
                                   f"{info!r}, not a mapping.")
        path = self.file(info.get("artifact_path"))
        signature = self.signature()
        try:
            # JSON keeps no dtypes: the input schema restores them (an int32 tensor reads back
            # as int32, not int64), so that the model accepts its own example.
            return example_from_json(info, path.read_text(encoding="utf-8"),
                                     signature.inputs if signature is not None else None)
        except (OSError, UnicodeDecodeError, ModelFolderError) as exc:
            raise ModelFolderError(f"The input example {path} cannot be read: {exc}") from exc


def read_model_folder(path: str | os.PathLike[str]) -> ModelFolder:
    """Read and validate a model folder's MLmodel.

    Raises:
        ModelFolderError: no MLmodel, invalid YAML, no ``flavors`` mapping, malformed
            ``metadata``, or a symbolic link leading out of the folder; the message names the
            folder and the problem.
    """
    import yaml

    folder = Path(path)
    mlmodel_path = folder / MLMODEL
    if not mlmodel_path.is_file():
        raise ModelFolderError(
            f"{folder} is not a model folder: it has no MLmodel file. Pass the folder that "
            "contains MLmodel (for a run: runs:/<run_id>/model)."
        )
    from autolog import yamlio

    try:
        with open(mlmodel_path, encoding="utf-8") as fh:
            data = yamlio.load(fh)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelFolderError(f"{mlmodel_path} is not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("flavors"), Mapping):
        raise ModelFolderError(
            f"{mlmodel_path} has no 'flavors' mapping; it is truncated or not an MLmodel file."
        )
    for name, conf in data["flavors"].items():
        if not isinstance(conf, Mapping):
            raise ModelFolderError(f"{mlmodel_path}: the flavor {name!r} is {conf!r}, not a "
                                   "mapping; the file is damaged or not an MLmodel file.")
    metadata = data.get("metadata")
    checksums = metadata.get("checksums") if isinstance(metadata, Mapping) else None
    if (metadata is not None and not isinstance(metadata, Mapping)) or not (
            checksums is None or (isinstance(checksums, Mapping)
                                  and all(isinstance(v, str) for v in checksums.values()))):
        raise ModelFolderError(f"{mlmodel_path}: 'metadata' must be a mapping whose "
                               "'checksums' map file names to 'sha256:<hex>' strings.")
    _check_links(folder)
    return ModelFolder(folder, dict(data))


def _check_inside(path: Path, folder: Path) -> None:
    root = folder.resolve()
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise ModelFolderError(
            f"{path} is a symbolic link to {resolved}, outside the model folder {folder}; "
            "autolog does not follow links out of a model folder. Replace the link with the "
            "file itself."
        )


def _check_links(folder: Path) -> None:
    """Refuse a folder with a symbolic link that leads out of it (e.g. to /etc/passwd): a
    loader would read it and a registry copy would copy the file it points at."""
    for current, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(current) / name
            if path.is_symlink():
                _check_inside(path, folder)


# Flavor keys that name a file or folder of the model (MLflow's sklearn, pyfunc, onnx, pytorch).
_FILE_KEYS = ("pickled_model", "model_path", "data", "model_data")


def validate(folder: ModelFolder) -> None:
    """Check a whole folder before it is copied or registered: every checksum matches, the
    signature parses, and every file a flavor names stays inside the folder. Nothing is
    loaded.

    Raises:
        ChecksumError: a file differs from its checksum.
        ModelFolderError: a missing file, a malformed signature, or a path leading out.
    """
    verify_checksums(folder)
    folder.signature()
    for conf in folder.flavors.values():
        for key in _FILE_KEYS:
            if isinstance(conf.get(key), str):
                folder.file(conf[key])


def verify_checksums(folder: ModelFolder, names: list[str] | None = None) -> None:
    """Check the sha256 of model files against ``metadata.checksums``.

    Parameters:
        folder: the folder read by :func:`read_model_folder`.
        names: the files to check (default: every checksummed file).

    Raises:
        ChecksumError: a file differs from its checksum; nothing has been loaded.
        ModelFolderError: a file is missing, or its name leads out of the folder.
    """
    sums = folder.checksums
    for name in names if names is not None else list(sums):
        path = folder.file(name)
        expected = sums.get(name)
        if expected is None:
            continue
        if not path.is_file():
            raise ModelFolderError(f"Model file {name!r} is missing from {folder.path}.")
        actual = sha256_file(path)
        if actual != expected:
            raise ChecksumError(
                f"{path} does not match the checksum in its MLmodel (expected {expected}, found "
                f"{actual}). The file was modified or corrupted after it was logged; it was not "
                "loaded."
            )
