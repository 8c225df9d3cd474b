"""What loading one MLmodel flavor takes: :class:`FlavorLoader`, and what ``format`` means.

A leaf: the formats that define loaders (:mod:`autolog.model.formats`) and the table that finds them
by flavor name (:mod:`autolog.model.flavors`) both import it, and it imports neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    from autolog.model.folder import ModelFolder

__all__ = ["FORMAT_NAMES", "FlavorLoader", "format_of"]

#: What ``format`` means everywhere: the framework's ``native`` format or ``onnx``.
#: ``pickle`` (the option's historical value) and ``torch`` are accepted for ``native``.
FORMAT_NAMES = ("native", "onnx")
_FORMAT_ALIASES = {"native": "native", "pickle": "native", "torch": "native", "onnx": "onnx"}


def _predict(native: Any, data: Any) -> Any:
    return native.predict(data)


def _no_files(conf: dict[str, Any]) -> list[str]:
    return []


@dataclass(frozen=True)
class FlavorLoader:
    """How one MLmodel flavor is loaded back and predicts.

    Attributes:
        name: the flavor's name in ``MLmodel`` ("sklearn", "pytorch", "xgboost").
        load: ``(folder, conf) -> native model``; ``folder`` is a
            :class:`~autolog.model.folder.ModelFolder` (``.path``, ``.signature()``), ``conf``
            the flavor's block of ``MLmodel``. Checksums of :attr:`model_files` are verified
            before it runs.
        predict: ``(native, data) -> output`` on data already checked against the signature.
        pickled: loading unpickles (refused by ``load_model(..., allow_pickle=False)``).
        model_files: ``conf -> [paths in the folder]`` whose checksums are verified first.
        native: a framework's own format (False for ONNX, which any framework may export).
    """

    name: str
    load: Callable[[ModelFolder, dict[str, Any]], Any]
    predict: Callable[[Any, Any], Any] = field(default=_predict)
    pickled: bool = True
    model_files: Callable[[dict[str, Any]], list[str]] = field(default=_no_files)
    native: bool = True

    @property
    def format(self) -> str:
        """``native`` or ``onnx`` (see :data:`FORMAT_NAMES`)."""
        return "native" if self.native else "onnx"


def format_of(name: str) -> str:
    """The canonical format for a user's ``format`` value, or a ValueError naming the choices."""
    try:
        return _FORMAT_ALIASES[name]
    except KeyError:
        raise ValueError(f"Unknown format {name!r}; choose one of {', '.join(FORMAT_NAMES)} "
                         "('pickle' is accepted for 'native').") from None
