"""XGBoost integration: ``xgboost.train`` autologged, models in XGBoost's own format."""

from autolog_xgboost.integration import XGBoostIntegration

__all__ = ["XGBoostIntegration"]
