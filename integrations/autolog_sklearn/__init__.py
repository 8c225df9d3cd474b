"""scikit-learn integration: every ``BaseEstimator`` subclass's fit is autologged."""

from autolog_sklearn.integration import SklearnIntegration

__all__ = ["SklearnIntegration"]
