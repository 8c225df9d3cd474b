"""The Booster behind a LightGBM model, for the flavor and the ONNX converter alike."""

from __future__ import annotations

from typing import Any

__all__ = ["booster_of"]


def booster_of(model: Any) -> Any:
    """The Booster of a Booster or of a fitted scikit-learn wrapper."""
    import lightgbm

    return model if isinstance(model, lightgbm.Booster) else model.booster_
