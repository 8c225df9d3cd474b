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
from pathlib import Path
from typing import Any

from autolog.errors import ModelFolderError, PluginError, UnsafeFormatError
from autolog.model import flavors
from autolog.model.flavors import FlavorLoader
from autolog.model.folder import ModelFolder, read_model_folder, verify_checksums
from autolog.uris import folder_path, parse_run_uri

__all__ = ["LoadedModel", "load_model", "resolve_model_uri"]

def resolve_model_uri(uri: str | os.PathLike[str]) -> Path:
    """The local folder that ``uri`` names.

    Raises:
        NotFoundError: the run, version or folder does not exist.
        InvalidNameError: the URI is malformed (the message shows the accepted forms).
    """
    text = os.fspath(uri)
    if text.startswith("runs:/"):
        run_id, artifact_path = parse_run_uri(text)
        from autolog.stores import current_store

        return Path(current_store().download_artifacts(run_id, artifact_path))
    if text.startswith("models:/"):
        from autolog.registry.api import resolve_model_uri as resolve_version

        return resolve_version(text)
    return folder_path(text)


class LoadedModel:
    """A loaded model. ``predict`` enforces the signature; ``native`` is the real model.

    ``flavor`` is the MLmodel flavor it was loaded from ("sklearn", "pytorch", "onnx", or a
    plugin's), ``format`` ``"native"`` or ``"onnx"``.
    """

    def __init__(self, folder: ModelFolder, loader: FlavorLoader, native: Any) -> None:
        self.folder = folder
        self.loader = loader
        self.flavor = loader.name
        self.format = loader.format
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
        return self.loader.predict(self.native, data)

    def __repr__(self) -> str:
        return f"<LoadedModel {self.flavor} from {self.path}>"


def _loaders(folder: ModelFolder) -> tuple[list[FlavorLoader], list[str]]:
    """Loaders of the folder's flavors, native ones first; and why others cannot load."""
    found, problems = [], []
    for name in folder.flavors:
        if name == "python_function":
            continue
        try:
            found_loader = flavors.loader(name)
        except PluginError as exc:
            problems.append(str(exc))
            continue
        if found_loader is None:
            problems.append(f"no installed package loads the {name!r} flavor")
        else:
            found.append(found_loader)
    found.sort(key=lambda ld: not ld.native)  # stable: MLmodel order among the rest
    return found, problems


def load_model(uri: str | os.PathLike[str], *, format: str | None = None,
               flavor: str | None = None, allow_pickle: bool = True) -> LoadedModel:
    """Load a model folder.

    Parameters:
        uri: a folder, ``file://``, ``runs:/`` or ``models:/`` URI.
        format: ``"native"`` (the framework's own format; ``"pickle"`` is accepted too) or
            ``"onnx"``, to pick one of the folder's formats; by default the native one, else
            ONNX.
        flavor: an exact MLmodel flavor name ("sklearn", "pytorch", "xgboost", ...).
        allow_pickle: False refuses formats that unpickle (pickle, torch): only formats that
            run no code from the file load (ONNX, a plugin's native file formats).

    Returns:
        A :class:`LoadedModel`.

    Raises:
        NotFoundError: nothing at ``uri``.
        ModelFolderError: a malformed folder, or no flavor autolog can load.
        ChecksumError: a model file was modified after it was logged.
        UnsafeFormatError: only pickled formats and ``allow_pickle=False``.
        PluginError: the plugin that loads the asked-for flavor is broken.
    """
    folder = read_model_folder(resolve_model_uri(uri))
    candidates, problems = _loaders(folder)
    if flavor is not None:
        if flavor not in folder.flavors:
            raise ModelFolderError(f"{folder.path} has no {flavor!r} flavor (it has: "
                                   f"{', '.join(folder.flavors)}).")
        chosen = flavors.loader(flavor)
        if chosen is None:
            raise ModelFolderError(f"No installed package loads the {flavor!r} flavor of "
                                   f"{folder.path} (loadable here: {', '.join(flavors.known())}).")
        candidates = [chosen]
    if format is not None:
        wanted = flavors.format_of(format)
        have = ", ".join(sorted({ld.format for ld in candidates})) or "none"
        candidates = [ld for ld in candidates if ld.format == wanted]
        if not candidates:
            raise ModelFolderError(f"{folder.path} has no {wanted!r} format autolog can load "
                                   f"(it has: {have}).")
    if not allow_pickle:
        safe = [ld for ld in candidates if not ld.pickled]
        if not safe:
            raise UnsafeFormatError(
                f"{folder.path} holds only pickled formats "
                f"({', '.join(ld.name for ld in candidates) or 'none'}) and "
                "allow_pickle=False. Log the model with format='onnx' or 'both', or load it "
                "with allow_pickle=True if you trust its source."
            )
        candidates = safe
    if not candidates:
        why = "; ".join(problems) or "it lists no model flavor"
        raise ModelFolderError(
            f"{folder.path} has no flavor autolog can load (flavors: "
            f"{', '.join(folder.flavors)}; {why}). Install the plugin of that flavor, or load "
            "the folder with MLflow."
        )
    chosen_loader = candidates[0]
    conf = folder.flavors[chosen_loader.name]
    verify_checksums(folder, chosen_loader.model_files(conf))
    return LoadedModel(folder, chosen_loader, chosen_loader.load(folder, conf))
