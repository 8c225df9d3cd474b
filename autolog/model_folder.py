"""Write and read a model folder in the MLflow model format.

A folder holds::

    MLmodel              flavors (python_function + native), signature, input example info,
                         run_id, model_uuid, utc_time_created, metadata (checksums)
    conda.yaml           \\
    python_env.yaml       > the environment, pinned from installed distributions
    requirements.txt     /
    input_example.json   the first rows of training input (when enabled)
    model.pkl | data/model.pth | model.onnx   the model file(s)

:func:`write_model_folder` assembles everything under a temporary name next to the target
and renames it into place, so a folder appears whole or not at all. The sha256 of every model
file goes into ``metadata.checksums``; :func:`verify_checksums` checks them before a loader
touches (and, for pickles, executes) any of those bytes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autolog.errors import ChecksumError, ModelFolderError
from autolog.fileio import write_bytes, write_text

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

MLMODEL = "MLmodel"


@dataclass
class ModelSpec:
    """Everything a model folder is made of, produced by an integration and the writer.

    Attributes:
        flavors: native flavors, e.g. ``{"sklearn": {...}}`` (python_function is added).
        pyfunc: the ``python_function`` flavor's own keys (``loader_module``, ``model_path``
            or ``data``, ``predict_fn``...); ``env`` and ``python_version`` are added.
        files: relative path -> bytes or an existing file/folder to copy; checksummed.
        move_files: names in ``files`` whose path is moved in instead of copied.
        requirements: pinned requirement lines for requirements.txt.
        signature: a :class:`autolog.signature.Signature` or None.
        input_example: data for input_example.json or None.
        metadata: extra keys for the MLmodel ``metadata`` section.
    """

    flavors: dict[str, dict[str, Any]]
    pyfunc: dict[str, Any]
    files: dict[str, bytes | Path] = field(default_factory=dict)
    requirements: list[str] = field(default_factory=list)
    signature: Any = None
    input_example: Any = None
    # The example's ``saved_input_example_info`` and JSON text, when already serialized.
    input_example_json: tuple[dict[str, str], str] | None = None
    example_rows: int = 5
    metadata: dict[str, Any] = field(default_factory=dict)
    # Names in ``files`` whose Path is autolog's own temporary, moved rather than copied.
    move_files: set[str] = field(default_factory=set)
    # ``sha256:<hex>`` of files whose digest is already known (computed from their bytes
    # when they were written), so that they are not read back.
    checksums: dict[str, str] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    """``sha256:<hex>`` of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    """``sha256:<hex>`` of bytes in memory (the same value :func:`sha256_file` gives)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _place(dst: Path, content: bytes | Path, move: bool, sums: dict[str, str], name: str
           ) -> None:
    if "/" in name:
        dst.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, (bytes, bytearray, memoryview)):
        write_bytes(dst, content)
        sums[name] = sha256_bytes(content)
    elif Path(content) == dst:
        pass  # written in place already
    elif move:
        shutil.move(content, dst)
    elif Path(content).is_dir():
        shutil.copytree(content, dst)
    else:
        shutil.copyfile(content, dst)


def _checksums(folder: Path, names: list[str], known: dict[str, str]) -> dict[str, str]:
    sums = {}
    for name in names:
        path = folder / name
        if name in known:
            sums[name] = known[name]
        elif path.is_dir():
            for sub in sorted(p for p in path.rglob("*") if p.is_file()):
                sums[sub.relative_to(folder).as_posix()] = sha256_file(sub)
        else:
            sums[name] = sha256_file(path)
    return sums


def write_model_folder(target: Path, spec: ModelSpec, *, run_id: str | None,
                       artifact_path: str = "model", staging: Path | None = None) -> dict[str, Any]:
    """Write a complete model folder at ``target`` (which must not exist), atomically.

    Parameters:
        target: the folder to create.
        spec: the contents.
        run_id: the run the model belongs to (None for a standalone folder).
        artifact_path: the folder's path among the run's artifacts.
        staging: where to build it (default: next to ``target``); must be on the same file
            system as ``target`` for the final rename to be atomic.

    Returns:
        The MLmodel content as a dict.

    Raises:
        ModelFolderError: ``target`` exists.
        OSError: the folder could not be written (nothing is left behind).
    """
    target = Path(target)
    if target.exists():
        raise ModelFolderError(f"Cannot write a model folder at {target}: it already exists.")
    staging = Path(staging) if staging is not None else target.parent
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f".tmp-model-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        mlmodel = fill_model_folder(tmp, spec, run_id=run_id, artifact_path=artifact_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return mlmodel


def fill_model_folder(folder: Path, spec: ModelSpec, *, run_id: str | None,
                      artifact_path: str = "model") -> dict[str, Any]:
    """Write the model folder's files into ``folder``, an existing folder nobody reads yet
    (the caller renames it into place); files of ``spec`` already at their place stay.

    Returns:
        The MLmodel content as a dict.

    Raises:
        OSError: a file could not be written (the caller removes ``folder``).
    """
    from autolog._version import __version__
    from autolog.environment import python_version, write_environment_files

    folder = Path(folder)
    known = dict(spec.checksums)
    for name, content in spec.files.items():
        _place(folder / name, content, name in spec.move_files, known, name)
    env = write_environment_files(folder, spec.requirements)
    mlmodel: dict[str, Any] = {
        "artifact_path": artifact_path,
        "flavors": {
            "python_function": {**spec.pyfunc, "env": env, "python_version": python_version()},
            **spec.flavors,
        },
        "model_uuid": uuid.uuid4().hex,
        "run_id": run_id,
        "utc_time_created": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M:%S.%f"),
    }
    if spec.signature is not None:
        mlmodel["signature"] = spec.signature.to_dict()
    if spec.input_example is not None:
        from autolog.signature import example_to_json

        info, text = spec.input_example_json or example_to_json(spec.input_example,
                                                                 spec.example_rows)
        write_text(folder / info["artifact_path"], text)
        mlmodel["saved_input_example_info"] = info
    sums = _checksums(folder, list(spec.files), known)
    mlmodel["model_size_bytes"] = sum(os.stat(folder / n).st_size for n in sums)
    mlmodel["metadata"] = {**spec.metadata, "autolog_version": __version__, "checksums": sums}
    write_text(folder / MLMODEL, mlmodel_text(mlmodel))
    return mlmodel


# Top-level MLmodel keys whose value differs in every folder: never worth caching.
_UNIQUE_KEYS = frozenset({"metadata", "model_size_bytes", "model_uuid", "run_id",
                          "utc_time_created"})
_MAX_BLOCKS = 256
# (key, JSON of its value) -> the YAML text of ``{key: value}``
_blocks: dict[tuple[str, str], str] = {}


def mlmodel_text(mlmodel: Mapping[str, Any]) -> str:
    """The YAML text of an MLmodel (block style, keys sorted, as MLflow writes it).

    A block-style mapping is the concatenation of its keys' blocks, so the blocks that repeat
    from folder to folder (flavors, signature, input example info) are dumped once and
    reused; the others are dumped together, in key order. Shared objects get no YAML anchors.
    """
    from autolog import yamlio

    parts: list[str] = []
    fresh: dict[str, Any] = {}
    for key in sorted(mlmodel):
        value = mlmodel[key]
        signature = None
        if key not in _UNIQUE_KEYS:
            try:
                signature = (key, json.dumps(value, sort_keys=True, allow_nan=True))
            except (TypeError, ValueError):
                signature = None
        cached = _blocks.get(signature) if signature is not None else None
        if cached is None:
            if signature is None:
                fresh[key] = value
                continue
            cached = yamlio.dump({key: value})
            if len(_blocks) >= _MAX_BLOCKS:
                _blocks.clear()
            _blocks[signature] = cached
        if fresh:
            parts.append(yamlio.dump(fresh))
            fresh = {}
        parts.append(cached)
    if fresh:
        parts.append(yamlio.dump(fresh))
    return "".join(parts)


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
