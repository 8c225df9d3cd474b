"""LightGBM integration: ``lightgbm.train`` autologged, models in LightGBM's own format."""

from autolog_lightgbm.integration import LightGBMIntegration

__all__ = ["LightGBMIntegration"]
