"""autolog's joblib integration: autolog's re-entry state travels into joblib tasks."""

from autolog_joblib.integration import JoblibIntegration

__all__ = ["JoblibIntegration"]
