"""Writing a model folder in the MLflow model format: :class:`ModelSpec` in, files out.

:func:`write_model_folder` assembles everything under a temporary name next to the target
and renames it into place, so a folder appears whole or not at all. The sha256 of every model
file goes into ``metadata.checksums`` (:func:`autolog.model.folder.verify_checksums` checks
them before a loader touches any of those bytes). :func:`mlmodel_text` writes the MLmodel
YAML as MLflow does. Reading a folder back is :mod:`autolog.model.folder`.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autolog.errors import ModelFolderError
from autolog.fileio import sha256_bytes, sha256_file, write_bytes, write_text

__all__ = ["MLMODEL", "ModelSpec", "fill_model_folder", "mlmodel_text", "write_model_folder"]

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
    from autolog.model.environment import python_version, write_environment_files

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
