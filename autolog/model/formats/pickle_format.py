"""The pickle format: models serialized with cloudpickle.

cloudpickle (not plain pickle) so that classes and functions defined in ``__main__`` or a
notebook travel with the model; MLflow's ``serialization_format: cloudpickle`` loads the same
bytes.

Loading in the process that pickled such a class gives back the live class, and cloudpickle
then sets every attribute of it from the pickle again: the originals, since autolog's wrappers
pickle as what they wrap. The unpickler here leaves attributes that autolog has wrapped alone,
so loading a model (the writer does it after every fit) does not undo autolog's patches of the
user's own estimator class.
"""

from __future__ import annotations

import functools
import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from autolog.model.flavor_loader import FlavorLoader

__all__ = ["SERIALIZATION_FORMATS", "SKLEARN_LOADER", "dumps", "load_file", "loads",
           "loads_recording"]

SERIALIZATION_FORMATS = ("cloudpickle", "pickle")


def dumps(model: Any) -> bytes:
    """Serialize ``model`` with cloudpickle (highest protocol)."""
    import cloudpickle

    return cloudpickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[no-any-return]


def _keeping_patches(setstate: Callable[[Any, Any], Any], obj: Any, state: Any) -> Any:
    from autolog.patching import is_autolog_wrapper

    attrs, slots = state
    own = vars(obj)
    kept = {k: v for k, v in attrs.items() if not is_autolog_wrapper(own.get(k))}
    return setstate(obj, (kept, slots))


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = super().find_class(module, name)
        if name == "_class_setstate" and module.startswith("cloudpickle"):
            return functools.partial(_keeping_patches, found)
        return found


def _load(fh: IO[bytes]) -> Any:
    return _Unpickler(fh).load()  # noqa: S301 - callers verify checksums before this


def loads(data: bytes) -> Any:
    """Deserialize bytes made by :func:`dumps`. Runs code from the bytes: trust them first."""
    return _load(io.BytesIO(data))


class _RecordingUnpickler(_Unpickler):
    """The unpickler above, noting the top-level module of every global it loads."""

    def __init__(self, file: Any) -> None:
        super().__init__(file)
        self.modules: set[str] = set()

    def find_class(self, module: str, name: str) -> Any:
        self.modules.add(module.partition(".")[0])
        return super().find_class(module, name)


def loads_recording(data: bytes) -> tuple[Any, set[str] | None]:
    """:func:`loads`, and the top-level modules the pickle's globals come from, outside the
    standard library (what :func:`autolog.model.environment.modules_in_pickle` finds by reading the
    opcodes, here noted while loading). The modules are None for pickles of protocols below
    3, whose Python 2 names the unpickler maps: read them with ``modules_in_pickle``.
    """
    import io

    from autolog.model.environment import NOT_INSTALLED

    unpickler = _RecordingUnpickler(io.BytesIO(data))
    model = unpickler.load()
    if data[:1] != b"\x80" or data[1] < 3:
        return model, None
    return model, {m for m in unpickler.modules if m and m not in NOT_INSTALLED}


def load_file(path: Path, serialization_format: str = "cloudpickle") -> Any:
    """Load a pickled model file (after its checksum was verified by the caller)."""
    if serialization_format not in SERIALIZATION_FORMATS:
        from autolog.errors import ModelFolderError

        raise ModelFolderError(
            f"Unsupported serialization_format {serialization_format!r} in {path}; autolog "
            f"loads {', '.join(SERIALIZATION_FORMATS)} (skops folders: use mlflow)."
        )
    with open(path, "rb") as fh:
        return _load(fh)


def _load_sklearn(folder: Any, conf: dict[str, Any]) -> Any:
    return load_file(folder.file(conf.get("pickled_model", "model.pkl")),
                     conf.get("serialization_format", "cloudpickle"))


def _predict_sklearn(model: Any, data: Any) -> Any:
    """MLflow's sklearn pyfunc: ``predict``, or ``transform`` for a transformer."""
    if hasattr(model, "predict"):
        return model.predict(data)
    return model.transform(data)


def _sklearn_files(conf: dict[str, Any]) -> list[str]:
    return [conf.get("pickled_model", "model.pkl")]



SKLEARN_LOADER = FlavorLoader("sklearn", _load_sklearn, _predict_sklearn, pickled=True,
                              model_files=_sklearn_files)
