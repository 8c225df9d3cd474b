"""Serialization formats: one module per format.

* :mod:`autolog.model.formats.pickle_format` — cloudpickle (scikit-learn's native flavor);
* :mod:`autolog.model.formats.torch_format` — ``torch.save`` of the whole module (MLflow's
  pytorch flavor);
* :mod:`autolog.model.formats.onnx_format` — ONNX, converted on the writer and checked
  against the native model with onnxruntime.

The option ``format`` chooses: ``pickle`` (the native flavor only), ``onnx`` (ONNX only, the
native file kept as a fallback when conversion fails) or ``both`` (one folder, both flavors).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMATS", "apply_formats"]

FORMATS = ("pickle", "onnx", "both")


def apply_formats(spec: Any, capture: Any, model: Any, config: Any) -> None:
    """Add the formats that ``config.format`` asks for to ``spec`` (writer thread only)."""
    if config.format == "pickle":
        return
    from autolog.model.formats import onnx_format as onnx

    onnx.add_onnx(spec, capture, model, config)
