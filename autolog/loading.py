"""``load_model(uri)``: a model folder back as an object whose ``predict`` checks its input.

URIs:

* a folder path, or ``file:///path/to/folder``;
* ``runs:/<run_id>/<artifact_path>`` — a run's model in the current store;
* ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/latest`` —
  a registered model version (see :mod:`autolog.registry`).

Folders written by MLflow load too. Before a pickled file is unpickled, its sha256 is checked
against the MLmodel's ``metadata.checksums`` (MLflow's own folders carry none).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autolog.errors import ModelFolderError, UnsafeFormatError
from autolog.model_folder import ModelFolder, read_model_folder, verify_checksums
from autolog.uris import folder_path, parse_run_uri

__all__ = ["LoadedModel", "load_model", "resolve_model_uri"]

# flavor name -> (format name, pickled?)
_FLAVOR_FORMATS = {"sklearn": ("pickle", True), "pytorch": ("torch", True),
                   "onnx": ("onnx", False)}


def resolve_model_uri(uri: str | os.PathLike[str]) -> Path:
    """The local folder that ``uri`` names.

    Raises:
        NotFoundError: the run, version or folder does not exist.
        InvalidNameError: the URI is malformed (the message shows the accepted forms).
    """
    text = os.fspath(uri)
    if text.startswith("runs:/"):
        run_id, artifact_path = parse_run_uri(text)
        from autolog import activation

        return Path(activation.get_store().download_artifacts(run_id, artifact_path))
    if text.startswith("models:/"):
        from autolog.registry.api import resolve_model_uri as resolve_version

        return resolve_version(text)
    return folder_path(text)


def _load_sklearn(folder: ModelFolder, conf: dict[str, Any]) -> Any:
    from autolog.formats import pickle as pickle_format

    name = conf.get("pickled_model", "model.pkl")
    verify_checksums(folder, [name])
    return pickle_format.load_file(folder.file(name), conf.get("serialization_format",
                                                               "cloudpickle"))


def _load_torch(folder: ModelFolder, conf: dict[str, Any]) -> Any:
    from autolog.formats import torch as torch_format

    return torch_format.load(folder, conf)


def _load_onnx(folder: ModelFolder, conf: dict[str, Any]) -> Any:
    from autolog.formats import onnx as onnx_format

    verify_checksums(folder, [conf.get("data", "model.onnx")])
    return onnx_format.load(folder, conf)


_LOADERS: dict[str, Callable[[ModelFolder, dict[str, Any]], Any]] = {
    "sklearn": _load_sklearn, "pytorch": _load_torch, "onnx": _load_onnx,
}


class LoadedModel:
    """A loaded model. ``predict`` enforces the signature; ``native`` is the real model."""

    def __init__(self, folder: ModelFolder, flavor: str, native: Any) -> None:
        self.folder = folder
        self.flavor = flavor
        self.format = _FLAVOR_FORMATS[flavor][0]
        self.native = native
        self.signature = folder.signature()

    @property
    def path(self) -> Path:
        return self.folder.path

    @property
    def metadata(self) -> dict[str, Any]:
        return self.folder.metadata

    @property
    def run_id(self) -> str | None:
        return self.folder.run_id

    def input_example(self) -> Any:
        return self.folder.input_example()

    def predict(self, data: Any) -> Any:
        """Predict on ``data`` after checking it against the input signature.

        Raises:
            SchemaMismatchError: a missing column, a wrong shape or an unsafe dtype.
        """
        if self.signature is not None:
            from autolog.signature import enforce

            data = enforce(self.signature.inputs, data)
        if self.flavor == "sklearn":
            if hasattr(self.native, "predict"):
                return self.native.predict(data)
            return self.native.transform(data)
        return self.native.predict(data)

    def __repr__(self) -> str:
        return f"<LoadedModel {self.flavor} from {self.path}>"


def load_model(uri: str | os.PathLike[str], *, format: str | None = None,
               allow_pickle: bool = True) -> LoadedModel:
    """Load a model folder.

    Parameters:
        uri: a folder, ``file://``, ``runs:/`` or ``models:/`` URI.
        format: ``"pickle"``, ``"torch"`` or ``"onnx"`` to pick one of the folder's formats;
            by default the native one, else ONNX.
        allow_pickle: False refuses formats that unpickle (pickle, torch) — only ONNX loads.

    Returns:
        A :class:`LoadedModel`.

    Raises:
        NotFoundError: nothing at ``uri``.
        ModelFolderError: a malformed folder, or no flavor autolog can load.
        ChecksumError: a model file was modified after it was logged.
        UnsafeFormatError: only pickled formats and ``allow_pickle=False``.
    """
    folder = read_model_folder(resolve_model_uri(uri))
    # MLmodel keys are sorted, so "onnx" comes before "pytorch"/"sklearn": put native first.
    available = sorted((f for f in folder.flavors if f in _LOADERS), key=lambda f: f == "onnx")
    if format is not None:
        known = sorted({fmt for fmt, _ in _FLAVOR_FORMATS.values()})
        if format not in known:
            raise ValueError(f"Unknown format {format!r}; choose one of {', '.join(known)}.")
        candidates = [f for f in available if _FLAVOR_FORMATS[f][0] == format]
        if not candidates:
            have = ", ".join(_FLAVOR_FORMATS[f][0] for f in available) or "none"
            raise ModelFolderError(f"{folder.path} has no {format!r} format (it has: {have}).")
    else:
        candidates = available
    if not allow_pickle:
        safe = [f for f in candidates if not _FLAVOR_FORMATS[f][1]]
        if not safe:
            raise UnsafeFormatError(
                f"{folder.path} holds only pickled formats "
                f"({', '.join(_FLAVOR_FORMATS[f][0] for f in candidates) or 'none'}) and "
                "allow_pickle=False. Log the model with format='onnx' or 'both', or load it "
                "with allow_pickle=True if you trust its source."
            )
        candidates = safe
    if not candidates:
        raise ModelFolderError(
            f"{folder.path} has no flavor autolog can load (flavors: "
            f"{', '.join(folder.flavors)}; loadable: {', '.join(_LOADERS)})."
        )
    flavor = candidates[0]
    native = _LOADERS[flavor](folder, folder.flavors[flavor])
    return LoadedModel(folder, flavor, native)
